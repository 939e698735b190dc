#include "server/cases/evidence.h"

#include "plugin/common/json_text.h"
#include "plugin/engine/message_json.h"
#include "plugin/rules/sha256.h"
#include "server/cases/case_json.h"

namespace vigil::cases {

using nlohmann::json;

std::string canonical_message(std::string_view message_id, std::string_view sender_id, std::string_view text,
                              int64_t ts_ms, const std::vector<CaseHit>& hits) {
  json h = json::array();
  for (const CaseHit& x : hits) h.push_back({{"end", x.end}, {"rule", x.rule}, {"stage", x.stage}, {"start", x.start}});
  // nlohmann's objects keep their keys sorted: this is the sorted-keys form.
  return dump_json(json{
      {"hits", std::move(h)}, {"message_id", message_id}, {"sender_id", sender_id}, {"text", text}, {"ts_ms", ts_ms}});
}

namespace {

std::string link(std::string_view prev, const std::string& canonical) {
  Sha256 h;
  h.update(prev).update("\n").update(canonical);
  return h.hex();
}

}  // namespace

std::string chain_link(std::string_view prev, const CaseMessage& m) {
  return link(prev, canonical_message(m.message_id, m.sender_id, m.text, m.ts_ms, m.hits));
}

json export_bundle(const CaseRecord& c, int64_t now_ms) {
  json bundle = case_json(c);
  json facts = summary_json(c.summary);
  facts["participants"] = bundle["participants"];
  json messages = json::array();
  std::string prev(kChainGenesis);
  for (const CaseMessage& m : c.messages) {
    json hits = json::array();
    for (const CaseHit& h : m.hits) hits.push_back(hit_json(h));
    messages.push_back({{"seq", m.seq},
                        {"message_id", m.message_id},
                        {"sender_id", m.sender_id},
                        {"ts", format_rfc3339(m.ts_ms)},
                        {"ts_ms", m.ts_ms},
                        {"text", m.text},
                        {"risk", round_risk(m.risk)},
                        {"level", vigil::to_string(m.level)},
                        {"context", m.context},
                        {"hits", std::move(hits)},
                        {"prev_hash", prev},
                        {"hash", m.hash}});
    prev = m.hash;
  }
  return {{"format", kBundleFormat},
          {"exported_at", format_rfc3339(now_ms)},
          {"case", std::move(facts)},
          {"rules_version", c.summary.rules_version},
          {"decisions", bundle["decisions"]},
          {"messages", std::move(messages)},
          {"chain",
           {{"algorithm", "sha256"}, {"genesis", kChainGenesis}, {"head", prev}, {"messages", c.messages.size()}}}};
}

namespace {

Result<VerifyReport> verify_checked(std::string_view text) {
  json b = json::parse(text, nullptr, false);
  auto bad = [](std::string why) { return Error("export.bad_bundle", std::move(why)); };
  if (b.is_discarded() || !b.is_object()) return bad("the file is not a JSON object");
  if (b.value("format", "") != kBundleFormat)
    return bad("not a Vigil evidence bundle (format is not vigil.evidence.v1)");
  if (!b.contains("messages") || !b["messages"].is_array()) return bad("the bundle has no messages array");
  if (!b.contains("chain") || !b["chain"].is_object()) return bad("the bundle has no chain object");
  const json& msgs = b["messages"];
  const json& chain = b["chain"];
  VerifyReport r;
  r.messages = msgs.size();
  auto broken = [&](size_t i, std::string id, std::string why) {
    r.ok = false;
    r.broken_index = static_cast<long>(i);
    r.broken_message_id = std::move(id);
    r.reason = std::move(why);
    return r;
  };
  std::string prev(kChainGenesis);
  for (size_t i = 0; i < msgs.size(); ++i) {
    const json& m = msgs[i];
    const auto str = [&](const char* k) { return m.contains(k) && m[k].is_string() ? m[k].get<std::string>() : ""; };
    const std::string id = m.is_object() ? str("message_id") : "";
    if (!m.is_object() || !m.contains("ts_ms") || !m["ts_ms"].is_number_integer() || !m.contains("hits") ||
        !m["hits"].is_array())
      return broken(i, id, "message " + std::to_string(i) + " lacks ts_ms or hits");
    std::vector<CaseHit> hits;
    for (const json& h : m["hits"]) {
      if (!h.is_object()) return broken(i, id, "a hit of message " + std::to_string(i) + " is not an object");
      CaseHit c;
      c.rule = h.value("rule", "");
      c.stage = h.value("stage", "");
      c.start = h.contains("start") && h["start"].is_number_unsigned() ? h["start"].get<uint32_t>() : 0;
      c.end = h.contains("end") && h["end"].is_number_unsigned() ? h["end"].get<uint32_t>() : 0;
      hits.push_back(std::move(c));
    }
    if (str("prev_hash") != prev)
      return broken(i, id, "message " + id + " does not follow the message before it (removed or reordered)");
    const std::string expect =
        link(prev, canonical_message(id, str("sender_id"), str("text"), m["ts_ms"].get<int64_t>(), hits));
    if (str("hash") != expect) return broken(i, id, "message " + id + " was changed after export (hash mismatch)");
    prev = expect;
  }
  const size_t count =
      chain.contains("messages") && chain["messages"].is_number_unsigned() ? chain["messages"].get<size_t>() : 0;
  if (chain.value("head", "") != prev || count != msgs.size()) {
    const size_t i = msgs.size();
    return broken(i, "",
                  "the chain head does not match: " + std::to_string(count) + " messages were exported, " +
                      std::to_string(msgs.size()) + " are here (messages at the end were removed or added)");
  }
  r.ok = true;
  return r;
}

}  // namespace

Result<VerifyReport> verify_bundle(std::string_view text) {
  // A hand-edited bundle may hold a string where a number belongs (nlohmann's value()
  // throws type_error then): that is a bundle that does not verify, not a crash.
  try {
    return verify_checked(text);
  } catch (const nlohmann::json::exception& e) {
    return Error("export.bad_bundle", std::string("the bundle's JSON has an unexpected shape: ") + e.what());
  }
}

}  // namespace vigil::cases
