// vigil replay: reads messages (JSONL, one per line) and prints one verdict per line,
// in input order. Malformed lines are reported on stderr ("FILE:LINE: code: message")
// and skipped; the run goes on, and then exits 1 (as when it could not start at all:
// rules refused, input unreadable), so a script never takes a partly read file for a
// clean run. Without --data-dir the
// state lives in memory only.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "plugin/engine/engine.h"
#include "plugin/engine/message_json.h"
#include "plugin/engine/message_stream.h"
#include "plugin/scoring/explanation.h"

namespace vigil::cli {
namespace {

struct ReplayArgs {
  std::string rules;
  std::string data_dir;
  CacheArgs cache;
  std::string input;
  bool explain = false;
};

int run_replay(const ReplayArgs& a) {
  EngineOptions opt;
  opt.rules_dir = a.rules;
  opt.data_dir = a.data_dir;
  // With --data-dir the engine caches in DATA_DIR/hs-cache, as serve does.
  if (a.data_dir.empty() || !a.cache.dir.empty()) opt.rules_cache_dir = rules_cache_dir(a.cache);
  auto engine = Engine::create(opt);
  if (!engine) {
    print_errors(engine.error(), false);
    return kExitFailure;
  }
  warn_cache_write(*(*engine)->rules());
  MessageStream in;
  if (auto st = in.open(a.input, MessageLimits{opt.max_text_bytes}); !st) {
    print_errors({st.error()}, false);
    return kExitFailure;
  }
  size_t bad = 0;
  Message m;
  Explanation ex;
  // Verdicts are written by the sidecar's streaming writer into one buffer, flushed in
  // blocks: no tree and no stream call per message (BENCHMARKS.md, "replay").
  std::string out;
  constexpr size_t kFlushBytes = 1 << 16;
  auto flush = [&out] {
    std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
    out.clear();
  };
  while (true) {
    const auto r = in.next(m);
    if (r == MessageStream::kEnd) break;
    if (r == MessageStream::kBad) {
      ++bad;
      flush();  // keep stdout and stderr in input order for a reader of both
      std::cerr << in.error_text() << "\n";
      continue;
    }
    if (a.explain) ex = Explanation{};
    auto v = (*engine)->process(m, a.explain ? &ex : nullptr);
    if (!v) {
      ++bad;
      flush();
      Error e = v.error();
      std::cerr << std::move(e).at(a.input, static_cast<int>(in.line())).to_text() << "\n";
      continue;
    }
    if (a.explain) {
      nlohmann::json j = verdict_to_json(*v);
      if (!v->duplicate) j["explain"] = explanation_to_json(ex);
      out += dump_json(j);
    } else {
      append_verdict_json(*v, out);
    }
    out.push_back('\n');
    if (out.size() >= kFlushBytes) flush();
  }
  flush();
  std::cout.flush();
  if (bad) {
    std::cerr << bad << " line(s) skipped\n";
    return 1;
  }
  return 0;
}

}  // namespace

void register_replay(CLI::App& app) {
  auto a = std::make_shared<ReplayArgs>();
  CLI::App* cmd = app.add_subcommand("replay", "Score a JSONL file of messages and print one verdict per line");
  add_rules_option(*cmd, a->rules);
  add_cache_options(*cmd, a->cache);
  cmd->add_option("--data-dir", a->data_dir, "Keep and resume state in DIR/vigil.db (default: memory only)");
  cmd->add_flag("--explain", a->explain, "Add an \"explain\" object to each verdict: hits, stages, multipliers");
  cmd->add_option("FILE", a->input, "Messages, one JSON object per line (- for stdin)")->required();
  cmd->callback([a] {
    const int rc = run_replay(*a);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace vigil::cli
