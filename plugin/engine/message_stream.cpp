#include "plugin/engine/message_stream.h"

#include <filesystem>
#include <iostream>

namespace vigil {

vigil::Status<> MessageStream::open(const std::string& path, MessageLimits limits) {
  path_ = path;
  limits_ = limits;
  if (path == "-") {
    in_ = &std::cin;
    path_ = "<stdin>";
    return {};
  }
  file_ = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*file_) return Error("input.open_failed", "cannot read the file").at(path);
  std::error_code ec;
  total_ = std::filesystem::file_size(path, ec);
  in_ = file_.get();
  return {};
}

void MessageStream::open(std::istream& in, std::string name, MessageLimits limits) {
  path_ = std::move(name);
  limits_ = limits;
  in_ = &in;
}

MessageStream::Status MessageStream::next(Message& m) {
  while (std::getline(*in_, buf_)) {
    ++line_;
    bytes_ += buf_.size() + 1;
    if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();
    if (buf_.find_first_not_of(" \t") == std::string::npos) continue;
    if (vigil::Status<> st = message_from_json_text(buf_, limits_, batch_); !st) {
      Error e = st.error();
      error_ = std::move(e).at(path_, static_cast<int>(line_));
      return kBad;
    }
    // Swapped, not copied: both keep their strings' storage for the next line.
    std::swap(m, batch_.messages[0]);
    if (m.ts_ms <= 0) m.ts_ms = (last_ts_ms_ ? last_ts_ms_ : kSyntheticStartMs - kSyntheticStepMs) + kSyntheticStepMs;
    last_ts_ms_ = m.ts_ms;
    return kOk;
  }
  return kEnd;
}

std::string MessageStream::error_text() const { return error_.to_text(); }

}  // namespace vigil
