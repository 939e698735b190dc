// Error: the one error type of Vigil, shared by the rule loader, the engine, the CLI
// and the HTTP API. Errors are data: a stable code a program can branch on, a message a
// person can act on, and where it happened (file:line:column, rule id, JSON field). The
// same error renders as text for the CLI and as JSON for the API.
//
// Result<T>: the value or an Error; no exceptions on the message path. Copyable and
// movable when T is.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace vigil {

// What kind of failure an Error is, so a caller can choose an outcome (the sidecar's HTTP
// status, server/api_error.h) from the error itself, never by matching its code.
enum class ErrorKind : uint8_t {
  kInvalid,      // the input is wrong: a bad request, file or value (the default)
  kTooLarge,     // the input passes a limit on its size or count
  kNotFound,     // what the input names does not exist
  kConflict,     // the input is stale: what it names changed since it was read
  kUnavailable,  // a resource failed (storage, ...): the input may succeed later
};

struct Error {
  Error() = default;
  Error(std::string code_, std::string message_) : code(std::move(code_)), message(std::move(message_)) {}

  // Chainable setters: Error("rule.bad_regex", "...").at(file, line).for_rule(id)
  Error&& at(std::string file_, int line_ = 0, int column_ = 0) && {
    file = std::move(file_), line = line_, column = column_;
    return std::move(*this);
  }
  Error&& for_rule(std::string id) && {
    rule_id = std::move(id);
    return std::move(*this);
  }
  Error&& for_field(std::string name) && {
    field = std::move(name);
    return std::move(*this);
  }
  Error&& as(ErrorKind k) && {
    kind = k;
    return std::move(*this);
  }

  std::string code;     // stable, dotted: "rule.unknown_key", "message.invalid_utf8"
  std::string message;  // one sentence a person can act on
  std::string file;     // empty when not about a file
  int line = 0;         // 1-based; 0 when unknown
  int column = 0;       // 1-based; 0 when unknown
  std::string rule_id;  // empty when not about one rule
  std::string field;    // JSON field or YAML key path, empty when none
  ErrorKind kind = ErrorKind::kInvalid;

  // "file:line:column: code: message [rule id]" with the parts that are known.
  std::string to_text() const;
  // {"code", "message", and each of "file", "line", "column", "rule", "field" that is known}
  nlohmann::json to_json() const;
};

using Errors = std::vector<Error>;

// Errors as one text block (a line each) or a JSON array.
std::string to_text(const Errors& errors);
nlohmann::json to_json(const Errors& errors);

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const& { return std::get<1>(v_); }
  E&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, E> v_;
};

// A Result with no value: success, or an error.
template <class E = Error>
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(E error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const { return error_; }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace vigil
