// The rule loader: a valid pack loads with its stages, rules and statuses; every
// broken pack fails with the right error code, file, line and rule id.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <string>

#include "plugin/rules/rule_set.h"

namespace {

using vigil::Error;
using vigil::Errors;
using vigil::RuleSet;

const std::string kFixtures = VIGIL_SOURCE_DIR "/tests/fixtures/rules/";

Errors load_errors(const std::string& name, bool run_examples = true) {
  vigil::RuleLoadOptions options;
  options.run_examples = run_examples;
  auto loaded = RuleSet::load(kFixtures + "broken/" + name, options);
  REQUIRE_FALSE(loaded.ok());
  return loaded.error();
}

// The error with `code` (and rule id, when given) at `line` of a file ending in `file`.
bool has_error(const Errors& errors, const std::string& code, const std::string& file, int line,
               const std::string& rule = "") {
  return std::any_of(errors.begin(), errors.end(), [&](const Error& e) {
    const bool file_ok =
        e.file.size() >= file.size() && e.file.compare(e.file.size() - file.size(), file.size(), file) == 0;
    return e.code == code && file_ok && e.line == line && (rule.empty() || e.rule_id == rule);
  });
}

std::string dump(const Errors& errors) { return vigil::to_text(errors); }

}  // namespace

TEST_CASE("a valid folder loads its stages, rules, statuses and version") {
  auto loaded = RuleSet::load(kFixtures + "valid");
  INFO((loaded.ok() ? std::string() : dump(loaded.error())));
  REQUIRE(loaded.ok());
  const RuleSet& rules = **loaded;
  REQUIRE(rules.stages().size() == 6);
  CHECK(rules.stages()[0].name == "access");
  CHECK(rules.stages()[5].order == 5);
  CHECK(rules.stage_index("secrecy") == 3);
  CHECK(rules.stage_index("nope") == -1);
  CHECK(rules.rules().size() == 15);
  CHECK(rules.packs().size() == 2);
  CHECK(rules.packs()[0].name == "test-en");
  CHECK(rules.packs()[0].rules == 9);
  const int tell = rules.rule_index("test.en.secrecy.dont_tell");
  REQUIRE(tell >= 0);
  const vigil::Rule& rule = rules.rules()[static_cast<size_t>(tell)];
  CHECK(rule.stage == "secrecy");
  CHECK(rule.stage_index == 3);
  CHECK(rule.weight == 2.0);
  CHECK(rule.line > 0);
  CHECK(rules.rules()[static_cast<size_t>(rules.rule_index("test.en.meeting.meet_irl"))].status ==
        vigil::RuleStatus::kShadow);
  CHECK(rules.rules()[static_cast<size_t>(rules.rule_index("test.en.trust.mature"))].status ==
        vigil::RuleStatus::kDeprecated);
  const vigil::Rule& grade = rules.rules()[static_cast<size_t>(rules.rule_index("test.zh.age.junior_grade"))];
  CHECK(grade.is_age_signal());
  CHECK(grade.grade_offset == 12);
  CHECK(rules.version().size() == 16);
  CHECK(rules.stages_yaml().find("scorer:") != std::string::npos);
  CHECK(rules.stages_path().filename() == "stages.yaml");

  // The same files give the same version.
  auto again = RuleSet::load(kFixtures + "valid");
  REQUIRE(again.ok());
  CHECK((*again)->version() == rules.version());
}

TEST_CASE("rules.not_found, rules.missing_stages and rules.no_packs") {
  auto missing = RuleSet::load(kFixtures + "no/such/folder");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().front().code == "rules.not_found");
  CHECK(missing.error().front().message.find("does not exist") != std::string::npos);

  CHECK(has_error(load_errors("missing_stages"), "rules.missing_stages", "missing_stages/stages.yaml", 0));
  CHECK(load_errors("no_packs").front().code == "rules.no_packs");
}

TEST_CASE("a dangling symbolic link in the rules folder is an error naming it, not a dropped pack") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("vigil-symlink-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::copy(kFixtures + "valid", dir, fs::copy_options::recursive);
  fs::create_symlink(dir / "gone.yaml", dir / "en" / "extra.yaml");
  auto loaded = RuleSet::load(dir.string());
  REQUIRE_FALSE(loaded.ok());
  INFO(dump(loaded.error()));
  REQUIRE(loaded.error().size() == 1);
  CHECK(loaded.error()[0].code == "rules.dangling_symlink");
  CHECK(loaded.error()[0].file == (dir / "en" / "extra.yaml").string());
  CHECK(loaded.error()[0].message.find("gone.yaml") != std::string::npos);
  // A folder link that points nowhere too.
  fs::remove(dir / "en" / "extra.yaml");
  fs::create_directory_symlink(dir / "no-such-folder", dir / "more");
  auto folder = RuleSet::load(dir.string());
  REQUIRE_FALSE(folder.ok());
  CHECK(folder.error()[0].code == "rules.dangling_symlink");
  fs::remove(dir / "more");
  CHECK(RuleSet::load(dir.string()).ok());
  fs::remove_all(dir);
}

TEST_CASE("rules.yaml_syntax names the line") {
  const Errors errors = load_errors("yaml_syntax");
  INFO(dump(errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == "rules.yaml_syntax");
  CHECK(errors[0].file.find("yaml_syntax/pack.yaml") != std::string::npos);
  CHECK(errors[0].line >= 6);
}

TEST_CASE("rules.unknown_key at pack, rule, pattern, examples and stages.yaml level") {
  const Errors errors = load_errors("unknown_key");
  INFO(dump(errors));
  CHECK(errors.size() == 4);
  CHECK(has_error(errors, "rules.unknown_key", "pack.yaml", 2));
  CHECK(has_error(errors, "rules.unknown_key", "pack.yaml", 7, "broken.secrecy.unknown_keys"));
  CHECK(has_error(errors, "rules.unknown_key", "pack.yaml", 10, "broken.secrecy.unknown_keys"));
  CHECK(has_error(errors, "rules.unknown_key", "pack.yaml", 15, "broken.secrecy.unknown_keys"));
  CHECK(errors[0].message.find("langauge") != std::string::npos);

  const Errors stages = load_errors("stages_unknown_key");
  INFO(dump(stages));
  CHECK(has_error(stages, "rules.unknown_key", "stages.yaml", 3));
  CHECK(has_error(stages, "rules.unknown_key", "stages.yaml", 5));
  CHECK(stages.size() == 2);
}

TEST_CASE("rules.missing_key") {
  const Errors errors = load_errors("missing_key");
  INFO(dump(errors));
  CHECK(has_error(errors, "rules.missing_key", "pack.yaml", 1));  // no language
  CHECK(has_error(errors, "rules.missing_key", "pack.yaml", 3, "broken.secrecy.no_stage"));
  CHECK(has_error(errors, "rules.missing_key", "pack.yaml", 14, "broken.secrecy.no_kind"));
  CHECK(errors.size() == 3);
}

TEST_CASE("rules.duplicate_id across packs names both places") {
  const Errors errors = load_errors("duplicate_id");
  INFO(dump(errors));
  REQUIRE(errors.size() == 1);
  CHECK(has_error(errors, "rules.duplicate_id", "duplicate_id/b.yaml", 4, "broken.secrecy.twice"));
  CHECK(errors[0].message.find("a.yaml:4") != std::string::npos);
}

TEST_CASE("rules.unknown_stage lists the known stages") {
  const Errors errors = load_errors("unknown_stage");
  INFO(dump(errors));
  REQUIRE(errors.size() == 1);
  CHECK(has_error(errors, "rules.unknown_stage", "pack.yaml", 5, "broken.grooming.stage"));
  CHECK(errors[0].message.find("secrecy, platform_move, age_signal") != std::string::npos);
}

TEST_CASE("rules.unknown_list and rules.empty_pattern") {
  const Errors lists = load_errors("unknown_list");
  INFO(dump(lists));
  REQUIRE(lists.size() == 1);
  CHECK(has_error(lists, "rules.unknown_list", "pack.yaml", 10, "broken.platform_move.list"));
  CHECK(lists[0].message.find("messengers") != std::string::npos);

  const Errors empty = load_errors("empty_pattern");
  INFO(dump(empty));
  REQUIRE(empty.size() == 1);
  CHECK(has_error(empty, "rules.empty_pattern", "pack.yaml", 8, "broken.secrecy.empty"));
}

TEST_CASE("rules.bad_regex names the pattern RE2 or Hyperscan rejects") {
  const Errors errors = load_errors("bad_regex");
  INFO(dump(errors));
  CHECK(errors.size() == 3);
  CHECK(has_error(errors, "rules.bad_regex", "bad_regex/pack.yaml", 17, "broken.secrecy.unclosed"));
  CHECK(has_error(errors, "rules.bad_regex", "bad_regex/pack.yaml", 26, "broken.secrecy.re2_only"));
  CHECK(has_error(errors, "rules.bad_regex", "bad_regex/pack.yaml", 35, "broken.secrecy.matches_empty"));
  for (const Error& e : errors) CHECK(e.column > 0);
}

TEST_CASE("rules.no_examples and rules.bad_value") {
  const Errors examples = load_errors("no_examples");
  INFO(dump(examples));
  CHECK(examples.size() == 2);
  CHECK(has_error(examples, "rules.no_examples", "pack.yaml", 4, "broken.secrecy.no_examples"));
  CHECK(has_error(examples, "rules.no_examples", "pack.yaml", 16, "broken.secrecy.no_no_match"));

  const Errors values = load_errors("bad_value");
  INFO(dump(values));
  CHECK(values.size() == 5);
  CHECK(has_error(values, "rules.bad_value", "pack.yaml", 6, "broken.secrecy.negative"));
  CHECK(has_error(values, "rules.bad_value", "pack.yaml", 16, "broken.secrecy.words"));
  CHECK(has_error(values, "rules.bad_value", "pack.yaml", 17, "broken.secrecy.words"));
  CHECK(has_error(values, "rules.bad_value", "pack.yaml", 27, "broken.secrecy.urgent_word"));
  CHECK(has_error(values, "rules.bad_value", "pack.yaml", 37, "broken.age.urgent"));
}

TEST_CASE("rules.no_age_group and a grade group without grade_offset") {
  const Errors errors = load_errors("no_age_group");
  INFO(dump(errors));
  CHECK(errors.size() == 2);
  CHECK(has_error(errors, "rules.no_age_group", "pack.yaml", 8, "broken.age.no_group"));
  CHECK(has_error(errors, "rules.missing_key", "pack.yaml", 13, "broken.age.no_offset"));
}

TEST_CASE("rules.example_failed for each example that misbehaves, only when examples run") {
  const Errors errors = load_errors("example_failed");
  INFO(dump(errors));
  CHECK(errors.size() == 2);
  CHECK(has_error(errors, "rules.example_failed", "pack.yaml", 10, "broken.secrecy.examples"));
  CHECK(has_error(errors, "rules.example_failed", "pack.yaml", 11, "broken.secrecy.examples"));

  vigil::RuleLoadOptions options;
  options.run_examples = false;
  CHECK(RuleSet::load(kFixtures + "broken/example_failed", options).ok());
}
