#include "plugin/rules/rule_set.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>

#include "plugin/common/yaml_errors.h"
#include "plugin/normalize/normalizer.h"
#include "plugin/rules/example_runner.h"
#include "plugin/rules/pack_parser.h"
#include "plugin/rules/rule_compiler.h"
#include "plugin/rules/rule_set_impl.h"
#include "plugin/rules/sha256.h"

namespace vigil {

namespace {

namespace fs = std::filesystem;

constexpr size_t kVersionHexChars = 16;

bool read_file(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// Every *.yaml / *.yml below `dir` but the top-level stages.yaml, sorted by path. A
// symbolic link whose target is missing, or a folder that cannot be read, is an error
// naming it: skipping it would silently drop the packs it should have held.
std::vector<fs::path> pack_files(const fs::path& dir, Errors& errors) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::error_code st;
    if (it->is_symlink(st) && !fs::exists(p, st)) {
      errors.push_back(Error("rules.dangling_symlink", "a symbolic link in the rules folder points to '" +
                                                           fs::read_symlink(p, st).string() + "', which does not exist")
                           .at(p.string()));
      continue;
    }
    if (!it->is_regular_file(st)) continue;
    if (p.extension() != ".yaml" && p.extension() != ".yml") continue;
    if (p.parent_path() == dir && p.filename() == "stages.yaml") continue;
    files.push_back(p);
  }
  if (ec) {
    const fs::path where = it != end ? it->path() : dir;
    errors.push_back(Error("rules.io_error", "cannot list the rules folder: " + ec.message()).at(where.string()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Checks that need every pack: duplicate ids and unknown stages. Keeps the rules that
// pass, in load order.
std::vector<RuleSource> cross_check(std::vector<PackSource>& packs, const std::vector<Stage>& stages, Errors& errors) {
  std::vector<RuleSource> kept;
  std::map<std::string, std::string, std::less<>> seen;  // id -> file:line
  std::string known;
  for (const Stage& s : stages) known.append(known.empty() ? "" : ", ").append(s.name);
  known.append(known.empty() ? "" : ", ").append(kAgeSignalStage);
  for (PackSource& pack : packs) {
    for (RuleSource& src : pack.rules) {
      Rule& rule = src.rule;
      bool ok = true;
      if (auto it = seen.find(rule.id); it != seen.end()) {
        errors.push_back(Error("rules.duplicate_id", "the rule id '" + rule.id + "' is already used at " + it->second)
                             .at(rule.file, src.id_mark.line, src.id_mark.column)
                             .for_rule(rule.id));
        ok = false;
      }
      if (rule.stage != kAgeSignalStage) {
        auto st = std::find_if(stages.begin(), stages.end(), [&](const Stage& s) { return s.name == rule.stage; });
        if (st == stages.end()) {
          errors.push_back(
              Error("rules.unknown_stage", "unknown stage '" + rule.stage + "' (stages.yaml declares: " + known + ")")
                  .at(rule.file, src.stage_mark.line, src.stage_mark.column)
                  .for_rule(rule.id));
          ok = false;
        } else {
          rule.stage_index = static_cast<int>(st - stages.begin());
        }
      }
      if (!ok) continue;
      seen.emplace(rule.id, rule.file + ":" + std::to_string(rule.line));
      kept.push_back(std::move(src));
    }
  }
  return kept;
}

// Reads stages.yaml once: its `stages:` list, then (when that is sound) the scorer's
// sections, with the same checks the engine relies on.
void read_stages_yaml(RuleSetImpl& impl, Errors& errors) {
  const std::string file = impl.stages_path.string();
  std::optional<YAML::Node> root = YamlErrors(file, errors, "rules", "rules.yaml_syntax").parse(impl.stages_yaml);
  if (!root) return;
  const size_t before = errors.size();
  impl.stages = parse_stages(file, *root, errors);
  if (errors.size() != before || impl.stages.empty()) return;
  std::vector<std::string> names;
  for (const Stage& s : impl.stages) names.push_back(s.name);
  auto scorer = ScorerConfig::from_yaml(*root, names, file);
  if (!scorer) {
    errors.insert(errors.end(), scorer.error().begin(), scorer.error().end());
    return;
  }
  impl.scorer = std::move(scorer).value();
}

}  // namespace

RuleSet::RuleSet(std::unique_ptr<RuleSetImpl> impl) : impl_(std::move(impl)) {}
RuleSet::~RuleSet() = default;

Result<std::shared_ptr<const RuleSet>, Errors> RuleSet::load(const std::filesystem::path& dir,
                                                             const RuleLoadOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Errors{
        Error("rules.not_found", "rules folder '" + dir.string() + "' does not exist (set --rules or $VIGIL_RULES)")
            .at(dir.string())};
  }
  Errors errors;
  auto impl = std::make_unique<RuleSetImpl>();
  Sha256 version;

  impl->stages_path = dir / "stages.yaml";
  if (!fs::is_regular_file(impl->stages_path, ec)) {
    errors.push_back(Error("rules.missing_stages",
                           "the rules folder has no stages.yaml; it declares the stages every rule refers to")
                         .at(impl->stages_path.string()));
  } else if (!read_file(impl->stages_path, impl->stages_yaml)) {
    errors.push_back(Error("rules.io_error", "cannot read the file").at(impl->stages_path.string()));
  } else {
    version.update_framed("stages.yaml").update_framed(impl->stages_yaml);
    read_stages_yaml(*impl, errors);
  }

  std::vector<PackSource> packs;
  for (const fs::path& file : pack_files(dir, errors)) {
    std::string text;
    if (!read_file(file, text)) {
      errors.push_back(Error("rules.io_error", "cannot read the file").at(file.string()));
      continue;
    }
    version.update_framed(file.lexically_relative(dir).generic_string()).update_framed(text);
    packs.push_back(parse_pack(file.string(), text, errors));
  }
  if (packs.empty() && errors.empty()) {
    errors.push_back(
        Error("rules.no_packs", "no rule pack (*.yaml besides stages.yaml) in the rules folder").at(dir.string()));
  }

  std::vector<RuleSource> sources = cross_check(packs, impl->stages, errors);
  for (const PackSource& pack : packs) {
    const size_t n = static_cast<size_t>(
        std::count_if(sources.begin(), sources.end(), [&](const RuleSource& s) { return s.rule.file == pack.file; }));
    impl->packs.push_back({pack.name, pack.language, pack.file, n});
  }
  for (size_t r = 0; r < sources.size(); ++r) {
    impl->rules.push_back(sources[r].rule);
    impl->example_marks.push_back({sources[r].match_marks, sources[r].no_match_marks});
    impl->rule_by_id.emplace(sources[r].rule.id, static_cast<int>(r));
    if (sources[r].rule.status != RuleStatus::kDeprecated) impl->active.push_back(static_cast<uint32_t>(r));
  }
  compile_re2(*impl, sources, options, errors);
  compile_hyperscan(*impl, sources, options, errors);
  if (!errors.empty()) return errors;
  impl->version = version.hex().substr(0, kVersionHexChars);

  std::shared_ptr<const RuleSet> set(new RuleSet(std::move(impl)));
  if (options.run_examples) {
    auto normalizer = Normalizer::create();
    if (!normalizer.ok()) return Errors{normalizer.error()};
    ExampleReport report = run_examples(set, **normalizer);
    if (!report.errors.empty()) return std::move(report.errors);
  }
  return set;
}

const std::vector<Stage>& RuleSet::stages() const { return impl_->stages; }
const std::vector<Rule>& RuleSet::rules() const { return impl_->rules; }

int RuleSet::stage_index(std::string_view name) const {
  for (size_t i = 0; i < impl_->stages.size(); ++i) {
    if (impl_->stages[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int RuleSet::rule_index(std::string_view id) const {
  auto it = impl_->rule_by_id.find(id);
  return it == impl_->rule_by_id.end() ? -1 : it->second;
}

const std::string& RuleSet::version() const { return impl_->version; }
const ScorerConfig& RuleSet::scorer_config() const { return impl_->scorer; }
const std::string& RuleSet::stages_yaml() const { return impl_->stages_yaml; }
const std::filesystem::path& RuleSet::stages_path() const { return impl_->stages_path; }
const std::vector<RuleSet::PackInfo>& RuleSet::packs() const { return impl_->packs; }

const Error* RuleSet::cache_write_error() const {
  return impl_->cache_write_error.code.empty() ? nullptr : &impl_->cache_write_error;
}

}  // namespace vigil
