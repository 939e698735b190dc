// The on-disk Hyperscan database cache: miss, hit, and a corrupt file ignored and
// rewritten.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "plugin/rules/db_cache.h"
#include "plugin/rules/rule_set_impl.h"
#include "rules_test_util.h"

namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("vigil-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

std::vector<fs::path> cache_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  return files;
}

}  // namespace

TEST_CASE("a compiled database is cached on disk and reused and a corrupt file is rebuilt") {
  const fs::path dir = fresh_dir("hscache");
  vigil::RuleLoadOptions options;
  options.cache_dir = dir;
  options.run_examples = false;
  const std::string rules_dir = vigil::test::kRuleFixtures + "valid";

  auto first = vigil::test::load_rules(rules_dir, options);
  CHECK_FALSE(first->impl().db_from_cache);
  auto files = cache_files(dir);
  REQUIRE(files.size() == 1);
  CHECK(files[0].extension() == ".hsdb");

  auto second = vigil::test::load_rules(rules_dir, options);
  CHECK(second->impl().db_from_cache);
  CHECK(vigil::test::match(second, "dont tell anyone").hits.size() == 1);

  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.write("garbage", 7);
  }
  auto third = vigil::test::load_rules(rules_dir, options);
  CHECK_FALSE(third->impl().db_from_cache);
  CHECK(vigil::test::match(third, "dont tell anyone").hits.size() == 1);
  auto fourth = vigil::test::load_rules(rules_dir, options);
  CHECK(fourth->impl().db_from_cache);

  // A truncated file and a file of another key are misses too.
  fs::resize_file(files[0], 10);
  CHECK(vigil::hs_cache_load(dir, files[0].stem().string()) == nullptr);
  CHECK(vigil::hs_cache_load(dir, "0000") == nullptr);
  fs::remove_all(dir);
}

TEST_CASE("without a cache_dir nothing is written") {
  vigil::RuleLoadOptions options;
  options.run_examples = false;
  auto rules = vigil::test::load_rules(vigil::test::kRuleFixtures + "valid", options);
  CHECK_FALSE(rules->impl().db_from_cache);
  CHECK(rules->impl().db != nullptr);
}
