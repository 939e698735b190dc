#include "plugin/scoring/scorer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vigil {
namespace {

// Evidence below this is noise left by decay; dropping it keeps idle states all-zero.
constexpr float kEvidenceFloor = 1e-4f;

std::string fmt2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// True when another scored hit of the same message and stage weighs more (or the same,
// earlier in the list): that one is the message's hit for the stage.
bool outweighed(std::span<const ScoreHit> hits, size_t j) {
  const ScoreHit& h = hits[j];
  for (size_t k = 0; k < hits.size(); ++k) {
    const ScoreHit& o = hits[k];
    if (k == j || o.shadow || o.stage != h.stage) continue;
    if (o.weight > h.weight || (o.weight == h.weight && k < j)) return true;
  }
  return false;
}

}  // namespace

void Scorer::decay_to(ConversationState& s, int64_t ts_ms) const {
  if (ts_ms <= s.last_ts_ms) return;
  const double dt = static_cast<double>(ts_ms - s.last_ts_ms);
  s.last_ts_ms = ts_ms;
  // One exp() per stage that holds evidence, shared by every participant.
  float factor[kMaxStages];
  for (int k = 0; k < kMaxStages; ++k) factor[k] = -1;
  const size_t stages = c_.stages.size();
  for (int i = 0; i < s.participants(); ++i) {
    for (size_t k = 0; k < stages; ++k) {
      float& e = s.p[i].evidence[k];
      if (e == 0) continue;
      if (factor[k] < 0) factor[k] = static_cast<float>(std::exp(-c_.stages[k].decay_per_ms * dt));
      e *= factor[k];
      if (e < kEvidenceFloor) e = 0;
    }
  }
}

int Scorer::find_or_add(ConversationState& s, uint64_t id_hash, bool& added, bool& evicted,
                        Explanation* explain) const {
  added = evicted = false;
  const int n = s.participants();
  for (int i = 0; i < n; ++i)
    if (s.p[i].id_hash == id_hash) return i;
  added = true;
  if (n < c_.max_participants) {
    const int i = s.p.push_back();
    s.p[i].id_hash = id_hash;
    return i;
  }
  // Full: the least risky participant makes room. Known minors are the context that
  // raises everyone else's score, so they go only when nobody else can; the sender who
  // made the conversation urgent never goes. Ties: the one with fewer messages.
  const int minors = known_minors(s);
  int victim = -1;
  bool victim_minor = true;
  double victim_score = 0;
  for (int i = 0; i < n; ++i) {
    if (i == s.urgent_sender) continue;
    const bool minor = age_status(s.p[i]) == AgeStatus::kMinor;
    const double sc = score_of(s, i, minors, nullptr);
    const bool better = victim < 0 || (victim_minor && !minor) ||
                        (minor == victim_minor &&
                         (sc < victim_score || (sc == victim_score && s.p[i].messages < s.p[victim].messages)));
    if (better) victim = i, victim_minor = minor, victim_score = sc;
  }
  if (explain) {
    explain->notes.push_back("the conversation has " + std::to_string(n) +
                             " senders (scorer.max_participants): participant " + std::to_string(victim) +
                             ", the least risky (score " + fmt2(victim_score) + "), made room for this sender");
  }
  s.forget_participant(victim);
  s.p[victim] = ParticipantState{};
  s.p[victim].id_hash = id_hash;
  evicted = true;
  return victim;
}

void Scorer::apply_hit(ParticipantState& p, const ScoreHit& h, Explanation* explain) const {
  Explanation::HitPart* part = nullptr;
  if (explain) {
    part = &explain->hits.emplace_back();
    part->rule = h.rule;
    part->stage = h.stage < 0 ? "age_signal" : c_.stages[h.stage].name;
    part->weight = h.weight;
    part->age = h.age;
    part->shadow = h.shadow;
  }
  if (h.shadow) return;
  if (h.stage < 0) {
    if (h.age < 0) return;
    const auto age = static_cast<uint8_t>(std::min(h.age, 254));
    p.min_age = p.min_age == kNoAge ? age : std::min(p.min_age, age);
    p.max_age = p.max_age == kNoAge ? age : std::max(p.max_age, age);
    if (part) part->scored = true;
    return;
  }
  // Repeat counter of this rule; when every slot is taken, the least repeated rule
  // gives its slot up (its next hit counts as a first again: the lenient direction).
  int slot = -1, weakest = 0;
  for (int k = 0; k < kRepeatSlots; ++k) {
    if (p.repeat_count[k] && p.repeat_rule[k] == h.rule_key) {
      slot = k;
      break;
    }
    if (p.repeat_count[k] < p.repeat_count[weakest]) weakest = k;
  }
  if (slot < 0) {
    slot = weakest;
    p.repeat_rule[slot] = h.rule_key;
    p.repeat_count[slot] = 0;
  }
  const uint8_t k = p.repeat_count[slot];
  if (k < 255) ++p.repeat_count[slot];
  const double added = h.weight * std::pow(c_.repeat_discount, k);
  float& e = p.evidence[h.stage];
  e = static_cast<float>(e + added);
  if (e >= c_.reach_evidence && p.first_reach[h.stage] == 0) p.first_reach[h.stage] = ++p.reached;
  if (part) {
    part->repeat = k;
    part->added = added;
    part->scored = true;
  }
}

ScoreOutcome Scorer::score(ConversationState& s, const SenderInfo& sender, std::span<const ScoreHit> hits,
                           int64_t ts_ms, Explanation* explain) const {
  if (s.messages == 0) s.first_ts_ms = s.last_ts_ms = ts_ms;
  decay_to(s, ts_ms);
  ++s.messages;
  bool added = false, evicted = false;
  const int i = find_or_add(s, sender.id_hash, added, evicted, explain);
  if (explain) explain->sender = i;
  bool urgent_hit = false;
  bool stage_urgent_hit = false;  // a hit of a stage with urgent_with_stages
  int urgent_with = 0;            // the smallest such N among this message's hits
  {
    ParticipantState& p = s.p[i];
    if (p.messages < UINT16_MAX) ++p.messages;
    if (sender.band != AgeBand::kUnknown) p.band = static_cast<uint8_t>(sender.band);
    if (sender.account_age_days >= 0) {
      if (sender.account_age_days < c_.new_account_days)
        p.flags |= ParticipantState::kNewAccount;
      else
        p.flags &= static_cast<uint8_t>(~ParticipantState::kNewAccount);
    }
    for (size_t j = 0; j < hits.size(); ++j) {
      const ScoreHit& h = hits[j];
      // One message is one behaviour per stage: when several rules of a stage match the
      // same message ("call me 555 ..." is a call request and a number), only the
      // heaviest counts (the first of equals); the others are reported, not scored, so
      // overlapping rules never add up to more than one move.
      // Its urgency still counts: an `urgent: true` rule is urgent whatever else matched.
      if (!h.shadow && h.stage >= 0 && outweighed(hits, j)) {
        if (explain) {
          Explanation::HitPart& part = explain->hits.emplace_back();
          part.rule = h.rule;
          part.stage = c_.stages[h.stage].name;
          part.weight = h.weight;
        }
      } else {
        apply_hit(p, h, explain);
      }
      if (h.shadow || h.stage < 0) continue;
      urgent_hit = urgent_hit || h.urgent;
      if (const int n = c_.stages[h.stage].urgent_with_stages; n > 0) {
        urgent_with = stage_urgent_hit ? std::min(urgent_with, n) : n;
        stage_urgent_hit = true;
      }
    }
    if (stage_urgent_hit && reached_stages(p) >= urgent_with) urgent_hit = true;
  }
  if (urgent_hit && eligible(s, i) && !(s.flags & ConversationState::kUrgentSticky)) {
    s.flags |= ConversationState::kUrgentSticky;
    s.urgent_sender = static_cast<int16_t>(i);
  }
  ScoreOutcome out = evaluate(s, explain);
  out.sender = i;
  out.new_participant = added;
  out.evicted = evicted;
  s.last_risk = static_cast<float>(out.risk);
  s.last_level = static_cast<uint8_t>(out.level);
  s.last_suspect = static_cast<int16_t>(out.suspect);
  return out;
}

ScoreOutcome Scorer::evaluate(const ConversationState& s, Explanation* explain) const {
  ScoreOutcome out;
  double best = -1;
  const int minors = known_minors(s);
  for (int i = 0; i < s.participants(); ++i) {
    if (!eligible(s, i)) {
      if (explain) explain->excluded.push_back(i);
      continue;
    }
    const double sc = score_of(s, i, minors, nullptr);
    if (sc > best) best = sc, out.top = i;
  }
  const bool sticky = s.flags & ConversationState::kUrgentSticky;
  const bool urgent_ok =
      sticky && s.urgent_sender >= 0 && s.urgent_sender < s.participants() && eligible(s, s.urgent_sender);
  const int subject = urgent_ok ? s.urgent_sender : out.top;
  const double score =
      subject >= 0 ? (subject == out.top && !explain ? best : score_of(s, subject, minors, explain)) : 0.0;
  out.risk = c_.risk_for(score);
  const double urgent_risk = c_.levels[static_cast<int>(Level::kUrgent)].min_risk;
  if (sticky) {
    out.level = Level::kUrgent;
    out.risk = std::max(out.risk, urgent_risk);
  } else {
    out.level = c_.level_for(out.risk);
  }
  out.action = c_.action_for(out.level);
  if (out.level >= Level::kWatch) out.suspect = subject;
  if (explain) {
    explain->subject = subject;
    explain->risk = out.risk;
    explain->urgent_sticky = sticky;
    if (sticky) {
      explain->reason =
          "unambiguous coercion (an urgent rule, or coercion on top of other stages) made the conversation "
          "urgent; it stays urgent";
    } else if (out.level == Level::kNone) {
      explain->reason = "risk " + fmt2(out.risk) + " is below watch (" + fmt2(c_.levels[1].min_risk) + ")";
    } else {
      explain->reason = "risk " + fmt2(out.risk) + " >= " + to_string(out.level) + " (" +
                        fmt2(c_.levels[static_cast<int>(out.level)].min_risk) + ")";
    }
  }
  return out;
}

AgeStatus Scorer::age_status(const ParticipantState& p) const {
  if (p.band == static_cast<uint8_t>(AgeBand::kAdult)) return AgeStatus::kAdult;
  if (p.band == static_cast<uint8_t>(AgeBand::kMinor)) return AgeStatus::kMinor;
  if (p.min_age == kNoAge) return AgeStatus::kUnknown;
  if (p.max_age < c_.adult_age) return AgeStatus::kMinor;
  if (p.min_age >= c_.adult_age) return AgeStatus::kAdult;
  return AgeStatus::kUnknown;  // disclosed both sides of adult_age: believe neither
}

AgeStatus Scorer::sender_status(const ParticipantState& p) const {
  // A claim of youth is what a groomer posing as a peer says: it must not lower his own
  // score, so only the platform can make a sender a minor here.
  const AgeStatus a = age_status(p);
  return a == AgeStatus::kMinor && p.band != static_cast<uint8_t>(AgeBand::kMinor) ? AgeStatus::kUnknown : a;
}

bool Scorer::eligible(const ConversationState& s, int i) const {
  if (i < 0) return false;
  const auto minor = static_cast<uint8_t>(AgeBand::kMinor);
  if (s.p[i].band != minor) return true;
  for (int j = 0; j < s.participants(); ++j)
    if (j != i && s.p[j].band != minor) return false;
  return true;
}

int Scorer::known_minors(const ConversationState& s) const {
  int n = 0;
  for (int j = 0; j < s.participants(); ++j) n += age_status(s.p[j]) == AgeStatus::kMinor;
  return n;
}

bool Scorer::others_adult(const ConversationState& s, int i) const {
  int others = 0;
  for (int j = 0; j < s.participants(); ++j) {
    if (j == i) continue;
    if (age_status(s.p[j]) != AgeStatus::kAdult) return false;
    ++others;
  }
  return others > 0;
}

int Scorer::reached_stages(const ParticipantState& p) const {
  int n = 0;
  for (size_t k = 0; k < c_.stages.size(); ++k) n += p.evidence[k] >= c_.reach_evidence && p.first_reach[k] > 0;
  return n;
}

double Scorer::participant_score(const ConversationState& s, int i, Explanation* explain) const {
  return score_of(s, i, known_minors(s), explain);
}

double Scorer::score_of(const ConversationState& s, int i, int minors, Explanation* explain) const {
  const ParticipantState& p = s.p[i];
  const size_t n = c_.stages.size();
  double sum = 0;
  // Reached stages in the order they were first reached, for the in-order run.
  int order[kMaxStages];
  int rank[kMaxStages];
  int reached = 0;
  for (size_t k = 0; k < n; ++k) {
    const StageParams& st = c_.stages[k];
    const double e = p.evidence[k];
    const double contribution = st.weight * std::min(e, st.cap);
    sum += contribution;
    const bool is_reached = e >= c_.reach_evidence && p.first_reach[k] > 0;
    if (is_reached) order[reached] = static_cast<int>(k), rank[reached] = p.first_reach[k], ++reached;
    if (explain && e > 0)
      explain->stages.push_back({st.name, e, st.cap, st.weight, contribution, p.first_reach[k], is_reached});
  }
  // Sort the reached stages by first-reach rank (n <= 8: insertion sort), then the
  // longest strictly increasing run of stage indices: how much of the usual order.
  for (int a = 1; a < reached; ++a)
    for (int b = a; b > 0 && rank[b - 1] > rank[b]; --b)
      std::swap(rank[b - 1], rank[b]), std::swap(order[b - 1], order[b]);
  int lis[kMaxStages];
  int in_order = 0;
  for (int a = 0; a < reached; ++a) {
    lis[a] = 1;
    for (int b = 0; b < a; ++b)
      if (order[b] < order[a]) lis[a] = std::max(lis[a], lis[b] + 1);
    in_order = std::max(in_order, lis[a]);
  }
  const double bonus =
      reached >= 2 ? c_.distinct_stage_bonus * (reached - 1) + c_.in_order_bonus * (in_order - 1) : 0.0;

  const bool other_minor = minors - (age_status(p) == AgeStatus::kMinor ? 1 : 0) > 0;
  double m = 1;
  auto factor = [&](const char* name, double v) {
    m *= v;
    if (explain) explain->multipliers.push_back({name, v});
  };
  if (other_minor) factor("other_minor", c_.m_other_minor);
  // Nobody else in the chat can be the child: everyone else is a known adult (disclosed
  // or by the platform). A sender alone in the chat so far has nobody to groom yet, and
  // gets no damping either: the first answer decides.
  if (!other_minor && c_.m_others_adult != 1.0 && others_adult(s, i)) factor("others_adult", c_.m_others_adult);
  switch (sender_status(p)) {
    case AgeStatus::kAdult:
      factor("sender_adult", c_.m_sender_adult);
      break;
    case AgeStatus::kMinor:
      factor("sender_minor", c_.m_sender_minor);
      break;
    case AgeStatus::kUnknown:
      factor("sender_unknown", c_.m_sender_unknown);
      break;
  }
  if (p.flags & ParticipantState::kNewAccount) factor("new_account", c_.m_new_account);
  const double score = m * (sum + bonus);
  if (explain) {
    explain->stage_sum = sum;
    explain->distinct_stages = reached;
    explain->in_order = in_order;
    explain->bonus = bonus;
    explain->multiplier = m;
    explain->score = score;
  }
  return score;
}

}  // namespace vigil
