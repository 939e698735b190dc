#include "server/cases/case_manager.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "plugin/rules/matcher.h"

namespace vigil::cases {

namespace {

uint64_t conversation_key(std::string_view id) { return std::hash<std::string_view>{}(id); }

}  // namespace

CaseManager::CaseManager(std::unique_ptr<CaseStore> store, const Engine& engine, const Normalizer& normalizer,
                         std::string key, std::function<int64_t()> now_ms)
    : store_(std::move(store)),
      engine_(engine),
      normalizer_(normalizer),
      key_(std::move(key)),
      now_ms_(std::move(now_ms)) {}

Result<std::unique_ptr<CaseManager>> CaseManager::create(std::unique_ptr<CaseStore> store, const Engine& engine,
                                                         const Normalizer& normalizer, std::string participant_id_key,
                                                         std::function<int64_t()> now_ms) {
  if (!now_ms) {
    now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  std::unique_ptr<CaseManager> m(
      new CaseManager(std::move(store), engine, normalizer, std::move(participant_id_key), std::move(now_ms)));
  Result<std::vector<std::string>> active = m->store_->active_conversations();
  if (!active) return std::move(active).error();
  for (const std::string& id : *active) m->active_.insert(conversation_key(id));
  return m;
}

std::unique_lock<std::mutex> CaseManager::lock(std::string_view conversation_id) {
  return std::unique_lock(stripes_[conversation_key(conversation_id) % stripes_.size()]);
}

bool CaseManager::active(uint64_t key) const {
  std::shared_lock lock(active_mu_);
  return active_.count(key) != 0;
}

void CaseManager::set_active(uint64_t key, bool on) {
  std::unique_lock lock(active_mu_);
  if (on)
    active_.insert(key);
  else
    active_.erase(key);
}

std::string CaseManager::stored_id(std::string_view id) const {
  if (key_.empty() || id.empty()) return std::string(id);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(id.data()),
       id.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len && out.size() < 32; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

namespace {

CaseHit case_hit(const Rule& r, uint32_t start, uint32_t end, int32_t age) {
  CaseHit c;
  c.rule = r.id;
  c.stage = r.stage;
  c.description = r.description;
  c.language = r.language;
  c.start = start;
  c.end = end;
  c.age = age;
  c.shadow = r.status == RuleStatus::kShadow;
  return c;
}

}  // namespace

std::vector<CaseHit> CaseManager::describe(const RuleSet& rules, const std::vector<VerdictHit>& hits) const {
  std::vector<CaseHit> out;
  for (const VerdictHit& h : hits) {
    const Rule* rule = nullptr;
    for (const Rule& r : rules.rules())
      if (r.id == h.rule) rule = &r;
    if (rule) {
      out.push_back(case_hit(*rule, h.start, h.end, h.age));
      continue;
    }
    // Rules reloaded between scoring and here: keep what the verdict says.
    CaseHit c;
    c.rule = h.rule;
    c.stage = h.stage;
    c.start = h.start;
    c.end = h.end;
    c.age = h.age;
    c.shadow = h.shadow;
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<CaseHit>> CaseManager::rematch(const std::shared_ptr<const RuleSet>& rules,
                                                  const std::string& text) const {
  NormalizedText norm;
  NormalizeScratchPtr scratch = make_normalize_scratch();
  normalizer_.normalize(text, norm, *scratch);
  Matcher matcher(rules);
  HitList hits;
  // A context message whose hits cannot be found is not stored without them.
  if (Status<> scanned = matcher.match(norm, hits); !scanned) return scanned.error();
  std::vector<CaseHit> out;
  for (const Hit& h : hits) out.push_back(case_hit(rules->rules()[h.rule], h.start, h.end, h.age));
  return out;
}

Status<> CaseManager::on_verdict(const Message& m, Verdict& v) {
  const uint64_t key = conversation_key(m.conversation_id);
  const bool was_active = active(key);
  if (!was_active && (v.duplicate || v.level < Level::kReview)) return {};

  const int64_t now = now_ms_();
  std::shared_ptr<const RuleSet> rules = engine_.rules();
  MessageEvent e;
  e.conversation_id = m.conversation_id;
  e.message.message_id = m.message_id;
  e.message.sender_id = stored_id(m.sender_id);
  e.message.text = m.text;
  e.message.ts_ms = m.ts_ms > 0 ? m.ts_ms : now;
  e.message.risk = v.risk;
  e.message.level = v.level;
  e.message.stages = v.stages;
  if (rules) e.message.hits = describe(*rules, v.hits);
  for (const CaseHit& h : e.message.hits) e.new_evidence |= !h.shadow;
  e.risk = v.risk;
  e.level = v.level;
  e.suspect_id = stored_id(v.suspect_id);
  e.rules_version = v.rules_version;
  e.duplicate = v.duplicate;
  e.now_ms = now;
  if (!v.duplicate) {
    if (std::optional<ConversationInfo> info = engine_.conversation(m.conversation_id)) {
      for (const ParticipantInfo& p : info->participants) {
        CaseParticipant c;
        c.id = stored_id(p.sender_id);
        c.suspect = !p.sender_id.empty() && p.sender_id == v.suspect_id;
        c.age_band = p.age_band;
        c.disclosed_age = p.disclosed_age;
        c.risk = p.risk;
        c.messages = p.messages;
        e.participants.push_back(std::move(c));
      }
    }
    // A case may open (or reopen): bring the context held in memory, with its hits.
    if (!was_active && rules) {
      for (const ContextMessage& c : engine_.context(m.conversation_id)) {
        if (c.message_id == m.message_id) continue;
        CaseMessage cm;
        cm.message_id = c.message_id;
        cm.sender_id = stored_id(c.sender_id);
        cm.text = c.text;
        cm.ts_ms = c.ts_ms;
        cm.risk = c.risk;
        cm.level = c.level;
        cm.context = true;
        Result<std::vector<CaseHit>> hits = rematch(rules, c.text);
        if (!hits) return std::move(hits).error();
        cm.hits = std::move(hits).value();
        e.context.push_back(std::move(cm));
      }
    }
  }
  Result<RecordResult> r = store_->record(e);
  if (!r) return std::move(r).error();
  v.case_id = r->case_id;
  if (!r->events.empty() && on_events_) on_events_();
  if (r->active != was_active) set_active(key, r->active);
  return {};
}

Status<> CaseManager::refresh(std::string_view conversation_id) {
  auto held = lock(conversation_id);
  Result<bool> on = store_->has_active_case(conversation_id);
  if (!on) return std::move(on).error();
  set_active(conversation_key(conversation_id), *on);
  return {};
}

}  // namespace vigil::cases
