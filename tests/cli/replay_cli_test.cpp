// `vigil replay`, run as the user runs it: bad lines are named and make the exit code 1.
#include <catch2/catch.hpp>

#include <filesystem>

#include "cli_run.h"

using vigil::test::run_vigil;
namespace fs = std::filesystem;

namespace {

// The shipped stages.yaml (the scorer needs all of it) with the small valid fixture
// packs: compiles in a moment, unlike the shipped packs.
std::string rules_flag() {
  static const fs::path dir = [] {
    const fs::path src = VIGIL_SOURCE_DIR, d = fs::path(VIGIL_BINARY_DIR) / "test-replay-rules";
    fs::create_directories(d);
    const auto over = fs::copy_options::overwrite_existing | fs::copy_options::recursive;
    fs::copy(src / "rules/stages.yaml", d / "stages.yaml", over);
    fs::copy(src / "tests/fixtures/rules/valid/en", d / "en", over);
    fs::copy(src / "tests/fixtures/rules/valid/zh", d / "zh", over);
    return d;
  }();
  return "--rules '" + dir.string() + "'";
}

}  // namespace

TEST_CASE("vigil replay names a line that is not a message and exits 1") {
  // `null` is valid JSON but not a message object: the error used to print as ": ".
  const auto r = run_vigil("replay " + rules_flag() + " -", true, "null");
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("<stdin>:1: message.not_object: ") != std::string::npos);
  CHECK(r.out.find("1 line(s) skipped") != std::string::npos);
}

TEST_CASE("vigil replay prints the good lines' verdicts, then exits 1 for a bad one") {
  const std::string good = R"({"conversation_id":"c","message_id":"1","sender_id":"u","text":"hi"})";
  const auto r = run_vigil("replay " + rules_flag() + " -", true, good + "\n{not json\n");
  CHECK(r.exit_code == 1);
  CHECK(r.out.find(R"("message_id":"1")") != std::string::npos);
  CHECK(r.out.find("<stdin>:2: request.malformed_json: ") != std::string::npos);

  const auto clean = run_vigil("replay " + rules_flag() + " -", false, good + "\n");
  CHECK(clean.exit_code == 0);
  CHECK(clean.out.find(R"("message_id":"1")") != std::string::npos);
}
