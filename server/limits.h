// Limits: every bound the sidecar enforces on a client, as named options with documented
// defaults (config key `limits:`, env VIGIL_LIMITS_<KEY>). Exceeding one answers with a
// clear error (400/413/429, a WebSocket error frame or close with a reason), never a crash
// or a stall of other clients. Plain data; copyable.
#pragma once

#include <chrono>
#include <cstddef>

#include "plugin/engine/message.h"

namespace vigil::server {

// The message's own bounds (max_text_bytes, max_id_bytes, max_recipients; 400
// message.text_too_long, message.id_too_long, message.too_many_recipients) are
// MessageLimits, defined once in plugin/engine/message.h; the reader takes these
// limits as they are.
struct Limits : MessageLimits {
  // Request body (POST /v1/messages, /v1/explain ...); larger bodies get 413.
  size_t max_body_bytes = 4 << 20;
  // Request bodies being read or handled at once, across all connections (body_budget.h).
  // A request whose declared body would pass it gets 503 server.busy before its body is
  // read, and the connection closes. At least max_body_bytes.
  size_t max_body_bytes_in_flight = size_t{256} << 20;
  // Messages in one request ({"messages": [...]}) or one WebSocket frame; more get 413.
  size_t max_batch = 1000;
  // One WebSocket message (after reassembly); larger closes the socket with 1009.
  size_t max_ws_frame_bytes = 4 << 20;
  // Open connections (HTTP and WebSocket); one more is answered 429 and closed.
  size_t max_connections = 10000;
  // Per connection: pipelined HTTP responses waiting to be written (reading pauses at
  // this depth), or WebSocket reply frames waiting for a slow reader (past it the socket
  // closes with 1013).
  size_t queue_depth = 64;
  // From the first byte of a request to its last header; slower peers are disconnected.
  std::chrono::milliseconds header_timeout{10'000};
  // A connection (or WebSocket) with no request in progress for this long is closed.
  std::chrono::milliseconds idle_timeout{120'000};
  // A reply the peer does not read within this long (a stalled write, or the last replies
  // before a WebSocket close) ends the connection.
  std::chrono::milliseconds write_timeout{10'000};
  // SIGTERM: how long in-flight requests get before the process exits anyway.
  std::chrono::milliseconds drain_timeout{10'000};
};

}  // namespace vigil::server
