// MessageStream: reads messages from a JSONL file (one API message per line, server/README.md)
// or stdin, for `vigil replay`, `vigil eval` and the fixture tests, with the sidecar's
// reader (message_from_json_text): the same checks and error codes as POST /v1/messages.
// Blank lines are skipped; a line that is not valid JSON or not a valid message is
// reported as kBad with its line number, and reading goes on. In steady state a line
// allocates only where a string outgrows the storage of an earlier one.
//
// Timestamps: a message without `ts` gets a synthetic one, 30 seconds after the
// previous message of the file (the first at 2026-01-01T00:00:00Z), so files without
// times replay the same way every time, in file order. Messages with `ts` keep it.
// Not thread-safe; movable, not copyable.
#pragma once

#include <cstdint>
#include <fstream>
#include <istream>
#include <memory>
#include <string>

#include "plugin/common/error.h"
#include "plugin/engine/message.h"
#include "plugin/engine/message_json.h"

namespace vigil {

class MessageStream {
 public:
  static constexpr int64_t kSyntheticStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  static constexpr int64_t kSyntheticStepMs = 30'000;

  enum Status { kOk, kBad, kEnd };

  // `path` "-" reads stdin.
  vigil::Status<> open(const std::string& path, MessageLimits limits = {});
  // Reads `in`, which must outlive the stream; `name` stands for the file in errors.
  void open(std::istream& in, std::string name, MessageLimits limits = {});
  // Reads the next message into `m`.
  Status next(Message& m);

  size_t line() const { return line_; }
  // "FILE:LINE: code: message (field)" for the last kBad.
  std::string error_text() const;
  const Error& error() const { return error_; }
  // Bytes read so far and the file's size (0 for stdin), for progress bars.
  uint64_t bytes_read() const { return bytes_; }
  uint64_t total_bytes() const { return total_; }

 private:
  std::string path_;
  std::unique_ptr<std::ifstream> file_;
  std::istream* in_ = nullptr;
  MessageLimits limits_;
  std::string buf_;
  MessageBatch batch_;  // the reader's message, kept for its storage
  size_t line_ = 0;
  uint64_t bytes_ = 0, total_ = 0;
  int64_t last_ts_ms_ = 0;
  Error error_;
};

}  // namespace vigil
