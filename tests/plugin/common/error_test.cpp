#include "plugin/common/error.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using vigil::Error;

TEST_CASE("an error renders its location, code and rule as text", "[error]") {
  Error e = Error("rule.bad_regex", "the regex does not compile").at("rules/en/core.yaml", 12, 7).for_rule("en.x");
  CHECK(e.to_text() == "rules/en/core.yaml:12:7: rule.bad_regex: the regex does not compile [rule en.x]");
}

TEST_CASE("an error renders as JSON with only the parts that are known", "[error]") {
  Error e = Error("message.missing_field", "text is required").for_field("text");
  nlohmann::json j = e.to_json();
  CHECK(j["code"] == "message.missing_field");
  CHECK(j["field"] == "text");
  CHECK_FALSE(j.contains("file"));
  CHECK_FALSE(j.contains("line"));
}

TEST_CASE("a Result holds either the value or the error", "[error]") {
  vigil::Result<int> good = 3;
  vigil::Result<int> bad = Error("x.y", "broken");
  REQUIRE(good.ok());
  CHECK(*good == 3);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "x.y");
}

TEST_CASE("an error's kind is invalid input unless its maker says otherwise", "[error]") {
  CHECK(Error("message.bad_type", "x").kind == vigil::ErrorKind::kInvalid);
  const Error e = Error("case.not_found", "no case").for_field("id").as(vigil::ErrorKind::kNotFound);
  CHECK(e.kind == vigil::ErrorKind::kNotFound);
  CHECK(e.field == "id");
}
