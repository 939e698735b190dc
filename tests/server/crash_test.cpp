// The durability bound under kill -9 (server/README.md, "Durability and memory"): `vigil
// serve` runs as a child process on one data_dir; three clients (single-message HTTP,
// 10-message HTTP batches, WebSocket frames) send messages over 60,000 conversations and
// record when each verdict arrived; the server is killed with SIGKILL at a random moment,
// started again, and every conversation that got a verdict more than the bound
// (2 x flush_interval) before the kill must have kept that message: its `messages` count
// is at least what was acknowledged by then. Ten kills: nine with a fast flush_interval
// (250 ms) to keep the run short, the last with the default (1 s).
//
// Messages to one conversation are sent one at a time (each client owns a third of the
// conversations), so the count a restart restores is a prefix of what was sent.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "tests/server/serve_process.h"
#include "tests/server/server_test_support.h"

using namespace vigil::server::test;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kConversations = 60'000;
constexpr int kClients = 3;
constexpr const char* kTexts[] = {"hey how was school today",  "are your parents home tonight",
                                  "dont tell anyone about us", "did you finish the homework",
                                  "add me on another app",     "lol that game was wild"};

// The arguments of each `vigil serve` this test starts (and kills with kill -9).
std::vector<std::string> serve_args(const std::filesystem::path& rules, const std::filesystem::path& data,
                                    const std::filesystem::path& config) {
  return {"--rules", rules.string(), "--data-dir", data.string(), "--threads", "2", "--config", config.string()};
}

// What the clients know of one conversation: the count the server had at the last
// restart, and when each verdict since then arrived (ms since the test's epoch).
struct Expected {
  uint32_t base = 0;
  std::vector<int64_t> acked_ms;
  uint32_t sent = 0;  // messages sent since the restart, acknowledged or not
};

int64_t ms_since(Clock::time_point epoch) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - epoch).count();
}

// prefix + n, without GCC 12's false -Wrestrict on "literal" + std::string&&.
std::string numbered(const char* prefix, uint64_t n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

std::string conv_id(int c) { return numbered("crash-", static_cast<uint64_t>(c)); }

// One client: owns conversations c with c % kClients == k; kind 0 single HTTP, 1 batches
// of 10, 2 WebSocket. Stops on the first failed request (the server is gone).
void run_client(int k, uint16_t port, std::vector<Expected>& expected, Clock::time_point epoch,
                const std::atomic<bool>& stop, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&] { return static_cast<int>(rng() % (kConversations / kClients)) * kClients + k; };
  auto next_message = [&](int c) {
    Expected& e = expected[c];
    const uint32_t n = e.base + ++e.sent;
    return message(conv_id(c), numbered("m", n), (n % 2) ? "u-a" : "u-b", kTexts[rng() % std::size(kTexts)]);
  };
  try {
    if (k == 2) {
      WsClient ws;
      if (ws.connect(port) != 101) return;
      while (!stop.load(std::memory_order_relaxed)) {
        const int c = pick();
        ws.send(next_message(c).dump());
        const json v = json::parse(ws.read());
        if (!v.contains("message_id")) return;
        expected[c].acked_ms.push_back(ms_since(epoch));
      }
      return;
    }
    HttpClient http(port);
    while (!stop.load(std::memory_order_relaxed)) {
      std::vector<int> convs;
      json body;
      if (k == 0) {
        convs.push_back(pick());
        body = next_message(convs[0]);
      } else {
        body["messages"] = json::array();
        while (convs.size() < 10) {
          const int c = pick();
          if (std::find(convs.begin(), convs.end(), c) != convs.end()) continue;
          convs.push_back(c);
          body["messages"].push_back(next_message(c));
        }
      }
      const Reply r = http.post("/v1/messages", body.dump());
      if (r.status != 200) return;
      const int64_t now = ms_since(epoch);
      for (int c : convs) expected[c].acked_ms.push_back(now);
    }
  } catch (const std::exception&) {
    // The server was killed mid-request: what was acknowledged is recorded.
  }
}

// After a restart: every touched conversation's restored count covers what was
// acknowledged by kill_ms - bound_ms, and never exceeds what was sent. Rebases
// `expected` on what the server has. Returns the number of conversations checked.
size_t check_and_rebase(uint16_t port, std::vector<Expected>& expected, int64_t kill_ms, int64_t bound_ms, size_t& lost,
                        std::string& first_loss) {
  int64_t worst_age = -1;
  HttpClient http(port);
  size_t checked = 0;
  for (int c = 0; c < kConversations; ++c) {
    Expected& e = expected[c];
    if (e.sent == 0) continue;
    const Reply r = http.get("/v1/conversations/" + conv_id(c));
    const uint32_t restored = r.status == 200 ? r.json()["messages"].get<uint32_t>() : 0;
    const auto must = static_cast<uint32_t>(
        std::count_if(e.acked_ms.begin(), e.acked_ms.end(), [&](int64_t t) { return t <= kill_ms - bound_ms; }));
    ++checked;
    if (restored < e.base + must || restored > e.base + e.sent) {
      // How long before the kill the first message lost was acknowledged.
      const int64_t age =
          restored >= e.base && restored - e.base < e.acked_ms.size() ? kill_ms - e.acked_ms[restored - e.base] : -1;
      if (lost++ == 0 || age > worst_age) {
        worst_age = age;
        first_loss = conv_id(c) + ": restored " + std::to_string(restored) + ", acknowledged by the bound " +
                     std::to_string(e.base + must) + ", sent " + std::to_string(e.base + e.sent) +
                     ", the first lost acknowledged " + std::to_string(age) + " ms before the kill";
      }
    }
    e.base = restored;
    e.sent = 0;
    e.acked_ms.clear();
  }
  return checked;
}

}  // namespace

TEST_CASE(
    "kill -9 under mixed load over 60,000 conversations loses nothing acknowledged before the "
    "bound",
    "[server][crash][process]") {
  TempDir rules, data, conf;
  write_test_rules(rules.path());
  const auto fast = conf.path() / "fast.yaml", standard = conf.path() / "default.yaml";
  std::ofstream(fast) << "log: {level: warn}\nstate: {flush_interval: 250ms}\n";
  std::ofstream(standard) << "log: {level: warn}\n";
  std::vector<Expected> expected(kConversations);
  std::random_device rd;
  const uint64_t seed = rd();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  size_t lost = 0, checked = 0, acked = 0;
  std::string first_loss;

  for (int round = 0; round < 10; ++round) {
    const bool last = round == 9;
    const int64_t bound_ms = last ? 2000 : 500;  // 2 x flush_interval
    // Long enough for acknowledgements older than the bound, at a random moment.
    const int64_t load_ms = last ? 3000 + static_cast<int64_t>(rng() % 2000) : 800 + static_cast<int64_t>(rng() % 1500);
    ServeProcess server(serve_args(rules.path(), data.path(), last ? standard : fast));
    REQUIRE(server.port() != 0);
    const Clock::time_point epoch = Clock::now();
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int k = 0; k < kClients; ++k)
      clients.emplace_back(run_client, k, server.port(), std::ref(expected), epoch, std::cref(stop), rng());
    std::this_thread::sleep_for(std::chrono::milliseconds(load_ms));
    const int64_t kill_ms = ms_since(epoch);
    server.kill9();
    stop = true;
    for (auto& t : clients) t.join();
    for (const Expected& e : expected) acked += e.acked_ms.size();
    ServeProcess again(serve_args(rules.path(), data.path(), standard));
    REQUIRE(again.port() != 0);
    const size_t lost_before = lost;
    checked += check_and_rebase(again.port(), expected, kill_ms, bound_ms, lost, first_loss);
    again.kill9();
    std::fprintf(stderr, "round %d: killed after %lld ms, bound %lld ms, %zu lost; %s\n", round,
                 static_cast<long long>(kill_ms), static_cast<long long>(bound_ms), lost - lost_before,
                 lost > lost_before ? first_loss.c_str() : "");
  }
  INFO(first_loss);
  CHECK(lost == 0);
  CHECK(acked > 10'000);  // the load was real
  CHECK(checked > 10'000);
}
