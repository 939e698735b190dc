// Slow and hostile clients against `vigil serve` (a subprocess, so its descriptors and
// the test's are counted apart): up to 10,000 idle connections, headers trickled a byte
// at a time (slowloris) and a WebSocket client that never reads, all at once. The
// server stays up, a well-behaved client keeps getting answers, and the idle and slow
// connections are cut by the documented timeouts (server/README.md, Limits). Latency
// under this load is a measurement, in BENCHMARKS.md, not asserted here.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "tests/server/serve_process.h"
#include "tests/server/server_test_support.h"

using namespace vigil::server;
using namespace vigil::server::test;
using Clock = std::chrono::steady_clock;

namespace {

// A plain blocking TCP socket to 127.0.0.1:port, or -1.
int raw_connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True when the peer has closed `fd` (EOF or reset) within `wait`.
bool closed_within(int fd, std::chrono::milliseconds wait) {
  const auto end = Clock::now() + wait;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    if (::poll(&p, 1, static_cast<int>(std::max<long>(left, 0))) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;  // EOF or reset; anything read (a 4xx, a 429) is skipped
  }
}

// The test's own open-file limit raised to its hard limit; returns the soft limit.
size_t raise_own_fd_limit() {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur;
}

}  // namespace

TEST_CASE("idle, slowloris and never-reading clients are cut by their timeouts while others are served",
          "[server][hostile][process]") {
  TempDir rules;
  write_test_rules(rules.path());
  // 10,000 idle connections when this process may open that many sockets (and the
  // server its own share); otherwise as many as the limit allows, said in the output.
  const size_t own = raise_own_fd_limit();
  const size_t idle_count = std::min<size_t>(10'000, own > 400 ? own - 300 : 0);
  WARN("idle connections: " << idle_count << " (open-file limit " << own << ")");
  ServeProcess server(
      "VIGIL_LIMITS_HEADER_TIMEOUT=500ms VIGIL_LIMITS_IDLE_TIMEOUT=3s "
      "VIGIL_LIMITS_WRITE_TIMEOUT=1s VIGIL_LIMITS_MAX_CONNECTIONS=" +
          std::to_string(idle_count + 200) + " VIGIL_LOG_LEVEL=warn",
      rules.path().string(), "--threads 2");
  INFO(server.output());
  REQUIRE(server.port() != 0);
  const uint16_t port = server.port();

  std::vector<int> idle;
  idle.reserve(idle_count);
  for (size_t i = 0; i < idle_count; ++i) {
    const int fd = raw_connect(port);
    REQUIRE(fd >= 0);
    idle.push_back(fd);
  }
  const auto opened = Clock::now();

  // Slowloris: 20 headers, one byte every 100 ms, never finished in header_timeout.
  std::atomic<bool> stop{false};
  std::vector<int> loris;
  for (int i = 0; i < 20; ++i) loris.push_back(raw_connect(port));
  std::thread trickle([&] {
    const std::string head = "GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    for (size_t k = 0; !stop && k < 100; ++k) {
      for (int fd : loris) ::send(fd, head.data() + std::min(k, head.size() - 1), 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  // A WebSocket client that sends and never reads, with a small receive buffer.
  WsClient deaf;
  REQUIRE(deaf.connect(port, "", 4096) == 101);
  const std::string frame = message("c-deaf", "m", "u", std::string(2000, 'a')).dump();
  beast::error_code ec;
  for (int i = 0; i < 400 && !ec; ++i) {
    deaf.stream().text(true);
    deaf.stream().write(net::buffer(frame), ec);
  }

  // A well-behaved client is answered throughout.
  {
    HttpClient good(port);
    for (int i = 0; i < 200; ++i) {
      Reply r = good.post("/v1/messages", message("c-good", std::to_string(i), "u", "are your parents home?").dump());
      REQUIRE(r.status == 200);
    }
  }

  // The idle connections are not cut before idle_timeout (3 s).
  if (Clock::now() - opened < std::chrono::seconds(2))
    CHECK_FALSE(closed_within(idle.back(), std::chrono::milliseconds(200)));

  // The slowloris headers are cut after header_timeout (500 ms), long before they end.
  for (int fd : loris) CHECK(closed_within(fd, std::chrono::milliseconds(3000)));
  stop = true;
  trickle.join();
  // The deaf WebSocket is closed (1013 slow consumer, then cut after write_timeout).
  CHECK(closed_within(static_cast<int>(deaf.stream().next_layer().native_handle()), std::chrono::milliseconds(5000)));

  // The idle connections are closed after idle_timeout.
  size_t cut = 0;
  for (int fd : idle) cut += closed_within(fd, std::chrono::milliseconds(10'000)) ? 1 : 0;
  CHECK(cut == idle.size());
  CHECK(Clock::now() - opened >= std::chrono::seconds(3));
  for (int fd : idle) ::close(fd);
  for (int fd : loris) ::close(fd);

  REQUIRE(server.alive());
  HttpClient after(port);
  CHECK(after.get("/livez").status == 200);
  Reply metrics = after.get("/metrics");
  CHECK(metrics.body.find("vigil_errors_total{code=\"request.timeout\"} 20") != std::string::npos);
  CHECK(server.stop() == 0);
}
