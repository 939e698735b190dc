#include "server/cases/case_config.h"

#include <charconv>

namespace vigil::cases {

namespace {

Error at(const YAML::Node& node, const std::string& file, std::string code, std::string message, std::string field) {
  const YAML::Mark m = node.Mark();
  return Error(std::move(code), std::move(message))
      .at(file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0)
      .for_field(std::move(field));
}

bool parse_int(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// "500ms", "10s", "2m", "1h", bare milliseconds.
bool parse_ms(std::string_view s, std::chrono::milliseconds& out) {
  static constexpr std::pair<std::string_view, int64_t> kSuffixes[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  int64_t mult = 1;
  for (auto [suffix, m] : kSuffixes) {
    if (s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix) {
      s.remove_suffix(suffix.size());
      mult = m;
      break;
    }
  }
  int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || n <= 0) return false;
  out = std::chrono::milliseconds(n * mult);
  return true;
}

}  // namespace

void read_cases_yaml(const YAML::Node& node, const std::string& file, CasesConfig& config, Errors& errors) {
  if (!node.IsMap()) {
    errors.push_back(at(node, file, "config.bad_type", "cases must be a map", "cases"));
    return;
  }
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const std::string field = "cases." + key;
    const YAML::Node& v = kv.second;
    if (key == "dismissal_reasons") {
      if (!v.IsSequence()) {
        errors.push_back(at(v, file, "config.bad_type", field + " must be a list of reason names", field));
        continue;
      }
      config.dismissal_reasons.clear();
      for (const auto& r : v) {
        if (!r.IsScalar() || r.Scalar().empty()) {
          errors.push_back(at(r, file, "config.bad_value", field + " items must be non-empty names", field));
          continue;
        }
        config.dismissal_reasons.push_back(r.Scalar());
      }
    } else if (key == "retention_days") {
      if (!v.IsScalar() || !parse_int(v.Scalar(), config.retention_days) || config.retention_days <= 0)
        errors.push_back(at(v, file, "config.bad_value", field + " must be a positive number of days", field));
    } else if (key == "participant_id_key") {
      if (!v.IsScalar())
        errors.push_back(at(v, file, "config.bad_type", field + " must be a single value", field));
      else
        config.participant_id_key = v.Scalar();
    } else {
      errors.push_back(at(kv.first, file, "config.unknown_key",
                          "unknown cases key '" + key + "' (dismissal_reasons, retention_days, participant_id_key)",
                          field));
    }
  }
}

void read_webhooks_yaml(const YAML::Node& node, const std::string& file, WebhookConfig& config, Errors& errors) {
  if (!node.IsMap()) {
    errors.push_back(at(node, file, "config.bad_type", "webhooks must be a map (endpoints, ...)", "webhooks"));
    return;
  }
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const std::string field = "webhooks." + key;
    const YAML::Node& v = kv.second;
    if (key == "endpoints") {
      if (!v.IsSequence()) {
        errors.push_back(at(v, file, "config.bad_type", field + " must be a list of {url, secret}", field));
        continue;
      }
      config.endpoints.clear();
      size_t i = 0;
      for (const auto& item : v) {
        const std::string path = field + "[" + std::to_string(i++) + "]";
        if (!item.IsMap()) {
          errors.push_back(at(item, file, "config.bad_type", path + " must be a map {url, secret}", path));
          continue;
        }
        WebhookEndpoint ep;
        for (const auto& e : item) {
          const std::string k = e.first.Scalar();
          if ((k == "url" || k == "secret") && e.second.IsScalar())
            (k == "url" ? ep.url : ep.secret) = e.second.Scalar();
          else
            errors.push_back(
                at(e.first, file, "config.unknown_key", path + ": '" + k + "' is not url or secret", path + "." + k));
        }
        config.endpoints.push_back(std::move(ep));
      }
    } else if (key == "initial_backoff" || key == "max_backoff" || key == "timeout") {
      std::chrono::milliseconds& d = key == "initial_backoff" ? config.initial_backoff
                                     : key == "max_backoff"   ? config.max_backoff
                                                              : config.timeout;
      if (!v.IsScalar() || !parse_ms(v.Scalar(), d))
        errors.push_back(at(v, file, "config.bad_value", field + " must be a duration like 500ms or 10s", field));
    } else if (key == "max_attempts") {
      if (!v.IsScalar() || !parse_int(v.Scalar(), config.max_attempts) || config.max_attempts <= 0)
        errors.push_back(at(v, file, "config.bad_value", field + " must be a positive number", field));
    } else {
      errors.push_back(
          at(kv.first, file, "config.unknown_key",
             "unknown webhooks key '" + key + "' (endpoints, initial_backoff, max_backoff, max_attempts, timeout)",
             field));
    }
  }
}

bool parse_webhook_url(std::string_view url, WebhookUrl& out) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return false;
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    out.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
    int p = 0;
    if (!parse_int(out.port, p) || p <= 0 || p > 65535) return false;
  }
  out.host = std::string(authority);
  return !out.host.empty();
}

void validate_cases(const CasesConfig& config, Errors& errors) {
  if (config.dismissal_reasons.empty())
    errors.push_back(Error("config.bad_value", "cases.dismissal_reasons must name at least one reason")
                         .for_field("cases.dismissal_reasons"));
  for (size_t i = 0; i < config.webhooks.endpoints.size(); ++i) {
    const WebhookEndpoint& ep = config.webhooks.endpoints[i];
    const std::string field = "webhooks.endpoints[" + std::to_string(i) + "]";
    WebhookUrl u;
    if (!parse_webhook_url(ep.url, u))
      errors.push_back(Error("config.bad_value", field + ".url must read http://host[:port]/path (put TLS in a proxy)")
                           .for_field(field + ".url"));
    if (ep.secret.empty())
      errors.push_back(Error("config.bad_value", field + ".secret is required: every event is signed with it")
                           .for_field(field + ".secret"));
  }
  if (config.webhooks.max_backoff < config.webhooks.initial_backoff)
    errors.push_back(Error("config.bad_value", "webhooks.max_backoff must not be below webhooks.initial_backoff")
                         .for_field("webhooks.max_backoff"));
}

}  // namespace vigil::cases
