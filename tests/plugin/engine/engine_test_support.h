// Helpers shared by the engine tests: the shipped rules folder and its compiled cache, reading a JSONL file of
// messages, and a temporary folder that removes itself.
#pragma once

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "plugin/engine/message_stream.h"

namespace vigil::test {

inline std::filesystem::path source_dir() { return VIGIL_SOURCE_DIR; }
inline std::filesystem::path shipped_rules() { return source_dir() / "rules"; }
// One compiled-rules cache for every engine test of this build: compiling the shipped
// packs' database takes seconds, loading it from the cache a fraction of one.
inline std::filesystem::path rules_cache_dir() { return std::filesystem::path(VIGIL_BINARY_DIR) / "test-hs-cache"; }

inline std::vector<Message> read_messages(const std::filesystem::path& file) {
  std::vector<Message> out;
  MessageStream in;
  if (!in.open(file.string())) return out;
  Message m;
  for (auto r = in.next(m); r != MessageStream::kEnd; r = in.next(m))
    if (r == MessageStream::kOk) out.push_back(m);
  return out;
}

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("vigil-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline Message msg(std::string conv, std::string id, std::string sender, std::string text, int64_t ts_ms = 0) {
  Message m;
  m.conversation_id = std::move(conv);
  m.message_id = std::move(id);
  m.sender_id = std::move(sender);
  m.text = std::move(text);
  m.ts_ms = ts_ms;
  return m;
}

}  // namespace vigil::test
