// vigil eval: replays a labelled JSONL corpus through an in-memory Engine and reports
// how well the verdicts match the labels, per conversation: precision, recall, F1 and
// F0.5 at each level, how early positives are flagged (the share of the conversation
// read before its first `review` verdict), whether the flagged sender is the labelled
// one, hits per stage, and messages/s.
//
// LABELS.json: {"conversation_id": {"label": 0|1, "predator_ids": ["..."]}, ...}.
// Conversations without a label are scored but left out of the metrics (and counted).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

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
  std::string input;
  std::string labels;
  bool json = false;
};

struct Label {
  int label = 0;
  std::set<std::string> predators;
};

struct ConvResult {
  uint64_t messages = 0;
  Level max_level = Level::kNone;
  std::array<uint64_t, 4> first_at{};  // 1-based message index of the first verdict at each level, 0 never
  std::string suspect_at_review;       // suspect of the first verdict at review or above
};

Result<std::unordered_map<std::string, Label>> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error("eval.labels", "cannot read the labels file").at(path);
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error("eval.labels", "labels must be a JSON object {conversation_id: {label, predator_ids}}").at(path);
  std::unordered_map<std::string, Label> out;
  for (const auto& [id, v] : j.items()) {
    if (!v.is_object() || !v.contains("label") || !v["label"].is_number_integer())
      return Error("eval.labels", "each label needs \"label\": 0 or 1").at(path).for_field(id);
    Label l;
    l.label = v["label"].get<int>() ? 1 : 0;
    if (v.contains("predator_ids") && v["predator_ids"].is_array())
      for (const auto& p : v["predator_ids"])
        if (p.is_string()) l.predators.insert(p.get<std::string>());
    out.emplace(id, std::move(l));
  }
  return out;
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
  return {{"tp", tp},        {"fp", fp},          {"fn", fn},
          {"precision", p},  {"recall", r},       {"f1", fbeta(1)},
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

int run_eval(const EvalArgs& a) {
  auto labels = read_labels(a.labels);
  if (!labels) {
    print_errors({labels.error()}, a.json);
    return 2;
  }
  EngineOptions opt;
  opt.rules_dir = a.rules;
  auto engine = Engine::create(opt);
  if (!engine) {
    print_errors(engine.error(), a.json);
    return 2;
  }
  MessageStream in;
  if (auto st = in.open(a.input); !st) {
    print_errors({st.error()}, a.json);
    return 2;
  }
  std::unordered_map<std::string, ConvResult> convs;
  std::map<std::string, uint64_t> stage_hits;
  uint64_t messages = 0, bad = 0;
  Progress progress(in);
  Message m;
  const auto start = std::chrono::steady_clock::now();
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
    for (int l = 1; l <= static_cast<int>(v->level); ++l)
      if (!c.first_at[l]) {
        c.first_at[l] = c.messages;
        if (l == static_cast<int>(Level::kReview)) c.suspect_at_review = v->suspect_id;
      }
    for (const auto& h : v->hits) ++stage_hits[h.shadow ? h.stage + " (shadow)" : h.stage];
    progress.tick(messages);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.done();

  // Per conversation, at each level: flagged = reached it.
  std::array<uint64_t, 4> tp{}, fp{}, fn{};
  uint64_t unlabelled = 0, positives = 0, negatives = 0, right_sender = 0, flagged_with_predators = 0;
  std::vector<double> read_share;
  for (const auto& [id, c] : convs) {
    auto it = labels->find(id);
    if (it == labels->end()) {
      ++unlabelled;
      continue;
    }
    const Label& l = it->second;
    (l.label ? positives : negatives)++;
    for (int lv = 1; lv < 4; ++lv) {
      const bool flagged = c.max_level >= static_cast<Level>(lv);
      if (flagged && l.label) ++tp[lv];
      else if (flagged) ++fp[lv];
      else if (l.label) ++fn[lv];
    }
    const int review = static_cast<int>(Level::kReview);
    if (l.label && c.first_at[review]) {
      read_share.push_back(double(c.first_at[review]) / double(c.messages));
      if (!l.predators.empty()) {
        ++flagged_with_predators;
        right_sender += l.predators.count(c.suspect_at_review);
      }
    }
  }
  json levels = json::object();
  for (int lv = 1; lv < 4; ++lv) levels[to_string(static_cast<Level>(lv))] = prf(tp[lv], fp[lv], fn[lv], negatives);
  json out = {
      {"messages", messages},
      {"skipped_lines", bad},
      {"conversations", convs.size()},
      {"labelled_positive", positives},
      {"labelled_negative", negatives},
      {"unlabelled", unlabelled},
      {"review", levels["review"]},
      {"levels", levels},
      {"read_before_review", {{"flagged_positives", read_share.size()},
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
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("messages %llu (%llu lines skipped), conversations %zu: %llu positive, %llu negative, %llu unlabelled\n",
              static_cast<unsigned long long>(messages), static_cast<unsigned long long>(bad), convs.size(),
              static_cast<unsigned long long>(positives), static_cast<unsigned long long>(negatives),
              static_cast<unsigned long long>(unlabelled));
  std::printf("%-8s %6s %6s %6s %9s %7s %6s %6s %10s\n", "level", "tp", "fp", "fn", "precision", "recall", "f1", "f0.5",
              "neg.flag%");
  for (int lv = 1; lv < 4; ++lv) {
    const json& p = levels[to_string(static_cast<Level>(lv))];
    std::printf("%-8s %6llu %6llu %6llu %9.3f %7.3f %6.3f %6.3f %9.2f%%\n", to_string(static_cast<Level>(lv)),
                static_cast<unsigned long long>(tp[lv]), static_cast<unsigned long long>(fp[lv]),
                static_cast<unsigned long long>(fn[lv]), p["precision"].get<double>(), p["recall"].get<double>(),
                p["f1"].get<double>(), p["f0_5"].get<double>(), 100 * p["negatives_flagged"].get<double>());
  }
  std::printf("read before the first review verdict (flagged positives: %zu): median %.1f%%, p90 %.1f%%\n",
              read_share.size(), 100 * quantile(read_share, 0.5), 100 * quantile(read_share, 0.9));
  std::printf("suspect is the labelled predator: %llu of %llu\n", static_cast<unsigned long long>(right_sender),
              static_cast<unsigned long long>(flagged_with_predators));
  std::printf("hits by stage:");
  for (const auto& [stage, n] : stage_hits) std::printf(" %s=%llu", stage.c_str(), static_cast<unsigned long long>(n));
  std::printf("\n%.0f messages/s (%.2f s)\n", out["messages_per_second"].get<double>(), seconds);
  return 0;
}

}  // namespace

void register_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Score a labelled JSONL corpus and report precision, recall and timing");
  add_rules_option(*cmd, a->rules);
  cmd->add_option("FILE", a->input, "Messages, one JSON object per line (- for stdin)")->required();
  cmd->add_option("--labels", a->labels, "LABELS.json: {conversation_id: {label: 0|1, predator_ids: [...]}}")
      ->required();
  cmd->add_flag("--json", a->json, "Print the metrics as JSON");
  cmd->callback([a] {
    const int rc = run_eval(*a);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace vigil::cli
