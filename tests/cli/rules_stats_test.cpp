// `vigil rules stats` and `vigil rules new`, run as the built binary on a fixture pack
// (tests/fixtures/corpus/rules) and a small synthetic corpus (tests/fixtures/corpus/
// small.jsonl: 8 messages, one blank and two malformed lines). The counts below follow
// from those two files; change them together.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.h"

namespace {

namespace fs = std::filesystem;
using vigil::test::run_vigil;

const std::string kFixtures = VIGIL_SOURCE_DIR "/tests/fixtures/corpus";
const std::string kRules = " --rules " + kFixtures + "/rules ";
const std::string kCorpus = kFixtures + "/small.jsonl";

const nlohmann::json* find_rule(const nlohmann::json& report, const std::string& id) {
  for (const auto& r : report["rules"]) {
    if (r["rule"] == id) return &r;
  }
  return nullptr;
}

// A scratch copy of the fixture pack folder, removed at the end of the test.
struct PackCopy {
  fs::path dir;
  explicit PackCopy(const std::string& name) : dir(fs::path(VIGIL_BINARY_DIR) / "tests" / name) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::copy(kFixtures + "/rules", dir, fs::copy_options::recursive);
  }
  ~PackCopy() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("rules stats counts hits per rule over a corpus, skipping malformed lines") {
  auto result = run_vigil("rules stats --json" + kRules + kCorpus);
  REQUIRE(result.exit_code == 0);
  auto report = nlohmann::json::parse(result.out);
  CHECK(report["messages"] == 8);
  CHECK(report["skipped_lines"] == 2);
  CHECK(report["messages_with_stage_hits"] == 5);
  CHECK(report["messages_with_age_signal"] == 1);

  const auto* hello = find_rule(report, "t.access.hello");
  REQUIRE(hello != nullptr);
  CHECK((*hello)["hits"] == 3);
  CHECK((*hello)["per_10k"].get<double>() == Approx(3750.0));
  CHECK((*hello)["share"].get<double>() == Approx(0.375));
  CHECK((*hello)["noisy"] == true);

  const auto* tell = find_rule(report, "t.secrecy.dont_tell");
  REQUIRE(tell != nullptr);
  CHECK((*tell)["hits"] == 2);
  CHECK((*tell)["stage"] == "secrecy");
  // Spans come from the ORIGINAL text, disguise included.
  CHECK((*tell)["examples"] == nlohmann::json::array({"d0nt t3ll", "dont tell"}));

  const auto* snap = find_rule(report, "t.platform_move.snap");
  REQUIRE(snap != nullptr);
  CHECK((*snap)["hits"] == 1);
  CHECK((*snap)["examples"] == nlohmann::json::array({"s n a p"}));

  const auto* silent = find_rule(report, "t.secrecy.never_fires");
  REQUIRE(silent != nullptr);
  CHECK(silent->at("hits") == 0);
  CHECK(report["stage_hits"]["secrecy"] == 2);
}

TEST_CASE("rules stats ranks the most frequent rule first and limits examples") {
  auto result = run_vigil("rules stats --json --examples 1" + kRules + kCorpus);
  REQUIRE(result.exit_code == 0);
  auto report = nlohmann::json::parse(result.out);
  REQUIRE(report["rules"].size() == 5);
  CHECK(report["rules"][0]["rule"] == "t.access.hello");
  CHECK(report["rules"][1]["rule"] == "t.secrecy.dont_tell");
  CHECK(report["rules"][4]["hits"] == 0);
  for (const auto& r : report["rules"]) CHECK(r["examples"].size() <= 1);
}

TEST_CASE("rules stats sums several corpora and prints a text report") {
  auto result = run_vigil("rules stats" + kRules + kCorpus + " " + kCorpus);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("16 messages, 5 rules") != std::string::npos);
  CHECK(result.out.find("t.access.hello  [fires in > 1% of messages]") != std::string::npos);
  CHECK(result.out.find("\"d0nt t3ll\"") != std::string::npos);
  CHECK(result.out.find("1 rules did not fire") != std::string::npos);
}

TEST_CASE("rules stats reports malformed lines with file and line on stderr") {
  auto result = run_vigil("rules stats" + kRules + kCorpus, true);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("small.jsonl:9: skipped") != std::string::npos);
  CHECK(result.out.find("small.jsonl:10: skipped") != std::string::npos);
  CHECK(result.out.find("small.jsonl:5:") == std::string::npos);  // a blank line is not an error
}

TEST_CASE("rules stats fails clearly on a missing corpus or a broken rules folder") {
  auto missing = run_vigil("rules stats" + kRules + kFixtures + "/no_such.jsonl", true);
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.find("cli.cannot_open") != std::string::npos);
  auto no_rules = run_vigil("rules stats --rules " + kFixtures + "/no_such_dir " + kCorpus, true);
  CHECK(no_rules.exit_code == 1);
}

TEST_CASE("rules new prints a shadow scaffold with the id and stage") {
  auto result = run_vigil("rules new t.secrecy.vanish_mode --print" + kRules);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("- id: t.secrecy.vanish_mode") != std::string::npos);
  CHECK(result.out.find("stage: secrecy") != std::string::npos);
  CHECK(result.out.find("status: shadow") != std::string::npos);
  CHECK(result.out.find("(?P<age>") == std::string::npos);

  auto age = run_vigil("rules new t.age.bare_number --print" + kRules);
  REQUIRE(age.exit_code == 0);
  CHECK(age.out.find("stage: age_signal") != std::string::npos);
  CHECK(age.out.find("(?P<age>") != std::string::npos);
}

TEST_CASE("rules new appends to the pack, and its placeholders fail rules test until edited") {
  PackCopy copy("rules_new_pack");
  const std::string rules = " --rules " + copy.dir.string() + " ";
  auto before = run_vigil("rules test " + copy.dir.string());
  REQUIRE(before.exit_code == 0);

  auto added = run_vigil("rules new t.platform_move.call_me" + rules, true);
  REQUIRE(added.exit_code == 0);
  CHECK(added.out.find("FAILS") != std::string::npos);
  const fs::path pack = copy.dir / "t" / "platform_move.yaml";
  REQUIRE(fs::exists(pack));

  auto after = run_vigil("rules test " + copy.dir.string(), true);
  CHECK(after.exit_code == 1);
  CHECK(after.out.find("t.platform_move.call_me") != std::string::npos);

  // Appending to an existing pack keeps it loadable (lint compiles without examples).
  auto appended = run_vigil("rules new t.access.wave --stage access" + rules);
  REQUIRE(appended.exit_code == 0);
  CHECK(run_vigil("rules lint " + copy.dir.string()).exit_code == 0);
}

TEST_CASE("rules new refuses a bad id, an unknown stage and a duplicate id") {
  CHECK(run_vigil("rules new NotAnId --print" + kRules).exit_code == 1);
  CHECK(run_vigil("rules new t.bogus.x --print" + kRules).exit_code == 1);
  auto dup = run_vigil("rules new t.access.hello --print" + kRules, true);
  CHECK(dup.exit_code == 1);
  CHECK(dup.out.find("cli.duplicate_rule_id") != std::string::npos);
}
