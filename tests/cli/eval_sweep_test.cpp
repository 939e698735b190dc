// `vigil eval` and `vigil eval --sweep`, run as the built binary on a fixture corpus
// (tests/fixtures/eval: 6 conversations, a pack of one-weight rules and a scorer without
// bonuses or multipliers, so a sender's risk is 100·(1 − e^(−hits/5))). The figures below
// are worked out by hand from those files; change them together.
//   c-groom        predator p-a reaches 33.0 at message 5/10, 45.1 at 7, 55.1 at 8, 63.2 at 9
//   c-child-first  the child k-b reaches 33.0 first (message 2/8), then p-b 45.1 at 5, 55.1 at 6
//   c-threat       p-e's coercion hit makes it urgent at message 3/4
//   c-adults       a benign pair reaching 33.0 at message 3/4; c-quiet: no hit
//   c-unlabelled   scored, left out of the metrics
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.h"

namespace {

using vigil::test::run_vigil;

const std::string kDir = VIGIL_SOURCE_DIR "/tests/fixtures/eval";
const std::string kArgs = " --rules " + kDir + "/rules --labels " + kDir + "/labels.json " + kDir + "/messages.jsonl";

const nlohmann::json& row_at(const nlohmann::json& sweep, double threshold) {
  for (const auto& r : sweep)
    if (r["threshold"].get<double>() == threshold) return r;
  FAIL("no sweep row for threshold " << threshold);
  return sweep;
}

}  // namespace

TEST_CASE(
    "eval --sweep reports precision, recall, right suspect, read share and negatives per review "
    "threshold") {
  auto result = run_vigil("eval --json --sweep --thresholds 60,30,40,50,95,40" + kArgs);
  REQUIRE(result.exit_code == 0);
  auto out = nlohmann::json::parse(result.out);
  CHECK(out["labelled_positive"] == 3);
  CHECK(out["labelled_negative"] == 2);
  CHECK(out["unlabelled"] == 1);
  const auto& sweep = out["sweep"];
  REQUIRE(sweep.size() == 5);  // sorted, the repeated 40 once
  CHECK(sweep[0]["threshold"] == 30.0);
  CHECK(sweep[4]["threshold"] == 95.0);

  SECTION("a low threshold flags the benign pair and names the child who spoke first") {
    const auto& r = row_at(sweep, 30);
    CHECK(r["tp"] == 3);
    CHECK(r["fp"] == 1);
    CHECK(r["fn"] == 0);
    CHECK(r["precision"].get<double>() == Approx(0.75));
    CHECK(r["recall"].get<double>() == Approx(1.0));
    CHECK(r["right_suspect"] == 2);
    CHECK(r["recall_right_suspect"].get<double>() == Approx(2.0 / 3));
    CHECK(r["median_read"].get<double>() == Approx(0.625));  // c-groom 5/10, c-threat 3/4
    CHECK(r["negatives_flagged"].get<double>() == Approx(0.5));
  }
  SECTION("higher thresholds trade reading time for precision, then recall") {
    const auto& r40 = row_at(sweep, 40);
    CHECK(r40["fp"] == 0);
    CHECK(r40["right_suspect"] == 3);
    CHECK(r40["median_read"].get<double>() == Approx(0.7));  // 7/10, 5/8, 3/4
    CHECK(row_at(sweep, 50)["median_read"].get<double>() == Approx(0.75));
    const auto& r60 = row_at(sweep, 60);
    CHECK(r60["tp"] == 2);
    CHECK(r60["fn"] == 1);
    CHECK(r60["recall_right_suspect"].get<double>() == Approx(2.0 / 3));
    CHECK(r60["median_read"].get<double>() == Approx(0.825));  // 9/10, 3/4
  }
  SECTION("an urgent conversation counts at every threshold, even above urgent's risk") {
    const auto& r = row_at(sweep, 95);
    CHECK(r["tp"] == 1);
    CHECK(r["fn"] == 2);
    CHECK(r["median_read"].get<double>() == Approx(0.75));
  }
  SECTION("the level figures of stages.yaml (review at 60) agree with the sweep's row at 60") {
    CHECK(out["review"]["tp"] == row_at(sweep, 60)["tp"]);
    CHECK(out["review"]["fp"] == row_at(sweep, 60)["fp"]);
    CHECK(out["read_before_watch"]["flagged_positives"] == 3);
    CHECK(out["read_before_watch"]["median"].get<double>() == Approx(0.5));  // 5/10, 2/8, 3/4
  }
}

TEST_CASE("eval --sweep prints the table as text, one row per default threshold") {
  auto result = run_vigil("eval --sweep" + kArgs);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("review threshold sweep") != std::string::npos);
  CHECK(result.out.find("right_suspect") != std::string::npos);
  CHECK(result.out.find("\n     20.0 ") != std::string::npos);
  CHECK(result.out.find("\n     95.0 ") != std::string::npos);
}

TEST_CASE("eval without --sweep has no sweep") {
  auto result = run_vigil("eval --json" + kArgs);
  REQUIRE(result.exit_code == 0);
  CHECK_FALSE(nlohmann::json::parse(result.out).contains("sweep"));
}

TEST_CASE(
    "eval reads several corpora and merges their labels; a conversation labelled twice is an "
    "error") {
  // The same labels file twice labels every conversation twice.
  auto twice = run_vigil("eval --json --rules " + kDir + "/rules --labels " + kDir + "/labels.json --labels " + kDir +
                         "/labels.json " + kDir + "/messages.jsonl");
  CHECK(twice.exit_code == 1);  // a failure, not a usage error
  CHECK(twice.out.find("eval.labels") != std::string::npos);
  CHECK(twice.out.find("c-") != std::string::npos);  // names the conversation

  // The same corpus twice: one engine, so the second pass continues the same conversations.
  auto both = run_vigil("eval --json --rules " + kDir + "/rules --labels " + kDir + "/labels.json " + kDir +
                        "/messages.jsonl " + kDir + "/messages.jsonl");
  REQUIRE(both.exit_code == 0);
  auto out = nlohmann::json::parse(both.out);
  CHECK(out["messages"] == 60);
  CHECK(out["conversations"] == 6);
}

TEST_CASE("eval rejects a threshold outside 0-100") {
  auto result = run_vigil("eval --sweep --thresholds 50,150" + kArgs, true);
  CHECK(result.exit_code != 0);
  CHECK(result.out.find("thresholds") != std::string::npos);
}
