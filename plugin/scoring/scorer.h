// Scorer: the sequence scorer. Turns a conversation's stream of rule hits into a risk
// that rises when ONE sender works through the stages of grooming, and stays low for a
// single risky-looking phrase. Per conversation and per sender it keeps evidence per
// stage, decayed by a half-life and raised by each hit (weight × repeat_discount^k for
// the k-th repeat of the same rule); a sender's score is
//   multipliers × (Σ_stage weight·min(evidence, cap) + bonus(stages reached, in order))
// and the conversation's risk is 100·(1 − e^(−score/scale)) of its riskiest eligible
// sender. Every number comes from ScorerConfig (rules/stages.yaml).
//
// What a sender DOES and what a sender DISCLOSES are kept apart. Stage hits are what
// the writer does and count against the writer. `age_signal` hits are what the writer
// discloses about THEMSELF: never stage evidence, only context:
//  - for the OTHER participants: a disclosed minor age makes the others' scores take the
//    other_minor multiplier (someone in the chat says they are a child);
//    When every OTHER participant is a known adult, the sender's score takes others_adult
//    (at most 1): nobody else in the chat can be the child.
//  - for the writer: a disclosed adult age gives the sender_adult multiplier; a claim of
//    youth gives nothing at all: it neither shields nor damps (posing as a peer is a
//    known tactic), so a self-declared 14-year-old is scored like an unknown sender.
// Only the platform's `age_band: minor` makes a sender a known minor for the scorer:
// such a sender takes sender_minor and is never the suspect while another participant
// is not a platform minor. When every participant is a platform minor, or when both
// sides only claim to be minors, the one who makes the grooming moves is the suspect.
//
// Urgent: the conversation becomes urgent at once and for good (sticky: a threat does
// not expire as the chat goes quiet; a moderator clears it through the case, not the
// scorer), naming that sender as the suspect while they stay eligible, when an eligible
// sender's message has
//  - a scored hit of a rule marked `urgent: true` (unambiguous coercion: threats to
//    expose or share, demands tied to a secret), or
//  - a scored hit of a stage with `urgent_with_stages: N` while that sender has then
//    reached at least N distinct stages (coercion on top of other grooming moves).
// One ambiguous coercion phrase ("I'll come for you at eight") is neither: it is stage
// evidence like any other, and one stage alone never reaches `review`.
//
// Groups: every sender is scored, up to config().max_participants per conversation; a
// new sender past the cap takes the place of the least risky participant, keeping the
// riskiest, the one who made the conversation urgent, and known minors (context) as long
// as anyone else can go.
//
// Pure and allocation-free (unless an Explanation is asked for, or a new participant
// joins a group past kInlineParticipants); immutable after
// construction and thread-safe for concurrent calls on DIFFERENT states. Copyable.
#pragma once

#include <cstdint>
#include <span>

#include "plugin/scoring/conversation_state.h"
#include "plugin/scoring/explanation.h"
#include "plugin/scoring/scorer_config.h"

namespace vigil {

// One rule hit of a message, as the scorer needs it.
struct ScoreHit {
  uint32_t rule = 0;      // index into the RuleSet, reported back in explanations
  uint16_t rule_key = 0;  // 16-bit hash of the rule id: counts repeats across reloads
  int stage = -1;         // stage index; -1 for age_signal
  double weight = 1.0;
  int32_t age = -1;     // age_signal: the disclosed age, -1 none
  bool shadow = false;  // reported, never scored
  bool urgent = false;  // the rule is marked `urgent: true`: unambiguous coercion
};

struct SenderInfo {
  uint64_t id_hash = 0;  // hash_id(sender_id)
  AgeBand band = AgeBand::kUnknown;
  int32_t account_age_days = -1;  // -1 unknown
};

struct ScoreOutcome {
  int sender = -1;               // participant index of the sender
  bool new_participant = false;  // the sender took a slot with this message (new or freed)
  bool evicted = false;          // ... by taking the place of the least risky participant (cap reached)
  double risk = 0;
  Level level = Level::kNone;
  Action action = Action::kAllow;
  int top = -1;      // riskiest eligible participant, even below watch; -1 none
  int suspect = -1;  // the named suspect (watch and above), else -1
};

enum class AgeStatus : uint8_t { kUnknown, kAdult, kMinor };

class Scorer {
 public:
  explicit Scorer(ScorerConfig config) : c_(std::move(config)) {}

  const ScorerConfig& config() const { return c_; }

  // Applies one message at `ts_ms` (earlier than the last message: no decay) and returns
  // the conversation's verdict after it.
  ScoreOutcome score(ConversationState& s, const SenderInfo& sender, std::span<const ScoreHit> hits, int64_t ts_ms,
                     Explanation* explain = nullptr) const;

  // The verdict of the state as it is (no message, no decay).
  ScoreOutcome evaluate(const ConversationState& s, Explanation* explain = nullptr) const;

  // Decays every participant's evidence to `ts_ms` (no-op when not later than last_ts_ms).
  void decay_to(ConversationState& s, int64_t ts_ms) const;

  // What is known of a participant's age, for context: the platform's band, else the
  // ages they disclosed (both sides of adult_age: unknown). Feeds other_minor for the
  // OTHER participants and the conversation's profile.
  AgeStatus age_status(const ParticipantState& p) const;
  // The age status that sets a sender's OWN multiplier: the platform's band, else a
  // disclosed adult age; a self-declared minor counts as unknown (a claim of youth never
  // damps the claimant's score).
  AgeStatus sender_status(const ParticipantState& p) const;
  // False only for a platform minor (age_band: minor) while another participant is not
  // one. A disclosed age never makes a sender ineligible.
  bool eligible(const ConversationState& s, int i) const;
  // Stages participant `p` has reached (evidence >= reach_evidence).
  int reached_stages(const ParticipantState& p) const;
  // Participant i's score; fills the score part of `explain` when given.
  double participant_score(const ConversationState& s, int i, Explanation* explain = nullptr) const;

 private:
  int find_or_add(ConversationState& s, uint64_t id_hash, bool& added, bool& evicted, Explanation* explain) const;
  // participant_score with the conversation's count of known minors given.
  double score_of(const ConversationState& s, int i, int minors, Explanation* explain) const;
  int known_minors(const ConversationState& s) const;
  // Every participant but i is a known adult (and there is at least one).
  bool others_adult(const ConversationState& s, int i) const;
  void apply_hit(ParticipantState& p, const ScoreHit& h, Explanation* explain) const;

  ScorerConfig c_;
};

}  // namespace vigil
