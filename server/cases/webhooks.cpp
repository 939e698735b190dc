#include "server/cases/webhooks.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace vigil::cases {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// How long the thread sleeps when nothing is due and nobody pokes it.
constexpr std::chrono::milliseconds kIdlePoll{1000};
constexpr size_t kBatch = 32;

}  // namespace

std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string signed_text;
  signed_text.reserve(timestamp.size() + 1 + body.size());
  signed_text.append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

WebhookDispatcher::WebhookDispatcher(CaseStore& store, WebhookConfig config, int retention_days,
                                     std::function<int64_t()> now_ms)
    : store_(store), config_(std::move(config)), retention_days_(retention_days), now_ms_(std::move(now_ms)) {}

WebhookDispatcher::~WebhookDispatcher() { stop(); }

void WebhookDispatcher::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void WebhookDispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WebhookDispatcher::notify() {
  {
    std::lock_guard lock(mu_);
    poke_ = true;
  }
  cv_.notify_all();
}

bool WebhookDispatcher::post(const OutboxItem& item, std::string& error) const {
  const WebhookEndpoint* ep = nullptr;
  for (const WebhookEndpoint& e : config_.endpoints)
    if (e.url == item.url) ep = &e;
  if (ep == nullptr) {
    error = "the endpoint is no longer configured";
    return false;
  }
  WebhookUrl url;
  if (!parse_webhook_url(ep->url, url)) {
    error = "bad url";
    return false;
  }
  const std::string ts = std::to_string(now_ms_() / 1000);
  http::request<http::string_body> req{http::verb::post, url.target, 11};
  req.set(http::field::host, url.host);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::user_agent, "vigil-webhooks/1");
  req.set("X-Vigil-Event", item.type);
  req.set("X-Vigil-Id", item.event_id);
  req.set("Idempotency-Key", item.event_id);
  req.set("X-Vigil-Timestamp", ts);
  req.set("X-Vigil-Signature", webhook_signature(ep->secret, ts, item.body));
  req.body() = item.body;
  req.prepare_payload();
  req.keep_alive(false);

  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  net::ip::tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) {
    error = "resolve: " + ec.message();
    return false;
  }
  stream.expires_after(config_.timeout);
  stream.connect(endpoints, ec);
  if (!ec) http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) http::read(stream, buffer, res, ec);
  if (ec) {
    error = ec.message();
    return false;
  }
  beast::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  if (res.result_int() < 200 || res.result_int() >= 300) {
    error = "HTTP " + std::to_string(res.result_int());
    return false;
  }
  return true;
}

void WebhookDispatcher::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    poke_ = false;
    lock.unlock();
    const int64_t now = now_ms_();
    purge_if_due(now);
    Result<std::vector<OutboxItem>> due = store_.due_webhooks(now, kBatch);
    if (!due) {
      store_errors_.fetch_add(1, std::memory_order_relaxed);
    } else {
      for (const OutboxItem& item : *due) {
        {
          std::lock_guard check(mu_);
          if (stopping_) break;
        }
        std::string error;
        Status<> st;
        if (post(item, error)) {
          delivered_.fetch_add(1, std::memory_order_relaxed);
          st = store_.webhook_delivered(item.seq, now_ms_());
        } else {
          const int attempts = item.attempts + 1;
          const bool give_up = attempts >= config_.max_attempts;
          (give_up ? gave_up_ : retries_).fetch_add(1, std::memory_order_relaxed);
          auto delay = config_.initial_backoff;
          for (int i = 1; i < attempts && delay < config_.max_backoff; ++i) delay *= 2;
          delay = std::min(delay, config_.max_backoff);
          st = store_.webhook_failed(item.seq, now_ms_() + delay.count(), error, give_up);
        }
        if (!st) store_errors_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    // Sleep until the next retry is due, a poke, or the idle poll.
    std::chrono::milliseconds wait = kIdlePoll;
    if (due && due->size() == kBatch)
      wait = std::chrono::milliseconds(0);
    else if (Result<std::optional<int64_t>> next = store_.next_webhook_ms(); next && *next)
      wait = std::clamp(std::chrono::milliseconds(**next - now_ms_()), std::chrono::milliseconds(0), kIdlePoll);
    lock.lock();
    if (wait.count() > 0) cv_.wait_for(lock, wait, [this] { return stopping_ || poke_; });
  }
}

void WebhookDispatcher::purge_if_due(int64_t now) {
  constexpr int64_t kPurgeEveryMs = int64_t{3600} * 1000;
  if (last_purge_ms_ != 0 && now - last_purge_ms_ < kPurgeEveryMs) return;
  last_purge_ms_ = now;
  Result<std::vector<CaseSummary>> gone = store_.purge(now - int64_t{retention_days_} * 24 * 3600 * 1000, false);
  if (!gone)
    store_errors_.fetch_add(1, std::memory_order_relaxed);
  else
    purged_.fetch_add(gone->size(), std::memory_order_relaxed);
}

void WebhookDispatcher::render_metrics(std::string& out) const {
  auto line = [&](const char* name_labels, uint64_t v) {
    out += name_labels;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  out += "# HELP vigil_webhook_deliveries_total Webhook delivery attempts by result.\n";
  out += "# TYPE vigil_webhook_deliveries_total counter\n";
  line("vigil_webhook_deliveries_total{result=\"delivered\"}", delivered_.load(std::memory_order_relaxed));
  line("vigil_webhook_deliveries_total{result=\"retry\"}", retries_.load(std::memory_order_relaxed));
  line("vigil_webhook_deliveries_total{result=\"gave_up\"}", gave_up_.load(std::memory_order_relaxed));
  out += "# HELP vigil_webhook_store_errors_total Outbox reads or updates that failed.\n";
  out += "# TYPE vigil_webhook_store_errors_total counter\n";
  line("vigil_webhook_store_errors_total", store_errors_.load(std::memory_order_relaxed));
  out += "# HELP vigil_cases_purged_total Closed cases removed after the retention.\n";
  out += "# TYPE vigil_cases_purged_total counter\n";
  line("vigil_cases_purged_total", purged_.load(std::memory_order_relaxed));
  if (Result<OutboxCounts> c = store_.outbox_counts()) {
    out += "# HELP vigil_webhook_outbox Webhook events in the outbox by state.\n";
    out += "# TYPE vigil_webhook_outbox gauge\n";
    line("vigil_webhook_outbox{state=\"pending\"}", c->pending);
    line("vigil_webhook_outbox{state=\"delivered\"}", c->delivered);
    line("vigil_webhook_outbox{state=\"failed\"}", c->failed);
  }
}

}  // namespace vigil::cases
