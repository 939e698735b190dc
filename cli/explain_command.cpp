// vigil explain [--rules DIR] [--json] TEXT: how Vigil reads one message. Prints the
// normalised text, the transforms that fired, and every hit with its rule, stage,
// description, span in the ORIGINAL text (byte offsets) and named captures. Reads the
// text from stdin when none is given. Examples are not run here (`vigil rules test` does).
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "plugin/normalize/normalizer.h"
#include "plugin/rules/explain.h"
#include "plugin/rules/rule_set.h"

namespace vigil::cli {

namespace {

struct ExplainArgs {
  std::string rules_dir;
  std::vector<std::string> words;
  CacheArgs cache;
  bool json = false;
};

std::string read_input(const ExplainArgs& args) {
  if (args.words.empty()) {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  }
  std::string text;
  for (const std::string& w : args.words) text.append(text.empty() ? "" : " ").append(w);
  return text;
}

// The human form of explain_json's object (plugin/rules/explain.h), so both forms say
// the same; spans are shown as the original text they cover.
void print_explain(const nlohmann::json& e, std::string_view original) {
  std::cout << "normalized:    " << e["normalized"].get_ref<const std::string&>() << "\n";
  std::cout << "transforms:    ";
  if (e["transforms"].empty()) std::cout << "none";
  for (size_t i = 0; i < e["transforms"].size(); ++i)
    std::cout << (i ? ", " : "") << e["transforms"][i].get_ref<const std::string&>();
  const nlohmann::json& hits = e["hits"];
  std::cout << "\nhits:          " << (hits.empty() ? "none" : std::to_string(hits.size())) << "\n";
  auto span = [&](const nlohmann::json& j) {
    const size_t start = j["start"], end = j["end"];
    return original.substr(start, end - start);
  };
  for (const nlohmann::json& h : hits) {
    std::cout << "  " << h["stage"].get_ref<const std::string&>() << "  " << h["rule"].get_ref<const std::string&>()
              << "  [" << h["start"] << ", " << h["end"] << ")  \"" << span(h) << "\""
              << (h.contains("shadow") ? "  (shadow: reported, not scored)" : "") << "\n";
    std::cout << "      " << h["description"].get_ref<const std::string&>() << "\n";
    const nlohmann::json& captures = h["captures"];
    if (!captures.empty() || h.contains("age")) {
      std::cout << "      captures:";
      for (const auto& [name, c] : captures.items())
        std::cout << " " << name << "=\"" << c["text"].get_ref<const std::string&>() << "\"";
      if (h.contains("age")) std::cout << "  (age " << h["age"] << ")";
      std::cout << "\n";
    }
  }
  std::cout << "rules_version: " << e["rules_version"].get_ref<const std::string&>() << "\n";
}

int run(const ExplainArgs& args) {
  auto loaded = load_rules(args.rules_dir, args.cache);
  if (!loaded.ok()) {
    print_errors(loaded.error(), args.json);
    return 1;
  }
  auto normalizer = Normalizer::create();
  if (!normalizer.ok()) {
    print_errors({normalizer.error()}, args.json);
    return 1;
  }
  const std::string input = read_input(args);
  const Result<nlohmann::json> explained = explain_json(*loaded, **normalizer, input);
  if (!explained) {
    print_errors({explained.error()}, args.json);
    return 1;
  }
  if (args.json) {
    std::cout << dump_json(*explained, 2) << "\n";
  } else {
    print_explain(*explained, input);
  }
  return 0;
}

}  // namespace

void register_explain(CLI::App& app) {
  auto args = std::make_shared<ExplainArgs>();
  CLI::App* cmd = app.add_subcommand("explain", "Show how Vigil normalises and matches one message");
  add_rules_option(*cmd, args->rules_dir);
  add_cache_options(*cmd, args->cache);
  cmd->add_flag("--json", args->json,
                "Print the JSON of POST /v1/explain: {normalized, transforms, hits: [{rule, stage, description, "
                "start, end, norm_start, norm_end, captures, ...}], rules_version}");
  cmd->add_option("TEXT", args->words, "The message (read from stdin when absent)");
  cmd->callback([args] {
    if (const int code = run(*args); code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace vigil::cli
