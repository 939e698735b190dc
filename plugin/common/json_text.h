// JSON text that cannot throw on content. nlohmann's dump() with its default (strict)
// error handler throws on a string that is not valid UTF-8; a byte an attacker put in a
// URL path, or a rule pack's file name, would then end the process. Every JSON Vigil
// writes (API replies, logs, CLI output) goes through dump_json instead: each invalid
// byte becomes U+FFFD and the rest is written as dump() writes it.
//
// clip_echo bounds what an error echoes back of its input (a field name, a JSON path,
// a URL path, a parser's "last read"), so a 4 MiB key cannot become a 12 MB error.
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil {

// The most bytes of client input an error message or field echoes back.
inline constexpr size_t kMaxEchoBytes = 256;

// j as JSON text (compact when indent < 0); never throws on content.
std::string dump_json(const nlohmann::json& j, int indent = -1);

// `s` cut to at most max_bytes on a UTF-8 character boundary, with "..." appended when
// it was cut (the result then has max_bytes + 3 bytes at most). Bytes that are not UTF-8
// are kept: dump_json replaces them.
std::string clip_echo(std::string_view s, size_t max_bytes = kMaxEchoBytes);

}  // namespace vigil
