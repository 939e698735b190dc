// vigil rules stats [--rules DIR] [--json] [--examples N] CORPUS.jsonl...: a mass-check
// in the spirit of SpamAssassin's. Every message of the corpora (one API message a line;
// only `text` is read) goes through the real Normalizer and Matcher, and the report gives
// per rule: hits, hits per 10,000 messages, the share of messages it fires in, and a few
// example spans cut from the ORIGINAL text, most frequent rule first. Policy teams run it
// over benign corpora to find the rules that fire too often (scripts/benign_report.sh).
//
// Rules are loaded without running their examples: a measurement should not need a clean
// `rules test`. Malformed lines are counted and reported on stderr with file:line, and
// the run goes on. A progress line goes to stderr when it is a terminal.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "plugin/normalize/normalizer.h"
#include "plugin/rules/matcher.h"
#include "plugin/rules/rule_set.h"

namespace vigil::cli {

namespace {

// A rule firing in more than this share of benign messages needs a small weight and a
// description that says why (issue #5); the report marks such rules.
constexpr double kNoisyShare = 0.01;
// Example spans longer than this are cut (at a UTF-8 boundary) and end with "...".
constexpr size_t kMaxSpanBytes = 80;
// A progress line every this many messages, when stderr is a terminal.
constexpr uint64_t kProgressEvery = 20000;
// Malformed lines reported one by one before the rest are only counted.
constexpr uint64_t kMaxReportedBadLines = 20;

struct StatsArgs {
  std::string rules_dir;
  CacheArgs cache;
  std::vector<std::string> corpora;
  bool json = false;
  size_t examples = 3;
};

struct RuleCount {
  uint64_t hits = 0;
  std::vector<std::string> examples;  // distinct original spans, at most StatsArgs::examples
};

struct Totals {
  uint64_t messages = 0;
  uint64_t with_hits = 0;  // messages with at least one scored-or-shadow stage hit
  uint64_t with_age = 0;   // messages with an age_signal hit
  uint64_t bad_lines = 0;
  std::vector<RuleCount> rules;  // by rule index
};

// `s` cut to at most kMaxSpanBytes without splitting a UTF-8 sequence.
std::string clip(std::string_view s) {
  if (s.size() <= kMaxSpanBytes) return std::string(s);
  size_t end = kMaxSpanBytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end)) + "...";
}

// Runs one corpus file through the matcher, adding to `totals`. Fails when the file
// cannot be opened (cli.cannot_open) or a scan could not run (rules.scan_failed).
class CorpusScanner {
 public:
  CorpusScanner(const Normalizer& normalizer, std::shared_ptr<const RuleSet> rules, size_t max_examples)
      : normalizer_(normalizer),
        matcher_(rules),
        rules_(std::move(rules)),
        max_examples_(max_examples),
        scratch_(make_normalize_scratch()),
        progress_(::isatty(STDERR_FILENO) != 0) {}

  Status<> scan(const std::string& path, Totals& totals) {
    std::ifstream file_stream;
    std::istream* in = &std::cin;
    if (path != "-") {
      file_stream.open(path, std::ios::binary);
      if (!file_stream) return Error("cli.cannot_open", "cannot open the corpus file; check the path").at(path);
      in = &file_stream;
    }
    std::string line;
    uint64_t line_no = 0;
    while (std::getline(*in, line)) {
      ++line_no;
      if (line.empty() || line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::string text;
      if (!read_text(line, text)) {
        if (++totals.bad_lines <= kMaxReportedBadLines) {
          std::cerr << path << ":" << line_no << ": skipped: not a JSON object with a string \"text\"\n";
        }
        continue;
      }
      if (Status<> counted = count(text, totals); !counted)
        return Error(counted.error()).at(path, static_cast<int>(line_no));
      if (progress_ && totals.messages % kProgressEvery == 0) {
        std::cerr << "\r" << path << ": " << line_no << " lines, " << totals.messages << " messages" << std::flush;
      }
    }
    if (progress_) std::cerr << "\r" << path << ": " << line_no << " lines, " << totals.messages << " messages\n";
    return {};
  }

 private:
  static bool read_text(const std::string& line, std::string& text) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return false;
    auto it = j.find("text");
    if (it == j.end() || !it->is_string()) return false;
    text = it->get<std::string>();
    return true;
  }

  Status<> count(const std::string& text, Totals& totals) {
    ++totals.messages;
    normalizer_.normalize(text, normalized_, *scratch_);
    if (Status<> scanned = matcher_.match(normalized_, hits_); !scanned) return scanned;
    bool stage_hit = false;
    bool age_hit = false;
    for (const Hit& h : hits_) {
      const Rule& rule = rules_->rules()[h.rule];
      (rule.is_age_signal() ? age_hit : stage_hit) = true;
      RuleCount& c = totals.rules[h.rule];
      ++c.hits;
      if (c.examples.size() >= max_examples_ || h.end <= h.start || h.end > text.size()) continue;
      std::string span = clip(std::string_view(text).substr(h.start, h.end - h.start));
      if (std::find(c.examples.begin(), c.examples.end(), span) == c.examples.end()) {
        c.examples.push_back(std::move(span));
      }
    }
    totals.with_hits += stage_hit ? 1 : 0;
    totals.with_age += age_hit ? 1 : 0;
    return {};
  }

  const Normalizer& normalizer_;
  Matcher matcher_;
  std::shared_ptr<const RuleSet> rules_;
  size_t max_examples_;
  NormalizeScratchPtr scratch_;
  NormalizedText normalized_;
  HitList hits_;
  bool progress_;
};

double per_10k(uint64_t hits, uint64_t messages) {
  return messages == 0 ? 0.0 : 10000.0 * static_cast<double>(hits) / static_cast<double>(messages);
}

double share(uint64_t hits, uint64_t messages) {
  return messages == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(messages);
}

// Rule indices, most hits first, then by id.
std::vector<uint32_t> ranked(const RuleSet& rules, const Totals& totals) {
  std::vector<uint32_t> order(rules.rules().size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (totals.rules[a].hits != totals.rules[b].hits) return totals.rules[a].hits > totals.rules[b].hits;
    return rules.rules()[a].id < rules.rules()[b].id;
  });
  return order;
}

void print_json(const RuleSet& rules, const StatsArgs& args, const Totals& totals) {
  nlohmann::json out_rules = nlohmann::json::array();
  nlohmann::json stages = nlohmann::json::object();
  for (uint32_t i : ranked(rules, totals)) {
    const Rule& rule = rules.rules()[i];
    const RuleCount& c = totals.rules[i];
    out_rules.push_back({{"rule", rule.id},
                         {"stage", rule.stage},
                         {"weight", rule.weight},
                         {"hits", c.hits},
                         {"per_10k", per_10k(c.hits, totals.messages)},
                         {"share", share(c.hits, totals.messages)},
                         {"noisy", share(c.hits, totals.messages) > kNoisyShare},
                         {"examples", c.examples}});
    stages[rule.stage] = stages.value(rule.stage, uint64_t{0}) + c.hits;
  }
  nlohmann::json out = {{"corpora", args.corpora},
                        {"messages", totals.messages},
                        {"skipped_lines", totals.bad_lines},
                        {"messages_with_stage_hits", totals.with_hits},
                        {"messages_with_age_signal", totals.with_age},
                        {"rules_version", rules.version()},
                        {"stage_hits", stages},
                        {"rules", out_rules}};
  std::cout << dump_json(out, 2) << "\n";
}

void print_text(const RuleSet& rules, const Totals& totals) {
  std::cout << totals.messages << " messages, " << rules.rules().size() << " rules (rules_version " << rules.version()
            << ")";
  if (totals.bad_lines > 0) std::cout << ", " << totals.bad_lines << " malformed lines skipped";
  std::cout << "\n"
            << "messages with a stage hit: " << totals.with_hits << " (" << std::fixed << std::setprecision(3)
            << 100.0 * share(totals.with_hits, totals.messages) << "%), with an age_signal: " << totals.with_age
            << "\n\n";
  std::cout << std::setw(8) << "hits" << std::setw(10) << "per_10k" << std::setw(9) << "share%" << std::setw(8)
            << "weight"
            << "  rule\n";
  size_t silent = 0;
  for (uint32_t i : ranked(rules, totals)) {
    const Rule& rule = rules.rules()[i];
    const RuleCount& c = totals.rules[i];
    if (c.hits == 0) {
      ++silent;
      continue;
    }
    const double s = share(c.hits, totals.messages);
    std::cout << std::setw(8) << c.hits << std::setw(10) << std::setprecision(2) << per_10k(c.hits, totals.messages)
              << std::setw(9) << std::setprecision(3) << 100.0 * s << std::setw(8) << std::setprecision(2)
              << rule.weight << "  " << rule.id << (s > kNoisyShare ? "  [fires in > 1% of messages]" : "") << "\n";
    for (const std::string& e : c.examples) {
      nlohmann::json quoted = e;  // JSON quoting keeps control characters visible
      std::cout << std::setw(37) << "" << dump_json(quoted) << "\n";
    }
  }
  std::cout << "\n" << silent << " rules did not fire\n";
}

int run_stats(const StatsArgs& args) {
  auto loaded = load_rules(args.rules_dir, args.cache);
  if (!loaded) {
    print_errors(loaded.error(), args.json);
    return 1;
  }
  auto normalizer = Normalizer::create();
  if (!normalizer) {
    print_errors({normalizer.error()}, args.json);
    return 1;
  }
  std::shared_ptr<const RuleSet> rules = loaded.value();
  Totals totals;
  totals.rules.resize(rules->rules().size());
  CorpusScanner scanner(*normalizer.value(), rules, args.examples);
  for (const std::string& path : args.corpora) {
    if (Status<> scanned = scanner.scan(path, totals); !scanned) {
      print_errors({scanned.error()}, args.json);
      return 1;
    }
  }
  if (args.json) {
    print_json(*rules, args, totals);
  } else {
    print_text(*rules, totals);
  }
  return 0;
}

}  // namespace

void register_rules_stats(CLI::App& rules) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* cmd = rules.add_subcommand("stats",
                                       "Per-rule hit report over JSONL corpora (hits per 10,000 "
                                       "messages, share of messages, example spans)");
  add_rules_option(*cmd, args->rules_dir);
  add_cache_options(*cmd, args->cache);
  cmd->add_flag("--json", args->json, "Print the report as JSON on stdout");
  cmd->add_option("--examples", args->examples, "Example spans kept per rule (0-100, default 3)")
      ->type_name("N")
      ->check(CLI::Range(0, 100).description(""));
  cmd->add_option("corpora", args->corpora,
                  "JSONL files, one message a line with a string \"text\" (\"-\" reads stdin)")
      ->required();
  cmd->footer(
      "Counts every active rule (stable and shadow) on the normalised text, as the engine does.\n"
      "Rules firing in more than 1% of messages are marked: on benign chat they need a small\n"
      "weight and a description that says why.");
  cmd->callback([args] { throw CLI::RuntimeError(run_stats(*args)); });
}

}  // namespace vigil::cli
