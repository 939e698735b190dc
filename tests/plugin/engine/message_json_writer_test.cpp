// append_verdict_json: the same bytes as verdict_to_json(v).dump() for many verdicts
// (random ids with Unicode and control characters, empty fields, repeated stage names,
// hits with and without age/shadow, doubles of every size), and valid JSON on bad UTF-8.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "plugin/engine/message_json.h"

namespace vigil {
namespace {

using nlohmann::json;

// Pieces chosen to hit every escaping branch and multi-byte UTF-8 of each length.
// Piece 7 stands for an embedded NUL.
const char* const kPieces[] = {"",    "c-1",      "u-a",   "\"",    "\\",       "/",          "\b\f\n\r\t",
                               "",    "\x01\x1f", "\x7f",  "é",     "我十三岁", "\U0001F600", "\xF4\x8F\xBF\xBF",
                               "a b", "secrecy",  "trust", "access"};

std::string random_string(std::mt19937_64& rng) {
  std::string s;
  const int parts = static_cast<int>(rng() % 5);
  for (int i = 0; i < parts; ++i) {
    const size_t k = rng() % std::size(kPieces);
    if (k == 7)
      s.push_back('\0');  // the embedded NUL piece
    else
      s += kPieces[k];
  }
  return s;
}

double random_double(std::mt19937_64& rng) {
  static const double kSpecial[] = {0.0,
                                    -0.0,
                                    100.0,
                                    0.005,
                                    0.015,
                                    71.4449,
                                    1e-7,
                                    1e15,
                                    1e17,
                                    123456789.125,
                                    -3.5,
                                    std::numeric_limits<double>::infinity(),
                                    std::numeric_limits<double>::quiet_NaN()};
  switch (rng() % 4) {
    case 0:
      return kSpecial[rng() % std::size(kSpecial)];
    case 1:
      return std::uniform_real_distribution<double>(0, 100)(rng);
    case 2:
      return std::uniform_real_distribution<double>(0, 5)(rng);
    default:
      return std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng), static_cast<int>(rng() % 120) - 60);
  }
}

Verdict random_verdict(std::mt19937_64& rng) {
  Verdict v;
  v.conversation_id = random_string(rng);
  v.message_id = random_string(rng);
  v.risk = random_double(rng);
  v.level = static_cast<Level>(rng() % 4);
  v.action = static_cast<Action>(rng() % 4);
  if (rng() % 2) v.suspect_id = random_string(rng);
  const size_t stages = rng() % 12;  // few names, so repeats are common
  for (size_t i = 0; i < stages; ++i) v.stages.emplace_back(random_string(rng), random_double(rng));
  const size_t hits = rng() % 4;
  for (size_t i = 0; i < hits; ++i) {
    VerdictHit h;
    h.rule = random_string(rng);
    h.stage = random_string(rng);
    h.start = static_cast<uint32_t>(rng());
    h.end = static_cast<uint32_t>(rng() % 100);
    h.age = rng() % 3 == 0 ? static_cast<int32_t>(rng() % 40) : -1;
    h.shadow = rng() % 4 == 0;
    v.hits.push_back(h);
  }
  if (rng() % 3 == 0) v.case_id = random_string(rng);
  v.rules_version = random_string(rng);
  v.duplicate = rng() % 5 == 0;
  return v;
}

std::string written(const Verdict& v) {
  std::string out = "prefix:";  // appends, never overwrites
  append_verdict_json(v, out);
  REQUIRE(out.rfind("prefix:", 0) == 0);
  return out.substr(7);
}

}  // namespace

TEST_CASE("append_verdict_json writes dump()'s bytes", "[message_json]") {
  std::mt19937_64 rng(20261128);
  for (int i = 0; i < 5000; ++i) {
    const Verdict v = random_verdict(rng);
    const json tree = verdict_to_json(v);
    const std::string bytes = written(v);
    REQUIRE(bytes == tree.dump());
    // NaN and infinity print as null, so only finite verdicts parse back to the tree.
    bool finite = std::isfinite(v.risk);
    for (const auto& st : v.stages) finite = finite && std::isfinite(st.second);
    if (finite) REQUIRE(json::parse(bytes) == tree);
  }
}

TEST_CASE("append_verdict_json: the fixed cases", "[message_json]") {
  Verdict v;
  CHECK(written(v) == R"({"action":"allow","conversation_id":"","hits":[],"level":"none","message_id":"","risk":0.0,)"
                      R"("rules_version":"","stages":{}})");
  v.stages = {{"trust", 1.0}, {"access", 0.5}, {"trust", 2.25}};
  v.hits.push_back({"r\"1", "age_signal", 3, 9, 13, true});
  v.duplicate = true;
  v.conversation_id = std::string("a\0\x1f\x7f", 4);
  CHECK(written(v) ==
        "{\"action\":\"allow\",\"conversation_id\":\"a\\u0000\\u001f\x7f\",\"duplicate\":true,"
        "\"hits\":[{\"age\":13,\"end\":9,\"rule\":\"r\\\"1\",\"shadow\":true,\"stage\":\"age_signal\",\"start\":3}],"
        "\"level\":\"none\",\"message_id\":\"\",\"risk\":0.0,\"rules_version\":\"\","
        "\"stages\":{\"access\":0.5,\"trust\":2.25}}");
  CHECK(written(v) == verdict_to_json(v).dump());
}

TEST_CASE("append_verdict_json replaces bytes that are not UTF-8", "[message_json]") {
  Verdict v;
  v.message_id = std::string("ok\xff\xc3", 4);  // a stray byte, then a truncated sequence
  v.rules_version = "\xed\xa0\x80";             // a surrogate
  const json j = json::parse(written(v));
  CHECK(j["message_id"] == "ok\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(j["rules_version"] == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace vigil
