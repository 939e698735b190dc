// Fuzz target: the WebSocket stream, end to end in process. Each input is the raw bytes a
// client sends after a fixed, authorised upgrade to /v1/stream: frames (masked, as a
// client must send them) or anything else. They go over a real loopback TCP connection
// into a real HttpSession, which upgrades it to a real WebSocketSession on a real
// ServerContext (fuzz_server.h), so Beast's frame parser, the session's per-frame
// handling (text frames scored, binary frames refused, limits, close) and the replies
// are all the server's own. The client reads every reply until the server closes; the
// io_context runs on the fuzzing thread, so one input finishes before the next starts.
// Checked: nothing crashes and the connection always ends (a hang is a libFuzzer
// timeout).
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "server/http_session.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_server.h"

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

constexpr std::string_view kUpgrade =
    "GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Authorization: Bearer fuzz-ingest-token\r\n\r\n";

struct Client {
  explicit Client(net::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::string handshake;
  std::array<char, 16 << 10> buf;
  bool upgraded = false;

  void read_rest() {
    socket.async_read_some(net::buffer(buf), [this](error_code ec, size_t) {
      if (!ec) read_rest();
    });
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::server::ServerContext& ctx = vigil::fuzz::server_context();
  static net::io_context io(1);
  static tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));

  Client client(io);
  tcp::socket server_side(io);
  // A loopback connection per input: closing with a reset (linger 0) leaves no TIME_WAIT,
  // so a fast run does not use up the ephemeral ports; if it still cannot connect, the
  // input is skipped rather than reported as a crash of the server.
  error_code connect_error;
  client.socket.connect(acceptor.local_endpoint(), connect_error);
  if (connect_error) return 0;
  client.socket.set_option(net::socket_base::linger(true, 0), connect_error);
  acceptor.accept(server_side);
  std::make_shared<vigil::server::HttpSession>(std::move(server_side), ctx)->start();

  const std::string frames(reinterpret_cast<const char*>(data), size);
  // The upgrade, then (once the 101 is read: a client may not send frames before) the
  // input, then end of input; then every reply until the server closes.
  net::async_write(client.socket, net::buffer(kUpgrade), [&](error_code ec, size_t) {
    if (ec) return;
    net::async_read_until(client.socket, net::dynamic_buffer(client.handshake), "\r\n\r\n",
                          [&](error_code ec2, size_t n) {
                            if (ec2) return;
                            client.upgraded = client.handshake.compare(0, 12, "HTTP/1.1 101") == 0;
                            client.handshake.erase(0, n);
                            net::async_write(client.socket, net::buffer(frames), [&](error_code, size_t) {
                              error_code ignored;
                              client.socket.shutdown(tcp::socket::shutdown_send, ignored);
                            });
                            client.read_rest();
                          });
  });
  io.restart();
  io.run();
  FUZZ_CHECK(client.upgraded, "the fixed upgrade is accepted");
  return 0;
}
