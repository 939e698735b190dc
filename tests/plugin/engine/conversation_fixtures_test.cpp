// Data-driven: replays every conversation under tests/fixtures/conversations/**
// (NAME.jsonl with NAME.expect.json beside it) through the Engine with the shipped
// ./rules, and checks the expectations:
//   min_level     some verdict reaches at least this level
//   suspect_id    the first verdict at min_level or above, and the last verdict, name it
//   max_level     no verdict goes above this level
//   never_suspect no verdict ever names these senders
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

#include "plugin/engine/engine.h"
#include "plugin/engine/message_json.h"
#include "tests/plugin/engine/engine_test_support.h"

namespace vigil {
namespace {

Level parse_level(const std::string& s) {
  for (int i = 0; i < 4; ++i)
    if (s == to_string(static_cast<Level>(i))) return static_cast<Level>(i);
  FAIL("unknown level " << s);
  return Level::kNone;
}

std::vector<std::filesystem::path> fixtures() {
  std::vector<std::filesystem::path> out;
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(test::source_dir() / "tests/fixtures/conversations"))
    if (e.is_regular_file() && e.path().extension() == ".jsonl") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("every conversation fixture meets its expect.json with the shipped rules") {
  EngineOptions opt;
  opt.rules_dir = test::shipped_rules();
  opt.rules_cache_dir = test::rules_cache_dir();
  auto engine = Engine::create(opt);
  REQUIRE(engine.ok());
  const auto files = fixtures();
  REQUIRE(files.size() >= 10);
  // Our own fixtures (outside synthetic/) hold at least as many benign look-alikes as
  // grooming conversations.
  size_t grooming = 0, benign = 0, own_grooming = 0, own_benign = 0;
  for (const auto& file : files) {
    const auto rel = std::filesystem::relative(file, test::source_dir()).string();
    INFO(rel);
    auto expect_path = file;
    expect_path.replace_extension(".expect.json");
    std::ifstream ein(expect_path);
    REQUIRE(ein);
    const auto expect = nlohmann::json::parse(ein);
    const auto messages = test::read_messages(file);
    REQUIRE(!messages.empty());

    std::vector<Verdict> verdicts;
    for (Message m : messages) {
      m.conversation_id = rel + "#" + m.conversation_id;  // fixtures may reuse ids
      auto v = (*engine)->process(m);
      REQUIRE(v.ok());
      verdicts.push_back(std::move(v).value());
    }
    Level max_seen = Level::kNone;
    for (const auto& v : verdicts) max_seen = std::max(max_seen, v.level);

    const bool own = rel.find("/synthetic/") == std::string::npos;
    if (expect.contains("min_level")) {
      ++grooming;
      own_grooming += own;
      const Level min = parse_level(expect["min_level"]);
      CHECK(max_seen >= min);
      if (expect.contains("suspect_id")) {
        const auto first =
            std::find_if(verdicts.begin(), verdicts.end(), [&](const Verdict& v) { return v.level >= min; });
        if (first != verdicts.end()) CHECK(first->suspect_id == expect["suspect_id"].get<std::string>());
        CHECK(verdicts.back().suspect_id == expect["suspect_id"].get<std::string>());
      }
    }
    if (expect.contains("max_level")) {
      ++benign;
      own_benign += own;
      CHECK(max_seen <= parse_level(expect["max_level"]));
    }
    if (expect.contains("never_suspect"))
      for (const auto& id : expect["never_suspect"])
        for (const auto& v : verdicts) CHECK(v.suspect_id != id.get<std::string>());
  }
  CHECK(grooming >= 5);
  CHECK(benign >= 5);
  CHECK(own_benign >= own_grooming);
}

}  // namespace vigil
