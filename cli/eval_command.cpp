// vigil eval: replays a labelled JSONL corpus through an in-memory Engine and reports
// how well the verdicts match the labels, per conversation: precision, recall, F1 and
// F0.5 at each level, how early positives are flagged (the share of the conversation
// read before its first `review` verdict), whether the flagged sender is the labelled
// one, hits per stage, and messages/s.
//
// --sweep adds, for each candidate `review` threshold (risk 0..100), what the levels of
// stages.yaml would give if review started there: precision, recall, recall with the
// labelled predator as the suspect, the median share read before the flag and the
// negatives flagged. A policy team picks its operating point from that table and sets
// `levels.review.min_risk`. One replay serves every threshold: per conversation, the first
// message at which the risk reached each threshold, and the suspect named then.
//
// LABELS.json: {"conversation_id": {"label": 0|1, "predator_ids": ["..."]}, ...}.
// Conversations without a label are scored but left out of the metrics (and counted).
// Several FILEs are read in turn through one engine, and several --labels files are
// merged (a conversation id is expected in one corpus only): a real grooming set and the
// benign corpora in one run give precision and recall on the same table.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "plugin/engine/engine.h"
#include "plugin/engine/message_json.h"
#include "plugin/engine/message_stream.h"

namespace vigil::cli {
namespace {

using nlohmann::json;

// Without a terminal, a progress line every this many messages.
constexpr uint64_t kProgressEvery = 100'000;

struct EvalArgs {
  std::string rules;
  CacheArgs cache;
  std::vector<std::string> inputs;
  std::vector<std::string> labels;
  bool json = false;
  bool sweep = false;
  std::vector<double> thresholds;
};

// Candidate review thresholds when --thresholds is not given: every 5 points of risk.
std::vector<double> default_thresholds() {
  std::vector<double> t;
  for (int r = 20; r <= 95; r += 5) t.push_back(r);
  return t;
}

struct Label {
  int label = 0;
  std::set<std::string> predators;
};

struct ConvResult {
  uint64_t messages = 0;
  Level max_level = Level::kNone;
  std::array<uint64_t, kLevelCount> first_at{};  // 1-based message index of the first verdict at each level, 0 never
  std::string suspect_at_review;                 // suspect of the first verdict at review or above
  // --sweep, per candidate threshold: first message with risk >= it (or urgent), 0 never,
  // and the suspect then.
  std::vector<uint64_t> sweep_first;
  std::vector<std::string> sweep_suspect;
};

// A verdict counts as flagged at review threshold `t` when its risk reaches t, or when
// it is urgent: an urgent verdict is above review whatever review's threshold.
bool flagged_at(const Verdict& v, double t) { return v.level == Level::kUrgent || v.risk >= t; }

// Reads one labels file into `out` (later files add to it; an id already read is an error).
Status<> read_labels(const std::string& path, std::unordered_map<std::string, Label>& out) {
  std::ifstream in(path);
  if (!in) return Error("eval.labels", "cannot read the labels file").at(path);
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error("eval.labels", "labels must be a JSON object {conversation_id: {label, predator_ids}}").at(path);
  for (const auto& [id, v] : j.items()) {
    if (!v.is_object() || !v.contains("label") || !v["label"].is_number_integer())
      return Error("eval.labels", "each label needs \"label\": 0 or 1").at(path).for_field(id);
    Label l;
    l.label = v["label"].get<int>() ? 1 : 0;
    if (v.contains("predator_ids") && v["predator_ids"].is_array())
      for (const auto& p : v["predator_ids"])
        if (p.is_string()) l.predators.insert(p.get<std::string>());
    if (!out.emplace(id, std::move(l)).second)
      return Error("eval.labels", "conversation id labelled twice (in two labels files)").at(path).for_field(id);
  }
  return {};
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// `negatives`: labelled-negative conversations, for the share of them flagged.
json prf(uint64_t tp, uint64_t fp, uint64_t fn, uint64_t negatives) {
  const double p = tp + fp ? double(tp) / double(tp + fp) : 0;
  const double r = tp + fn ? double(tp) / double(tp + fn) : 0;
  auto fbeta = [&](double b) { return p + r > 0 ? (1 + b * b) * p * r / (b * b * p + r) : 0.0; };
  return {{"tp", tp},           {"fp", fp},
          {"fn", fn},           {"precision", p},
          {"recall", r},        {"f1", fbeta(1)},
          {"f0_5", fbeta(0.5)}, {"negatives_flagged", negatives ? double(fp) / double(negatives) : 0.0}};
}

class Progress {
 public:
  explicit Progress(const MessageStream& in) : in_(in), tty_(isatty(STDERR_FILENO)) {}
  void tick(uint64_t messages) {
    if (tty_) {
      if (messages % 2048) return;
      const uint64_t total = in_.total_bytes();
      const double share = total ? std::min(1.0, double(in_.bytes_read()) / double(total)) : 0;
      const int width = 40, filled = static_cast<int>(share * width);
      std::fprintf(stderr, "\r[%s%s] %3.0f%% %llu messages", std::string(filled, '#').c_str(),
                   std::string(width - filled, ' ').c_str(), share * 100, static_cast<unsigned long long>(messages));
    } else if (messages % kProgressEvery == 0) {
      std::fprintf(stderr, "eval: %llu messages\n", static_cast<unsigned long long>(messages));
    }
  }
  void done() {
    if (tty_) std::fprintf(stderr, "\r%*s\r", 70, "");
  }

 private:
  const MessageStream& in_;
  bool tty_;
};

// One row of the sweep table.
struct SweepRow {
  double threshold = 0;
  uint64_t tp = 0, fp = 0, fn = 0;
  uint64_t right = 0;        // flagged positives whose suspect is a labelled predator (or no ids given)
  std::vector<double> read;  // share read before the flag, for those `right` ones
};

json sweep_json(const std::vector<SweepRow>& rows, uint64_t positives, uint64_t negatives) {
  json out = json::array();
  for (const SweepRow& r : rows) {
    json row = prf(r.tp, r.fp, r.fn, negatives);
    row["threshold"] = r.threshold;
    row["recall_right_suspect"] = positives ? double(r.right) / double(positives) : 0.0;
    row["right_suspect"] = r.right;
    row["median_read"] = quantile(r.read, 0.5);
    row["p90_read"] = quantile(r.read, 0.9);
    out.push_back(std::move(row));
  }
  return out;
}

void print_sweep(const json& rows, uint64_t positives, uint64_t negatives) {
  std::printf(
      "\nreview threshold sweep (%llu positive, %llu negative conversations; an urgent verdict "
      "counts at "
      "every threshold)\n",
      static_cast<unsigned long long>(positives), static_cast<unsigned long long>(negatives));
  std::printf("%9s %6s %6s %6s %9s %7s %13s %11s %10s\n", "threshold", "tp", "fp", "fn", "precision", "recall",
              "right_suspect", "median_read", "neg.flag%");
  for (const json& r : rows) {
    std::printf("%9.1f %6llu %6llu %6llu %9.3f %7.3f %13.3f %11.3f %9.3f%%\n", r["threshold"].get<double>(),
                r["tp"].get<unsigned long long>(), r["fp"].get<unsigned long long>(), r["fn"].get<unsigned long long>(),
                r["precision"].get<double>(), r["recall"].get<double>(), r["recall_right_suspect"].get<double>(),
                r["median_read"].get<double>(), 100 * r["negatives_flagged"].get<double>());
  }
}

int run_eval(const EvalArgs& a) {
  std::unordered_map<std::string, Label> labels;
  for (const std::string& path : a.labels) {
    if (auto st = read_labels(path, labels); !st) {
      print_errors({st.error()}, a.json);
      return kExitFailure;
    }
  }
  std::vector<double> thresholds = a.thresholds.empty() ? default_thresholds() : a.thresholds;
  std::sort(thresholds.begin(), thresholds.end());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  if (!a.sweep) thresholds.clear();
  EngineOptions opt;
  opt.rules_dir = a.rules;
  opt.rules_cache_dir = rules_cache_dir(a.cache);
  auto engine = Engine::create(opt);
  if (!engine) {
    print_errors(engine.error(), a.json);
    return kExitFailure;
  }
  warn_cache_write(*(*engine)->rules());
  std::unordered_map<std::string, ConvResult> convs;
  std::map<std::string, uint64_t> stage_hits;
  uint64_t messages = 0, bad = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& input : a.inputs) {
    MessageStream in;
    if (auto st = in.open(input); !st) {
      print_errors({st.error()}, a.json);
      return kExitFailure;
    }
    Progress progress(in);
    Message m;
    for (auto r = in.next(m); r != MessageStream::kEnd; r = in.next(m)) {
      if (r == MessageStream::kBad) {
        if (++bad <= 10) std::cerr << in.error_text() << "\n";
        continue;
      }
      auto v = (*engine)->process(m);
      if (!v) {
        if (++bad <= 10) std::cerr << v.error().to_text() << "\n";
        continue;
      }
      ++messages;
      ConvResult& c = convs[m.conversation_id];
      ++c.messages;
      c.max_level = std::max(c.max_level, v->level);
      for (int l = 1; l <= static_cast<int>(v->level); ++l) {
        if (!c.first_at[l]) {
          c.first_at[l] = c.messages;
          if (l == static_cast<int>(Level::kReview)) c.suspect_at_review = v->suspect_id;
        }
      }
      if (!thresholds.empty()) {
        if (c.sweep_first.empty())
          c.sweep_first.assign(thresholds.size(), 0), c.sweep_suspect.resize(thresholds.size());
        // Thresholds ascend: once one is not reached, no higher one is (urgent aside).
        for (size_t t = 0; t < thresholds.size() && flagged_at(*v, thresholds[t]); ++t)
          if (!c.sweep_first[t]) c.sweep_first[t] = c.messages, c.sweep_suspect[t] = v->suspect_id;
      }
      for (const auto& h : v->hits) ++stage_hits[h.shadow ? h.stage + " (shadow)" : h.stage];
      progress.tick(messages);
    }
    progress.done();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Per conversation, at each level: flagged = reached it.
  std::array<uint64_t, kLevelCount> tp{}, fp{}, fn{};
  uint64_t unlabelled = 0, positives = 0, negatives = 0, right_sender = 0, flagged_with_predators = 0;
  std::vector<double> read_share, read_share_watch;
  std::vector<SweepRow> sweep(thresholds.size());
  for (size_t t = 0; t < thresholds.size(); ++t) sweep[t].threshold = thresholds[t];
  for (const auto& [id, c] : convs) {
    auto it = labels.find(id);
    if (it == labels.end()) {
      ++unlabelled;
      continue;
    }
    const Label& l = it->second;
    (l.label ? positives : negatives)++;
    for (size_t lv = 1; lv < kLevelCount; ++lv) {
      const bool flagged = c.max_level >= static_cast<Level>(lv);
      if (flagged && l.label)
        ++tp[lv];
      else if (flagged)
        ++fp[lv];
      else if (l.label)
        ++fn[lv];
    }
    const int review = static_cast<int>(Level::kReview), watch = static_cast<int>(Level::kWatch);
    if (l.label && c.first_at[watch]) read_share_watch.push_back(double(c.first_at[watch]) / double(c.messages));
    if (l.label && c.first_at[review]) {
      read_share.push_back(double(c.first_at[review]) / double(c.messages));
      if (!l.predators.empty()) {
        ++flagged_with_predators;
        right_sender += l.predators.count(c.suspect_at_review);
      }
    }
    for (size_t t = 0; t < thresholds.size(); ++t) {
      SweepRow& row = sweep[t];
      const uint64_t first = c.sweep_first[t];
      if (!l.label) {
        row.fp += first != 0;
        continue;
      }
      if (!first) {
        ++row.fn;
        continue;
      }
      ++row.tp;
      if (l.predators.empty() || l.predators.count(c.sweep_suspect[t])) {
        ++row.right;
        row.read.push_back(double(first) / double(c.messages));
      }
    }
  }
  json levels = json::object();
  for (size_t lv = 1; lv < kLevelCount; ++lv)
    levels[to_string(static_cast<Level>(lv))] = prf(tp[lv], fp[lv], fn[lv], negatives);
  json out = {{"messages", messages},
              {"skipped_lines", bad},
              {"conversations", convs.size()},
              {"labelled_positive", positives},
              {"labelled_negative", negatives},
              {"unlabelled", unlabelled},
              {"review", levels["review"]},
              {"levels", levels},
              {"read_before_watch",
               {{"flagged_positives", read_share_watch.size()},
                {"median", quantile(read_share_watch, 0.5)},
                {"p90", quantile(read_share_watch, 0.9)}}},
              {"read_before_review",
               {{"flagged_positives", read_share.size()},
                {"median", quantile(read_share, 0.5)},
                {"p90", quantile(read_share, 0.9)}}},
              {"suspect_is_labelled_predator",
               {{"flagged_positives_with_predator_ids", flagged_with_predators},
                {"right", right_sender},
                {"share", flagged_with_predators ? double(right_sender) / double(flagged_with_predators) : 0.0}}},
              {"hits_by_stage", stage_hits},
              {"seconds", seconds},
              {"messages_per_second", seconds > 0 ? double(messages) / seconds : 0.0},
              {"rules_version", (*engine)->rules()->version()}};
  if (a.sweep) out["sweep"] = sweep_json(sweep, positives, negatives);
  if (a.json) {
    std::cout << dump_json(out, 2) << "\n";
    return 0;
  }
  std::printf(
      "messages %llu (%llu lines skipped), conversations %zu: %llu positive, %llu negative, %llu "
      "unlabelled\n",
      static_cast<unsigned long long>(messages), static_cast<unsigned long long>(bad), convs.size(),
      static_cast<unsigned long long>(positives), static_cast<unsigned long long>(negatives),
      static_cast<unsigned long long>(unlabelled));
  std::printf("%-8s %6s %6s %6s %9s %7s %6s %6s %10s\n", "level", "tp", "fp", "fn", "precision", "recall", "f1", "f0.5",
              "neg.flag%");
  for (size_t lv = 1; lv < kLevelCount; ++lv) {
    const json& p = levels[to_string(static_cast<Level>(lv))];
    std::printf("%-8s %6llu %6llu %6llu %9.3f %7.3f %6.3f %6.3f %9.2f%%\n", to_string(static_cast<Level>(lv)),
                static_cast<unsigned long long>(tp[lv]), static_cast<unsigned long long>(fp[lv]),
                static_cast<unsigned long long>(fn[lv]), p["precision"].get<double>(), p["recall"].get<double>(),
                p["f1"].get<double>(), p["f0_5"].get<double>(), 100 * p["negatives_flagged"].get<double>());
  }
  std::printf("read before the first watch verdict (flagged positives: %zu): median %.1f%%, p90 %.1f%%\n",
              read_share_watch.size(), 100 * quantile(read_share_watch, 0.5), 100 * quantile(read_share_watch, 0.9));
  std::printf("read before the first review verdict (flagged positives: %zu): median %.1f%%, p90 %.1f%%\n",
              read_share.size(), 100 * quantile(read_share, 0.5), 100 * quantile(read_share, 0.9));
  std::printf("suspect is the labelled predator: %llu of %llu\n", static_cast<unsigned long long>(right_sender),
              static_cast<unsigned long long>(flagged_with_predators));
  std::printf("hits by stage:");
  for (const auto& [stage, n] : stage_hits) std::printf(" %s=%llu", stage.c_str(), static_cast<unsigned long long>(n));
  std::printf("\n%.0f messages/s (%.2f s)\n", out["messages_per_second"].get<double>(), seconds);
  if (a.sweep) print_sweep(out["sweep"], positives, negatives);
  return 0;
}

}  // namespace

void register_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Score a labelled JSONL corpus and report precision, recall and timing");
  add_rules_option(*cmd, a->rules);
  add_cache_options(*cmd, a->cache);
  cmd->add_option("FILE", a->inputs, "Messages, one JSON object per line (- for stdin); several are read in turn")
      ->required();
  cmd->add_option("--labels", a->labels,
                  "LABELS.json: {conversation_id: {label: 0|1, predator_ids: [...]}}; repeat to "
                  "merge several")
      ->required()
      ->allow_extra_args(false);
  cmd->add_flag("--json", a->json, "Print the metrics as JSON");
  cmd->add_flag("--sweep", a->sweep,
                "Also report, per candidate review threshold: precision, recall, recall with the "
                "right suspect, median share read before the flag, negatives flagged");
  cmd->add_option("--thresholds", a->thresholds, "Review thresholds for --sweep (risk 0-100; default 20,25,...,95)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->type_name("RISK,...")
      ->check(CLI::Range(0.0, 100.0).description(""));
  cmd->callback([a] {
    const int rc = run_eval(*a);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace vigil::cli
