// Evidence export: a case as one JSON bundle for a report to a hotline or the police,
// with a SHA-256 hash chain over its messages so that an edited, removed or reordered
// message is detected (`vigil export verify FILE`).
//
// The chain (computed by the store as each message is committed, copied into the
// bundle; server/README.md shows the same in Python):
//   link_0 = "0" * 64
//   link_i = hex(SHA-256(link_(i-1) + "\n" + canonical(message_i)))
//   canonical(m) = the JSON object {"hits": [{"end", "rule", "stage", "start"} ...],
//                  "message_id", "sender_id", "text", "ts_ms"} with sorted keys, no
//                  spaces, UTF-8 as is (Python: json.dumps(o, sort_keys=True,
//                  separators=(",", ":"), ensure_ascii=False))
// Each bundled message carries its prev_hash and hash; "chain" carries the head and the
// message count. Pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "plugin/common/error.h"
#include "server/cases/case_types.h"

namespace vigil::cases {

inline constexpr std::string_view kChainGenesis = "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr std::string_view kBundleFormat = "vigil.evidence.v1";

std::string canonical_message(std::string_view message_id, std::string_view sender_id, std::string_view text,
                              int64_t ts_ms, const std::vector<CaseHit>& hits);
// The chain link of `m` after `prev`.
std::string chain_link(std::string_view prev, const CaseMessage& m);

// The bundle of GET /v1/cases/{id}/export.
nlohmann::json export_bundle(const CaseRecord& c, int64_t now_ms);

struct VerifyReport {
  bool ok = false;
  size_t messages = 0;     // messages in the bundle
  long broken_index = -1;  // the first message that breaks the chain, -1 when none
  std::string broken_message_id;
  std::string reason;  // one sentence; empty when ok
};

// Checks a bundle's chain. Errors (export.bad_bundle) only for text that is not a
// bundle at all; a broken chain is a report with ok false.
Result<VerifyReport> verify_bundle(std::string_view text);

}  // namespace vigil::cases
