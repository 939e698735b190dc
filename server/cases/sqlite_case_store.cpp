#include "server/cases/sqlite_case_store.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "plugin/common/json_text.h"
#include "server/cases/case_json.h"
#include "server/cases/case_lifecycle.h"
#include "server/cases/evidence.h"
#include "server/cases/sqlite_statement.h"

namespace vigil::cases {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS cases(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  conversation_id TEXT NOT NULL,
  status TEXT NOT NULL,
  level INTEGER NOT NULL,
  risk REAL NOT NULL,
  suspect_id TEXT NOT NULL,
  assignee TEXT NOT NULL DEFAULT '',
  rules_version TEXT NOT NULL,
  opened_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  closed_ms INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1,
  message_count INTEGER NOT NULL DEFAULT 0,
  chain_head TEXT NOT NULL,
  stages TEXT NOT NULL DEFAULT ',',     -- ",access,secrecy,": a LIKE '%,stage,%' filter
  languages TEXT NOT NULL DEFAULT ',',
  participants TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS cases_by_conversation ON cases(conversation_id, seq);
CREATE INDEX IF NOT EXISTS cases_by_status ON cases(status);
CREATE TABLE IF NOT EXISTS case_messages(
  case_seq INTEGER NOT NULL REFERENCES cases(seq) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  message_id TEXT NOT NULL,
  sender_id TEXT NOT NULL,
  text TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  risk REAL NOT NULL,
  level INTEGER NOT NULL,
  context INTEGER NOT NULL,
  stages TEXT NOT NULL,
  hits TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY(case_seq, seq),
  UNIQUE(case_seq, message_id)
);
CREATE TABLE IF NOT EXISTS decisions(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  case_seq INTEGER NOT NULL REFERENCES cases(seq) ON DELETE CASCADE,
  decision TEXT NOT NULL, reason TEXT NOT NULL, note TEXT NOT NULL, moderator TEXT NOT NULL,
  at_ms INTEGER NOT NULL, from_status TEXT NOT NULL, to_status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  case_id TEXT NOT NULL, conversation_id TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS outbox(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL, type TEXT NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL,
  created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending', last_error TEXT NOT NULL DEFAULT '', delivered_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_ms);
)sql";

// A prepared statement; binds by 1-based index, reads columns by 0-based index.
// ",a,b," <-> {"a", "b"}
std::string set_text(const std::vector<std::string>& items) {
  std::string out = ",";
  for (const std::string& s : items) out += s + ",";
  return out;
}
std::vector<std::string> set_items(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    if (comma > start) out.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}
void add_to_set(std::vector<std::string>& set, const std::string& item) {
  if (!item.empty() && std::find(set.begin(), set.end(), item) == set.end()) set.push_back(item);
}

constexpr const char* kSummaryColumns =
    "seq, id, conversation_id, status, level, risk, suspect_id, assignee, rules_version, "
    "opened_ms, updated_ms, "
    "closed_ms, version, message_count, stages, languages, chain_head, participants";

// Reads a row of kSummaryColumns; chain_head and participants into the out-params.
CaseSummary read_summary(const Statement& s, std::string* chain_head = nullptr, std::string* participants = nullptr) {
  CaseSummary c;
  c.seq = s.i64(0);
  c.id = s.text(1);
  c.conversation_id = s.text(2);
  parse_status(s.text(3), c.status);
  c.level = static_cast<Level>(std::clamp<int64_t>(s.i64(4), 0, 3));
  c.risk = s.real(5);
  c.suspect_id = s.text(6);
  c.assignee = s.text(7);
  c.rules_version = s.text(8);
  c.opened_ms = s.i64(9);
  c.updated_ms = s.i64(10);
  c.closed_ms = s.i64(11);
  c.version = s.i64(12);
  c.message_count = static_cast<uint64_t>(s.i64(13));
  c.stages = set_items(s.text(14));
  c.languages = set_items(s.text(15));
  if (chain_head) *chain_head = s.text(16);
  if (participants) *participants = s.text(17);
  return c;
}

// Queues one webhook event for every URL, under one event id (the idempotency key).
// Row readers, one per table; each reads the columns its query selects, in order.

// seq, message_id, sender_id, text, ts_ms, risk, level, context, stages, hits, hash
CaseMessage read_case_message(const Statement& row) {
  CaseMessage m;
  m.seq = row.i64(0);
  m.message_id = row.text(1);
  m.sender_id = row.text(2);
  m.text = row.text(3);
  m.ts_ms = row.i64(4);
  m.risk = row.real(5);
  m.level = static_cast<Level>(std::clamp<int64_t>(row.i64(6), 0, 3));
  m.context = row.i64(7) != 0;
  stages_from_text(row.text(8), m.stages);
  hits_from_text(row.text(9), m.hits);
  m.hash = row.text(10);
  return m;
}

// decision, reason, note, moderator, at_ms, from_status, to_status
Decision read_decision(const Statement& row) {
  Decision d;
  d.decision = row.text(0);
  d.reason = row.text(1);
  d.note = row.text(2);
  d.moderator = row.text(3);
  d.at_ms = row.i64(4);
  parse_status(row.text(5), d.from);
  parse_status(row.text(6), d.to);
  return d;
}

// seq, at_ms, actor, action, case_id, conversation_id, detail
AuditEntry read_audit_entry(const Statement& row) {
  AuditEntry e;
  e.seq = row.i64(0);
  e.at_ms = row.i64(1);
  e.actor = row.text(2);
  e.action = row.text(3);
  e.case_id = row.text(4);
  e.conversation_id = row.text(5);
  e.detail = row.text(6);
  return e;
}

// seq, event_id, type, url, body, attempts
OutboxItem read_outbox_item(const Statement& row) {
  OutboxItem o;
  o.seq = row.i64(0);
  o.event_id = row.text(1);
  o.type = row.text(2);
  o.url = row.text(3);
  o.body = row.text(4);
  o.attempts = static_cast<int>(row.i64(5));
  return o;
}

bool enqueue_event(sqlite3* db, const std::vector<std::string>& urls, std::string_view type, const CaseSummary& c,
                   const Decision* d, int64_t now_ms) {
  const std::string event_id = random_id("evt_", 12);
  const std::string body = dump_json(event_json(event_id, type, c, d, now_ms));
  for (const std::string& url : urls) {
    Statement ins(db,
                  "INSERT INTO outbox(event_id, type, url, body, created_ms, next_ms) VALUES(?1, ?2, "
                  "?3, ?4, ?5, ?5)");
    ins.bind(1, event_id).bind(2, type).bind(3, url).bind(4, body).bind(5, now_ms);
    if (!ins.run()) return false;
  }
  return true;
}

const char* sort_column(SortKey k) {
  switch (k) {
    case SortKey::kRisk:
      return "risk";
    case SortKey::kOpened:
      return "opened_ms";
    case SortKey::kUpdated:
      return "updated_ms";
  }
  return "risk";
}

}  // namespace

std::string random_id(std::string_view prefix, size_t bytes) {
  unsigned char buf[32];
  bytes = std::min(bytes, sizeof buf);
  if (RAND_bytes(buf, static_cast<int>(bytes)) != 1) {
    // OpenSSL's RNG does not fail once seeded; fall back to the clock rather than abort.
    const auto t = std::chrono::steady_clock::now().time_since_epoch().count();
    for (size_t i = 0; i < bytes; ++i)
      buf[i] = static_cast<unsigned char>(t >> ((i % 8) * 8)) ^ static_cast<unsigned char>(i * 131);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(prefix);
  for (size_t i = 0; i < bytes; ++i) {
    out += kHex[buf[i] >> 4];
    out += kHex[buf[i] & 15];
  }
  return out;
}

// One write transaction (BEGIN IMMEDIATE ... COMMIT); rolls back unless committed.
class SqliteCaseStore::Tx {
 public:
  explicit Tx(sqlite3* db) : db_(db) { began_ = exec(db, "BEGIN IMMEDIATE"); }
  ~Tx() {
    if (began_ && !done_) exec(db_, "ROLLBACK");
  }
  bool began() const { return began_; }
  bool commit() {
    done_ = exec(db_, "COMMIT");
    return done_;
  }

 private:
  sqlite3* db_;
  bool began_ = false;
  bool done_ = false;
};

Result<std::unique_ptr<SqliteCaseStore>> SqliteCaseStore::open(SqliteCaseStoreOptions options) {
  std::unique_ptr<SqliteCaseStore> s(new SqliteCaseStore);
  s->options_ = std::move(options);
  std::string path = ":memory:";
  if (!s->options_.file.empty()) {
    std::error_code ec;
    if (s->options_.file.has_parent_path()) std::filesystem::create_directories(s->options_.file.parent_path(), ec);
    if (ec)
      return Error("cases.open_failed", "cannot create the data directory: " + ec.message())
          .at(s->options_.file.string());
    path = s->options_.file.string();
  }
  if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    return Error("cases.open_failed", std::string("cannot open the case store: ") + sqlite3_errmsg(s->db_)).at(path);
  sqlite3_busy_timeout(s->db_, 5000);
  // FULL: a commit is on disk before record() returns, so a verdict that names a case
  // never outlives the case (kill -9, and power loss too).
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", kSchema}) {
    char* err = nullptr;
    if (sqlite3_exec(s->db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(s->db_);
      sqlite3_free(err);
      return Error("cases.open_failed", "cannot set up the case store: " + msg).at(path);
    }
  }
  return s;
}

SqliteCaseStore::~SqliteCaseStore() { sqlite3_close_v2(db_); }

Result<RecordResult> SqliteCaseStore::record(const MessageEvent& e) {
  std::lock_guard lock(mu_);
  Tx tx(db_);
  if (!tx.began()) return sql_error(db_, "cases: begin");

  std::optional<CaseSummary> latest;
  std::string chain_head;
  {
    Statement q(db_, (std::string("SELECT ") + kSummaryColumns +
                      " FROM cases WHERE conversation_id = ?1 ORDER BY seq DESC LIMIT 1")
                         .c_str());
    q.bind(1, e.conversation_id);
    const int rc = q.step();
    if (rc == SQLITE_ROW)
      latest = read_summary(q, &chain_head);
    else if (rc != SQLITE_DONE)
      return sql_error(db_, "cases: read");
  }
  RecordResult out;
  if (e.duplicate) {
    // A repeat joins nothing; it is answered with the case its first copy joined.
    if (latest) {
      Statement q(db_, "SELECT 1 FROM case_messages WHERE case_seq = ?1 AND message_id = ?2");
      q.bind(1, latest->seq).bind(2, e.message.message_id);
      if (q.step() == SQLITE_ROW) out.case_id = latest->id;
      out.active = !is_closed(latest->status);
    }
    return out;
  }
  const MessageAction action =
      on_message(latest ? std::optional(latest->status) : std::nullopt, e.level, e.new_evidence);
  if (action == MessageAction::kIgnore) {
    out.active = latest && !is_closed(latest->status);
    return out;
  }
  const bool escalated = raises_to_urgent(action, latest ? latest->level : Level::kNone, e.level);

  CaseSummary c;
  if (action == MessageAction::kOpen) {
    c.id = random_id("case_", 8);
    c.conversation_id = e.conversation_id;
    c.status = CaseStatus::kOpen;
    c.rules_version = e.rules_version;
    c.opened_ms = e.now_ms;
    chain_head = std::string(kChainGenesis);
    Statement ins(db_,
                  "INSERT INTO cases(id, conversation_id, status, level, risk, suspect_id, "
                  "rules_version, opened_ms, "
                  "updated_ms, chain_head) VALUES(?1, ?2, 'open', ?3, ?4, ?5, ?6, ?7, ?7, ?8)");
    ins.bind(1, c.id).bind(2, c.conversation_id).bind(3, static_cast<int>(e.level)).bind(4, e.risk);
    ins.bind(5, e.suspect_id).bind(6, c.rules_version).bind(7, e.now_ms).bind(8, chain_head);
    if (!ins.run()) return sql_error(db_, "cases: open");
    c.seq = sqlite3_last_insert_rowid(db_);
  } else {
    c = *latest;
    if (action == MessageAction::kReopen) {
      c.status = CaseStatus::kOpen;
      c.closed_ms = 0;
      c.version += 1;
    }
  }

  // The messages to add: on opening (and reopening) the context held in memory that
  // the case lacks, then this message.
  std::vector<const CaseMessage*> adds;
  if (action == MessageAction::kOpen || action == MessageAction::kReopen)
    for (const CaseMessage& m : e.context)
      if (m.message_id != e.message.message_id) adds.push_back(&m);
  adds.push_back(&e.message);
  for (const CaseMessage* m : adds) {
    Statement has(db_, "SELECT 1 FROM case_messages WHERE case_seq = ?1 AND message_id = ?2");
    has.bind(1, c.seq).bind(2, m->message_id);
    if (has.step() == SQLITE_ROW) continue;
    CaseMessage row = *m;
    row.seq = static_cast<int64_t>(c.message_count);
    row.hash = chain_link(chain_head, row);
    Statement ins(db_,
                  "INSERT INTO case_messages(case_seq, seq, message_id, sender_id, text, ts_ms, risk, "
                  "level, context, "
                  "stages, hits, hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    ins.bind(1, c.seq).bind(2, row.seq).bind(3, row.message_id).bind(4, row.sender_id).bind(5, row.text);
    ins.bind(6, row.ts_ms).bind(7, row.risk).bind(8, static_cast<int>(row.level)).bind(9, row.context ? 1 : 0);
    ins.bind(10, stages_text(row.stages)).bind(11, hits_text(row.hits)).bind(12, row.hash);
    if (!ins.run()) return sql_error(db_, "cases: add message");
    chain_head = row.hash;
    c.message_count += 1;
    for (const CaseHit& h : row.hits) {
      if (h.shadow) continue;
      add_to_set(c.stages, h.stage);
      add_to_set(c.languages, h.language);
    }
  }
  c.level = std::max(c.level, e.level);
  c.risk = std::max(c.risk, e.risk);
  if (!e.suspect_id.empty()) c.suspect_id = e.suspect_id;
  c.updated_ms = e.now_ms;
  {
    Statement up(db_,
                 "UPDATE cases SET status = ?2, level = ?3, risk = ?4, suspect_id = ?5, updated_ms = "
                 "?6, closed_ms = ?7, "
                 "version = ?8, message_count = ?9, chain_head = ?10, stages = ?11, languages = ?12, "
                 "participants = CASE WHEN ?13 = '[]' THEN participants ELSE ?13 END WHERE seq = ?1");
    up.bind(1, c.seq).bind(2, to_string(c.status)).bind(3, static_cast<int>(c.level)).bind(4, c.risk);
    up.bind(5, c.suspect_id).bind(6, c.updated_ms).bind(7, c.closed_ms).bind(8, c.version);
    up.bind(9, static_cast<int64_t>(c.message_count)).bind(10, chain_head).bind(11, set_text(c.stages));
    up.bind(12, set_text(c.languages)).bind(13, participants_text(e.participants));
    if (!up.run()) return sql_error(db_, "cases: update");
  }
  if (action != MessageAction::kJoin) out.events.push_back("case.opened");
  if (escalated) out.events.push_back("case.escalated");
  for (const std::string& type : out.events)
    if (!enqueue_event(db_, options_.webhook_urls, type, c, nullptr, e.now_ms)) return sql_error(db_, "cases: outbox");
  if (!tx.commit()) return sql_error(db_, "cases: commit");
  out.case_id = c.id;
  out.active = true;
  return out;
}

Result<std::optional<CaseRecord>> SqliteCaseStore::get(std::string_view case_id) {
  std::lock_guard lock(mu_);
  CaseRecord r;
  {
    Statement q(db_, (std::string("SELECT ") + kSummaryColumns + " FROM cases WHERE id = ?1").c_str());
    q.bind(1, case_id);
    const int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<CaseRecord>();
    if (rc != SQLITE_ROW) return sql_error(db_, "cases: read");
    std::string participants;
    r.summary = read_summary(q, nullptr, &participants);
    participants_from_text(participants, r.participants);
  }
  {
    Statement q(db_,
                "SELECT seq, message_id, sender_id, text, ts_ms, risk, level, context, stages, hits, "
                "hash FROM "
                "case_messages WHERE case_seq = ?1 ORDER BY seq");
    q.bind(1, r.summary.seq);
    if (!q.each_row([&](const Statement& row) { r.messages.push_back(read_case_message(row)); }))
      return sql_error(db_, "cases: read messages");
  }
  {
    Statement q(db_,
                "SELECT decision, reason, note, moderator, at_ms, from_status, to_status FROM decisions "
                "WHERE case_seq = ?1 "
                "ORDER BY seq");
    q.bind(1, r.summary.seq);
    if (!q.each_row([&](const Statement& row) { r.decisions.push_back(read_decision(row)); }))
      return sql_error(db_, "cases: read decisions");
  }
  return std::optional<CaseRecord>(std::move(r));
}

namespace {

// The WHERE clause of a case query and its bindings, in order.
struct Where {
  std::string sql = " WHERE 1";
  std::vector<std::string> texts;  // bound as text
  std::vector<int64_t> ints;       // bound after the texts
};

Where query_where(const CaseQuery& q, bool with_status) {
  Where w;
  if (with_status && !q.statuses.empty()) {
    w.sql += " AND status IN (";
    for (size_t i = 0; i < q.statuses.size(); ++i) {
      w.sql += i ? ",?" : "?";
      w.texts.push_back(to_string(q.statuses[i]));
    }
    w.sql += ")";
  }
  if (!q.stage.empty()) {
    w.sql += " AND instr(stages, ?) > 0";
    w.texts.push_back("," + q.stage + ",");
  }
  if (!q.language.empty()) {
    w.sql += " AND instr(languages, ?) > 0";
    w.texts.push_back("," + q.language + ",");
  }
  if (q.assignee) {
    w.sql += " AND assignee = ?";
    w.texts.push_back(*q.assignee);
  }
  if (q.level) {
    w.sql += " AND level = ?";
    w.ints.push_back(static_cast<int64_t>(*q.level));
  }
  if (q.opened_from_ms > 0) {
    w.sql += " AND opened_ms >= ?";
    w.ints.push_back(q.opened_from_ms);
  }
  if (q.opened_to_ms > 0) {
    w.sql += " AND opened_ms < ?";
    w.ints.push_back(q.opened_to_ms);
  }
  return w;
}

int bind_where(Statement& s, const Where& w) {
  int i = 1;
  for (const std::string& t : w.texts) s.bind(i++, t);
  for (int64_t v : w.ints) s.bind(i++, v);
  return i;
}

// The cursor is "<sort value>~<seq>" of the last case of the page.
std::string make_cursor(const CaseSummary& c, SortKey k) {
  char buf[64];
  if (k == SortKey::kRisk) {
    std::snprintf(buf, sizeof buf, "%.17g~%lld", c.risk, static_cast<long long>(c.seq));
  } else {
    std::snprintf(buf, sizeof buf, "%lld~%lld",
                  static_cast<long long>(k == SortKey::kOpened ? c.opened_ms : c.updated_ms),
                  static_cast<long long>(c.seq));
  }
  return buf;
}

bool parse_cursor(const std::string& text, double& value, int64_t& seq) {
  const size_t tilde = text.find('~');
  if (tilde == std::string::npos) return false;
  char* end = nullptr;
  const std::string v = text.substr(0, tilde);
  value = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0') return false;
  const std::string s = text.substr(tilde + 1);
  long long n = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || n <= 0) return false;
  seq = n;
  return true;
}

}  // namespace

Result<CasePage> SqliteCaseStore::list(const CaseQuery& query) {
  double cursor_value = 0;
  int64_t cursor_seq = 0;
  if (!query.cursor.empty() && !parse_cursor(query.cursor, cursor_value, cursor_seq))
    return Error("request.bad_cursor", "cursor is not one this server returned").for_field("cursor");
  const size_t limit = std::clamp<size_t>(query.limit, 1, 500);
  std::lock_guard lock(mu_);
  CasePage page;
  Where w = query_where(query, true);
  const char* col = sort_column(query.sort);
  const char* cmp = query.descending ? "<" : ">";
  const char* dir = query.descending ? "DESC" : "ASC";
  std::string sql = std::string("SELECT ") + kSummaryColumns + " FROM cases" + w.sql;
  if (!query.cursor.empty()) {
    const std::string value = "?" + std::to_string(w.texts.size() + w.ints.size() + 1);
    const std::string seq = "?" + std::to_string(w.texts.size() + w.ints.size() + 2);
    sql += std::string(" AND (") + col + " " + cmp + " " + value + " OR (" + col + " = " + value + " AND seq " + cmp +
           " " + seq + "))";
  }
  sql += std::string(" ORDER BY ") + col + " " + dir + ", seq " + dir + " LIMIT " + std::to_string(limit + 1);
  {
    Statement q(db_, sql.c_str());
    if (!q.ok()) return sql_error(db_, "cases: list");
    int i = bind_where(q, w);
    if (!query.cursor.empty()) {
      if (query.sort == SortKey::kRisk)
        q.bind(i, cursor_value);
      else
        q.bind(i, static_cast<int64_t>(cursor_value));
      q.bind(i + 1, cursor_seq);
    }
    if (!q.each_row([&](const Statement& row) { page.cases.push_back(read_summary(row)); }))
      return sql_error(db_, "cases: list");
  }
  if (page.cases.size() > limit) {
    page.cases.resize(limit);
    page.next_cursor = make_cursor(page.cases.back(), query.sort);
  }
  Where cw = query_where(query, false);
  Statement q(db_, ("SELECT status, COUNT(*) FROM cases" + cw.sql + " GROUP BY status").c_str());
  if (!q.ok()) return sql_error(db_, "cases: count");
  bind_where(q, cw);
  for (CaseStatus s : kAllStatuses) page.counts.emplace_back(s, 0);
  const bool counted = q.each_row([&](const Statement& row) {
    CaseStatus s;
    if (parse_status(row.text(0), s)) page.counts[static_cast<size_t>(s)].second = static_cast<uint64_t>(row.i64(1));
  });
  if (!counted) return sql_error(db_, "cases: count");
  return page;
}

namespace {

// The summary of case `id` read inside a transaction, or case.not_found.
Result<CaseSummary> read_case(sqlite3* db, std::string_view id) {
  Statement q(db, (std::string("SELECT ") + kSummaryColumns + " FROM cases WHERE id = ?1").c_str());
  q.bind(1, id);
  const int rc = q.step();
  if (rc == SQLITE_ROW) return read_summary(q);
  if (rc == SQLITE_DONE)
    return Error("case.not_found", "no case with this id").for_field("id").as(ErrorKind::kNotFound);
  return sql_error(db, "cases: read");
}

bool insert_audit(sqlite3* db, const AuditEntry& e) {
  Statement ins(db,
                "INSERT INTO audit(at_ms, actor, action, case_id, conversation_id, detail) VALUES(?1, "
                "?2, ?3, ?4, ?5, ?6)");
  ins.bind(1, e.at_ms).bind(2, e.actor).bind(3, e.action).bind(4, e.case_id).bind(5, e.conversation_id);
  ins.bind(6, e.detail.empty() ? std::string("{}") : e.detail);
  return ins.run();
}

Error version_conflict(const CaseSummary& c, int64_t expected) {
  return Error("case.conflict", "the case changed since it was read (version " + std::to_string(expected) + ", now " +
                                    std::to_string(c.version) + "); read it again")
      .for_field("version")
      .as(ErrorKind::kConflict);
}

}  // namespace

Result<CaseSummary> SqliteCaseStore::assign(std::string_view case_id, const AssignRequest& r) {
  std::lock_guard lock(mu_);
  Tx tx(db_);
  if (!tx.began()) return sql_error(db_, "cases: begin");
  Result<CaseSummary> read = read_case(db_, case_id);
  if (!read) return read;
  CaseSummary c = std::move(read).value();
  if (r.expected_version > 0 && r.expected_version != c.version) return version_conflict(c, r.expected_version);
  if (is_closed(c.status))
    return Error("case.conflict", std::string("the case is ") + to_string(c.status) + "; a closed case is not assigned")
        .as(ErrorKind::kConflict);
  if (!c.assignee.empty() && c.assignee != r.assignee && !r.force) {
    return Error("case.assigned", "the case is assigned to " + c.assignee + "; send \"force\": true to take it over")
        .for_field("assignee")
        .as(ErrorKind::kConflict);
  }
  const std::string before = c.assignee;
  c.assignee = r.assignee;
  if (c.status == CaseStatus::kOpen) c.status = CaseStatus::kInReview;
  c.version += 1;
  c.updated_ms = r.now_ms;
  Statement up(db_, "UPDATE cases SET assignee = ?2, status = ?3, version = ?4, updated_ms = ?5 WHERE seq = ?1");
  up.bind(1, c.seq).bind(2, c.assignee).bind(3, to_string(c.status)).bind(4, c.version).bind(5, c.updated_ms);
  if (!up.run()) return sql_error(db_, "cases: assign");
  AuditEntry a;
  a.at_ms = r.now_ms;
  a.actor = r.actor;
  a.action = "case.assign";
  a.case_id = c.id;
  a.conversation_id = c.conversation_id;
  a.detail = dump_json({{"assignee", c.assignee}, {"previous", before}});
  if (!insert_audit(db_, a)) return sql_error(db_, "cases: audit");
  if (!tx.commit()) return sql_error(db_, "cases: commit");
  return c;
}

Result<CaseSummary> SqliteCaseStore::decide(std::string_view case_id, const DecisionRequest& r) {
  std::lock_guard lock(mu_);
  Tx tx(db_);
  if (!tx.began()) return sql_error(db_, "cases: begin");
  Result<CaseSummary> read = read_case(db_, case_id);
  if (!read) return read;
  CaseSummary c = std::move(read).value();
  if (r.expected_version > 0 && r.expected_version != c.version) return version_conflict(c, r.expected_version);
  const std::optional<CaseStatus> to = decision_target(c.status, r.decision.decision);
  if (!to) {
    std::string who;
    Statement q(db_, "SELECT moderator FROM decisions WHERE case_seq = ?1 ORDER BY seq DESC LIMIT 1");
    q.bind(1, c.seq);
    if (q.step() == SQLITE_ROW) who = " by " + q.text(0);
    return Error("case.conflict", std::string("the case is already ") + to_string(c.status) + who + "; the decision '" +
                                      r.decision.decision + "' was not applied")
        .for_field("decision")
        .as(ErrorKind::kConflict);
  }
  Decision d = r.decision;
  d.from = c.status;
  d.to = *to;
  c.status = *to;
  c.closed_ms = is_closed(c.status) ? d.at_ms : 0;
  c.version += 1;
  c.updated_ms = d.at_ms;
  {
    Statement up(db_,
                 "UPDATE cases SET status = ?2, closed_ms = ?3, version = ?4, updated_ms = ?5 WHERE seq "
                 "= ?1");
    up.bind(1, c.seq).bind(2, to_string(c.status)).bind(3, c.closed_ms).bind(4, c.version).bind(5, c.updated_ms);
    if (!up.run()) return sql_error(db_, "cases: decide");
  }
  {
    Statement ins(db_,
                  "INSERT INTO decisions(case_seq, decision, reason, note, moderator, at_ms, "
                  "from_status, to_status) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    ins.bind(1, c.seq).bind(2, d.decision).bind(3, d.reason).bind(4, d.note).bind(5, d.moderator).bind(6, d.at_ms);
    ins.bind(7, to_string(d.from)).bind(8, to_string(d.to));
    if (!ins.run()) return sql_error(db_, "cases: decide");
  }
  AuditEntry a;
  a.at_ms = d.at_ms;
  a.actor = d.moderator;
  a.action = "case.decision";
  a.case_id = c.id;
  a.conversation_id = c.conversation_id;
  a.detail =
      dump_json({{"decision", d.decision}, {"reason", d.reason}, {"from", to_string(d.from)}, {"to", to_string(d.to)}});
  if (!insert_audit(db_, a)) return sql_error(db_, "cases: audit");
  if (!enqueue_event(db_, options_.webhook_urls, "case.decided", c, &d, d.at_ms))
    return sql_error(db_, "cases: outbox");
  if (!tx.commit()) return sql_error(db_, "cases: commit");
  return c;
}

Result<std::vector<std::string>> SqliteCaseStore::active_conversations() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  Statement q(db_,
              "SELECT DISTINCT conversation_id FROM cases WHERE status IN ('open', 'in_review', "
              "'escalated')");
  if (!q.each_row([&](const Statement& row) { out.push_back(row.text(0)); })) return sql_error(db_, "cases: read");
  return out;
}

Result<bool> SqliteCaseStore::has_active_case(std::string_view conversation_id) {
  std::lock_guard lock(mu_);
  Statement q(db_,
              "SELECT 1 FROM cases WHERE conversation_id = ?1 AND status IN ('open', 'in_review', "
              "'escalated') LIMIT 1");
  q.bind(1, conversation_id);
  const int rc = q.step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sql_error(db_, "cases: read");
  return rc == SQLITE_ROW;
}

Result<EraseResult> SqliteCaseStore::erase_conversation(std::string_view conversation_id, bool closed_cases) {
  std::lock_guard lock(mu_);
  Tx tx(db_);
  if (!tx.began()) return sql_error(db_, "cases: begin");
  EraseResult out;
  std::vector<int64_t> doomed;
  {
    Statement q(db_, "SELECT seq, id, status FROM cases WHERE conversation_id = ?1 ORDER BY seq");
    q.bind(1, conversation_id);
    const bool read = q.each_row([&](const Statement& row) {
      CaseStatus s = CaseStatus::kOpen;
      parse_status(row.text(2), s);
      if (closed_cases && is_closed(s)) {
        doomed.push_back(row.i64(0));
        out.deleted.push_back(row.text(1));
      } else {
        out.kept.push_back(row.text(1));
      }
    });
    if (!read) return sql_error(db_, "cases: read");
  }
  for (int64_t seq : doomed) {
    Statement del(db_, "DELETE FROM cases WHERE seq = ?1");
    del.bind(1, seq);
    if (!del.run()) return sql_error(db_, "cases: erase");
  }
  if (!tx.commit()) return sql_error(db_, "cases: commit");
  return out;
}

Result<std::vector<CaseSummary>> SqliteCaseStore::purge(int64_t closed_before_ms, bool dry_run) {
  std::lock_guard lock(mu_);
  Tx tx(db_);
  if (!tx.began()) return sql_error(db_, "cases: begin");
  std::vector<CaseSummary> out;
  {
    Statement q(db_, (std::string("SELECT ") + kSummaryColumns +
                      " FROM cases WHERE status IN ('confirmed', 'dismissed') AND closed_ms > 0 AND "
                      "closed_ms < ?1 ORDER BY "
                      "closed_ms")
                         .c_str());
    q.bind(1, closed_before_ms);
    if (!q.each_row([&](const Statement& row) { out.push_back(read_summary(row)); }))
      return sql_error(db_, "cases: read");
  }
  if (dry_run) return out;
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  for (const CaseSummary& c : out) {
    Statement del(db_, "DELETE FROM cases WHERE seq = ?1");
    del.bind(1, c.seq);
    if (!del.run()) return sql_error(db_, "cases: purge");
    AuditEntry a;
    a.at_ms = now;
    a.actor = "system";
    a.action = "case.purge";
    a.case_id = c.id;
    a.conversation_id = c.conversation_id;
    a.detail = dump_json({{"status", to_string(c.status)}, {"closed_ms", c.closed_ms}, {"messages", c.message_count}});
    if (!insert_audit(db_, a)) return sql_error(db_, "cases: audit");
  }
  {
    // Delivered webhook events older than the retention go too (they hold case facts).
    Statement del(db_, "DELETE FROM outbox WHERE state != 'pending' AND created_ms < ?1");
    del.bind(1, closed_before_ms);
    if (!del.run()) return sql_error(db_, "cases: purge");
  }
  if (!tx.commit()) return sql_error(db_, "cases: commit");
  return out;
}

Status<> SqliteCaseStore::audit(const AuditEntry& entry) {
  std::lock_guard lock(mu_);
  if (!insert_audit(db_, entry)) return sql_error(db_, "cases: audit");
  return {};
}

Result<std::vector<AuditEntry>> SqliteCaseStore::audit_log(const AuditQuery& q) {
  std::lock_guard lock(mu_);
  std::string sql =
      "SELECT seq, at_ms, actor, action, case_id, conversation_id, detail FROM audit WHERE seq > "
      "?1 "
      "AND (?2 = '' OR case_id = ?2) AND (?3 = '' OR actor = ?3) AND (?4 = '' OR action = ?4) "
      "ORDER BY seq LIMIT ?5";
  Statement s(db_, sql.c_str());
  s.bind(1, q.after_seq).bind(2, q.case_id).bind(3, q.actor).bind(4, q.action);
  s.bind(5, static_cast<int64_t>(std::clamp<size_t>(q.limit, 1, 1000)));
  std::vector<AuditEntry> out;
  if (!s.each_row([&](const Statement& row) { out.push_back(read_audit_entry(row)); }))
    return sql_error(db_, "cases: audit");
  return out;
}

Result<std::vector<OutboxItem>> SqliteCaseStore::due_webhooks(int64_t now_ms, size_t limit) {
  std::lock_guard lock(mu_);
  Statement q(db_,
              "SELECT seq, event_id, type, url, body, attempts FROM outbox WHERE state = 'pending' AND "
              "next_ms <= ?1 "
              "ORDER BY seq LIMIT ?2");
  q.bind(1, now_ms).bind(2, static_cast<int64_t>(limit));
  std::vector<OutboxItem> out;
  if (!q.each_row([&](const Statement& row) { out.push_back(read_outbox_item(row)); }))
    return sql_error(db_, "cases: outbox");
  return out;
}

Status<> SqliteCaseStore::webhook_delivered(int64_t seq, int64_t now_ms) {
  std::lock_guard lock(mu_);
  Statement up(db_,
               "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, delivered_ms = ?2 WHERE "
               "seq = ?1");
  up.bind(1, seq).bind(2, now_ms);
  if (!up.run()) return sql_error(db_, "cases: outbox");
  return {};
}

Status<> SqliteCaseStore::webhook_failed(int64_t seq, int64_t next_ms, std::string_view error, bool give_up) {
  std::lock_guard lock(mu_);
  Statement up(db_,
               "UPDATE outbox SET attempts = attempts + 1, next_ms = ?2, last_error = ?3, state = ?4 "
               "WHERE seq = ?1");
  up.bind(1, seq).bind(2, next_ms).bind(3, error).bind(4, give_up ? "failed" : "pending");
  if (!up.run()) return sql_error(db_, "cases: outbox");
  return {};
}

Result<OutboxCounts> SqliteCaseStore::outbox_counts() {
  std::lock_guard lock(mu_);
  OutboxCounts c;
  Statement q(db_, "SELECT state, COUNT(*) FROM outbox GROUP BY state");
  const bool counted = q.each_row([&](const Statement& row) {
    const std::string s = row.text(0);
    const auto n = static_cast<uint64_t>(row.i64(1));
    if (s == "pending")
      c.pending = n;
    else if (s == "delivered")
      c.delivered = n;
    else if (s == "failed")
      c.failed = n;
  });
  if (!counted) return sql_error(db_, "cases: outbox");
  return c;
}

Result<std::optional<int64_t>> SqliteCaseStore::next_webhook_ms() {
  std::lock_guard lock(mu_);
  Statement q(db_, "SELECT MIN(next_ms) FROM outbox WHERE state = 'pending'");
  if (q.step() != SQLITE_ROW) return sql_error(db_, "cases: outbox");
  if (q.is_null(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(q.i64(0));
}

}  // namespace vigil::cases
