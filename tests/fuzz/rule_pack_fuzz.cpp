// Fuzz target: the rule-pack loader. Any text in, parsed as a pack (parse_pack) and as
// stages.yaml (parse_stages); checked:
//   - nothing throws or crashes, whatever the YAML;
//   - every problem is a coded rules.* error with a message and the file;
//   - every rule kept is complete: an id, a stage, at least one non-empty pattern, a
//     match and a no-match example, a weight >= 0, and a source mark for each part.
// A small pack that parses without error (at most 4 rules, 2 KiB) is also loaded for
// real: written beside the test stages.yaml and given to RuleSet::load, which compiles
// its regexes (RE2 and Hyperscan) and runs its examples; a load that succeeds holds
// exactly the rules parsed. Compiling only those keeps the target fast on the rest.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "plugin/rules/pack_parser.h"
#include "plugin/rules/rule_set.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/plugin/engine/engine_test_support.h"

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxCompiledRules = 4;
constexpr size_t kMaxCompiledBytes = 2048;

// `file`: the file every error must name; null when they name several.
void check_errors(const vigil::Errors& errors, const char* file) {
  for (const vigil::Error& e : errors) {
    FUZZ_CHECK(e.code.rfind("rules.", 0) == 0, "a loader error has a rules.* code");
    FUZZ_CHECK(!e.message.empty(), "a loader error has a message");
    FUZZ_CHECK(file == nullptr || e.file == file, "a loader error names its file");
    FUZZ_CHECK(e.line >= 0 && e.column >= 0, "a loader error's position is not negative");
  }
}

void check_rule(const vigil::RuleSource& src) {
  const vigil::Rule& r = src.rule;
  FUZZ_CHECK(!r.id.empty() && !r.stage.empty(), "a kept rule has an id and a stage");
  FUZZ_CHECK(!r.patterns.empty(), "a kept rule has a pattern");
  for (const std::string& p : r.patterns) FUZZ_CHECK(!p.empty(), "a kept pattern is not empty");
  for (const std::string& p : r.unless) FUZZ_CHECK(!p.empty(), "a kept unless is not empty");
  FUZZ_CHECK(!r.examples_match.empty() && !r.examples_no_match.empty(), "a kept rule has both examples");
  FUZZ_CHECK(std::isfinite(r.weight) && r.weight >= 0, "a kept rule's weight is a number >= 0");
  FUZZ_CHECK(src.pattern_marks.size() == r.patterns.size() && src.unless_marks.size() == r.unless.size() &&
                 src.match_marks.size() == r.examples_match.size() &&
                 src.no_match_marks.size() == r.examples_no_match.size(),
             "a kept rule has a source mark for each part");
}

// A rules folder for the real loads: the test stages.yaml and the pack being tried.
const fs::path& rules_dir() {
  static const vigil::test::TempDir dir;  // removed at exit
  static const bool ready =
      fs::copy_file(fs::path(VIGIL_SOURCE_DIR) / "tests/fixtures/rules/valid/stages.yaml", dir.path() / "stages.yaml");
  (void)ready;
  return dir.path();
}

void load_for_real(const std::string& text, const vigil::PackSource& pack) {
  {
    std::ofstream out(rules_dir() / "pack.yaml", std::ios::binary | std::ios::trunc);
    out << text;
  }
  vigil::RuleLoadOptions options;  // no cache: every load compiles
  auto set = vigil::RuleSet::load(rules_dir(), options);
  if (!set) {
    check_errors(set.error(), nullptr);
    return;
  }
  FUZZ_CHECK((*set)->rules().size() == pack.rules.size(), "a load holds exactly the rules parsed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const char* const file = "fuzz/pack.yaml";

  vigil::Errors stage_errors;
  const std::vector<vigil::Stage> stages = vigil::parse_stages(file, text, stage_errors);
  check_errors(stage_errors, file);
  for (size_t i = 0; i < stages.size(); ++i) {
    FUZZ_CHECK(!stages[i].name.empty() && stages[i].order == i, "stages are named and in order");
  }

  vigil::Errors errors;
  const vigil::PackSource pack = vigil::parse_pack(file, text, errors);
  check_errors(errors, file);
  for (const vigil::RuleSource& src : pack.rules) check_rule(src);

  if (errors.empty() && !pack.rules.empty() && pack.rules.size() <= kMaxCompiledRules && size <= kMaxCompiledBytes) {
    load_for_real(text, pack);
  }
  return 0;
}
