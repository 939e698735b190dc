#include "plugin/rules/pack_parser.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <initializer_list>
#include <optional>
#include <set>
#include <string_view>

#include "plugin/common/yaml_errors.h"
#include "plugin/rules/list_expansion.h"

namespace vigil {

namespace {

SourceMark mark_of(const YAML::Node& node) {
  const auto [line, column] = yaml_position(node);
  return {line, column};
}

// Where errors of one file (and, while a rule is parsed, one rule) go.
class Reporter {
 public:
  Reporter(const std::string& file, Errors& errors) : file_(file), errors_(errors) {}

  void set_rule(std::string id) { rule_ = std::move(id); }
  size_t count() const { return errors_.size(); }

  void at(const SourceMark& m, const char* code, std::string message) {
    errors_.push_back(Error(code, std::move(message)).at(file_, m.line, m.column).for_rule(rule_));
  }
  void at(const YAML::Node& node, const char* code, std::string message) {
    at(mark_of(node), code, std::move(message));
  }

  // Every key of `map` must be in `allowed`; `where` names the map in the message.
  void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed, std::string_view where) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
      bool known = false;
      for (std::string_view a : allowed) known = known || a == key;
      if (known) continue;
      std::string list;
      for (std::string_view a : allowed) list.append(list.empty() ? "" : ", ").append(a);
      at(it->first, "rules.unknown_key",
         "unknown key '" + key + "' in " + std::string(where) + " (allowed: " + list + ")");
    }
  }

  // The required key `key` of `map`, reported when missing.
  std::optional<YAML::Node> require(const YAML::Node& map, const char* key, std::string_view where) {
    YAML::Node n = map[key];
    if (n.IsDefined() && !n.IsNull()) return n;
    at(map, "rules.missing_key", std::string(where) + " needs the key '" + key + "'");
    return std::nullopt;
  }

  // The scalar text of `node`, reported when it is not a scalar.
  std::optional<std::string> scalar(const YAML::Node& node, std::string_view what) {
    if (node.IsScalar()) return node.Scalar();
    at(node, "rules.bad_value", std::string(what) + " must be a plain value, not a list or a mapping");
    return std::nullopt;
  }

  // A list of strings (examples, list items); bad entries reported and skipped.
  void strings(const YAML::Node& seq, std::string_view what, std::vector<std::string>& out,
               std::vector<SourceMark>* marks) {
    if (!seq.IsSequence()) {
      at(seq, "rules.bad_value", std::string(what) + " must be a list of strings");
      return;
    }
    for (const YAML::Node& item : seq) {
      auto s = scalar(item, what);
      if (!s) continue;
      out.push_back(std::move(*s));
      if (marks) marks->push_back(mark_of(item));
    }
  }

 private:
  const std::string& file_;
  Errors& errors_;
  std::string rule_;
};

std::optional<YAML::Node> load_yaml(const std::string& file, const std::string& text, Errors& errors) {
  return YamlErrors(file, errors, "rules", "rules.yaml_syntax").parse(text);
}

ListMap parse_lists(const YAML::Node& node, Reporter& report) {
  ListMap lists;
  if (!node.IsMap()) {
    report.at(node, "rules.bad_value", "'lists' must map each list name to a list of strings");
    return lists;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    auto name = report.scalar(it->first, "a list name");
    if (!name) continue;
    std::vector<std::string> items;
    report.strings(it->second, "list '" + *name + "'", items, nullptr);
    for (const std::string& item : items) {
      if (item.empty()) report.at(it->second, "rules.empty_pattern", "list '" + *name + "' holds an empty item");
    }
    if (items.empty()) report.at(it->second, "rules.empty_pattern", "list '" + *name + "' is empty");
    lists[*name] = std::move(items);
  }
  return lists;
}

// The code point of the UTF-8 sequence starting at text[i] (0 when it is not one).
char32_t code_point_at(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  const size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  if (n == 1) return b;
  char32_t cp = b & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
  return cp;
}

// Han, kana, Hangul, CJK punctuation and full-width forms: none is an ASCII word character.
bool is_cjk(char32_t c) {
  return (c >= 0x3000 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
         (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF00 && c <= 0xFFEF) ||
         (c >= 0x20000 && c <= 0x3FFFF);
}

// Whether the regex has a \b written right before or after a CJK character, across group
// openings after it ("\b(?:加") and group closings before it ("加)\b"). Hyperscan's and
// RE2's \b are ASCII word boundaries, so such a \b can never match beside CJK text.
bool word_boundary_next_to_cjk(std::string_view re) {
  for (size_t i = 0; i + 1 < re.size(); ++i) {
    if (re[i] != '\\') continue;
    if (re[i + 1] != 'b') {
      ++i;  // an escaped character, e.g. "\\b" is a backslash then 'b'
      continue;
    }
    size_t next = i + 2;
    while (next < re.size() && re[next] == '(') {
      ++next;
      if (next < re.size() && re[next] == '?') {
        if (re.compare(next, 2, "?:") == 0) {
          next += 2;
        } else if (re.compare(next, 3, "?P<") == 0) {
          const size_t close = re.find('>', next);
          next = close == std::string_view::npos ? re.size() : close + 1;
        }
      }
    }
    if (next < re.size() && is_cjk(code_point_at(re, next))) return true;
    size_t prev = i;
    while (prev > 0 && re[prev - 1] == ')') --prev;
    // Step back over the UTF-8 continuation bytes to the start of the previous character.
    size_t start = prev;
    while (start > 0 && prev - start < 4 && (static_cast<unsigned char>(re[start - 1]) & 0xC0) == 0x80) --start;
    if (start > 0 && is_cjk(code_point_at(re, start - 1))) return true;
    ++i;
  }
  return false;
}

// `patterns:` or `unless:`: a list of {regex: ...} or {literal: ...}.
void parse_patterns(const YAML::Node& seq, const char* key, const ListMap& lists, Reporter& report,
                    std::vector<std::string>& out, std::vector<SourceMark>& marks) {
  if (!seq.IsSequence()) {
    report.at(seq, "rules.bad_value", std::string("'") + key + "' must be a list of {regex: ...} or {literal: ...}");
    return;
  }
  for (const YAML::Node& p : seq) {
    if (!p.IsMap()) {
      report.at(p, "rules.bad_value",
                std::string("each entry of '") + key + "' must be {regex: '...'} or {literal: '...'}");
      continue;
    }
    const size_t before = report.count();
    report.check_keys(p, {"regex", "literal"}, std::string("an entry of '") + key + "'");
    if (report.count() != before) continue;  // a misspelt key: "missing regex" would only repeat it
    const YAML::Node regex = p["regex"];
    const YAML::Node literal = p["literal"];
    if (regex.IsDefined() == literal.IsDefined()) {
      report.at(p, regex.IsDefined() ? "rules.bad_value" : "rules.missing_key",
                std::string("each entry of '") + key + "' needs exactly one of 'regex' or 'literal'");
      continue;
    }
    const YAML::Node& value = regex.IsDefined() ? regex : literal;
    auto text = value.IsNull() ? std::optional<std::string>("") : report.scalar(value, "a pattern");
    if (!text) continue;
    if (text->empty()) {
      report.at(value, "rules.empty_pattern", std::string("an entry of '") + key + "' is empty");
      continue;
    }
    std::string expanded;
    if (literal.IsDefined()) {
      expanded = escape_regex(*text);
    } else if (std::string unknown; !expand_lists(*text, lists, expanded, unknown)) {
      report.at(value, "rules.unknown_list",
                "the pattern uses {{" + unknown + "}} but the pack's 'lists' has no list '" + unknown + "'");
      continue;
    }
    if (regex.IsDefined() && word_boundary_next_to_cjk(expanded)) {
      report.at(value, "rules.cjk_word_boundary",
                "\\b next to Chinese (CJK) text never matches: \\b is an ASCII word boundary and a CJK "
                "character is not an ASCII word character; drop the \\b (Chinese has no spaces between words)");
      continue;
    }
    out.push_back(std::move(expanded));
    marks.push_back(mark_of(value));
  }
}

void parse_examples(const YAML::Node& node, RuleSource& src, Reporter& report) {
  if (!node.IsMap()) {
    report.at(node, "rules.bad_value", "'examples' must be {match: [...], no_match: [...]}");
    return;
  }
  report.check_keys(node, {"match", "no_match"}, "'examples'");
  if (node["match"].IsDefined())
    report.strings(node["match"], "'examples.match'", src.rule.examples_match, &src.match_marks);
  if (node["no_match"].IsDefined()) {
    report.strings(node["no_match"], "'examples.no_match'", src.rule.examples_no_match, &src.no_match_marks);
  }
  if (src.rule.examples_match.empty() || src.rule.examples_no_match.empty()) {
    report.at(node, "rules.no_examples",
              "a rule needs at least one 'match' and one 'no_match' example (so `vigil rules test` can check it)");
  }
}

// Rule ids read <language>.<stage>.<name> (age_signal rules: <language>.age.<name>), so an
// id of three or more dotted parts names its stage in the part before the last; a rule
// moved to another stage without a new id would mislead everyone who reads the id.
void check_id_stage(const RuleSource& src, Reporter& report) {
  const std::string& id = src.rule.id;
  const std::string& stage = src.rule.stage;
  const size_t last = id.rfind('.');
  if (stage.empty() || last == std::string::npos || last == 0) return;
  const size_t before = id.rfind('.', last - 1);
  if (before == std::string::npos) return;  // two parts: no stage part
  const std::string part = id.substr(before + 1, last - before - 1);
  const std::string want = stage == kAgeSignalStage ? "age" : stage;
  if (part == want) return;
  report.at(src.id_mark, "rules.id_stage_mismatch",
            "the rule id '" + id + "' names the stage '" + part + "' but the rule's stage is '" + stage +
                "' (ids read <language>.<stage>.<name>; age_signal rules use 'age')");
}

std::optional<RuleStatus> parse_status(std::string_view s) {
  if (s == "stable") return RuleStatus::kStable;
  if (s == "shadow") return RuleStatus::kShadow;
  if (s == "deprecated") return RuleStatus::kDeprecated;
  return std::nullopt;
}

void parse_number_fields(const YAML::Node& r, RuleSource& src, Reporter& report) {
  if (YAML::Node w = r["weight"]; w.IsDefined()) {
    double v = -1;
    try {
      v = w.as<double>();
    } catch (const YAML::Exception&) {
      v = -1;
    }
    if (!w.IsScalar() || !std::isfinite(v) || v < 0) {
      report.at(w, "rules.bad_value", "'weight' must be a number >= 0 (e.g. 1.0)");
    } else {
      src.rule.weight = v;
    }
  }
  if (YAML::Node g = r["grade_offset"]; g.IsDefined()) {
    try {
      src.rule.grade_offset = g.as<int>();
      src.has_grade_offset = true;
    } catch (const YAML::Exception&) {
      report.at(g, "rules.bad_value", "'grade_offset' must be a whole number (age = grade + grade_offset)");
    }
  }
}

std::optional<RuleSource> parse_rule(const YAML::Node& r, const PackSource& pack, const ListMap& lists,
                                     Reporter& report) {
  if (!r.IsMap()) {
    report.at(r, "rules.bad_value", "each entry of 'rules' must be a mapping with id, stage, patterns, examples");
    return std::nullopt;
  }
  RuleSource src;
  src.rule.pack = pack.name;
  src.rule.language = pack.language;
  src.rule.file = pack.file;
  src.rule.line = mark_of(r).line;
  report.set_rule("");
  if (YAML::Node id = r["id"]; id.IsDefined()) {
    if (auto s = report.scalar(id, "'id'")) src.rule.id = *s;
    src.id_mark = mark_of(id);
  }
  report.set_rule(src.rule.id);
  const size_t before = report.count();
  report.check_keys(
      r, {"id", "stage", "weight", "description", "status", "patterns", "unless", "examples", "grade_offset", "urgent"},
      "a rule");
  // Present but empty (`id: !tag` reads as "") is refused like missing: no rule is kept
  // without an id and a stage.
  if (src.rule.id.empty()) {
    if (YAML::Node id = r["id"]; id.IsDefined())
      report.at(id, "rules.bad_value", "'id' must not be empty");
    else
      report.require(r, "id", "a rule");
  }
  if (auto s = report.require(r, "stage", "a rule")) {
    if (auto v = report.scalar(*s, "'stage'")) src.rule.stage = *v;
    if (src.rule.stage.empty()) report.at(*s, "rules.bad_value", "'stage' must not be empty");
    src.stage_mark = mark_of(*s);
  }
  check_id_stage(src, report);
  if (auto d = report.require(r, "description", "a rule")) {
    if (auto v = report.scalar(*d, "'description'")) src.rule.description = *v;
  }
  if (YAML::Node st = r["status"]; st.IsDefined()) {
    auto v = report.scalar(st, "'status'");
    auto status = v ? parse_status(*v) : std::nullopt;
    if (status) src.rule.status = *status;
    if (v && !status)
      report.at(st, "rules.bad_value", "'status' must be stable, shadow or deprecated, not '" + *v + "'");
  }
  parse_number_fields(r, src, report);
  if (YAML::Node u = r["urgent"]; u.IsDefined()) {
    bool v = false;
    try {
      v = u.as<bool>();
    } catch (const YAML::Exception&) {
      report.at(u, "rules.bad_value", "'urgent' must be true or false");
    }
    if (v && src.rule.stage == kAgeSignalStage)
      report.at(u, "rules.bad_value", "an age_signal rule cannot be 'urgent' (it scores nothing)");
    src.rule.urgent = v;
  }
  if (auto p = report.require(r, "patterns", "a rule")) {
    parse_patterns(*p, "patterns", lists, report, src.rule.patterns, src.pattern_marks);
    if (p->IsSequence() && p->size() == 0) report.at(*p, "rules.empty_pattern", "'patterns' is empty");
  }
  if (YAML::Node u = r["unless"]; u.IsDefined()) {
    parse_patterns(u, "unless", lists, report, src.rule.unless, src.unless_marks);
  }
  if (YAML::Node e = r["examples"]; e.IsDefined()) {
    parse_examples(e, src, report);
  } else {
    report.at(r, "rules.no_examples",
              "a rule needs 'examples: {match: [...], no_match: [...]}' (so `vigil rules test` can check it)");
  }
  report.set_rule("");
  if (report.count() != before || src.rule.id.empty()) return std::nullopt;
  return src;
}

}  // namespace

PackSource parse_pack(const std::string& file, const std::string& text, Errors& errors) {
  PackSource pack;
  pack.file = file;
  auto loaded = load_yaml(file, text, errors);
  if (!loaded) return pack;
  Reporter report(file, errors);
  const YAML::Node* root = &*loaded;
  if (!root->IsMap()) {
    report.at(*root, "rules.bad_value", "a rule pack is a mapping with the keys pack, language, rules (and lists)");
    return pack;
  }
  report.check_keys(*root, {"pack", "language", "description", "lists", "rules"}, "a rule pack");
  if (auto n = report.require(*root, "pack", "a rule pack")) {
    if (auto v = report.scalar(*n, "'pack'")) pack.name = *v;
  }
  if (auto n = report.require(*root, "language", "a rule pack")) {
    if (auto v = report.scalar(*n, "'language'")) pack.language = *v;
  }
  ListMap lists;
  if (YAML::Node l = (*root)["lists"]; l.IsDefined()) lists = parse_lists(l, report);
  auto rules = report.require(*root, "rules", "a rule pack");
  if (!rules) return pack;
  if (!rules->IsSequence()) {
    report.at(*rules, "rules.bad_value", "'rules' must be a list of rules");
    return pack;
  }
  for (const YAML::Node& r : *rules) {
    if (auto src = parse_rule(r, pack, lists, report)) pack.rules.push_back(std::move(*src));
  }
  return pack;
}

std::vector<Stage> parse_stages(const std::string& file, const std::string& text, Errors& errors) {
  auto loaded = load_yaml(file, text, errors);
  if (!loaded) return {};
  return parse_stages(file, *loaded, errors);
}

std::vector<Stage> parse_stages(const std::string& file, const YAML::Node& document, Errors& errors) {
  std::vector<Stage> stages;
  Reporter report(file, errors);
  const YAML::Node* root = &document;
  if (!root->IsMap()) {
    report.at(*root, "rules.bad_value", "stages.yaml is a mapping with the keys stages, scorer, levels");
    return stages;
  }
  report.check_keys(*root, {"stages", "scorer", "levels"}, "stages.yaml");
  auto list = report.require(*root, "stages", "stages.yaml");
  if (!list) return stages;
  if (!list->IsSequence() || list->size() == 0) {
    report.at(*list, "rules.bad_value", "'stages' must be a non-empty list of {name, description}");
    return stages;
  }
  std::set<std::string> seen;
  for (const YAML::Node& s : *list) {
    if (!s.IsMap()) {
      report.at(s, "rules.bad_value", "each stage must be a mapping {name: ..., description: ...}");
      continue;
    }
    report.check_keys(s, {"name", "description"}, "a stage");
    Stage stage;
    if (auto n = report.require(s, "name", "a stage")) {
      if (auto v = report.scalar(*n, "a stage name")) stage.name = *v;
    }
    if (YAML::Node d = s["description"]; d.IsDefined()) {
      if (auto v = report.scalar(d, "a stage description")) stage.description = *v;
    }
    if (stage.name.empty()) continue;
    if (stage.name == kAgeSignalStage) {
      report.at(s, "rules.bad_value", "'age_signal' is built in; it is not declared in stages.yaml");
      continue;
    }
    if (!seen.insert(stage.name).second) {
      report.at(s, "rules.duplicate_id", "the stage '" + stage.name + "' is declared twice");
      continue;
    }
    stage.order = static_cast<uint32_t>(stages.size());
    stages.push_back(std::move(stage));
  }
  return stages;
}

}  // namespace vigil
