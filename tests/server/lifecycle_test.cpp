// Reload under traffic, drain, `vigil serve` ending on SIGTERM and reopening its log on
// SIGUSR1, and the shipped vigil.example.yaml passing --check-config.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "server/routes/health_routes.h"
#include "tests/server/serve_process.h"
#include "tests/server/server_test_support.h"

using namespace vigil::server;
using namespace vigil::server::test;
using nlohmann::json;

TEST_CASE("rules reload under traffic without a failed request", "[server][reload]") {
  TempDir rules;
  write_test_rules(rules.path());
  TestServer server(test_config(rules.path()));
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  auto traffic = [&](int id) {
    HttpClient c(server.port());
    for (int i = 0; !stop.load(); ++i) {
      Reply r =
          c.post("/v1/messages",
                 message("c-load-" + std::to_string(id), std::to_string(i), "u", "dont tell your parents").dump());
      (r.status == 200 && !r.json()["hits"].empty() ? ok : failed)++;
    }
  };
  auto stream = [&] {
    WsClient ws;
    if (ws.connect(server.port()) != 101) {
      failed++;
      return;
    }
    for (int i = 0; !stop.load(); ++i) {
      ws.send(message("c-ws-load", std::to_string(i), "u", "add me on snapchat").dump());
      json v = json::parse(ws.read());
      (v.contains("hits") && !v["hits"].empty() ? ok : failed)++;
    }
  };
  std::thread t1(traffic, 1), t2(traffic, 2), t3(stream);
  HttpClient admin(server.port());
  for (int i = 0; i < 3; ++i) {
    Reply r = admin.post("/v1/rules/reload", "");
    CHECK(r.status == 200);
    CHECK(r.json()["reloaded"] == true);
  }
  stop = true;
  t1.join(), t2.join(), t3.join();
  CHECK(failed.load() == 0);
  CHECK(ok.load() > 0);
  CHECK(server->metrics().reloads() == 3);
}

TEST_CASE("a broken pack is refused, counted, and the old rules keep running", "[server][reload]") {
  TempDir rules;
  write_test_rules(rules.path());
  TestServer server(test_config(rules.path()));
  HttpClient c(server.port());
  const std::string version = c.get("/v1/rules").json()["version"];
  std::ofstream(rules.path() / "en" / "broken.yaml")
      << "pack: broken\nlanguage: en\nrules:\n  - id: en.broken\n    stage: secrecy\n    weight: 1\n"
         "    description: x\n    patterns:\n      - regex: '(unclosed'\n"
         "    examples: {match: [\"a\"], no_match: [\"b\"]}\n";
  Reply r = c.post("/v1/rules/reload", "");
  CHECK(r.status == 422);
  CHECK(r.error_code() == "rules.reload_failed");
  CHECK(r.json()["errors"].size() >= 1);
  CHECK(server->metrics().reload_failures() == 1);
  CHECK(c.get("/v1/rules").json()["version"] == version);
  Reply v = c.post("/v1/messages", message("c", "1", "u", "dont tell your parents").dump());
  CHECK(v.status == 200);
  CHECK(v.json()["rules_version"] == version);
  // SIGHUP takes the same path.
  std::filesystem::remove(rules.path() / "en" / "broken.yaml");
  CHECK(server->reload_rules().ok());
  CHECK(server->metrics().reloads() == 1);
}

TEST_CASE("drain finishes in-flight work, closes WebSockets with 1001 and stops accepting", "[server][drain]") {
  TempDir rules;
  write_test_rules(rules.path());
  auto s = Server::create(test_config(rules.path()));
  REQUIRE(s.ok());
  Server& server = **s;
  server.start();
  const uint16_t port = server.port();

  WsClient ws;
  REQUIRE(ws.connect(port) == 101);
  ws.send(message("c-d", "1", "u", "hi").dump());
  REQUIRE(json::parse(ws.read())["message_id"] == "1");
  HttpClient idle(port);
  REQUIRE(idle.get("/livez").status == 200);
  // A reload in flight (it runs off the io threads) when the drain starts.
  HttpClient busy(port);
  http::request<http::string_body> req{http::verb::post, "/v1/rules/reload", 11};
  req.set(http::field::host, "x");
  req.prepare_payload();
  http::write(busy.socket(), req);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));

  bool clean = false;
  std::thread drainer([&] { clean = server.drain(); });
  CHECK(ws.read_until_close() == 1001);
  Reply reload = busy.read();
  CHECK(reload.status == 200);
  CHECK(idle.closed_by_peer());
  drainer.join();
  CHECK(clean);
  CHECK(handle_readyz(server.context(), Request{}).status == 503);
  HttpClient* late = nullptr;
  CHECK_THROWS(late = new HttpClient(port));
  delete late;
}

TEST_CASE("vigil serve prints its port, serves, and exits 0 on SIGTERM", "[server][drain][process]") {
  TempDir rules;
  write_test_rules(rules.path());
  TempDir data;
  ServeProcess server({"--rules", rules.path().string(), "--data-dir", data.path().string(), "--threads", "2"});
  CHECK(server.port() != 0);
  {
    HttpClient c(server.port());
    CHECK(c.get("/readyz").status == 200);
    CHECK(c.post("/v1/messages", message("c", "1", "u", "dont tell your parents").dump()).status == 200);
  }
  CHECK(server.stop() == 0);
}

TEST_CASE("vigil serve --check-config exits 0 for a good config and 1 naming the bad line",
          "[server][config][process]") {
  TempDir dir;
  const std::string binary = std::string(VIGIL_BINARY_DIR) + "/vigil";
  std::ofstream(dir.path() / "good.yaml") << "listen: 127.0.0.1:0\nlimits: {max_batch: 10}\n";
  std::ofstream(dir.path() / "bad.yaml") << "listen: 127.0.0.1:0\nlimit: {max_batch: 10}\n";
  auto run = [&](const std::string& file) {
    // --check-config loads the rules and opens the data folder, as serve does.
    const std::string cmd = binary +
                            " serve --check-config --no-cache --rules " VIGIL_SOURCE_DIR
                            "/tests/fixtures/rules/valid --data-dir " +
                            (dir.path() / "data").string() + " --config " + (dir.path() / file).string() + " > " +
                            (dir.path() / "out.txt").string() + " 2>&1";
    const int status = std::system(cmd.c_str());
    std::ifstream in(dir.path() / "out.txt");
    std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::make_pair(WEXITSTATUS(status), out);
  };
  auto [good_code, good_out] = run("good.yaml");
  CHECK(good_code == 0);
  CHECK(good_out.find("config ok") != std::string::npos);
  auto [bad_code, bad_out] = run("bad.yaml");
  CHECK(bad_code == 1);
  CHECK(bad_out.find("bad.yaml:2:1: config.unknown_key") != std::string::npos);
}

namespace {

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("SIGUSR1 reopens the log file: after a rename, new lines go to a new file", "[server][log][process]") {
  TempDir rules, logs;
  write_test_rules(rules.path());
  const std::filesystem::path log = logs.path() / "vigil.log", rotated = logs.path() / "vigil.log.1";
  ServeProcess serve("VIGIL_LOG_FILE='" + log.string() + "'", rules.path().string());
  REQUIRE(serve.port() != 0);
  HttpClient c(serve.port());
  CHECK(c.get("/no-such-route-1").status == 404);  // a refused request: one info line
  REQUIRE(eventually([&] { return read_file(log).find("/no-such-route-1") != std::string::npos; }));

  std::filesystem::rename(log, rotated);  // what logrotate does
  REQUIRE(kill(serve.pid(), SIGUSR1) == 0);
  REQUIRE(eventually([&] { return read_file(log).find("\"event\":\"log_reopened\"") != std::string::npos; }));
  CHECK(c.get("/no-such-route-2").status == 404);
  REQUIRE(eventually([&] { return read_file(log).find("/no-such-route-2") != std::string::npos; }));
  const std::string old_lines = read_file(rotated);
  CHECK(old_lines.find("\"event\":\"listening\"") != std::string::npos);
  CHECK(old_lines.find("/no-such-route-2") == std::string::npos);
  CHECK(serve.stop() == 0);
}

TEST_CASE("the shipped vigil.example.yaml passes vigil serve --check-config, its token list uncommented too",
          "[server][config][process]") {
  TempDir data;
  // The example keeps its token list commented out, so that its placeholders are never
  // deployed by accident; uncommented, the list must still be a valid config.
  std::string example = read_file(std::filesystem::path(VIGIL_SOURCE_DIR) / "vigil.example.yaml");
  const size_t from = example.find("# tokens:\n");
  REQUIRE(from != std::string::npos);
  std::string with_tokens = example.substr(0, from);
  std::istringstream rest(example.substr(from));
  for (std::string line; std::getline(rest, line);) {
    const bool listed = line.rfind("# tokens:", 0) == 0 || line.rfind("#   ", 0) == 0 || line.rfind("#     ", 0) == 0;
    with_tokens += (listed && with_tokens.find("\nlog:") == std::string::npos ? line.substr(2) : line) + "\n";
  }
  std::ofstream(data.path() / "with_tokens.yaml") << with_tokens;
  for (const std::string& config : {std::string("vigil.example.yaml"), (data.path() / "with_tokens.yaml").string()}) {
    // From the source tree, as a user would run it; the data folder is a temporary one.
    const std::string cmd = "cd '" + std::string(VIGIL_SOURCE_DIR) + "' && '" + std::string(VIGIL_BINARY_DIR) +
                            "/vigil' serve --config '" + config + "' --check-config --data-dir '" +
                            (data.path() / "data").string() + "' > '" + (data.path() / "out.txt").string() + "' 2>&1";
    const int status = std::system(cmd.c_str());
    const std::string out = read_file(data.path() / "out.txt");
    INFO(config << ": " << out);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(out.find("config ok") != std::string::npos);
  }
  CHECK(with_tokens.find("\ntokens:\n  - name: chat-platform") != std::string::npos);
}
