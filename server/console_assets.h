// The moderators' console (server/console/): its files, embedded in the binary at build
// time by cmake/embed_files.cmake, so `vigil serve` needs nothing beside itself.
// Immutable static data; thread-safe.
#pragma once

#include <span>
#include <string_view>

namespace vigil::server {

struct EmbeddedFile {
  std::string_view path;  // relative to server/console/, e.g. "index.html", "js/app.js"
  std::string_view etag;  // quoted strong ETag: the start of the file's SHA-256
  std::string_view body;
};

// Every file, sorted by path.
std::span<const EmbeddedFile> embedded_console_files();

}  // namespace vigil::server
