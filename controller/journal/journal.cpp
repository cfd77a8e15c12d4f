#include "controller/journal/journal.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string_view>

#include "controller/journal/schema.hpp"

namespace lifeline::journal {
namespace {

using std::chrono::steady_clock;
using std::chrono::system_clock;

// A writer that holds the lock longer than this (an operator's `sqlite3` session in the middle
// of a write transaction) costs us the event, counted, rather than stalling the event loop.
// Readers never block us: that is what WAL is for.
constexpr int kBusyTimeoutMs = 100;
// An event is a few hundred bytes; a megabyte is a bug upstream, and would make every
// `history` reply that contains it a megabyte too. Drill reports carry tables of samples.
constexpr std::size_t kMaxEventBytes = 1 << 20;
constexpr std::size_t kMaxReportBytes = 16 << 20;
// Retention deletes at most this many rows per statement and stops starting new batches once
// the budget is spent; the rest waits for the next call. One batch takes a few milliseconds.
constexpr std::int64_t kRetentionBatch = 2000;
constexpr auto kRetentionBudget = std::chrono::milliseconds(20);
// Checkpoints (copying the WAL into the database file, two fsyncs) run in apply_retention(),
// which the daemon calls every minute, not in the publish() that happens to fill the WAL:
// SQLite's automatic checkpoint, every 1000 pages, would land on one event in ~200 (each
// event writes ~5 pages: the row and its index entries). It stays as a safety net at a size
// only an event storm or a missing apply_retention() reaches.
constexpr int kAutoCheckpointPages = 16384;  // 64 MiB of WAL
// The WAL file is truncated back to this size after a checkpoint that grew it.
constexpr std::int64_t kWalSizeLimitBytes = 16 << 20;

std::int64_t micros(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// Warnings go to stderr with their syslog priority (sd-daemon(3)), as controller/log.cpp
// writes them; journald keeps them. A full disk fails every publish, so the lines are rate
// limited: `kBurst` per minute, then one line saying how many were dropped.
class WarningLog {
 public:
  void write(std::string_view message) {
    const auto now = steady_clock::now();
    if (now - window_start_ >= std::chrono::minutes(1)) {
      if (suppressed_ > 0) {
        emit("journal: " + std::to_string(suppressed_) + " similar messages suppressed");
      }
      window_start_ = now;
      in_window_ = 0;
      suppressed_ = 0;
    }
    if (in_window_ < kBurst) {
      ++in_window_;
      emit(std::string("journal: ").append(message));
    } else {
      ++suppressed_;
    }
  }

 private:
  static constexpr std::uint32_t kBurst = 5;
  static void emit(const std::string& message) {
    const std::string line = "<4>" + message + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }
  steady_clock::time_point window_start_{};
  std::uint32_t in_window_ = 0;
  std::uint64_t suppressed_ = 0;
};

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// Leaves a reused statement ready for the next use, however this one ended.
class Use {
 public:
  explicit Use(sqlite3_stmt* s) : s_(s) {}
  ~Use() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  sqlite3_stmt* get() const { return s_; }

  void bind(const char* name, std::int64_t value) {
    if (int i = sqlite3_bind_parameter_index(s_, name); i > 0) sqlite3_bind_int64(s_, i, value);
  }
  // Empty text binds NULL (events not about a class or link).
  void bind(const char* name, std::string_view text, bool empty_is_null = false) {
    const int i = sqlite3_bind_parameter_index(s_, name);
    if (i <= 0) return;
    if (empty_is_null && text.empty()) {
      sqlite3_bind_null(s_, i);
    } else {
      sqlite3_bind_text64(s_, i, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
    }
  }

 private:
  sqlite3_stmt* s_;
};

std::string column_text(sqlite3_stmt* s, int column) {
  const auto* text = sqlite3_column_text(s, column);
  const int size = sqlite3_column_bytes(s, column);
  if (text == nullptr || size <= 0) return {};
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

// Length of the valid UTF-8 sequence at `s[i]`, or 0 (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return n;
}

// SQLite stores TEXT as given but promises nothing for invalid UTF-8, and its json functions
// and the control API (UTF-8 JSON frames) reject it. Invalid bytes become U+FFFD.
// Returns false when the text was already valid (and leaves `out` alone).
bool repair_utf8(std::string_view text, std::string& out) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return false;
  out.assign(text.substr(0, i));
  while (i < text.size()) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return true;
}

}  // namespace

struct Journal::Impl {
  config::JournalConfig config;
  Db db;
  bool read_only = false;
  Stmt insert_event;
  Stmt upsert_report;
  Stmt report_by_id;
  Stmt latest_report;
  Stmt delete_older;
  Stmt delete_oldest;
  std::array<Stmt, schema::kHistoryVariants> history;  // prepared on first use
  // Read by the metrics thread; everything else is the event loop's.
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> rows{0};
  WarningLog log;
  // Written since the last checkpoint (at first: whatever a crashed process left in the WAL).
  bool dirty = true;

  std::string sqlite_error() const {
    std::string message = sqlite3_errmsg(db.get());
    const std::string code = sqlite3_errstr(sqlite3_extended_errcode(db.get()));
    if (code != message) message += " (" + code + ")";
    return message;
  }

  // A failed write or read: counted and logged, so `lifelinectl status` and /metrics show it.
  void failed(std::string_view what) {
    errors.fetch_add(1, std::memory_order_relaxed);
    log.write(std::string(what) + " in " + config.path + ": " + sqlite_error());
  }

  [[noreturn]] void refuse(std::string_view what) const {
    throw std::runtime_error("journal " + config.path + ": " + std::string(what));
  }

  void exec(const char* sql, std::string_view what) const {
    char* message = nullptr;
    if (sqlite3_exec(db.get(), sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string reason = message != nullptr ? message : sqlite_error();
      sqlite3_free(message);
      refuse(std::string(what) + ": " + reason);
    }
  }

  // The first column of the first row of `sql`, as text; throws on error.
  std::string query_text(const char* sql, std::string_view what) const {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql, -1, &raw, nullptr) != SQLITE_OK) {
      refuse(std::string(what) + ": " + sqlite_error());
    }
    Stmt s(raw);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_ROW) return column_text(s.get(), 0);
    if (rc != SQLITE_DONE) refuse(std::string(what) + ": " + sqlite_error());
    return {};
  }

  std::int64_t query_int(const char* sql, std::string_view what) const {
    const std::string text = query_text(sql, what);
    return text.empty() ? 0 : std::stoll(text);
  }

  Stmt prepare(std::string_view sql) const {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
      refuse("cannot prepare '" + std::string(sql) + "': " + sqlite_error());
    }
    return Stmt(raw);
  }

  // Makes sure `path` exists as a regular file, created 0640 (events name links and
  // operators: group `lifeline` may read them, others not). SQLite gives its -wal and -shm
  // files the database file's mode.
  void create_file() const {
    namespace fs = std::filesystem;
    const fs::path path(config.path);
    const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      refuse("directory " + dir.string() +
             " does not exist; create it (the package's systemd unit does, with "
             "StateDirectory=lifeline) or set journal.path to a file in an existing directory");
    }
    const int fd = ::open(config.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd >= 0) {
      const int rc = ::fchmod(fd, 0640);  // whatever the umask
      const int err = errno;
      ::close(fd);
      if (rc != 0) refuse(std::string("cannot set mode 0640: ") + std::strerror(err));
      return;
    }
    if (errno != EEXIST) refuse(std::string("cannot create: ") + std::strerror(errno));
    if (fs::is_directory(path, ec)) refuse("is a directory; journal.path names a file");
  }

  int schema_version() const {
    const bool versioned =
        query_int(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'",
            "cannot read the schema") != 0;
    if (versioned) {
      return static_cast<int>(
          query_int("SELECT max(version) FROM schema_version", "cannot read the schema version"));
    }
    if (query_int("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'",
                  "cannot read the schema") > 0) {
      refuse(
          "is a SQLite database but not a lifeline journal (it has tables but no "
          "schema_version); set journal.path to another file");
    }
    return 0;
  }

  void migrate() {
    int version = schema_version();
    if (version > schema::kVersion) {
      refuse("has schema version " + std::to_string(version) + ", written by a newer lifelined; " +
             "this one understands up to version " + std::to_string(schema::kVersion) +
             ". Run the newer lifelined, or move the file away to start a new journal");
    }
    if (version == schema::kVersion) return;
    if (read_only) {
      refuse("is read-only and needs schema version " + std::to_string(schema::kVersion) +
             " (has " + std::to_string(version) + "); make it writable by lifelined");
    }
    // IMMEDIATE takes the write lock first, so two processes opening a new file at once
    // cannot both create the tables.
    exec("BEGIN IMMEDIATE", "cannot start the schema migration");
    try {
      version = schema_version();
      const auto& steps = schema::migrations();
      for (int v = version + 1; v <= schema::kVersion; ++v) {
        exec(std::string(steps.at(static_cast<std::size_t>(v - 1))).c_str(),
             "schema migration to version " + std::to_string(v) + " failed");
        const std::string record = "INSERT INTO schema_version(version, applied) VALUES (" +
                                   std::to_string(v) + ", " +
                                   std::to_string(micros(system_clock::now())) + ")";
        exec(record.c_str(), "cannot record schema version " + std::to_string(v));
      }
      const std::string app_id =
          "PRAGMA application_id = " + std::to_string(schema::kApplicationId);
      exec(app_id.c_str(), "cannot set the application id");
      exec("COMMIT", "cannot commit the schema migration");
    } catch (...) {
      sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  void open_database() {
    create_file();
    sqlite3* raw = nullptr;
    // No SQLITE_OPEN_CREATE: create_file() made it with the right mode. NOMUTEX: one thread
    // (the event loop) uses the connection.
    const int rc = sqlite3_open_v2(config.path.c_str(), &raw,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    db.reset(raw);
    if (rc != SQLITE_OK) {
      refuse(raw != nullptr ? sqlite_error() : std::string(sqlite3_errstr(rc)));
    }
    sqlite3_extended_result_codes(db.get(), 1);
    sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
    // SQLite falls back to read-only when the file is not writable for us (a backup restored
    // by root). Reading history still works; every write is counted as an error.
    read_only = sqlite3_db_readonly(db.get(), "main") == 1;

    // The first statement to read the file: a file that is not a database fails here.
    const std::string mode = query_text("PRAGMA journal_mode = WAL", "cannot open");
    if (mode != "wal") {
      refuse("cannot switch to WAL mode (journal_mode is '" + mode + "')" +
             (read_only ? "; the file is read-only" : ""));
    }
    // Durable against a crash of the process (kill -9, abort): a commit is in the WAL, in
    // the kernel's page cache, when the INSERT returns. Not fsynced per commit: a power loss
    // can roll back the last commits (never corrupt the file). docs/journal.md says why.
    exec("PRAGMA synchronous = NORMAL", "cannot set synchronous");
    exec(("PRAGMA journal_size_limit = " + std::to_string(kWalSizeLimitBytes)).c_str(),
         "cannot set journal_size_limit");
    exec("PRAGMA foreign_keys = OFF", "cannot set foreign_keys");
    sqlite3_wal_autocheckpoint(db.get(), kAutoCheckpointPages);
    migrate();

    insert_event = prepare(
        "INSERT INTO events(time, kind, class, link, json) "
        "VALUES (:time, :kind, :class, :link, :json)");
    upsert_report = prepare(
        "INSERT INTO drill_reports(id, started, json) VALUES (:id, :started, :json) "
        "ON CONFLICT(id) DO UPDATE SET started = excluded.started, json = excluded.json");
    report_by_id = prepare("SELECT json FROM drill_reports WHERE id = :id");
    latest_report =
        prepare("SELECT json FROM drill_reports ORDER BY started DESC, rowid DESC LIMIT 1");
    delete_older = prepare(schema::kDeleteOlderThan);
    delete_oldest = prepare(schema::kDeleteOldest);
    rows = static_cast<std::uint64_t>(query_int("SELECT count(*) FROM events", "cannot count"));
  }

  sqlite3_stmt* history_statement(schema::HistoryFilters filters) {
    auto& s = history.at(static_cast<std::size_t>(filters.index()));
    if (!s) s = prepare(schema::history_sql(filters));
    return s.get();
  }

  // One retention statement; the number of rows it deleted, or nullopt after an error.
  std::optional<std::size_t> delete_batch(sqlite3_stmt* statement, std::int64_t cutoff,
                                          std::int64_t batch) {
    Use use(statement);
    use.bind(":cutoff", cutoff);
    use.bind(":batch", batch);
    if (sqlite3_step(statement) != SQLITE_DONE) {
      failed("retention failed");
      return std::nullopt;
    }
    const auto deleted = static_cast<std::size_t>(sqlite3_changes64(db.get()));
    if (deleted > 0) dirty = true;
    const auto before = rows.load(std::memory_order_relaxed);
    rows.store(before > deleted ? before - deleted : 0, std::memory_order_relaxed);
    return deleted;
  }

  std::size_t delete_expired(system_clock::time_point now);

  // Copies the WAL into the database file. Then, when the WAL was copied whole, the next
  // write restarts it from its first frame and fsyncs its header (SQLite does that even with
  // synchronous=NORMAL, and after opening, a new WAL file costs a directory fsync too). One
  // page rewritten here, with the value it has, pays that now instead of the next publish().
  void checkpoint() {
    if (!dirty) return;  // a quiet minute costs no fsync
    int wal_frames = 0;
    int copied = 0;
    if (sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_frames,
                                  &copied) != SQLITE_OK) {
      failed("WAL checkpoint failed");
      return;
    }
    if (copied < wal_frames) return;  // a reader (an operator's sqlite3) still needs the WAL
    dirty = false;
    const std::string restart = "PRAGMA application_id = " + std::to_string(schema::kApplicationId);
    if (sqlite3_exec(db.get(), restart.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      failed("WAL restart failed");
    }
  }
};

Journal::Journal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Journal::~Journal() = default;

std::unique_ptr<Journal> Journal::open(const config::JournalConfig& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->open_database();
  if (impl->read_only) {
    impl->log.write(config.path + " is read-only for lifelined: history can be read, but no " +
                    "event will be recorded until the file is writable");
  }
  std::unique_ptr<Journal> journal(new Journal(std::move(impl)));
  journal->apply_retention(system_clock::now());
  return journal;
}

void Journal::publish(const ops::Event& event) {
  auto& d = *impl_;
  try {
    if (event.json.size() > kMaxEventBytes) {
      d.errors.fetch_add(1, std::memory_order_relaxed);
      d.log.write("a '" + event.kind + "' event of " + std::to_string(event.json.size()) +
                  " bytes is over the " + std::to_string(kMaxEventBytes) +
                  "-byte limit; not recorded");
      return;
    }
    std::string repaired;
    std::string_view json = event.json;
    if (repair_utf8(json, repaired)) json = repaired;
    // Names come from the config (UTF-8 YAML); repaired all the same, they are indexed.
    std::string kind, class_name, link_name;
    std::string_view kind_v = event.kind, class_v = event.class_name, link_v = event.link_name;
    if (repair_utf8(kind_v, kind)) kind_v = kind;
    if (repair_utf8(class_v, class_name)) class_v = class_name;
    if (repair_utf8(link_v, link_name)) link_v = link_name;

    Use use(d.insert_event.get());
    use.bind(":time", micros(event.at));
    use.bind(":kind", kind_v);
    use.bind(":class", class_v, true);
    use.bind(":link", link_v, true);
    use.bind(":json", json);
    // Autocommit: when step() returns DONE the transaction is committed to the WAL.
    if (sqlite3_step(use.get()) != SQLITE_DONE) {
      d.failed("a '" + event.kind + "' event was not recorded");
      return;
    }
    d.rows.fetch_add(1, std::memory_order_relaxed);
    d.dirty = true;
  } catch (const std::exception& e) {
    d.errors.fetch_add(1, std::memory_order_relaxed);
    d.log.write(std::string("a '") + event.kind + "' event was not recorded: " + e.what());
  }
}

namespace {
// `text` as a GLOB pattern that matches exactly itself: each metacharacter in brackets.
std::string glob_literal(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[') {
      out += '[';
      out += c;
      out += ']';
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

std::vector<std::string> Journal::history(const ops::HistoryQuery& query) const {
  auto& d = *impl_;
  schema::HistoryFilters filters;
  filters.since = query.since.has_value();
  filters.class_name = !query.class_name.empty();
  filters.link_name = !query.link_name.empty();
  filters.kind = !query.kind.empty();
  std::vector<std::string> out;
  if (query.limit == 0) return out;
  // Bound SQLITE_STATIC: the patterns outlive `use`.
  const std::string literal = glob_literal(query.link_name);
  const std::string link_first = literal + ",*", link_second = "*," + literal;
  Use use(d.history_statement(filters));
  if (query.since) use.bind(":since", micros(*query.since));
  use.bind(":class", query.class_name);
  use.bind(":link", query.link_name);
  use.bind(":link_first", link_first);
  use.bind(":link_second", link_second);
  use.bind(":kind", query.kind);
  use.bind(":limit", static_cast<std::int64_t>(std::min<std::uint64_t>(
                         query.limit, std::numeric_limits<std::int64_t>::max())));
  int rc;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) out.push_back(column_text(use.get(), 0));
  if (rc != SQLITE_DONE) {
    d.failed("history query failed");
    d.refuse("history query failed: " + d.sqlite_error());
  }
  return out;
}

void Journal::store_drill_report(const std::string& id,
                                 std::chrono::system_clock::time_point started,
                                 const std::string& report_json) {
  auto& d = *impl_;
  try {
    if (report_json.size() > kMaxReportBytes) {
      d.errors.fetch_add(1, std::memory_order_relaxed);
      d.log.write("the report of drill '" + id + "' is " + std::to_string(report_json.size()) +
                  " bytes, over the " + std::to_string(kMaxReportBytes) +
                  "-byte limit; not recorded");
      return;
    }
    std::string repaired_id, repaired_json;
    std::string_view id_v = id, json_v = report_json;
    if (repair_utf8(id_v, repaired_id)) id_v = repaired_id;
    if (repair_utf8(json_v, repaired_json)) json_v = repaired_json;
    Use use(d.upsert_report.get());
    use.bind(":id", id_v);
    use.bind(":started", micros(started));
    use.bind(":json", json_v);
    if (sqlite3_step(use.get()) != SQLITE_DONE) {
      d.failed("drill report '" + id + "' not recorded");
      return;
    }
    d.dirty = true;
  } catch (const std::exception& e) {
    d.errors.fetch_add(1, std::memory_order_relaxed);
    d.log.write("drill report '" + id + "' not recorded: " + e.what());
  }
}

std::optional<std::string> Journal::drill_report(const std::string& id) const {
  auto& d = *impl_;
  Use use(id.empty() ? d.latest_report.get() : d.report_by_id.get());
  use.bind(":id", id);
  const int rc = sqlite3_step(use.get());
  if (rc == SQLITE_ROW) return column_text(use.get(), 0);
  if (rc == SQLITE_DONE) return std::nullopt;
  d.failed("drill report query failed");
  d.refuse("drill report query failed: " + d.sqlite_error());
}

std::size_t Journal::apply_retention(std::chrono::system_clock::time_point now) {
  auto& d = *impl_;
  if (d.read_only) return 0;  // said at open; each lost event is counted
  try {
    const std::size_t deleted = d.delete_expired(now);
    d.checkpoint();
    return deleted;
  } catch (const std::exception& e) {
    d.errors.fetch_add(1, std::memory_order_relaxed);
    d.log.write(std::string("retention failed: ") + e.what());
    return 0;
  }
}

std::size_t Journal::Impl::delete_expired(system_clock::time_point now) {
  auto& d = *this;
  const auto deadline = steady_clock::now() + kRetentionBudget;
  std::size_t total = 0;
  // By age first: those rows would go anyway, and may bring the count under max_rows.
  const std::int64_t cutoff = micros(now - d.config.retention);
  for (;;) {
    const auto deleted = d.delete_batch(d.delete_older.get(), cutoff, kRetentionBatch);
    if (!deleted) return total;
    total += *deleted;
    if (static_cast<std::int64_t>(*deleted) < kRetentionBatch) break;
    if (steady_clock::now() >= deadline) return total;
  }
  while (d.rows.load(std::memory_order_relaxed) > d.config.max_rows) {
    const auto excess = d.rows.load(std::memory_order_relaxed) - d.config.max_rows;
    const auto batch = static_cast<std::int64_t>(
        std::min<std::uint64_t>(excess, static_cast<std::uint64_t>(kRetentionBatch)));
    const auto deleted = d.delete_batch(d.delete_oldest.get(), 0, batch);
    if (!deleted) return total;
    total += *deleted;
    if (*deleted == 0) {
      // Someone else deleted rows behind our back (an operator's sqlite3): recount.
      d.rows = static_cast<std::uint64_t>(d.query_int("SELECT count(*) FROM events", "count"));
      break;
    }
    if (steady_clock::now() >= deadline) break;
  }
  return total;
}

std::uint64_t Journal::errors() const {
  return impl_->errors.load(std::memory_order_relaxed);
}
std::uint64_t Journal::rows() const {
  return impl_->rows.load(std::memory_order_relaxed);
}

}  // namespace lifeline::journal
