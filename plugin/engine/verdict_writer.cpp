// append_verdict_json (message_json.h): verdict_to_json(v).dump()'s bytes without the tree.
#include "plugin/engine/message_json.h"

#include <charconv>
#include <cmath>
#include <iterator>
#include <string_view>
#include <vector>

#include "plugin/common/utf8.h"
#include "plugin/engine/message_fields.h"

namespace vigil {
namespace {

using namespace message_fields;

void append_json_string(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  const auto* run = p;  // start of the bytes not yet copied
  while (p < end) {
    const unsigned c = *p;
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++p;
      continue;
    }
    if (c >= 0x80) {
      char32_t cp;
      const int n = decode_utf8(p, static_cast<size_t>(end - p), cp);
      if (n > 0) {
        p += n;
        continue;
      }
    }
    out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          out.append(esc, sizeof esc);
        } else {
          out += "\xEF\xBF\xBD";  // a byte that starts no valid sequence: U+FFFD
        }
    }
    run = ++p;
  }
  out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
  out += '"';
}

// dump()'s number formatting: its own Grisu2 (shortest round trip, "1.0" for integral
// values, exponents past 1e15), called directly so the bytes agree by construction.
void append_double(double x, std::string& out) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  char buf[64];
  const char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, static_cast<size_t>(end - buf));
}

// One JSON object being written; members go in the order the caller gives, which must
// be the byte order of the keys to match dump(). Keys are literals needing no escaping.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;
  ~ObjectWriter() { out_ += '}'; }

  // `"key":`, after a comma unless it is the first member; the value is the caller's.
  std::string& key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += k;
    out_ += "\":";
    return out_;
  }
  void string(std::string_view k, std::string_view v) { append_json_string(v, key(k)); }
  void number(std::string_view k, double v) { append_double(v, key(k)); }
  template <class Int>
  void integer(std::string_view k, Int v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    key(k).append(buf, static_cast<size_t>(r.ptr - buf));
  }
  void yes(std::string_view k) { key(k) += "true"; }

 private:
  std::string& out_;
  bool first_ = true;
};

void append_stages(const std::vector<std::pair<std::string, double>>& stages, std::string& out) {
  // The tree is a std::map: names in byte order, a repeated name keeps its last value.
  // A handful of stages: insertion into a stack array, a vector only past 32.
  using Stage = std::pair<std::string, double>;
  const Stage* small[32];
  std::vector<const Stage*> large;
  const Stage** sorted = small;
  if (stages.size() > std::size(small)) {
    large.resize(stages.size());
    sorted = large.data();
  }
  size_t n = 0;
  for (const Stage& s : stages) {
    size_t i = 0;
    while (i < n && sorted[i]->first < s.first) ++i;
    if (i < n && sorted[i]->first == s.first) {
      sorted[i] = &s;
      continue;
    }
    for (size_t k = n; k > i; --k) sorted[k] = sorted[k - 1];
    sorted[i] = &s;
    ++n;
  }
  out += '{';
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    append_json_string(sorted[i]->first, out);
    out += ':';
    append_double(round2(sorted[i]->second), out);
  }
  out += '}';
}

void append_hit(const VerdictHit& h, std::string& out) {
  ObjectWriter o(out);
  if (h.age >= 0) o.integer("age", h.age);
  o.integer("end", h.end);
  o.string("rule", h.rule);
  if (h.shadow) o.yes("shadow");
  o.string("stage", h.stage);
  o.integer("start", h.start);
}

}  // namespace

void append_verdict_json(const Verdict& v, std::string& out) {
  // Keys in byte order, as the tree (a std::map) dumps them.
  ObjectWriter o(out);
  o.string("action", to_string(v.action));
  if (!v.case_id.empty()) o.string("case_id", v.case_id);
  o.string("conversation_id", v.conversation_id);
  if (v.duplicate) o.yes("duplicate");
  std::string& hits = o.key("hits");
  hits += '[';
  for (size_t i = 0; i < v.hits.size(); ++i) {
    if (i) hits += ',';
    append_hit(v.hits[i], hits);
  }
  hits += ']';
  o.string("level", to_string(v.level));
  o.string("message_id", v.message_id);
  o.number("risk", round2(v.risk));
  o.string("rules_version", v.rules_version);
  append_stages(v.stages, o.key("stages"));
  if (!v.suspect_id.empty()) o.string("suspect_id", v.suspect_id);
}

}  // namespace vigil
