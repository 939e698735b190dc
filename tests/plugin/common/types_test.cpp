// plugin/common/types.h: every enumeration's one name table reads back what it prints,
// refuses what it does not name, and holds the API's names in the enums' order.
#include "plugin/common/types.h"

#include <catch2/catch.hpp>

#include <string>

namespace vigil {
namespace {

template <class E, size_t N>
void round_trips(const std::array<std::string_view, N>& names) {
  for (size_t i = 0; i < N; ++i) {
    const auto v = static_cast<E>(i);
    INFO(names[i]);
    CHECK(std::string(to_string(v)) == names[i]);
    E back{};
    REQUIRE(from_string(names[i], back));
    CHECK(back == v);
  }
  E untouched = static_cast<E>(N - 1);
  for (const char* bad : {"", "Adult", "urgent ", "teen", "none\n"}) {
    CHECK_FALSE(from_string(bad, untouched));
    CHECK(untouched == static_cast<E>(N - 1));
  }
  CHECK(std::string(to_string(static_cast<E>(N))) == names[0]);  // out of range: the first name
}

}  // namespace

TEST_CASE("each enumeration prints and reads its API names", "[types]") {
  round_trips<AgeBand>(kAgeBandNames);
  round_trips<Channel>(kChannelNames);
  round_trips<Level>(kLevelNames);
  round_trips<Action>(kActionNames);
  CHECK(std::string(to_string(AgeBand::kMinor)) == "minor");
  CHECK(std::string(to_string(Channel::kPublic)) == "public");
  CHECK(std::string(to_string(Level::kUrgent)) == "urgent");
  CHECK(std::string(to_string(Action::kEscalate)) == "escalate");
  static_assert(kLevelNames.size() == kLevelCount && static_cast<size_t>(Level::kUrgent) + 1 == kLevelCount);
  static_assert(static_cast<size_t>(Action::kEscalate) + 1 == kActionCount);
}

}  // namespace vigil
