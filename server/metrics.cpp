#include "server/metrics.h"

#include <hs/hs.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

// The build's version (CMake's project version), set for this file only.
#ifndef VIGIL_VERSION_STRING
#define VIGIL_VERSION_STRING "unknown"
#endif

namespace vigil::server {

const char* route_label(Route route) {
  switch (route) {
    case Route::kMessages:
      return "messages";
    case Route::kStream:
      return "stream";
    case Route::kConversations:
      return "conversations";
    case Route::kExplain:
      return "explain";
    case Route::kRules:
      return "rules";
    case Route::kReload:
      return "reload";
    case Route::kCases:
      return "cases";
    case Route::kAudit:
      return "audit";
    case Route::kHealth:
      return "health";
    case Route::kMetrics:
      return "metrics";
    case Route::kConsole:
      return "console";
    default:
      return "other";
  }
}

template <size_t N>
void LabeledCounter<N>::add(std::string_view label, uint64_t n) {
  size_t size = size_.load(std::memory_order_acquire);
  for (size_t i = 0; i < size; ++i) {
    if (names_[i] == label) {
      values_[i].fetch_add(n, std::memory_order_relaxed);
      return;
    }
  }
  std::lock_guard lock(mu_);
  size = size_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < size; ++i) {
    if (names_[i] == label) {
      values_[i].fetch_add(n, std::memory_order_relaxed);
      return;
    }
  }
  if (size == N) {
    // Full: the last slot was reserved for "other" when the table filled.
    values_[N - 1].fetch_add(n, std::memory_order_relaxed);
    return;
  }
  names_[size] = size == N - 1 ? std::string("other") : std::string(label);
  values_[size].store(n, std::memory_order_relaxed);
  size_.store(size + 1, std::memory_order_release);
}

template class LabeledCounter<32>;
template class LabeledCounter<64>;

template <const auto& Bounds>
void Histogram<Bounds>::observe(std::chrono::nanoseconds d) {
  const double seconds = static_cast<double>(d.count()) * 1e-9;
  size_t i = 0;
  while (i < Bounds.size() && seconds > Bounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(d.count()), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

namespace {

void append_number(std::string& out, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  out += buf;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out += ' ';
  append_number(out, value);
  out += '\n';
}

// A metric with one unlabelled sample: its HELP and TYPE lines, then the sample.
void single(std::string& out, std::string_view name, std::string_view type, std::string_view help, double value) {
  header(out, name, type, help);
  sample(out, name, "", value);
}

// Escapes a label value (backslash, quote, newline) per the exposition format.
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// The standard process_* metrics of this process, read from /proc (Linux). A figure that
// cannot be read is left out rather than reported as 0.
void process_metrics(std::string& out) {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold spaces.
  const size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    // f[0] is field 3 (state): field n is f[n - 3].
    if (f.size() > 21) {
      const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      single(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.",
             (std::stod(f[11]) + std::stod(f[12])) / ticks);
      single(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", std::stod(f[20]));
      single(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", std::stod(f[21]) * page);
      std::ifstream proc_stat("/proc/stat");
      for (std::string line; std::getline(proc_stat, line);) {
        if (line.rfind("btime ", 0) != 0) continue;
        single(out, "process_start_time_seconds", "gauge",
               "Start time of the process since the Unix epoch, in seconds.",
               std::stod(line.substr(6)) + std::stod(f[19]) / ticks);
        break;
      }
    }
  }
  std::error_code ec;
  size_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  if (!ec) {
    single(out, "process_open_fds", "gauge", "Open file descriptors.",
           static_cast<double>(fds > 0 ? fds - 1 : 0));  // less the listing's own
  }
  if (rlimit lim{}; getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    single(out, "process_max_fds", "gauge", "The soft limit on open file descriptors.",
           static_cast<double>(lim.rlim_cur));
  }
}

}  // namespace

template <const auto& Bounds>
void Histogram<Bounds>::render(std::string& out, std::string_view name, std::string_view labels) const {
  uint64_t cumulative = 0;
  const std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i <= Bounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::string le = std::string(labels) + (labels.empty() ? "le=\"" : ",le=\"");
    if (i == Bounds.size()) {
      le += "+Inf";
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", Bounds[i]);
      le += buf;
    }
    le += "\"";
    sample(out, bucket, le, static_cast<double>(cumulative));
  }
  sample(out, std::string(name) + "_sum", labels, static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-9);
  sample(out, std::string(name) + "_count", labels, static_cast<double>(count_.load(std::memory_order_relaxed)));
}

template class Histogram<kLatencyBounds>;
template class Histogram<kReloadBounds>;

void Metrics::verdict(const Verdict& v) {
  if (v.duplicate) {
    duplicates_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  messages_.fetch_add(1, std::memory_order_relaxed);
  levels_[static_cast<size_t>(v.level) & 3].fetch_add(1, std::memory_order_relaxed);
  for (const VerdictHit& h : v.hits) {
    if (!h.shadow) hits_.add(h.stage);
  }
}

int64_t Metrics::open_connections() const {
  return open_[0].load(std::memory_order_relaxed) + open_[1].load(std::memory_order_relaxed);
}

uint64_t Metrics::errors(std::string_view code) const {
  uint64_t n = 0;
  errors_.for_each([&](const std::string& name, uint64_t v) {
    if (name == code) n = v;
  });
  return n;
}

std::string Metrics::render(const ScrapeInfo& info) const {
  std::string out;
  out.reserve(8192);
  single(out, "vigil_messages_total", "counter", "Messages scored (duplicates and rejected messages excluded).",
         static_cast<double>(messages_.load(std::memory_order_relaxed)));
  single(out, "vigil_duplicate_messages_total", "counter",
         "Repeated (conversation_id, message_id) answered with the first verdict.",
         static_cast<double>(duplicates_.load(std::memory_order_relaxed)));

  header(out, "vigil_verdicts_total", "counter", "Verdicts sent, by level.");
  for (Level l : {Level::kNone, Level::kWatch, Level::kReview, Level::kUrgent}) {
    sample(out, "vigil_verdicts_total", std::string("level=\"") + to_string(l) + "\"",
           static_cast<double>(levels_[static_cast<size_t>(l)].load(std::memory_order_relaxed)));
  }
  header(out, "vigil_hits_total", "counter", "Scored rule hits (shadow rules excluded), by stage.");
  hits_.for_each([&](const std::string& stage, uint64_t n) {
    sample(out, "vigil_hits_total", "stage=\"" + label_value(stage) + "\"", static_cast<double>(n));
  });
  header(out, "vigil_errors_total", "counter", "Error replies and WebSocket error frames or closes, by code.");
  errors_.for_each([&](const std::string& code, uint64_t n) {
    sample(out, "vigil_errors_total", "code=\"" + label_value(code) + "\"", static_cast<double>(n));
  });

  header(out, "vigil_request_duration_seconds", "histogram",
         "Time from a complete request (or WebSocket frame) to its reply being queued, by route.");
  for (size_t r = 0; r < latency_.size(); ++r) {
    latency_[r].render(out, "vigil_request_duration_seconds",
                       std::string("route=\"") + route_label(static_cast<Route>(r)) + "\"");
  }

  header(out, "vigil_open_connections", "gauge", "Open client connections, by kind.");
  sample(out, "vigil_open_connections", "kind=\"http\"", static_cast<double>(open_[0].load(std::memory_order_relaxed)));
  sample(out, "vigil_open_connections", "kind=\"websocket\"",
         static_cast<double>(open_[1].load(std::memory_order_relaxed)));
  single(out, "vigil_request_body_bytes_in_flight", "gauge",
         "Request body bytes reserved by requests being read or handled (bound: "
         "vigil_request_body_bytes_limit).",
         static_cast<double>(info.body_bytes_in_flight));
  single(out, "vigil_request_body_bytes_limit", "gauge", "limits.max_body_bytes_in_flight.",
         static_cast<double>(info.body_bytes_limit));
  single(out, "vigil_connections_total", "counter", "Connections accepted.",
         static_cast<double>(accepted_.load(std::memory_order_relaxed)));

  single(out, "vigil_conversations_tracked", "gauge", "Conversations held in memory by the scorer.",
         static_cast<double>(info.engine.conversations));
  header(out, "vigil_conversation_evictions_total", "counter", "Conversations dropped from memory, by reason.");
  sample(out, "vigil_conversation_evictions_total", "reason=\"lru\"", static_cast<double>(info.engine.evictions_lru));
  sample(out, "vigil_conversation_evictions_total", "reason=\"ttl\"", static_cast<double>(info.engine.evictions_ttl));
  single(out, "vigil_state_flush_failures_total", "counter", "State flushes the store refused.",
         static_cast<double>(info.engine.flush_failures));
  single(out, "vigil_state_flushed_conversations_total", "counter", "Conversation snapshots committed to the store.",
         static_cast<double>(info.engine.flushed_conversations));
  single(out, "vigil_state_unflushed_conversations", "gauge", "Conversations changed and not yet committed.",
         static_cast<double>(info.engine.unflushed_conversations));
  single(out, "vigil_state_unflushed_age_seconds", "gauge",
         "Age of the oldest acknowledged change not yet committed (the durability lag; 0 when none).",
         static_cast<double>(info.engine.unflushed_age_ms) / 1000);
  single(out, "vigil_state_backpressure_waits_total", "counter",
         "Messages that waited for the state writer (state.max_unflushed reached).",
         static_cast<double>(info.engine.backpressure_waits));
  single(out, "vigil_state_store_writable", "gauge", "1 while the state store writes, 0 while it fails.",
         info.engine.store_failing ? 0 : 1);
  header(out, "vigil_rules_cache_write_failures_total", "counter",
         "Compiled rule databases that could not be written to the cache.");
  sample(out, "vigil_rules_cache_write_failures_total", "",
         static_cast<double>(info.engine.rules_cache_write_failures));
  single(out, "vigil_context_bytes", "gauge", "Bytes of text held by the conversations' context rings.",
         static_cast<double>(info.engine.context_bytes));
  single(out, "vigil_context_trimmed_total", "counter", "Context texts dropped for state.context_max_bytes.",
         static_cast<double>(info.engine.context_trimmed));

  single(out, "vigil_messages_rejected_total", "counter", "Messages the engine refused as invalid (not scored).",
         static_cast<double>(info.engine.rejected));
  single(out, "vigil_scan_failures_total", "counter",
         "Messages not scored because the Hyperscan scan could not run (rules.scan_failed, 503).",
         static_cast<double>(info.engine.scan_failures));
  single(out, "vigil_participants_overflow_total", "counter",
         "Senders that took the place of a conversation's least risky participant (max participants reached).",
         static_cast<double>(info.engine.participants_overflow));
  single(out, "vigil_state_restored_conversations", "gauge", "Conversations restored from the state store at start.",
         static_cast<double>(info.engine.restored_conversations));
  single(out, "vigil_state_snapshots_skipped", "gauge",
         "Stored snapshots skipped at start (another format, or a state that does not decode).",
         static_cast<double>(info.engine.snapshots_skipped));
  single(out, "vigil_state_flushes_total", "counter", "State write cycles committed.",
         static_cast<double>(info.engine.flushes));

  header(out, "vigil_rule_hits_total", "counter",
         "Hits per rule of the running rule set (shadow rules included); a rule kept across a reload keeps its "
         "count.");
  for (const auto& [rule, n] : info.rule_hits)
    sample(out, "vigil_rule_hits_total", "rule=\"" + label_value(rule) + "\"", static_cast<double>(n));
  header(out, "vigil_rule_reload_duration_seconds", "histogram",
         "Time a rule reload took (load, compile, examples), failed ones included.");
  reload_duration_.render(out, "vigil_rule_reload_duration_seconds", "");
  single(out, "vigil_rule_reloads_total", "counter", "Successful rule reloads (HTTP and SIGHUP).",
         static_cast<double>(reloads_.load(std::memory_order_relaxed)));
  header(out, "vigil_rule_reload_failures_total", "counter", "Rule reloads refused; the running rules stayed.");
  sample(out, "vigil_rule_reload_failures_total", "",
         static_cast<double>(reload_failures_.load(std::memory_order_relaxed)));
  single(out, "vigil_rules_loaded", "gauge", "Rules in the running rule set.", static_cast<double>(info.rules));
  header(out, "vigil_rules_info", "gauge", "The running rule set's version (content hash), as a label.");
  sample(out, "vigil_rules_info", "version=\"" + label_value(info.rules_version) + "\"", 1);
  single(out, "vigil_ready", "gauge", "1 when /readyz answers 200.", info.ready ? 1 : 0);
  header(out, "vigil_build_info", "gauge", "The build: vigil's version, the running rules' version, Hyperscan's.");
  std::string hyperscan = hs_version();
  if (const size_t space = hyperscan.find(' '); space != std::string::npos) hyperscan.resize(space);
  sample(out, "vigil_build_info",
         "version=\"" + label_value(VIGIL_VERSION_STRING) + "\",rules_version=\"" + label_value(info.rules_version) +
             "\",hyperscan=\"" + label_value(hyperscan) + "\"",
         1);
  process_metrics(out);
  return out;
}

}  // namespace vigil::server
