// The case and webhook settings of `vigil serve` (server/README.md, "Cases"):
//   cases:
//     dismissal_reasons: [false_positive, not_grooming, insufficient_evidence, duplicate]
//     retention_days: 365          closed cases are purged this long after closing
//     participant_id_key: SECRET   store participant ids as HMAC-SHA256(key, id)
//   webhooks:
//     endpoints: [{url: http://host:port/path, secret: SECRET}]
//     initial_backoff: 1s          first retry after this, doubling each time
//     max_backoff: 15m
//     max_attempts: 20             then the event is given up (counted in /metrics)
//     timeout: 5s                  per delivery attempt
// Environment: VIGIL_CASES_PARTICIPANT_ID_KEY. Plain data; the readers are pure.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <string>
#include <vector>

#include "plugin/common/error.h"

namespace vigil::cases {

struct WebhookEndpoint {
  std::string url;     // http://host[:port]/path
  std::string secret;  // the HMAC-SHA256 key
};

struct WebhookConfig {
  std::vector<WebhookEndpoint> endpoints;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{15 * 60 * 1000};
  int max_attempts = 20;
  std::chrono::milliseconds timeout{5000};
};

struct CasesConfig {
  std::vector<std::string> dismissal_reasons = {"false_positive", "not_grooming", "insufficient_evidence", "duplicate"};
  int retention_days = 365;
  std::string participant_id_key;  // empty: ids stored as sent
  WebhookConfig webhooks;
};

// Reads the `cases:` / `webhooks:` map into `config`; problems go to `errors` with
// `file`:line:column and the key path.
void read_cases_yaml(const YAML::Node& node, const std::string& file, CasesConfig& config, Errors& errors);
void read_webhooks_yaml(const YAML::Node& node, const std::string& file, WebhookConfig& config, Errors& errors);

// A webhook URL split up; false when it is not http://host[:port][/path].
struct WebhookUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};
bool parse_webhook_url(std::string_view url, WebhookUrl& out);

// Cross-field checks (config.bad_value): a reason list, positive retention, every
// endpoint a valid http URL with a secret.
void validate_cases(const CasesConfig& config, Errors& errors);

}  // namespace vigil::cases
