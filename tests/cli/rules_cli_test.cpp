// `vigil rules lint|test` and `vigil explain`, run as the user runs them.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "cli_run.h"

using vigil::test::run_vigil;

namespace {

const std::string kFixtures = VIGIL_SOURCE_DIR "/tests/fixtures/rules/";
const std::string kValid = "--rules '" + kFixtures + "valid'";

}  // namespace

TEST_CASE("vigil rules lint passes a valid folder and exits 0") {
  const auto r = run_vigil("rules lint '" + kFixtures + "valid'");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("ok: 15 rules in 2 packs") != std::string::npos);

  const auto j = run_vigil("rules lint --json " + kValid);
  REQUIRE(j.exit_code == 0);
  const auto doc = nlohmann::json::parse(j.out);
  CHECK(doc["ok"] == true);
  CHECK(doc["rules"] == 15);
  CHECK(doc["packs"].size() == 2);
}

TEST_CASE("vigil rules lint on a broken regex names file, line and rule id, and exits 1") {
  const auto r = run_vigil("rules lint '" + kFixtures + "broken/bad_regex'", true);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("bad_regex/pack.yaml:17:") != std::string::npos);
  CHECK(r.out.find("rules.bad_regex") != std::string::npos);
  CHECK(r.out.find("[rule broken.secrecy.unclosed]") != std::string::npos);
  CHECK(r.out.find("3 problems") != std::string::npos);

  const auto j = run_vigil("rules lint --json '" + kFixtures + "broken/bad_regex'");
  CHECK(j.exit_code == 1);
  const auto doc = nlohmann::json::parse(j.out);
  CHECK(doc["ok"] == false);
  REQUIRE(doc["errors"].size() == 3);
  CHECK(doc["errors"][0]["code"] == "rules.bad_regex");
  CHECK(doc["errors"][0]["line"] == 17);
  CHECK(doc["errors"][0]["rule"] == "broken.secrecy.unclosed");
  CHECK(doc["errors"][0]["file"].get<std::string>().find("pack.yaml") != std::string::npos);
}

TEST_CASE("vigil rules lint compiles without running examples and vigil rules test runs them per rule") {
  CHECK(run_vigil("rules lint '" + kFixtures + "broken/example_failed'").exit_code == 0);

  const auto r = run_vigil("rules test '" + kFixtures + "broken/example_failed'", true);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("FAIL  broken.secrecy.examples  match 1/2  no_match 1/2") != std::string::npos);
  CHECK(r.out.find("pack.yaml:10:") != std::string::npos);
  CHECK(r.out.find("rules.example_failed") != std::string::npos);

  const auto ok = run_vigil("rules test --verbose " + kValid);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("PASS  test.en.secrecy.dont_tell  match 2/2  no_match 1/1") != std::string::npos);
  CHECK(ok.out.find("15 rules: 15 passed, 0 failed") != std::string::npos);

  const auto j = run_vigil("rules test --json '" + kFixtures + "broken/example_failed'");
  CHECK(j.exit_code == 1);
  const auto doc = nlohmann::json::parse(j.out);
  REQUIRE(doc["rules"].size() == 1);
  CHECK(doc["rules"][0]["match_failed"] == 1);
  CHECK(doc["rules"][0]["no_match_failed"] == 1);
  CHECK(doc["errors"].size() == 2);
}

TEST_CASE("a missing rules folder is named, with how to set it") {
  const auto r = run_vigil("rules lint --rules /no/such/rules", true);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("rules folder '/no/such/rules' does not exist (set --rules or $VIGIL_RULES)") != std::string::npos);
  const auto env = run_vigil("explain hello", true).exit_code;  // ./rules of the test's working dir, if any
  CHECK((env == 0 || env == 1));
  const auto e = run_vigil("explain --rules /no/such/rules hello", true);
  CHECK(e.exit_code == 1);
  CHECK(e.out.find("does not exist") != std::string::npos);
}

TEST_CASE("vigil explain --json prints normalized, transforms, hits with spans and captures, rules_version") {
  // The shape of POST /v1/explain (plugin/rules/explain.h); server_http_test checks they agree.
  const auto r = run_vigil("explain --json " + kValid + " 'OK, Dont tell your parents. im 13'");
  REQUIRE(r.exit_code == 0);
  const auto doc = nlohmann::json::parse(r.out);
  CHECK(doc.size() == 4);
  CHECK(doc["normalized"].get<std::string>().find("dont tell your parents") != std::string::npos);
  CHECK(doc["transforms"].is_array());
  CHECK(doc["rules_version"].get<std::string>().size() == 16);
  REQUIRE(doc["hits"].size() == 2);
  const auto& tell = doc["hits"][0];
  CHECK(tell["rule"] == "test.en.secrecy.dont_tell");
  CHECK(tell["stage"] == "secrecy");
  CHECK(tell["start"] == 4);
  CHECK(tell["end"] == 26);
  CHECK(tell["captures"].empty());
  const auto& age = doc["hits"][1];
  CHECK(age["stage"] == "age_signal");
  CHECK(age["captures"]["age"]["text"] == "13");
}

TEST_CASE("vigil explain reads stdin and prints text with the original span") {
  const auto r = run_vigil("explain " + kValid, false, "加个vx");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("platform_move  test.zh.platform_move.add_wechat  [0, 8)  \"加个vx\"") != std::string::npos);
  CHECK(r.out.find("rules_version: ") != std::string::npos);
}

TEST_CASE("--help works on every command") {
  for (const char* cmd : {"rules lint --help", "rules test --help", "explain --help"}) {
    const auto r = run_vigil(cmd);
    INFO(cmd);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("--rules") != std::string::npos);
  }
}

TEST_CASE("vigil rules lint --json on a pack with a byte that is not UTF-8 prints JSON, not an abort") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("vigil-bad-byte-" + std::to_string(::getpid()));
  fs::create_directories(dir / "en");
  fs::copy_file(VIGIL_SOURCE_DIR "/rules/stages.yaml", dir / "stages.yaml", fs::copy_options::overwrite_existing);
  std::ofstream(dir / "en" / "bad.yaml", std::ios::binary)
      << "pack: bad\nlanguage: en\nrules:\n  - id: bad.\xff.rule\n    stage: access\n    weight: "
         "0.5\n"
         "    description: x\n    patterns:\n      - regex: 'hello'\n";
  const auto j = run_vigil("rules lint --json '" + dir.string() + "'");
  fs::remove_all(dir);
  CHECK(j.exit_code == 1);
  const auto doc = nlohmann::json::parse(j.out);
  REQUIRE(doc["errors"].size() > 0);
  CHECK(doc["errors"][0]["rule"].get<std::string>().find("\xEF\xBF\xBD") != std::string::npos);  // U+FFFD
}
