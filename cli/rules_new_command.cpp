// vigil rules new ID [--rules DIR] [--stage S] [--print]: scaffolds a rule for a policy
// team to fill in. The id is `<language>.<stage>.<name>` ("en.secrecy.delete_chat");
// the stage comes from the id (`age` means age_signal) unless --stage says otherwise.
// The rule is appended to the pack of its language and stage (DIR/<lang>/<stage>.yaml,
// age_signal rules to age.yaml), which is created when missing, or printed with --print.
//
// The scaffold is deliberately unfinished: status `shadow` (reported, never scored), a
// pattern that matches nothing real, and placeholder examples. Its `match` examples
// FAIL `vigil rules test` until someone writes the real pattern and examples, so a
// half-written rule can never pass CI unnoticed.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "plugin/rules/rule.h"

namespace vigil::cli {

namespace {

namespace fs = std::filesystem;

struct NewArgs {
  std::string rules_dir;
  std::string id;
  std::string stage;
  bool print = false;
};

struct RuleId {
  std::string language, stage, name;
};

// Splits "en.secrecy.delete_chat"; the grammar is strict so pack files stay uniform.
Result<RuleId> parse_id(const std::string& id) {
  static const std::regex kId("([a-z][a-z-]{0,9})\\.([a-z_]+)\\.([a-z0-9_]+)");
  std::smatch m;
  if (!std::regex_match(id, m, kId)) {
    return Error("cli.bad_rule_id", "a rule id is <language>.<stage>.<name> in lower case, e.g. en.secrecy.delete_chat")
        .for_field("ID");
  }
  return RuleId{m[1], m[2], m[3]};
}

// The stage names of DIR/stages.yaml, plus age_signal.
Result<std::vector<std::string>> read_stages(const fs::path& dir) {
  const fs::path path = dir / "stages.yaml";
  std::vector<std::string> names;
  try {
    YAML::Node root = YAML::LoadFile(path.string());
    for (const YAML::Node& s : root["stages"]) names.push_back(s["name"].as<std::string>());
  } catch (const YAML::Exception& e) {
    return Error("cli.bad_stages", std::string("cannot read the stage list: ") + e.what()).at(path.string());
  }
  names.push_back(kAgeSignalStage);
  return names;
}

// Whether any pack under `dir` already defines `id` (a text search for "id: <id>").
bool id_exists(const fs::path& dir, const std::string& id) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".yaml") continue;
    std::ifstream in(it->path());
    std::string line;
    while (std::getline(in, line)) {
      const size_t at = line.find("id:");
      if (at == std::string::npos) continue;
      std::string value = line.substr(at + 3);
      value.erase(0, value.find_first_not_of(" \t'\""));
      value.erase(value.find_last_not_of(" \t'\"\r") + 1);
      if (value == id) return true;
    }
  }
  return false;
}

std::string scaffold(const std::string& id, const std::string& stage) {
  const bool age = stage == kAgeSignalStage;
  std::ostringstream out;
  out << "  - id: " << id << "\n"
      << "    stage: " << stage << "\n"
      << "    weight: 1.0\n"
      << "    # New rules start in shadow: reported by explain and stats, never scored.\n"
      << "    # Set `status: stable` once the examples pass and `vigil rules stats` on benign\n"
      << "    # chat shows it quiet (under 1 in 100 messages, or a small weight and a reason).\n"
      << "    status: shadow\n"
      << "    description: TODO one sentence on the behaviour this rule detects (and why its "
         "weight)\n"
      << "    patterns:\n"
      << "      # Normalised text: lower case, no \\b next to Chinese characters, informal\n"
      << "      # spellings (u, ur, r, rn, wanna), lists with {{name}}.\n"
      << "      - regex: '\\btodo_replace_this_pattern\\b" << (age ? "\\s+(?P<age>\\d{1,2})" : "") << "'\n"
      << "    # unless:\n"
      << "    #   - regex: 'a near miss that must veto the rule in the same message'\n"
      << "    examples:\n"
      << "      # PLACEHOLDERS: `vigil rules test` fails on these until you replace them.\n"
      << "      match: [\"TODO a message this rule must hit\", \"TODO another way people write "
         "it\"]\n"
      << "      no_match: [\"TODO a near miss from ordinary chat\", \"TODO another near miss\"]\n";
  return out.str();
}

// Whether `rules:` is the last top-level key of the pack text, so that appending an
// indented list item extends it.
bool rules_is_last_key(const std::string& text) {
  std::istringstream in(text);
  std::string line, last_key;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ' ' || line[0] == '#' || line[0] == '-' || line[0] == '\t') continue;
    last_key = line.substr(0, line.find(':'));
  }
  return last_key == "rules";
}

int fail(const Error& error) {
  print_errors({error}, false);
  return 1;
}

int run_new(const NewArgs& args) {
  auto id = parse_id(args.id);
  if (!id) return fail(id.error());
  std::string stage = args.stage.empty() ? (id->stage == "age" ? kAgeSignalStage : id->stage) : args.stage;
  const fs::path dir(args.rules_dir);
  auto stages = read_stages(dir);
  if (!stages) return fail(stages.error());
  if (std::find(stages->begin(), stages->end(), stage) == stages->end()) {
    std::string known;
    for (const auto& s : *stages) known += (known.empty() ? "" : ", ") + s;
    return fail(Error("cli.unknown_stage", "unknown stage '" + stage + "'; use one of: " + known + " (or pass --stage)")
                    .for_field("--stage"));
  }
  if (id_exists(dir, args.id)) {
    return fail(
        Error("cli.duplicate_rule_id", "a rule with this id already exists under " + dir.string()).for_rule(args.id));
  }
  const std::string rule = scaffold(args.id, stage);
  const std::string note =
      "It starts as status: shadow with PLACEHOLDER examples: `vigil rules test` FAILS until you "
      "replace\n"
      "the pattern, the description and the examples (by design). Then check it on benign chat "
      "with\n"
      "`vigil rules stats`, try sentences with `vigil explain`, and set status: stable.\n";
  if (args.print) {
    std::cout << rule;
    std::cerr << note;
    return 0;
  }
  const fs::path file = dir / id->language / ((stage == kAgeSignalStage ? std::string("age") : stage) + ".yaml");
  std::string existing;
  if (fs::exists(file)) {
    std::ifstream in(file, std::ios::binary);
    existing.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!rules_is_last_key(existing)) {
      std::cout << rule;
      std::cerr << file.string() << " does not end with its `rules:` list; paste the rule above into it.\n" << note;
      return 0;
    }
  } else {
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    existing = "# " + id->language + ", stage `" + stage + "`: TODO say what this pack covers.\npack: " + id->language +
               "-" + stage + "\nlanguage: " + id->language + "\nrules:\n";
  }
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << existing;
  if (!existing.empty() && existing.back() != '\n') out << "\n";
  out << (existing.empty() || existing.ends_with("rules:\n") ? "" : "\n") << rule;
  if (!out) {
    return fail(Error("cli.cannot_write", "cannot write the pack file; check permissions").at(file.string()));
  }
  std::cout << "added " << args.id << " (stage " << stage << ") to " << file.string() << "\n";
  std::cerr << note;
  return 0;
}

}  // namespace

void register_rules_new(CLI::App& rules) {
  auto args = std::make_shared<NewArgs>();
  CLI::App* cmd = rules.add_subcommand("new", "Scaffold a rule (shadow, placeholder examples) in its pack");
  add_rules_option(*cmd, args->rules_dir);
  cmd->add_option("--stage", args->stage, "Stage of the rule (default: from the id; `age` means age_signal)");
  cmd->add_flag("--print", args->print, "Print the rule instead of appending it to the pack file");
  cmd->add_option("ID", args->id, "Rule id <language>.<stage>.<name>, e.g. en.secrecy.delete_chat")->required();
  cmd->footer(
      "The rule is appended to <rules>/<language>/<stage>.yaml (age_signal: age.yaml), created if\n"
      "missing. Its placeholder examples fail `vigil rules test` until they are replaced.");
  cmd->callback([args] { throw CLI::RuntimeError(run_new(*args)); });
}

}  // namespace vigil::cli
