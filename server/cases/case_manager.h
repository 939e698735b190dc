// CaseManager: joins the scoring path to the case store. After Engine::process, every
// verdict passes through on_verdict(), which
//   - skips the store for a conversation without a case that is not closed while the
//     verdict is below review (an in-memory set; no allocation, no I/O), so unflagged
//     traffic costs one shared-lock lookup;
//   - otherwise hands the message, its hits (with descriptions), the participants and,
//     when a case may open, the context ring (hits recomputed from the text) to the
//     store, which applies the lifecycle and commits before on_verdict returns;
//   - sets Verdict::case_id, so a verdict naming a case is only sent once the case is
//     on disk.
// lock(conversation_id) serialises one conversation's messages (and the active-set
// update after a decision), so they reach the store in scoring order.
// With `participant_id_key` set, participant ids (sender, suspect, participants) are
// stored as HMAC-SHA256(key, id), hex, truncated to 32 digits.
// Thread-safe. Not copyable, not movable.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "plugin/engine/engine.h"
#include "plugin/normalize/normalizer.h"
#include "server/cases/case_store.h"

namespace vigil::cases {

class CaseManager {
 public:
  // Loads the conversations with an active case from the store.
  static Result<std::unique_ptr<CaseManager>> create(std::unique_ptr<CaseStore> store, const Engine& engine,
                                                     const Normalizer& normalizer, std::string participant_id_key,
                                                     std::function<int64_t()> now_ms);
  CaseManager(const CaseManager&) = delete;
  CaseManager& operator=(const CaseManager&) = delete;

  // Holds one conversation's stripe lock (256 stripes).
  std::unique_lock<std::mutex> lock(std::string_view conversation_id);

  // Records the message into its case when the lifecycle says so; sets v.case_id.
  // Call with lock(m.conversation_id) held. Errors are the store's (cases.io ...): the
  // verdict must not be sent then.
  Status<> on_verdict(const Message& m, Verdict& v);

  // After a decision or an erasure: re-reads from the store whether the conversation
  // has an active case. Takes the conversation's lock itself.
  Status<> refresh(std::string_view conversation_id);

  CaseStore& store() { return *store_; }
  // Called (on the request's thread) after a commit that queued webhook events.
  void on_events(std::function<void()> f) { on_events_ = std::move(f); }
  // The id as stored: the keyed hash when configured, else `id` itself.
  std::string stored_id(std::string_view id) const;
  int64_t now_ms() const { return now_ms_(); }

 private:
  CaseManager(std::unique_ptr<CaseStore> store, const Engine& engine, const Normalizer& normalizer, std::string key,
              std::function<int64_t()> now_ms);
  bool active(uint64_t key) const;
  void set_active(uint64_t key, bool on);
  std::vector<CaseHit> describe(const RuleSet& rules, const std::vector<VerdictHit>& hits) const;
  // The hits of a context message, found again; rules.scan_failed when they cannot be.
  Result<std::vector<CaseHit>> rematch(const std::shared_ptr<const RuleSet>& rules, const std::string& text) const;

  std::unique_ptr<CaseStore> store_;
  const Engine& engine_;
  const Normalizer& normalizer_;
  std::string key_;
  std::function<int64_t()> now_ms_;
  std::function<void()> on_events_;
  std::array<std::mutex, 256> stripes_;
  mutable std::shared_mutex active_mu_;
  std::unordered_set<uint64_t> active_;  // hash of conversation ids with an active case
};

}  // namespace vigil::cases
