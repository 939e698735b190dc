// Storage faults on the real server: a data_dir on a small tmpfs that fills up makes
// /readyz 503 server.store_failing, logs once per change, counts every failed cycle, and
// recovers (ready again, backlog written) when the disk writes again. A read-only
// data_dir at start is a startup error. (A file system cannot be remounted read-only
// while the store holds files open for writing, so a read-only switch at run time is
// not staged here; it takes the same path with store.read_only.) Needs root (mount);
// without it the cases say so and check nothing.
#include <catch2/catch.hpp>

#include <sys/mount.h>

#include <fstream>
#include <sstream>

#include "tests/server/server_test_support.h"

using namespace vigil::server;
using namespace vigil::server::test;
using nlohmann::json;

namespace {

// A tmpfs of `size` mounted on a temporary folder for the test's life.
class Tmpfs {
 public:
  explicit Tmpfs(const std::string& size) {
    const std::string opts = "size=" + size;
    mounted_ = ::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, opts.c_str()) == 0;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::filesystem::path& path() const { return dir_.path(); }
  bool set_read_only() { return ::mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0; }
  // Writes until the file system is full.
  void fill(const std::filesystem::path& file) {
    std::ofstream out(file, std::ios::binary);
    const std::string block(64 << 10, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }

 private:
  TempDir dir_;
  bool mounted_ = false;
};

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A metric's value from the /metrics text.
double metric(HttpClient& c, const std::string& name) { return metric_value(c.get("/metrics").body, name); }

struct FaultServer {
  TempDir rules, logs;
  std::unique_ptr<TestServer> server;
  explicit FaultServer(const std::filesystem::path& data_dir) {
    write_test_rules(rules.path());
    ServerConfig c = test_config(rules.path());
    c.data_dir = data_dir;
    c.state.flush_interval = std::chrono::milliseconds(100);
    c.log.level = "info";
    c.log.file = (logs.path() / "vigil.log").string();
    server = std::make_unique<TestServer>(c);
  }
  std::string log() const { return read_all(logs.path() / "vigil.log"); }
  // Messages to `n` new conversations; all must be scored.
  void traffic(HttpClient& c, const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i)
      REQUIRE(c.post("/v1/messages", message(prefix + std::to_string(i), "1", "u", "are your parents home").dump())
                  .status == 200);
  }
};

}  // namespace

TEST_CASE("a full disk makes the server not ready, is logged once, and recovers", "[server][store][fault]") {
  Tmpfs disk("4m");
  if (!disk.mounted()) {
    WARN("cannot mount a tmpfs (needs root): full-disk case not run");
    return;
  }
  FaultServer f(disk.path() / "data");
  HttpClient c(f.server->port());
  f.traffic(c, "before-", 50);
  REQUIRE(eventually([&] { return metric(c, "vigil_state_unflushed_conversations") == 0; }));
  CHECK(c.get("/readyz").status == 200);

  disk.fill(disk.path() / "filler");
  f.traffic(c, "during-", 3000);  // more than the store's free pages can take
  REQUIRE(eventually([&] { return c.get("/readyz").status == 503; }));
  Reply ready = c.get("/readyz");
  CHECK(ready.error_code() == "server.store_failing");
  CHECK(ready.json()["error"]["message"].get<std::string>().find("store.full") != std::string::npos);
  CHECK(metric(c, "vigil_state_store_writable") == 0);
  CHECK(metric(c, "vigil_ready") == 0);
  // Scoring goes on while the store fails, and several cycles fail.
  f.traffic(c, "still-", 20);
  REQUIRE(eventually([&] { return metric(c, "vigil_state_flush_failures_total") >= 3; }));
  CHECK(count(f.log(), "\"store_failing\"") == 1);

  std::filesystem::remove(disk.path() / "filler");
  REQUIRE(eventually([&] { return c.get("/readyz").status == 200; }));
  REQUIRE(eventually([&] { return metric(c, "vigil_state_unflushed_conversations") == 0; }));
  CHECK(metric(c, "vigil_state_store_writable") == 1);
  const std::string log = f.log();
  CHECK(count(log, "\"store_failing\"") == 1);
  CHECK(count(log, "\"store_recovered\"") == 1);
  CHECK(log.find("store.full") != std::string::npos);
}

TEST_CASE("a read-only data_dir at start is a startup error naming the store", "[server][store][fault]") {
  Tmpfs disk("4m");
  if (!disk.mounted()) {
    WARN("cannot mount a tmpfs (needs root): read-only start case not run");
    return;
  }
  REQUIRE(disk.set_read_only());
  TempDir rules;
  write_test_rules(rules.path());
  ServerConfig c = test_config(rules.path());
  c.data_dir = disk.path();
  auto s = Server::create(c);
  REQUIRE_FALSE(s.ok());
  INFO(vigil::to_text(s.error()));
  const vigil::Error& e = s.error().back();
  CHECK((e.code == "store.read_only" || e.code == "store.open_failed"));
  CHECK(e.file == (disk.path() / "vigil.db").string());
  CHECK(e.message.find("writable") != std::string::npos);
}
