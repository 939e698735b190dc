#include "plugin/engine/engine.h"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "plugin/engine/conversation_table.h"
#include "plugin/engine/snapshot_store.h"
#include "plugin/normalize/normalizer.h"
#include "plugin/rules/matcher.h"
#include "plugin/rules/rule_set_impl.h"
#include "plugin/scoring/scorer.h"

namespace vigil {
namespace {

// Snapshots taken from the table per put() within a cycle's transaction: bounds the
// writer's memory and how long it holds any shard lock.
constexpr size_t kFlushChunkRows = 4096;
// How often the idle writer looks at the backlog between cycles.
constexpr std::chrono::milliseconds kWriterPoll{10};
// Cycles this large or larger measure the writer's rate; the backlog cap never drops
// below kMinBacklogCap (a floor, so a slow first cycle cannot throttle to a crawl).
constexpr size_t kMinRateRows = 256;
constexpr size_t kMinBacklogCap = 256;

// Milliseconds of a monotonic clock (never 0): ages of unflushed changes, unaffected by
// the injectable receive clock.
int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
             .count() +
         1;
}

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Every rule snapshot gets a number unique in the process, so a thread's cached
// matcher can tell it is stale without touching the snapshot itself.
std::atomic<uint64_t> g_generation{0};

// What the scorer needs of each rule, precomputed once per rule set.
struct RuleInfo {
  uint16_t key = 0;  // 16-bit hash of the id: repeat counting survives reloads
  int stage = -1;
  double weight = 0;
  bool shadow = false;
  bool urgent = false;
};

// The rules and the scorer built from the same load: swapped together on reload.
struct Snapshot {
  std::shared_ptr<const RuleSet> rules;
  Scorer scorer;
  std::vector<RuleInfo> info;
  std::shared_ptr<const StageLayout> layout;  // the stage names the scorer's evidence is indexed by
  uint64_t generation = 0;
  // Hits per rule (by rule index, shadow rules included), for Engine::rule_hits(); a
  // reload carries each kept rule's count over to the new snapshot.
  std::unique_ptr<std::atomic<uint64_t>[]> rule_hits;
};

Result<std::shared_ptr<const Snapshot>, Errors> build_snapshot(std::shared_ptr<const RuleSet> rules) {
  std::vector<std::string> names;
  for (const Stage& st : rules->stages()) names.push_back(st.name);
  ScorerConfig cfg = rules->scorer_config();  // validated by RuleSet::load
  const size_t rule_count = rules->rules().size();
  auto snap = std::make_shared<Snapshot>(Snapshot{std::move(rules),
                                                  Scorer(std::move(cfg)),
                                                  {},
                                                  intern_stage_layout(names),
                                                  0,
                                                  std::make_unique<std::atomic<uint64_t>[]>(rule_count)});
  for (const Rule& r : snap->rules->rules()) {
    const uint64_t h = hash_id(r.id.data(), r.id.size());
    snap->info.push_back({static_cast<uint16_t>(h ^ (h >> 16) ^ (h >> 32) ^ (h >> 48)), r.stage_index, r.weight,
                          r.status == RuleStatus::kShadow, r.urgent});
  }
  snap->generation = ++g_generation;
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

// Per-thread working set: the normaliser's scratch and output, a Matcher for the
// current snapshot, and the hit buffers; reused across messages so the hot path does
// not allocate. Rebuilt when the engine's snapshot changes.
struct ThreadScratch {
  uint64_t generation = 0;
  std::shared_ptr<const Snapshot> snap;
  std::unique_ptr<Matcher> matcher;
  NormalizeScratchPtr normalize = make_normalize_scratch();
  NormalizedText text;
  HitList hits;
  std::vector<ScoreHit> score_hits;
};

// Loads the rules folder of `o` and builds the scorer beside it.
Result<std::shared_ptr<const Snapshot>, Errors> load_snapshot(const EngineOptions& o) {
  RuleLoadOptions rl;
  if (!o.rules_cache_dir.empty())
    rl.cache_dir = o.rules_cache_dir;
  else if (!o.data_dir.empty())
    rl.cache_dir = o.data_dir / "hs-cache";
  auto rules = RuleSet::load(o.rules_dir, rl);
  if (!rules) return std::move(rules).error();
  return build_snapshot(std::move(rules).value());
}

ThreadScratch& thread_scratch() {
  thread_local ThreadScratch t;
  return t;
}

Error missing(const char* field) {
  return Error("message.missing_field", std::string(field) + " must not be empty").for_field(field);
}

}  // namespace

struct Engine::Impl {
  EngineOptions opt;
  std::unique_ptr<Normalizer> normalizer;

  mutable std::mutex snap_mu;
  std::shared_ptr<const Snapshot> snap;
  std::atomic<uint64_t> generation{0};

  std::unique_ptr<ConversationTable> table;
  std::unique_ptr<SnapshotStore> store;
  // Keyed hashes of sender and message ids: the store's key, else one per process.
  IdHasher ids = IdHasher::random();
  std::mutex store_mu;  // one writer at a time: the writer thread or flush()
  // Writer state, under store_mu: the keys of the cycle in progress (put back dirty if it
  // fails), the chunk being put, and whether the connection must be reopened first.
  std::vector<uint64_t> cycle_keys, cycle_deleted;
  std::vector<SnapshotRow> chunk_rows;
  std::vector<uint64_t> chunk_deleted;
  bool reopen_store = false;

  std::thread flusher;
  std::mutex flusher_mu;
  std::condition_variable flusher_cv;  // wakes the writer: stopping, or process() waiting
  std::condition_variable backlog_cv;  // wakes process() calls waiting for the writer
  bool stopping = false;
  int waiting = 0;  // process() calls waiting for the writer (under flusher_mu)

  // The durability lag: steady_ms() of the oldest change not yet taken by a cycle, and of
  // the oldest one in the cycle being written; 0 when none. Conservative: a change may be
  // dated a little early, never late.
  std::atomic<int64_t> pending_since{0}, inflight_since{0};
  std::atomic<size_t> inflight_rows{0};
  // The backlog cap in force: max_unflushed, or less when the writer's measured rate
  // commits fewer rows in half an interval (so a cycle stays short wherever it runs).
  std::atomic<size_t> backlog_cap{0};
  double rows_per_s = 0;  // the writer's rate, smoothed over cycles (under store_mu)
  std::atomic<bool> store_failing{false};
  mutable std::mutex health_mu;  // store_error, cache_failing
  Error store_error;
  bool cache_failing = false;

  struct Counters {
    std::atomic<uint64_t> messages{0}, duplicates{0}, rejected{0}, overflow{0}, flushes{0}, flushed{0},
        flush_failures{0}, restored{0}, reloads{0}, reload_failures{0}, backpressure_waits{0}, cache_write_failures{0},
        scan_failures{0}, snapshots_skipped{0};
    std::array<std::atomic<uint64_t>, kLevelCount> levels{};
    std::array<std::atomic<uint64_t>, kMaxStages> stage_hits{};
  } counters;

  int64_t now() const { return opt.now_ms(); }

  std::shared_ptr<const Snapshot> current() const {
    std::lock_guard lock(snap_mu);
    return snap;
  }

  ThreadScratch& scratch() {
    ThreadScratch& t = thread_scratch();
    if (t.generation != generation.load(std::memory_order_acquire) || !t.snap) {
      t.snap = current();
      t.generation = t.snap->generation;
      t.matcher = std::make_unique<Matcher>(t.snap->rules);
    }
    return t;
  }

  Result<Verdict> process(const Message& m, Explanation* explain);
  Status<> flush_now();
  Status<> write_cycle();
  void store_health(const Status<>& st);
  void flush_loop();
  size_t unflushed() const { return table->dirty_count() + inflight_rows.load(std::memory_order_relaxed); }
  int64_t lag_ms() const;
  bool behind() const {
    return unflushed() >= backlog_cap.load(std::memory_order_relaxed) || lag_ms() >= opt.flush_interval.count();
  }
  void await_writer();
  void note_change();
  void note_rules(const RuleSet& rules);
  void report(StorageEvent::Kind kind, Error error = {}) const {
    if (opt.on_storage_event) opt.on_storage_event(StorageEvent{kind, std::move(error)});
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() {
  if (impl_->flusher.joinable()) {
    {
      std::lock_guard lock(impl_->flusher_mu);
      impl_->stopping = true;
    }
    impl_->flusher_cv.notify_all();
    impl_->backlog_cv.notify_all();
    impl_->flusher.join();
  }
  // A failure here is counted and reported like any cycle's (store_health); a
  // destructor can do no more.
  if (impl_->store) (void)impl_->flush_now();
}

Result<std::unique_ptr<Engine>, Errors> Engine::create(EngineOptions options) {
  auto impl = std::make_unique<Impl>();
  if (!options.now_ms) options.now_ms = system_now_ms;
  impl->opt = std::move(options);
  const EngineOptions& o = impl->opt;

  auto snap = load_snapshot(o);
  if (!snap) return std::move(snap).error();
  impl->snap = std::move(snap).value();
  impl->generation = impl->snap->generation;
  impl->note_rules(*impl->snap->rules);
  impl->backlog_cap = std::max<size_t>(1, impl->opt.max_unflushed);

  auto normalizer = Normalizer::create();
  if (!normalizer) return Errors{std::move(normalizer).error()};
  impl->normalizer = std::move(normalizer).value();

  impl->table = std::make_unique<ConversationTable>(
      o.max_conversations, std::chrono::duration_cast<std::chrono::milliseconds>(o.idle_ttl).count(),
      o.context_messages, !o.data_dir.empty(), o.context_max_bytes);

  if (!o.data_dir.empty()) {
    auto store = SnapshotStore::open(o.data_dir, impl->snap->layout->text, o.store_max_bytes);
    if (!store) return Errors{std::move(store).error()};
    impl->store = std::move(store).value();
    impl->ids = impl->store->id_hasher();
    const int64_t now = impl->now();
    ConversationTable& table = *impl->table;
    const IdHasher& ids = impl->ids;
    auto loaded = impl->store->load([&](SnapshotRow&& row) {
      // The participants' hashes are recomputed from their ids, so a snapshot matches its
      // senders whatever key it was written with.
      for (int i = 0; i < row.state.participants(); ++i)
        if (const auto id = participant_name(row.names, i); !id.empty()) row.state.p[i].id_hash = ids(id);
      return table.restore(std::move(row), now);
    });
    if (!loaded) return Errors{std::move(loaded).error()};
    impl->counters.restored = table.size();
    impl->counters.snapshots_skipped = *loaded;
    impl->flusher = std::thread([p = impl.get()] { p->flush_loop(); });
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Result<Verdict> Engine::process(const Message& message) { return impl_->process(message, nullptr); }

Result<Verdict> Engine::process(const Message& message, Explanation* explain) {
  return impl_->process(message, explain);
}

Result<Verdict> Engine::Impl::process(const Message& m, Explanation* explain) {
  auto reject = [&](Error e) {
    counters.rejected.fetch_add(1, std::memory_order_relaxed);
    return e;
  };
  if (m.conversation_id.empty()) return reject(missing("conversation_id"));
  if (m.message_id.empty()) return reject(missing("message_id"));
  if (m.sender_id.empty()) return reject(missing("sender_id"));
  if (m.text.empty()) return reject(missing("text"));
  if (m.text.size() > opt.max_text_bytes)
    return reject(Error("message.text_too_long", "text is longer than " + std::to_string(opt.max_text_bytes) + " bytes")
                      .for_field("text"));

  // Before anything changes: past max_unflushed, wait for the writer (the bound's guard).
  await_writer();

  // Normalise and match outside any lock: this is where the time goes.
  ThreadScratch& t = scratch();
  const Snapshot& snap = *t.snap;
  normalizer->normalize(m.text, t.text, *t.normalize);
  if (Status<> scanned = t.matcher->match(t.text, t.hits); !scanned) {
    // Not scored: hits that could not be looked for are not "no hits" (state untouched).
    counters.scan_failures.fetch_add(1, std::memory_order_relaxed);
    return scanned.error();
  }
  t.score_hits.clear();
  for (const Hit& h : t.hits) {
    const RuleInfo& ri = snap.info[h.rule];
    ScoreHit sh;
    sh.rule = h.rule;
    sh.rule_key = ri.key;
    sh.stage = ri.stage;
    sh.weight = ri.weight;
    sh.age = h.age;
    sh.shadow = ri.shadow;
    sh.urgent = ri.urgent;
    t.score_hits.push_back(sh);
  }

  const int64_t now_ms = now();
  const int64_t ts = m.ts_ms > 0 ? m.ts_ms : now_ms;
  const uint64_t key = hash_id(m.conversation_id.data(), m.conversation_id.size());
  const uint64_t msg_key = ids(m.message_id);
  const SenderInfo sender{ids(m.sender_id), m.sender_age_band, m.sender_account_age_days};
  const Scorer& scorer = snap.scorer;

  Verdict v;
  v.conversation_id = m.conversation_id;
  v.message_id = m.message_id;
  v.rules_version = snap.rules->version();
  bool duplicate = false;
  bool newly_dirty = false;
  ScoreOutcome out;
  table->with(key, now_ms, true, [&](ConversationSlot& slot, bool) {
    const bool was_dirty = slot.dirty;  // conform() may mark it dirty: the change is this message's
    slot.conform(*snap.layout);
    ConversationState& st = slot.state;
    if (RecentVerdict rv; st.find_recent(msg_key, rv)) {
      duplicate = true;
      v.risk = rv.risk_centi / 100.0;
      v.level = static_cast<Level>(rv.level);
      v.action = scorer.config().action_for(v.level);
      v.suspect_id = slot.name(rv.suspect);
      return;
    }
    out = scorer.score(st, sender, t.score_hits, ts, explain);
    if (out.new_participant) slot.set_name(out.sender, m.sender_id);
    RecentVerdict rv;
    rv.risk_centi = static_cast<uint16_t>(std::lround(std::clamp(out.risk, 0.0, 100.0) * 100));
    rv.level = static_cast<uint8_t>(out.level);
    rv.suspect = static_cast<int16_t>(out.suspect);
    st.remember(msg_key, rv);
    newly_dirty = !was_dirty;
    slot.dirty = true;
    if (slot.context) slot.context->push(m, ts, out.risk, out.level);
    v.risk = out.risk;
    v.level = out.level;
    v.action = out.action;
    v.suspect_id = slot.name(out.suspect);
    const int profile = out.suspect >= 0 ? out.suspect : out.top;
    if (profile >= 0) {
      const auto& stages = scorer.config().stages;
      for (size_t k = 0; k < stages.size(); ++k)
        if (const float e = st.p[profile].evidence[k]; e > 0) v.stages.emplace_back(stages[k].name, e);
    }
    if (explain) {
      explain->sender_id = m.sender_id;
      explain->subject_id = slot.name(explain->subject);
      for (int i : explain->excluded) explain->excluded_ids.emplace_back(slot.name(i));
    }
  });

  if (newly_dirty) note_change();
  if (duplicate) {
    counters.duplicates.fetch_add(1, std::memory_order_relaxed);
    v.duplicate = true;
    return v;
  }
  counters.messages.fetch_add(1, std::memory_order_relaxed);
  counters.levels[static_cast<int>(v.level)].fetch_add(1, std::memory_order_relaxed);
  if (out.evicted) counters.overflow.fetch_add(1, std::memory_order_relaxed);
  const auto& rules = snap.rules->rules();
  v.hits.reserve(t.hits.size());
  for (const Hit& h : t.hits) {
    const Rule& r = rules[h.rule];
    VerdictHit vh;
    vh.rule = r.id;
    vh.stage = r.stage;
    vh.start = h.start;
    vh.end = h.end;
    vh.age = h.age;
    vh.shadow = r.status == RuleStatus::kShadow;
    if (!vh.shadow && r.stage_index >= 0 && r.stage_index < kMaxStages)
      counters.stage_hits[r.stage_index].fetch_add(1, std::memory_order_relaxed);
    snap.rule_hits[h.rule].fetch_add(1, std::memory_order_relaxed);
    v.hits.push_back(std::move(vh));
  }
  if (explain)
    for (auto& h : explain->hits) h.rule_id = rules[h.rule].id;
  return v;
}

std::optional<ConversationInfo> Engine::conversation(std::string_view conversation_id) const {
  const auto snap = impl_->current();
  const Scorer& scorer = snap->scorer;
  const uint64_t key = hash_id(conversation_id.data(), conversation_id.size());
  ConversationInfo info;
  const bool found = impl_->table->with(key, impl_->now(), false, [&](ConversationSlot& slot, bool) {
    slot.conform(*snap->layout);
    const ConversationState& st = slot.state;
    const ScoreOutcome out = scorer.evaluate(st);
    info.conversation_id = std::string(conversation_id);
    info.risk = out.risk;
    info.level = out.level;
    info.action = out.action;
    info.suspect_id = slot.name(out.suspect);
    info.coercion = st.flags & ConversationState::kUrgentSticky;
    info.messages = st.messages;
    info.first_ts_ms = st.first_ts_ms;
    info.last_ts_ms = st.last_ts_ms;
    for (int i = 0; i < st.participants(); ++i) {
      const ParticipantState& p = st.p[i];
      ParticipantInfo pi;
      pi.sender_id = slot.name(i);
      pi.score = scorer.participant_score(st, i);
      pi.risk = scorer.config().risk_for(pi.score);
      switch (scorer.age_status(p)) {
        case AgeStatus::kAdult:
          pi.age_band = AgeBand::kAdult;
          break;
        case AgeStatus::kMinor:
          pi.age_band = AgeBand::kMinor;
          break;
        case AgeStatus::kUnknown:
          break;
      }
      if (p.max_age != kNoAge) pi.disclosed_age = p.max_age;
      pi.new_account = p.flags & ParticipantState::kNewAccount;
      pi.eligible = scorer.eligible(st, i);
      pi.messages = p.messages;
      const auto& stages = scorer.config().stages;
      for (size_t k = 0; k < stages.size(); ++k)
        if (p.evidence[k] > 0) pi.stages.emplace_back(stages[k].name, p.evidence[k]);
      info.participants.push_back(std::move(pi));
    }
    if (slot.context) {
      slot.context->for_each([&](const ContextMessage& c) {
        info.timeline.push_back({c.message_id, c.sender_id, c.ts_ms, c.risk, c.level});
      });
    }
  });
  if (!found) return std::nullopt;
  info.rules_version = snap->rules->version();
  return info;
}

std::vector<ContextMessage> Engine::context(std::string_view conversation_id) const {
  std::vector<ContextMessage> out;
  const uint64_t key = hash_id(conversation_id.data(), conversation_id.size());
  impl_->table->with(key, impl_->now(), false, [&](ConversationSlot& slot, bool) {
    if (slot.context) slot.context->for_each([&](const ContextMessage& c) { out.push_back(c); });
  });
  return out;
}

bool Engine::forget(std::string_view conversation_id) {
  return impl_->table->forget(hash_id(conversation_id.data(), conversation_id.size()));
}

EngineStats Engine::stats() const {
  const auto& c = impl_->counters;
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  EngineStats s;
  s.conversations = impl_->table->size();
  s.messages = get(c.messages);
  s.duplicates = get(c.duplicates);
  s.rejected = get(c.rejected);
  s.evictions_lru = get(impl_->table->counters().evictions_lru);
  s.evictions_ttl = get(impl_->table->counters().evictions_ttl);
  s.participants_overflow = get(c.overflow);
  s.flushes = get(c.flushes);
  s.flushed_conversations = get(c.flushed);
  s.flush_failures = get(c.flush_failures);
  s.unflushed_conversations = impl_->unflushed();
  s.unflushed_age_ms = static_cast<uint64_t>(impl_->lag_ms());
  s.backpressure_waits = get(c.backpressure_waits);
  s.store_failing = impl_->store_failing.load(std::memory_order_relaxed);
  s.rules_cache_write_failures = get(c.cache_write_failures);
  s.context_bytes = impl_->table->context_bytes();
  s.context_trimmed = get(impl_->table->counters().context_trimmed);
  s.restored_conversations = get(c.restored);
  s.scan_failures = get(c.scan_failures);
  s.snapshots_skipped = get(c.snapshots_skipped);
  s.rule_reloads = get(c.reloads);
  s.rule_reload_failures = get(c.reload_failures);
  for (size_t i = 0; i < s.verdicts_by_level.size(); ++i) s.verdicts_by_level[i] = get(c.levels[i]);
  for (size_t i = 0; i < s.hits_by_stage.size(); ++i) s.hits_by_stage[i] = get(c.stage_hits[i]);
  return s;
}

Status<Errors> Engine::reload_rules() {
  auto snap = load_snapshot(impl_->opt);
  if (!snap) {
    impl_->counters.reload_failures.fetch_add(1, std::memory_order_relaxed);
    return std::move(snap).error();
  }
  impl_->note_rules(*snap.value()->rules);
  const Snapshot& next = *snap.value();
  std::unordered_map<std::string_view, uint32_t> next_index;
  for (uint32_t i = 0; i < next.rules->rules().size(); ++i) next_index.emplace(next.rules->rules()[i].id, i);
  {
    std::lock_guard lock(impl_->snap_mu);
    // Kept rules keep their hit counts (by id); hits still landing on the old snapshot
    // while threads move over are not carried.
    const Snapshot& prev = *impl_->snap;
    for (uint32_t i = 0; i < prev.rules->rules().size(); ++i) {
      if (auto it = next_index.find(prev.rules->rules()[i].id); it != next_index.end())
        next.rule_hits[it->second].store(prev.rule_hits[i].load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
    impl_->snap = std::move(snap).value();
    impl_->generation.store(impl_->snap->generation, std::memory_order_release);
  }
  impl_->counters.reloads.fetch_add(1, std::memory_order_relaxed);
  return {};
}

std::shared_ptr<const RuleSet> Engine::rules() const { return impl_->current()->rules; }

std::vector<std::pair<std::string, uint64_t>> Engine::rule_hits() const {
  const std::shared_ptr<const Snapshot> snap = impl_->current();
  const std::vector<Rule>& rules = snap->rules->rules();
  std::vector<std::pair<std::string, uint64_t>> out;
  out.reserve(rules.size());
  for (size_t i = 0; i < rules.size(); ++i)
    out.emplace_back(rules[i].id, snap->rule_hits[i].load(std::memory_order_relaxed));
  return out;
}

Status<> Engine::flush() {
  impl_->table->sweep(impl_->now());
  return impl_->flush_now();
}

Status<> Engine::store_status() const {
  if (!impl_->store_failing.load(std::memory_order_acquire)) return {};
  std::lock_guard lock(impl_->health_mu);
  return impl_->store_error;
}

void Engine::Impl::note_change() {
  int64_t none = 0;
  if (pending_since.load(std::memory_order_relaxed) == 0)
    pending_since.compare_exchange_strong(none, steady_ms(), std::memory_order_relaxed);
}

void Engine::Impl::note_rules(const RuleSet& rules) {
  const Error* e = rules.cache_write_error();
  if (e) counters.cache_write_failures.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(health_mu);
    if (cache_failing == (e != nullptr)) return;
    cache_failing = e != nullptr;
  }
  // A load that took the database from the cache wrote nothing: no news either way.
  if (e)
    report(StorageEvent::kRulesCacheFailing, *e);
  else if (!rules.impl().db_from_cache)
    report(StorageEvent::kRulesCacheRecovered);
}

int64_t Engine::Impl::lag_ms() const {
  int64_t oldest = 0;
  for (const auto* since : {&pending_since, &inflight_since})
    if (const int64_t t = since->load(std::memory_order_relaxed); t > 0 && (oldest == 0 || t < oldest)) oldest = t;
  return oldest > 0 ? std::max<int64_t>(0, steady_ms() - oldest) : 0;
}

// Waits while the writer is behind: the backlog at its cap, or a change waiting a whole
// interval (a stalled or starved writer). Either way no new change is acknowledged until a
// commit catches up, which is what keeps the bound under load.
void Engine::Impl::await_writer() {
  if (!store || store_failing.load(std::memory_order_relaxed) || !behind()) return;
  counters.backpressure_waits.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock lock(flusher_mu);
  ++waiting;
  flusher_cv.notify_one();
  backlog_cv.wait(lock, [&] { return stopping || store_failing.load(std::memory_order_relaxed) || !behind(); });
  --waiting;
}

Status<> Engine::Impl::flush_now() {
  if (!store) return {};
  Status<> st;
  {
    std::lock_guard lock(store_mu);
    st = write_cycle();
    store_health(st);
  }
  backlog_cv.notify_all();
  return st;
}

// One cycle: every conversation dirty now (and those made dirty while it runs, up to a
// budget, so it ends) in ONE transaction. Under store_mu.
Status<> Engine::Impl::write_cycle() {
  // Whatever changed before this line is in this cycle (rows are taken after it).
  inflight_since.store(pending_since.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
  cycle_keys.clear();
  cycle_deleted.clear();
  auto fail = [&](Status<> st) {
    store->rollback();
    // Everything of the cycle is dirty again, dated as early as it was.
    table->requeue(cycle_keys, cycle_deleted);
    inflight_rows.store(0, std::memory_order_relaxed);
    const int64_t since = inflight_since.exchange(0, std::memory_order_relaxed);
    int64_t cur = pending_since.load(std::memory_order_relaxed);
    while (since > 0 && (cur == 0 || since < cur) &&
           !pending_since.compare_exchange_weak(cur, since, std::memory_order_relaxed)) {
    }
    counters.flush_failures.fetch_add(1, std::memory_order_relaxed);
    reopen_store = true;
    return st;
  };
  if (reopen_store) {
    if (auto st = store->reopen(); !st) return fail(st);
    reopen_store = false;
  }
  // While failing, a cheap write first: no point taking every dirty row to fail again.
  if (store_failing.load(std::memory_order_relaxed))
    if (auto st = store->probe(); !st) return fail(st);
  const size_t budget = table->dirty_count() + opt.max_unflushed;
  const auto t0 = std::chrono::steady_clock::now();
  bool began = false;
  for (bool more = true; more && cycle_keys.size() < budget;) {
    chunk_rows.clear();
    chunk_deleted.clear();
    more = table->collect(chunk_rows, chunk_deleted, kFlushChunkRows);
    if (chunk_rows.empty() && chunk_deleted.empty()) break;
    for (const SnapshotRow& r : chunk_rows) cycle_keys.push_back(r.key);
    cycle_deleted.insert(cycle_deleted.end(), chunk_deleted.begin(), chunk_deleted.end());
    inflight_rows.fetch_add(chunk_rows.size(), std::memory_order_relaxed);
    if (!began) {
      if (auto st = store->begin(); !st) return fail(st);
      began = true;
    }
    if (auto st = store->put(chunk_rows, chunk_deleted); !st) return fail(st);
  }
  if (!began) {
    inflight_since.store(0, std::memory_order_relaxed);
    return {};
  }
  if (auto st = store->commit(); !st) return fail(st);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (cycle_keys.size() >= kMinRateRows && secs > 0) {
    const double rate = static_cast<double>(cycle_keys.size()) / secs;
    rows_per_s = rows_per_s == 0 ? rate : 0.7 * rows_per_s + 0.3 * rate;
    const double half_interval = static_cast<double>(opt.flush_interval.count()) / 2000;
    backlog_cap.store(std::clamp<size_t>(static_cast<size_t>(rows_per_s * half_interval),
                                         std::min(kMinBacklogCap, opt.max_unflushed), opt.max_unflushed),
                      std::memory_order_relaxed);
  }
  inflight_rows.store(0, std::memory_order_relaxed);
  inflight_since.store(0, std::memory_order_relaxed);
  counters.flushes.fetch_add(1, std::memory_order_relaxed);
  counters.flushed.fetch_add(cycle_keys.size(), std::memory_order_relaxed);
  return {};
}

// Reports a change of the store's health, once per change. Under store_mu.
void Engine::Impl::store_health(const Status<>& st) {
  if (st.ok() == !store_failing.load(std::memory_order_relaxed)) return;
  {
    std::lock_guard lock(health_mu);
    store_error = st.ok() ? Error{} : st.error();
  }
  store_failing.store(!st.ok(), std::memory_order_release);
  if (st.ok())
    report(StorageEvent::kStoreRecovered);
  else
    report(StorageEvent::kStoreFailing, st.error());
}

void Engine::Impl::flush_loop() {
  using Clock = std::chrono::steady_clock;
  // A cycle as soon as changes wait, at most a quarter interval after the last one began
  // (at once when a caller waits): with each cycle under half an interval (backlog_cap), a
  // change waits at most about 3/4 of an interval to be committed; the bound (2 x) leaves
  // room for a slow cycle, and the lag gate in await_writer() covers a stalled one.
  const auto spacing = opt.flush_interval / 4;
  auto last = Clock::now();
  auto sweep_at = last + opt.flush_interval;
  std::unique_lock lock(flusher_mu);
  while (!stopping) {
    flusher_cv.wait_for(lock, kWriterPoll, [&] { return stopping || waiting > 0; });
    if (stopping) break;
    const auto now_t = Clock::now();
    const bool due = now_t - last >= spacing && table->dirty_count() > 0;
    const bool failing_retry = store_failing.load(std::memory_order_relaxed) && now_t - last >= opt.flush_interval;
    if (!due && !failing_retry && waiting == 0 && now_t < sweep_at) continue;
    last = now_t;
    lock.unlock();
    if (now_t >= sweep_at) {
      table->sweep(now());
      sweep_at = now_t + opt.flush_interval;
    }
    (void)flush_now();  // a failure is counted, reported (store_health) and retried next cycle
    lock.lock();
  }
}

}  // namespace vigil
