// Checks that tell the truth: `vigil rules lint|test` and `vigil serve --check-config`
// refuse exactly what `vigil serve` refuses, and name the file and line to fix.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_run.h"

using vigil::test::run_vigil;
namespace fs = std::filesystem;

namespace {

const std::string kFixtures = VIGIL_SOURCE_DIR "/tests/fixtures/rules/";

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A scratch folder for one test, removed when it ends.
struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("vigil-cli-checks-" + std::to_string(::getpid()) + "-" +
                                              std::to_string(reinterpret_cast<uintptr_t>(this)));
  Scratch() { fs::create_directories(dir); }
  ~Scratch() {
    std::error_code ec;
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir, ec);
  }
  // A rules folder: the valid fixture's stages.yaml and one pack with `text`.
  fs::path rules_with_pack(const std::string& text) const {
    const fs::path rules = dir / "rules";
    fs::create_directories(rules / "en");
    fs::copy_file(kFixtures + "valid/stages.yaml", rules / "stages.yaml", fs::copy_options::overwrite_existing);
    std::ofstream(rules / "en" / "pack.yaml", std::ios::binary) << text;
    return rules;
  }
};

// The --check-config run of `vigil serve` on `rules` and `data_dir`, stderr merged.
vigil::test::CliResult check_config(const std::string& rules, const std::string& data_dir) {
  return run_vigil("serve --check-config --listen 127.0.0.1:0 --rules '" + rules + "' --data-dir '" + data_dir + "'",
                   true);
}

}  // namespace

TEST_CASE("a stages.yaml that serve refuses fails rules lint, rules test and serve --check-config alike") {
  const std::string dir = kFixtures + "broken/single_stage_review";
  for (const char* command : {"rules lint", "rules test"}) {
    INFO(command);
    const auto r = run_vigil(std::string(command) + " '" + dir + "'", true);
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "single_stage_review/stages.yaml:"));
    CHECK(has(r.out, "scorer.single_stage_reaches_review"));
  }
  const auto j = run_vigil("rules lint --json '" + dir + "'");
  CHECK(j.exit_code == 1);
  const auto doc = nlohmann::json::parse(j.out);
  REQUIRE(doc["errors"].size() == 1);
  CHECK(doc["errors"][0]["code"] == "scorer.single_stage_reaches_review");
  CHECK(doc["errors"][0]["field"] == "scorer.stages.secrecy");

  const auto serve = check_config(dir, "");
  CHECK(serve.exit_code == 1);
  CHECK(has(serve.out, "scorer.single_stage_reaches_review"));
  CHECK(!has(serve.out, "config ok"));
}

TEST_CASE("serve --check-config loads the rules and opens the data folder") {
  Scratch s;
  SECTION("a valid folder and a new data folder: ok, and the folder is created") {
    const fs::path data = s.dir / "data";
    const auto r = check_config(kFixtures + "valid", data.string());
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "config ok: "));
    CHECK(has(r.out, "15 rules, rules_version "));
    CHECK(fs::is_directory(data));
  }
  SECTION("a rules folder that does not exist") {
    const auto r = check_config("/nonexistent/vigil-rules", "");
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "rules.not_found"));
    CHECK(has(r.out, "/nonexistent/vigil-rules"));
    CHECK(!has(r.out, "config ok"));
  }
  SECTION("a rule pack that does not compile") {
    const auto r = check_config(kFixtures + "broken/bad_regex", "");
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "rules.bad_regex"));
  }
  SECTION("a data folder that cannot be created (under /proc)") {
    const auto r = check_config(kFixtures + "valid", "/proc/vigil-data");
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "store.open_failed"));
    CHECK(has(r.out, "/proc/vigil-data"));
  }
  SECTION("a data folder that is not writable") {
    if (::geteuid() == 0) return;  // root writes into read-only folders: the /proc case above stands in
    const fs::path data = s.dir / "read-only";
    fs::create_directories(data);
    fs::permissions(data, fs::perms::owner_read | fs::perms::owner_exec);
    const auto r = check_config(kFixtures + "valid", data.string());
    CHECK(r.exit_code == 1);
    CHECK(has(r.out, "store."));
  }
}

TEST_CASE("lint reports a YAML syntax error on the line to fix") {
  SECTION("an unclosed flow mapping is reported where it opened, not at the end of the file") {
    const auto r = run_vigil("rules lint --json '" + kFixtures + "broken/yaml_syntax'");
    CHECK(r.exit_code == 1);
    const auto doc = nlohmann::json::parse(r.out);
    REQUIRE(doc["errors"].size() == 1);
    CHECK(doc["errors"][0]["code"] == "rules.yaml_syntax");
    CHECK(doc["errors"][0]["line"] == 6);
    CHECK(doc["errors"][0]["column"] == 16);
  }
  SECTION("an unclosed flow list in the middle of a file") {
    Scratch s;
    const fs::path rules = s.rules_with_pack(
        "pack: p\nlanguage: en\nrules:\n  - id: p.secrecy.a\n    stage: secrecy\n    description: d\n"
        "    patterns:\n      - regex: [abc\n    examples: {match: [a], no_match: [b]}\n");
    const auto r = run_vigil("rules lint --json '" + rules.string() + "'");
    CHECK(r.exit_code == 1);
    const auto doc = nlohmann::json::parse(r.out);
    REQUIRE(doc["errors"].size() == 1);
    CHECK(doc["errors"][0]["code"] == "rules.yaml_syntax");
    CHECK(doc["errors"][0]["line"] == 8);
  }
  SECTION("a key written twice in one rule is named, with the line of the first") {
    Scratch s;
    const fs::path rules = s.rules_with_pack(
        "pack: p\nlanguage: en\nrules:\n  - id: p.secrecy.a\n    stage: secrecy\n    description: d\n"
        "    patterns: [{regex: 'keep it secret'}]\n    examples: {match: [keep it secret], no_match: [b]}\n"
        "    stage: meeting\n");
    const auto r = run_vigil("rules lint '" + rules.string() + "'", true);
    CHECK(r.exit_code == 1);
    CHECK(has(r.out,
              "pack.yaml:9:5: rules.duplicate_key: the key 'stage' is written twice in one mapping (first on "
              "line 5)"));
  }
}

TEST_CASE("every command exits 0 on success, 1 on failure or findings, 2 on a usage error, and says so in --help") {
  const char* commands[] = {"",          "rules",      "rules lint",    "rules test", "rules stats",
                            "rules new", "rules list", "explain",       "replay",     "eval",
                            "serve",     "export",     "export verify", "purge"};
  for (const char* command : commands) {
    INFO(command);
    const auto help = run_vigil(std::string(command) + " --help");
    CHECK(help.exit_code == 0);
    CHECK(has(help.out, "Exit codes: 0 success, 1 failure or findings"));
    CHECK(has(help.out, "2 usage error"));
    CHECK(!has(help.out, ":INT"));  // CLI11's type names, e.g. "UINT:INT in [0 - 100]"
    CHECK(!has(help.out, ":FLOAT"));
    CHECK(!has(help.out, ":POSITIVE"));
    CHECK(run_vigil(std::string(command) + " --no-such-option").exit_code == 2);
  }
  CHECK(run_vigil("").exit_code == 2);                                    // a subcommand is required
  CHECK(run_vigil("replay").exit_code == 2);                              // FILE is required
  CHECK(run_vigil("rules stats --examples 500 x.jsonl").exit_code == 2);  // out of range
  CHECK(run_vigil("eval --sweep --thresholds 50,150 --labels l.json m.jsonl").exit_code == 2);
  // Failures are 1, whatever failed: the rules, the input, the bundle.
  CHECK(run_vigil("explain --rules /nonexistent hello").exit_code == 1);
  CHECK(run_vigil("replay --rules '" + kFixtures + "valid' /nonexistent.jsonl").exit_code == 1);
  CHECK(run_vigil("replay --rules /nonexistent -").exit_code == 1);
  CHECK(run_vigil("export verify /nonexistent.json").exit_code == 1);
  const auto version = run_vigil("--version");
  CHECK(version.exit_code == 0);
  CHECK(has(version.out, "vigil "));
}

TEST_CASE("lint refuses a \\b beside Chinese text and a rule id whose stage part is not its stage") {
  Scratch s;
  auto pack = [](const std::string& id, const std::string& stage, const std::string& regex) {
    return "pack: p\nlanguage: zh\nrules:\n  - id: " + id + "\n    stage: " + stage +
           "\n    description: d\n    patterns:\n      - regex: '" + regex +
           "'\n    examples: {match: [加个微信], no_match: [你好]}\n";
  };
  SECTION("\\b before, after, and across a group beside CJK text") {
    for (const char* regex : {"\\b加个微信", "加个微信\\b", "\\b(?:加个|添加)微信", "(?:加个)\\b微信"}) {
      INFO(regex);
      const fs::path rules = s.rules_with_pack(pack("zh.platform_move.add", "platform_move", regex));
      const auto r = run_vigil("rules lint --json '" + rules.string() + "'");
      CHECK(r.exit_code == 1);
      const auto doc = nlohmann::json::parse(r.out);
      REQUIRE(doc["errors"].size() == 1);
      CHECK(doc["errors"][0]["code"] == "rules.cjk_word_boundary");
      CHECK(doc["errors"][0]["line"] == 8);
      CHECK(doc["errors"][0]["rule"] == "zh.platform_move.add");
    }
  }
  SECTION("\\b beside Latin text, and an escaped backslash before b beside CJK, are fine") {
    for (const char* regex : {"\\bvx\\b|加个微信", "加个微信|\\badd me\\b"}) {
      INFO(regex);
      const fs::path rules = s.rules_with_pack(pack("zh.platform_move.add", "platform_move", regex));
      CHECK(run_vigil("rules lint '" + rules.string() + "'").exit_code == 0);
    }
  }
  SECTION("an id naming another stage") {
    const fs::path rules = s.rules_with_pack(pack("zh.meeting.add", "platform_move", "加个微信"));
    const auto r = run_vigil("rules lint '" + rules.string() + "'", true);
    CHECK(r.exit_code == 1);
    CHECK(has(r.out,
              "pack.yaml:4:9: rules.id_stage_mismatch: the rule id 'zh.meeting.add' names the stage "
              "'meeting' but the rule's stage is 'platform_move'"));
  }
  SECTION("the shipped packs lint clean") {
    const auto r = run_vigil("rules lint '" VIGIL_SOURCE_DIR "/rules'", true);
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "ok: "));
  }
}

TEST_CASE("rules test runs one folder, one pack file or one rule, and prints only failures unless --verbose") {
  const std::string valid = kFixtures + "valid";
  const auto all = run_vigil("rules test '" + valid + "'");
  CHECK(all.exit_code == 0);
  CHECK(!has(all.out, "PASS"));
  CHECK(has(all.out, "15 rules: 15 passed, 0 failed"));

  const auto one = run_vigil("rules test --verbose --rules '" + valid + "' test.en.secrecy.dont_tell");
  CHECK(one.exit_code == 0);
  CHECK(has(one.out, "PASS  test.en.secrecy.dont_tell"));
  CHECK(has(one.out, "1 rules: 1 passed, 0 failed"));

  // A pack file, from outside the default rules folder: its folder is found from the file.
  const auto file = run_vigil("rules test --json '" + valid + "/zh/core.yaml'");
  CHECK(file.exit_code == 0);
  const auto doc = nlohmann::json::parse(file.out);
  REQUIRE(!doc["rules"].empty());
  for (const auto& r : doc["rules"]) CHECK(r["rule"].get<std::string>().rfind("test.zh.", 0) == 0);

  const auto unknown = run_vigil("rules test --rules '" + valid + "' no.such.rule", true);
  CHECK(unknown.exit_code == 1);
  CHECK(has(unknown.out, "rules.unknown_rule"));

  const auto failing = run_vigil("rules test '" + kFixtures + "broken/example_failed'", true);
  CHECK(failing.exit_code == 1);
  CHECK(has(failing.out, "FAIL  broken.secrecy.examples"));
}

TEST_CASE("rules list shows each rule's id, stage, status and description") {
  const std::string valid = kFixtures + "valid";
  const auto text = run_vigil("rules list '" + valid + "'");
  CHECK(text.exit_code == 0);
  CHECK(has(text.out, "id"));
  CHECK(has(text.out, "test.en.secrecy.dont_tell"));
  CHECK(has(text.out, "Tells the child to keep the contact from others"));
  const auto json = run_vigil("rules list --json '" + valid + "'");
  REQUIRE(json.exit_code == 0);
  const auto doc = nlohmann::json::parse(json.out);
  REQUIRE(doc["rules"].size() == 15);
  const auto& first = doc["rules"][0];
  for (const char* key : {"id", "stage", "status", "description", "file", "line"}) CHECK(first.contains(key));
  CHECK(first["status"] == "stable");
}

TEST_CASE("commands that load rules cache the compiled rules, and a bad cache never fails them") {
  Scratch s;
  const std::string valid = "--rules '" + kFixtures + "valid'";
  const fs::path xdg = s.dir / "xdg";
  const std::string env = "XDG_CACHE_HOME='" + xdg.string() + "' ";
  auto cached_files = [&] {
    size_t n = 0;
    if (fs::is_directory(xdg / "vigil"))
      for (const auto& e : fs::directory_iterator(xdg / "vigil")) n += e.path().extension() == ".hsdb";
    return n;
  };
  auto run = [&](const std::string& args) { return run_vigil(args, true, "", env); };

  SECTION("explain writes $XDG_CACHE_HOME/vigil and reuses it; --no-cache skips it") {
    CHECK(run("explain --no-cache " + valid + " hello").exit_code == 0);
    CHECK(cached_files() == 0);
    const auto first = run("explain " + valid + " 'dont tell your parents'");
    CHECK(first.exit_code == 0);
    CHECK(cached_files() == 1);
    const auto second = run("explain " + valid + " 'dont tell your parents'");
    CHECK(second.out == first.out);
    CHECK(cached_files() == 1);
  }
  SECTION("a corrupt cache file is compiled again and replaced") {
    REQUIRE(run("rules lint " + valid).exit_code == 0);
    REQUIRE(cached_files() == 1);
    const fs::path file = fs::directory_iterator(xdg / "vigil")->path();
    std::ofstream(file, std::ios::binary | std::ios::trunc) << "not a database";
    const auto r = run("explain --json " + valid + " 'dont tell your parents'");
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "test.en.secrecy.dont_tell"));
    CHECK(fs::file_size(file) > 100);
  }
  SECTION("an unwritable cache folder is a warning, not a failure") {
    std::ofstream(s.dir / "a-file") << "x";  // a file where the cache folder would be created
    const auto r =
        run_vigil("explain --cache '" + (s.dir / "a-file" / "vigil").string() + "' " + valid + " hello", true);
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "warning"));
    CHECK(has(r.out, "rules.cache_write_failed"));
  }
  SECTION("every command that loads rules takes --no-cache") {
    for (const char* command :
         {"explain", "rules lint", "rules test", "rules list", "rules stats", "replay", "eval", "serve"}) {
      INFO(command);
      CHECK(has(run_vigil(std::string(command) + " --help").out, "--no-cache"));
    }
  }
}
