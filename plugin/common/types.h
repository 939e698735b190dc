// The API's enumerations, shared by every layer (the scorer's config, the engine, the
// server, the CLI), each with its one table of names: the names the API, stages.yaml and
// the CLI print and read (server/README.md). Header-only; constexpr tables.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vigil {

enum class AgeBand : uint8_t { kUnknown, kAdult, kMinor };
enum class Channel : uint8_t { kUnknown, kDm, kGroup, kPublic };
enum class Level : uint8_t { kNone, kWatch, kReview, kUrgent };
enum class Action : uint8_t { kAllow, kNudge, kHold, kEscalate };

// The most stages a rule set may name: the scorer keeps evidence for this many.
inline constexpr int kMaxStages = 8;

// How many values each has; a value's number indexes its name.
inline constexpr size_t kAgeBandCount = 3;
inline constexpr size_t kChannelCount = 4;
inline constexpr size_t kLevelCount = 4;
inline constexpr size_t kActionCount = 4;

inline constexpr std::array<std::string_view, kAgeBandCount> kAgeBandNames = {"unknown", "adult", "minor"};
inline constexpr std::array<std::string_view, kChannelCount> kChannelNames = {"unknown", "dm", "group", "public"};
inline constexpr std::array<std::string_view, kLevelCount> kLevelNames = {"none", "watch", "review", "urgent"};
inline constexpr std::array<std::string_view, kActionCount> kActionNames = {"allow", "nudge", "hold", "escalate"};

namespace detail {
template <class E, size_t N>
constexpr const char* name_of(E v, const std::array<std::string_view, N>& names) {
  const auto i = static_cast<size_t>(v);
  return (i < N ? names[i] : names[0]).data();  // the tables' literals end in NUL
}
template <class E, size_t N>
constexpr bool value_of(std::string_view s, const std::array<std::string_view, N>& names, E& out) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == s) return out = static_cast<E>(i), true;
  return false;
}
}  // namespace detail

// The value's name; an out-of-range value reads as the first name ("unknown", "none",
// "allow").
constexpr const char* to_string(AgeBand v) { return detail::name_of(v, kAgeBandNames); }
constexpr const char* to_string(Channel v) { return detail::name_of(v, kChannelNames); }
constexpr const char* to_string(Level v) { return detail::name_of(v, kLevelNames); }
constexpr const char* to_string(Action v) { return detail::name_of(v, kActionNames); }

// The value named `s` into `out`; false (out untouched) for a name the table lacks.
constexpr bool from_string(std::string_view s, AgeBand& out) { return detail::value_of(s, kAgeBandNames, out); }
constexpr bool from_string(std::string_view s, Channel& out) { return detail::value_of(s, kChannelNames, out); }
constexpr bool from_string(std::string_view s, Level& out) { return detail::value_of(s, kLevelNames, out); }
constexpr bool from_string(std::string_view s, Action& out) { return detail::value_of(s, kActionNames, out); }

}  // namespace vigil
