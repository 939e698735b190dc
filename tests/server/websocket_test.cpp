// GET /v1/stream: WebSocket frames in, verdict frames out, against a real server.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/server/server_test_support.h"

using namespace vigil::server;
using namespace vigil::server::test;
using nlohmann::json;

using Fixture = ServerFixture;

TEST_CASE("frames of one message are answered one verdict each, in order", "[server][ws]") {
  Fixture f;
  WsClient ws;
  REQUIRE(ws.connect(f.port()) == 101);
  for (int i = 0; i < 50; ++i) ws.send(message("c-ws", "m-" + std::to_string(i), "u", "hello").dump());
  for (int i = 0; i < 50; ++i) {
    json v = json::parse(ws.read());
    CHECK(v["message_id"] == "m-" + std::to_string(i));
  }
}

TEST_CASE("a frame holding an array is answered by one array of verdicts, in order", "[server][ws]") {
  Fixture f;
  WsClient ws;
  REQUIRE(ws.connect(f.port()) == 101);
  json frame = json::array();
  for (int i = 0; i < 100; ++i) {
    frame.push_back(message("c-arr-" + std::to_string(i), "m-" + std::to_string(i), "u",
                            i % 10 == 0 ? "add me on snapchat" : "hi"));
  }
  ws.send(frame.dump());
  json out = json::parse(ws.read());
  REQUIRE(out.is_array());
  REQUIRE(out.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(out[i]["message_id"] == "m-" + std::to_string(i));
  CHECK(out[10]["hits"][0]["stage"] == "platform_move");
  // The same frame again: every verdict is the first one, nothing scored twice.
  ws.send(frame.dump());
  json again = json::parse(ws.read());
  for (int i = 0; i < 100; ++i) CHECK(again[i]["duplicate"] == true);
  CHECK(again[10]["risk"] == out[10]["risk"]);
  CHECK(again[10]["level"] == out[10]["level"]);
  CHECK((*f.server)->metrics().messages() == 100);
}

TEST_CASE("a bad frame gets an error frame and the connection stays open", "[server][ws]") {
  Fixture f;
  WsClient ws;
  REQUIRE(ws.connect(f.port()) == 101);
  ws.send("{not json");
  CHECK(json::parse(ws.read())["error"]["code"] == "request.malformed_json");
  ws.send(json::array({message("c", "1", "u", "hi"), {{"conversation_id", "c"}}}).dump());
  json e = json::parse(ws.read());
  CHECK(e["error"]["code"] == "message.missing_field");
  CHECK(e["error"]["field"].get<std::string>().rfind("[1].", 0) == 0);
  ws.stream().binary(true);
  ws.stream().write(net::buffer(std::string("\x01\x02")));
  CHECK(json::parse(ws.read())["error"]["code"] == "stream.binary_frame");
  ws.send(message("c", "2", "u", "hi").dump());
  CHECK(json::parse(ws.read())["message_id"] == "2");
  CHECK((*f.server)->metrics().messages() == 1);  // the array with a bad item scored nothing
}

TEST_CASE("the upgrade takes the same bearer token and scope", "[server][ws][auth]") {
  Fixture f([](ServerConfig& c) {
    c.tokens = {Token{"ingest-secret-16b", "chat", kScopeIngest},
                Token{"mod-secret-16bytes", "console", kScopeModerate}};
  });
  WsClient none, wrong, right;
  CHECK(none.connect(f.port()) == 401);
  CHECK(wrong.connect(f.port(), "mod-secret-16bytes") == 403);
  REQUIRE(right.connect(f.port(), "ingest-secret-16b") == 101);
  right.send(message("c", "1", "u", "hi").dump());
  CHECK(json::parse(right.read())["message_id"] == "1");
}

TEST_CASE("a frame over max_ws_frame_bytes closes with 1009", "[server][ws]") {
  Fixture f([](ServerConfig& c) { c.limits.max_ws_frame_bytes = 1024; });
  WsClient ws;
  REQUIRE(ws.connect(f.port()) == 101);
  ws.send(message("c", "1", "u", std::string(2000, 'a')).dump());
  const int code = ws.read_until_close();
  INFO(ws.last_error());
  CHECK(code == 1009);
  CHECK(eventually([&] { return (*f.server)->metrics().errors("stream.frame_too_large") == 1; }));
}

TEST_CASE("a consumer that does not read is closed with 1013 and a reason", "[server][ws]") {
  Fixture f([](ServerConfig& c) { c.limits.queue_depth = 4; });
  WsClient slow;
  REQUIRE(slow.connect(f.port(), "", 4096) == 101);
  json frame = json::array();
  for (int i = 0; i < 200; ++i) frame.push_back(message("c-slow", std::to_string(i), "u", "dont tell your parents"));
  const std::string text = frame.dump();
  // Without reading, until the server gives up on us (the frames then go unanswered).
  for (int i = 0; i < 2000 && (*f.server)->metrics().errors("stream.slow_consumer") == 0; ++i) slow.send(text);
  REQUIRE((*f.server)->metrics().errors("stream.slow_consumer") == 1);
  CHECK(slow.read_until_close() == 1013);
  CHECK(slow.close_reason().find("slow consumer") == 0);

  // Others are served meanwhile.
  WsClient other;
  REQUIRE(other.connect(f.port()) == 101);
  other.send(message("c-other", "1", "u", "hi").dump());
  CHECK(json::parse(other.read())["message_id"] == "1");
}
