// Fuzz target: the message JSON readers and the verdict writer (plugin/engine/
// message_json.h), what the sidecar runs on every body and WebSocket frame. Any bytes in;
// checked:
//   - the reader's invariants (tests/plugin/engine/message_json_check.h): one message
//     and the batch shapes agree, and storage reused across reads, as the sidecar
//     reuses it, reads what fresh storage reads;
//   - append_verdict_json writes exactly dump()'s bytes for a verdict built from what was
//     read, and for a verdict whose strings are the raw input it writes valid UTF-8 JSON
//     (never throws, whatever the bytes).
// Small limits, so the length and count checks are reached by short inputs.
#include <cstdint>
#include <string>
#include <string_view>

#include "plugin/common/utf8.h"
#include "plugin/engine/message_json.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/plugin/engine/message_json_check.h"

namespace {

using vigil::Message;
using vigil::MessageBatch;
using vigil::Verdict;

constexpr vigil::MessageLimits kLimits{48, 16, 4};
constexpr size_t kMaxBatch = 6;

// A verdict carrying the message's strings in every string field the writer escapes.
Verdict verdict_of(const Message& m) {
  Verdict v;
  v.conversation_id = m.conversation_id;
  v.message_id = m.message_id;
  v.risk = static_cast<double>(m.ts_ms % 100'000) / 1000.0;
  v.level = static_cast<vigil::Level>(m.ts_ms & 3);
  v.action = static_cast<vigil::Action>((m.ts_ms >> 2) & 3);
  v.suspect_id = m.sender_id;
  for (const std::string& r : m.recipient_ids) v.stages.emplace_back(r, v.risk / 3);
  vigil::VerdictHit hit;
  hit.rule = m.text;
  hit.stage = m.sender_id;
  hit.end = static_cast<uint32_t>(m.text.size());
  hit.age = m.sender_account_age_days;
  hit.shadow = m.channel == vigil::Channel::kPublic;
  v.hits.push_back(hit);
  v.case_id = m.recipient_ids.empty() ? "" : m.recipient_ids.back();
  v.rules_version = "0123456789abcdef";
  v.duplicate = m.sender_age_band == vigil::AgeBand::kMinor;
  return v;
}

void check_writer_matches_dump(const Verdict& v) {
  std::string fast;
  vigil::append_verdict_json(v, fast);
  FUZZ_CHECK(fast == vigil::verdict_to_json(v).dump(), "append_verdict_json writes dump()'s bytes");
}

void check_writer_on_raw_bytes(std::string_view input) {
  Verdict v;
  v.conversation_id.assign(input);
  v.suspect_id.assign(input.substr(0, input.size() / 2));
  v.stages.emplace_back(std::string(input.substr(input.size() / 2)), 1.5);
  std::string out;
  vigil::append_verdict_json(v, out);
  FUZZ_CHECK(vigil::find_invalid_utf8(out) == -1, "a verdict is written as valid UTF-8");
  FUZZ_CHECK(!nlohmann::json::parse(out, nullptr, false).is_discarded(), "a verdict is written as valid JSON");
  // dump() throws on invalid UTF-8; the halves may split a valid sequence.
  if (vigil::find_invalid_utf8(v.suspect_id) == -1 && vigil::find_invalid_utf8(v.stages[0].first) == -1 &&
      vigil::find_invalid_utf8(input) == -1) {
    check_writer_matches_dump(v);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  static MessageBatch reused;  // the sidecar reuses one per thread
  const std::string broken = vigil::test::reader_invariants(text, kLimits, kMaxBatch, reused);
  if (!broken.empty()) std::fprintf(stderr, "%s\n", broken.c_str());
  FUZZ_CHECK(broken.empty(), "the reader's invariants hold");
  const vigil::Result<Message> one = vigil::message_from_json_text(text, kLimits);
  if (one.ok()) check_writer_matches_dump(verdict_of(*one));

  check_writer_on_raw_bytes(text);
  return 0;
}
