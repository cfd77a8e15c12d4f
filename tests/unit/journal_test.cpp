// The journal as lifelined and an operator meet it: a database file created 0640 in WAL mode
// with a versioned schema; `lifelinectl history` filters (each alone and in every
// combination) answered newest first from an index; retention by age and by row count in
// bounded batches; drill reports; everything still there after a reopen; and the failures
// an operator can cause (a read-only file, a full disk, a file from a newer lifelined, a file
// that is not a journal) handled with a clear error or a counted one, never a throw from
// publish().
#include "controller/journal/journal.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "controller/journal/schema.hpp"
#include "journal_fixture.hpp"

namespace lifeline::journal {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;
using testing::event;
using testing::in_child;
using testing::journal_config;
using testing::kT0;
using testing::RawDb;
using testing::TempDir;

std::string open_error(const config::JournalConfig& config) {
  try {
    Journal::open(config);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "<opened>";
}

ops::HistoryQuery all_events() {
  ops::HistoryQuery q;
  q.limit = 1'000'000;
  return q;
}

TEST(Journal, CreatesA0640WalDatabaseWithVersionedSchema) {
  TempDir dir;
  const auto path = dir.file("journal.db");
  const mode_t old_umask = ::umask(0);  // the mode must not depend on the caller's umask
  auto journal = Journal::open(journal_config(path));
  ::umask(old_umask);
  journal->publish(event("daemon", kT0, "", "", R"({"kind":"daemon"})"));

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ASSERT_EQ(::stat((path + "-wal").c_str(), &st), 0) << "WAL mode keeps a -wal file";
  EXPECT_EQ(st.st_mode & 0777, 0640u);

  RawDb raw(path);
  EXPECT_EQ(raw.value("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.value("SELECT max(version) FROM schema_version"), "1");
  EXPECT_EQ(raw.value("PRAGMA application_id"), std::to_string(schema::kApplicationId));
  const auto tables = raw.column("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY 1");
  EXPECT_EQ(tables, (std::vector<std::string>{"drill_reports", "events", "schema_version"}));
  const auto columns = raw.column("SELECT name FROM pragma_table_info('events') ORDER BY cid");
  EXPECT_EQ(columns, (std::vector<std::string>{"id", "time", "kind", "class", "link", "json"}));
  // Times are integer microseconds since the epoch; an event with no class or link has NULLs.
  EXPECT_EQ(raw.value("SELECT time FROM events"), "1795953600000000");
  EXPECT_EQ(raw.value("SELECT typeof(time) || typeof(class) || typeof(link) FROM events"),
            "integernullnull");
  EXPECT_EQ(journal->rows(), 1u);
  EXPECT_EQ(journal->errors(), 0u);
}

TEST(Journal, OpensAnEmptyExistingFileAndCreatesTheSchema) {
  TempDir dir;
  const auto path = dir.file("journal.db");
  std::ofstream(path).close();
  auto journal = Journal::open(journal_config(path));
  journal->publish(event("daemon", kT0, "", "", "{}"));
  EXPECT_EQ(journal->history(all_events()).size(), 1u);
}

TEST(Journal, RefusesAPathWhoseDirectoryIsMissing) {
  TempDir dir;
  const auto error = open_error(journal_config(dir.file("missing/journal.db")));
  EXPECT_NE(error.find(dir.file("missing")), std::string::npos) << error;
  EXPECT_NE(error.find("does not exist"), std::string::npos) << error;
}

TEST(Journal, RefusesADirectory) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("journal.db"));
  EXPECT_NE(open_error(journal_config(dir.file("journal.db"))).find("is a directory"),
            std::string::npos);
}

TEST(Journal, RefusesADatabaseOfANewerSchemaVersion) {
  TempDir dir;
  const auto path = dir.file("journal.db");
  {
    auto journal = Journal::open(journal_config(path));
    journal->publish(event("daemon", kT0, "", "", "{}"));
  }
  RawDb(path).exec("INSERT INTO schema_version(version, applied) VALUES (2, 0)");
  const auto error = open_error(journal_config(path));
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("schema version 2"), std::string::npos) << error;
  EXPECT_NE(error.find("newer lifelined"), std::string::npos) << error;
  // Refusing did not touch it.
  EXPECT_EQ(RawDb(path).value("SELECT count(*) FROM events"), "1");
}

TEST(Journal, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  const auto path = dir.file("journal.db");
  std::ofstream(path) << std::string(8192, 'x');
  const auto error = open_error(journal_config(path));
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("not a database"), std::string::npos) << error;
}

TEST(Journal, RefusesAnotherApplicationsDatabase) {
  TempDir dir;
  const auto path = dir.file("other.db");
  RawDb(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE).exec("CREATE TABLE t(x)");
  EXPECT_NE(open_error(journal_config(path)).find("not a lifeline journal"), std::string::npos);
}

TEST(Journal, RefusesACorruptDatabaseWithAClearError) {
  TempDir dir;
  const auto path = dir.file("journal.db");
  {
    auto journal = Journal::open(journal_config(path));
    for (int i = 0; i < 200; ++i) {
      journal->publish(event("link", kT0 + i * 1s, "", "5g", std::string(500, 'a')));
    }
  }
  // Keep page 1 (header and schema), scribble over every table and index page.
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 3 * 4096u);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    const std::string junk(size - 4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  const auto error = open_error(journal_config(path));
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("malformed"), std::string::npos) << error;
}

// ---- history -----------------------------------------------------------------------------

struct Recorded {
  std::string kind, class_name, link_name, json;
  system_clock::time_point at;
  int order;  // publish order: the tie-break among equal times
};

// 72 events over every kind x class x link, two per timestamp, published out of time order
// (as after a clock step).
std::vector<Recorded> sample_events() {
  const std::vector<std::string> kinds = {"link", "class", "operator", "reload", "drill", "daemon"};
  const std::vector<std::string> classes = {"", "c2", "voice"};
  // "5g,leo": a class switch from 5g to leo, found by either link.
  const std::vector<std::string> links = {"", "5g", "leo", "5g,leo"};
  std::vector<Recorded> out;
  for (int i = 0; i < 72; ++i) {
    const int j = (i * 37) % 72;
    Recorded r;
    r.kind = kinds[static_cast<std::size_t>(j % 6)];
    r.class_name = classes[static_cast<std::size_t>((j / 6) % 3)];
    r.link_name = links[static_cast<std::size_t>((j / 18) % 4)];
    r.at = kT0 + (j / 2) * 10s;
    r.json = R"({"kind":")" + r.kind + R"(","seq":)" + std::to_string(j) + "}";
    r.order = i;
    out.push_back(r);
  }
  return out;
}

std::vector<std::string> expected(std::vector<Recorded> all, const ops::HistoryQuery& q) {
  std::erase_if(all, [&](const Recorded& r) {
    return (q.since && r.at < *q.since) ||
           (!q.class_name.empty() && r.class_name != q.class_name) ||
           (!q.link_name.empty() && r.link_name != q.link_name &&
            r.link_name != q.link_name + ",leo" && r.link_name != "5g," + q.link_name) ||
           (!q.kind.empty() && r.kind != q.kind);
  });
  std::sort(all.begin(), all.end(), [](const Recorded& a, const Recorded& b) {
    return a.at != b.at ? a.at > b.at : a.order > b.order;
  });
  std::vector<std::string> out;
  for (const auto& r : all) {
    if (out.size() == q.limit) break;
    out.push_back(r.json);
  }
  return out;
}

class JournalHistory : public ::testing::Test {
 protected:
  void SetUp() override {
    journal_ = Journal::open(journal_config(dir_.file("journal.db")));
    for (const auto& r : events_) {
      journal_->publish(event(r.kind, r.at, r.class_name, r.link_name, r.json));
    }
    ASSERT_EQ(journal_->rows(), events_.size());
  }
  TempDir dir_;
  std::vector<Recorded> events_ = sample_events();
  std::unique_ptr<Journal> journal_;
};

TEST_F(JournalHistory, EveryFilterAndEveryCombinationNewestFirst) {
  int checked = 0;
  for (int mask = 0; mask < schema::kHistoryVariants; ++mask) {
    for (int variant = 0; variant < 2; ++variant) {
      for (std::size_t limit : {std::size_t{1000}, std::size_t{3}}) {
        ops::HistoryQuery q;
        q.limit = limit;
        // Two events share each 10 s step: 200 s is one (since is inclusive), 295 s none.
        if (mask & 1) q.since = kT0 + (variant == 0 ? 200s : 295s);
        if (mask & 2) q.class_name = variant == 0 ? "c2" : "voice";
        if (mask & 4) q.link_name = variant == 0 ? "leo" : "5g";
        if (mask & 8) q.kind = variant == 0 ? "class" : "link";
        const auto want = expected(events_, q);
        EXPECT_EQ(journal_->history(q), want)
            << "since=" << q.since.has_value() << " class=" << q.class_name
            << " link=" << q.link_name << " kind=" << q.kind << " limit=" << limit;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 64);
  // The sample does exercise the filters: each one alone narrows the answer.
  ops::HistoryQuery q = all_events();
  q.class_name = "c2";
  EXPECT_EQ(journal_->history(q).size(), 24u);
  q.link_name = "leo";  // "leo" and "5g,leo": 6 of each
  EXPECT_EQ(journal_->history(q).size(), 12u);
}

// `--link` is matched as a name, never as a pattern: `*` finds nothing, "5" is not "5g".
TEST_F(JournalHistory, ALinkFilterIsANameNotAPattern) {
  for (const char* name : {"*", "5", "?g", "[5]g", "5g,leo"}) {
    ops::HistoryQuery q = all_events();
    q.link_name = name;
    const auto got = journal_->history(q);
    if (std::string(name) == "5g,leo") {
      EXPECT_EQ(got, expected(events_, q)) << name;  // the stored value itself, as equality
    } else {
      EXPECT_TRUE(got.empty()) << name << " matched " << got.size() << " events";
    }
  }
}

TEST(Journal, EqualTimesComeNewestPublishedFirst) {
  TempDir dir;
  auto journal = Journal::open(journal_config(dir.file("journal.db")));
  journal->publish(event("class", kT0, "c2", "", "first"));
  journal->publish(event("class", kT0, "c2", "", "second"));
  journal->publish(event("class", kT0 - 1s, "c2", "", "earlier, published last"));
  EXPECT_EQ(journal->history(all_events()),
            (std::vector<std::string>{"second", "first", "earlier, published last"}));
}

TEST_F(JournalHistory, LimitZeroAndUnknownNamesGiveNothing) {
  ops::HistoryQuery q;
  q.limit = 0;
  EXPECT_TRUE(journal_->history(q).empty());
  q = all_events();
  q.class_name = "no-such-class";
  EXPECT_TRUE(journal_->history(q).empty());
  q = all_events();
  q.since = kT0 + 24h;
  EXPECT_TRUE(journal_->history(q).empty());
}

// Every history query and both retention deletes are index walks, never a scan of the
// table or a sort: `history --class c2` stays instant on a million rows.
TEST_F(JournalHistory, EveryQueryUsesAnIndexAndNeedsNoSort) {
  RawDb raw(dir_.file("journal.db"));
  auto plan = [&](const std::string& sql) {
    std::string text;
    for (const auto& line : raw.column("EXPLAIN QUERY PLAN " + sql, 3)) text += line + "; ";
    return text;
  };
  for (int mask = 0; mask < schema::kHistoryVariants; ++mask) {
    schema::HistoryFilters f{(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0, (mask & 8) != 0};
    const auto p = plan(schema::history_sql(f));
    EXPECT_NE(p.find("USING INDEX"), std::string::npos) << schema::history_sql(f) << "\n" << p;
    EXPECT_EQ(p.find("TEMP B-TREE"), std::string::npos) << schema::history_sql(f) << "\n" << p;
    if (f.class_name) {
      EXPECT_NE(p.find("events_by_class"), std::string::npos) << p;
    }
  }
  for (auto sql : {schema::kDeleteOlderThan, schema::kDeleteOldest}) {
    const auto p = plan(std::string(sql));
    EXPECT_NE(p.find("INDEX events_by_time"), std::string::npos) << p;
    EXPECT_EQ(p.find("TEMP B-TREE"), std::string::npos) << p;
  }
}

// ---- retention ---------------------------------------------------------------------------

TEST(JournalRetention, DeletesEventsOlderThanTheRetention) {
  TempDir dir;
  auto config = journal_config(dir.file("journal.db"));
  config.retention = 24h * 30;
  auto journal = Journal::open(config);
  const auto now = kT0;
  journal->publish(event("link", now - 24h * 40, "", "5g", "40 days"));
  journal->publish(event("link", now - 24h * 30 - 1s, "", "5g", "30 days and a second"));
  journal->publish(event("link", now - 24h * 30, "", "5g", "30 days"));
  journal->publish(event("link", now - 24h, "", "5g", "1 day"));
  EXPECT_EQ(journal->apply_retention(now), 2u);
  EXPECT_EQ(journal->rows(), 2u);
  EXPECT_EQ(journal->history(all_events()), (std::vector<std::string>{"1 day", "30 days"}));
  EXPECT_EQ(journal->apply_retention(now), 0u) << "nothing left to delete";
}

TEST(JournalRetention, KeepsTheNewestMaxRowsDeletingInBatches) {
  TempDir dir;
  auto config = journal_config(dir.file("journal.db"));
  config.max_rows = 1000;
  auto journal = Journal::open(config);
  // 5500 rows, published newest first, so "oldest" must mean time, not insertion order.
  for (int i = 5499; i >= 0; --i) {
    journal->publish(event("link", kT0 + i * 1s, "", "5g", std::to_string(i)));
  }
  ASSERT_EQ(journal->rows(), 5500u);
  // Each call is bounded (batches of 2000, ~20 ms); the daemon calls again later. Here: until
  // nothing is left.
  std::size_t deleted = 0;
  int calls = 0;
  while (std::size_t n = journal->apply_retention(kT0 + 6000s)) {
    deleted += n;
    ASSERT_LT(++calls, 100);
  }
  EXPECT_EQ(deleted, 4500u);
  EXPECT_EQ(journal->rows(), 1000u);
  EXPECT_EQ(RawDb(config.path).value("SELECT count(*) FROM events"), "1000");
  const auto kept = journal->history(all_events());
  ASSERT_EQ(kept.size(), 1000u);
  EXPECT_EQ(kept.front(), "5499");
  EXPECT_EQ(kept.back(), "4500");
  EXPECT_EQ(journal->errors(), 0u);
}

TEST(JournalRetention, OpenAppliesRetention) {
  TempDir dir;
  auto config = journal_config(dir.file("journal.db"));
  {
    auto journal = Journal::open(config);
    for (int i = 0; i < 1500; ++i) journal->publish(event("link", kT0 + i * 1s, "", "5g", "{}"));
  }
  config.max_rows = 1000;
  auto journal = Journal::open(config);
  EXPECT_EQ(journal->rows(), 1000u);
}

TEST(JournalRetention, RecountsWhenRowsVanishedBehindItsBack) {
  TempDir dir;
  auto config = journal_config(dir.file("journal.db"));
  config.max_rows = 1000;
  auto journal = Journal::open(config);
  for (int i = 0; i < 1200; ++i) journal->publish(event("link", kT0 + i * 1s, "", "5g", "{}"));
  RawDb(config.path).exec("DELETE FROM events");  // an operator with sqlite3
  journal->apply_retention(kT0);
  EXPECT_EQ(journal->rows(), 0u);
  EXPECT_EQ(journal->errors(), 0u);
}

// ---- drill reports -----------------------------------------------------------------------

TEST(JournalDrills, StoresReportsByIdAndFindsTheLatest) {
  TempDir dir;
  auto journal = Journal::open(journal_config(dir.file("journal.db")));
  EXPECT_EQ(journal->drill_report(""), std::nullopt);
  journal->store_drill_report("20261129T130000Z-5g", kT0 + 1h, R"({"id":"b"})");
  journal->store_drill_report("20261129T120000Z-5g", kT0, R"({"id":"a"})");  // stored later
  EXPECT_EQ(journal->drill_report("20261129T120000Z-5g"), R"({"id":"a"})");
  EXPECT_EQ(journal->drill_report("20261129T130000Z-5g"), R"({"id":"b"})");
  EXPECT_EQ(journal->drill_report(""), R"({"id":"b"})") << "latest by start time";
  EXPECT_EQ(journal->drill_report("nope"), std::nullopt);
  // The same drill again (e.g. completed after an interim report) replaces it.
  journal->store_drill_report("20261129T120000Z-5g", kT0 + 2h, R"({"id":"a2"})");
  EXPECT_EQ(journal->drill_report("20261129T120000Z-5g"), R"({"id":"a2"})");
  EXPECT_EQ(journal->drill_report(""), R"({"id":"a2"})");
  EXPECT_EQ(journal->errors(), 0u);
  EXPECT_EQ(journal->rows(), 0u) << "reports are not events";
}

TEST(Journal, ReopenKeepsEverything) {
  TempDir dir;
  const auto config = journal_config(dir.file("journal.db"));
  const auto events = sample_events();
  {
    auto journal = Journal::open(config);
    for (const auto& r : events)
      journal->publish(event(r.kind, r.at, r.class_name, r.link_name, r.json));
    journal->store_drill_report("d1", kT0, R"({"id":"d1"})");
  }
  auto journal = Journal::open(config);
  EXPECT_EQ(journal->rows(), events.size());
  EXPECT_EQ(journal->history(all_events()), expected(events, all_events()));
  EXPECT_EQ(journal->drill_report(""), R"({"id":"d1"})");
  journal->publish(event("daemon", kT0 + 1h, "", "", "after reopen"));
  EXPECT_EQ(journal->history(all_events()).front(), "after reopen");
}

// ---- what operators and disks do -----------------------------------------------------------

// A journal file lifelined may not write (restored from a backup by root): it opens, history
// reads, and publish() counts each lost event instead of throwing.
TEST(JournalFailures, ReadOnlyFileCountsErrorsAndStillReads) {
  TempDir dir;
  const auto path = dir.file("journal.db");
  {
    auto journal = Journal::open(journal_config(path));
    journal->publish(event("daemon", kT0, "", "", "before"));
  }
  ASSERT_EQ(::chmod(path.c_str(), 0444), 0);
  if (::geteuid() == 0) {  // the child runs as nobody; it may create -shm in the directory
    ASSERT_EQ(::chown(dir.path().c_str(), testing::nobody_uid(), static_cast<gid_t>(-1)), 0);
  }
  const auto result = in_child([&]() -> std::string {
    if (auto e = testing::become_nobody(); !e.empty()) return e;
    auto journal = Journal::open(journal_config(path));
    if (journal->history(all_events()) != std::vector<std::string>{"before"}) {
      return "history of a read-only journal is wrong";
    }
    const auto errors_before = journal->errors();
    journal->publish(event("daemon", kT0 + 1s, "", "", "after"));  // must not throw
    journal->store_drill_report("d", kT0, "{}");
    if (journal->errors() != errors_before + 2) {
      return "errors went from " + std::to_string(errors_before) + " to " +
             std::to_string(journal->errors()) + ", expected +2";
    }
    if (journal->rows() != 1) return "rows() is " + std::to_string(journal->rows());
    return "";
  });
  EXPECT_EQ(result, "");
  EXPECT_EQ(RawDb(path, SQLITE_OPEN_READONLY).value("SELECT count(*) FROM events"), "1");
}

// A full disk (here: a file size limit, which fails writes with EFBIG the way ENOSPC does):
// the event is counted as lost, the journal keeps working once there is room again, and the
// file is intact.
TEST(JournalFailures, FullDiskCountsTheLostEventAndRecovers) {
  TempDir dir;
  const auto path = dir.file("journal.db");
  const auto result = in_child([&]() -> std::string {
    auto journal = Journal::open(journal_config(path));
    journal->publish(event("daemon", kT0, "", "", "before"));
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    rlimit small = old;
    small.rlim_cur = 64 * 1024;
    if (::setrlimit(RLIMIT_FSIZE, &small) != 0) return "setrlimit failed";
    journal->publish(event("link", kT0 + 1s, "", "5g", std::string(512 * 1024, 'x')));
    const auto errors = journal->errors();
    ::setrlimit(RLIMIT_FSIZE, &old);
    if (errors != 1) return "errors() is " + std::to_string(errors) + " after a full disk";
    journal->publish(event("daemon", kT0 + 2s, "", "", "after"));
    if (journal->errors() != 1) return "the journal did not recover";
    if (journal->history(all_events()) != std::vector<std::string>{"after", "before"}) {
      return "history after recovery is wrong";
    }
    return "";
  });
  EXPECT_EQ(result, "");
  RawDb raw(path);
  EXPECT_EQ(raw.value("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(raw.value("SELECT count(*) FROM events"), "2");
}

// ---- what the text may be ------------------------------------------------------------------

TEST(JournalText, KeepsUtf8AndEmbeddedNulExactlyAndRepairsInvalidBytes) {
  TempDir dir;
  auto journal = Journal::open(journal_config(dir.file("journal.db")));
  const std::string valid =
      "{\"reason\":\"Stra\xc3\x9f"
      "e \xe2\x86\x92 \xf0\x9f\x93\xa1\"}";
  const std::string with_nul = std::string("{\"a\":\"x") + '\0' + "y\"}";
  journal->publish(event("link", kT0, "", "5g", valid));
  journal->publish(event("link", kT0 + 1s, "", "5g", with_nul));
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate, 0xff.
  journal->publish(event("link", kT0 + 2s, "", "5g",
                         "{\"r\":\"a\x80"
                         "b\xe2\x82"
                         "c\xc0\xaf"
                         "d\xed\xa0\x80"
                         "e\xff\"}"));
  journal->publish(event("link", kT0 + 3s, "", "5\xff", "{}"));  // a name, too
  const auto got = journal->history(all_events());
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[3], valid);
  EXPECT_EQ(got[2], with_nul);
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  EXPECT_EQ(got[1],
            "{\"r\":\"a" + r + "b" + r + r + "c" + r + r + "d" + r + r + r + "e" + r + "\"}");
  ops::HistoryQuery q = all_events();
  q.link_name = "5" + r;
  EXPECT_EQ(journal->history(q).size(), 1u);
  EXPECT_EQ(journal->errors(), 0u);
}

TEST(JournalText, StoresAMegabyteEventAndRefusesALargerOneWithoutThrowing) {
  TempDir dir;
  auto journal = Journal::open(journal_config(dir.file("journal.db")));
  const std::string big = "{\"pad\":\"" + std::string((1 << 20) - 10, 'p') + "\"}";
  ASSERT_EQ(big.size(), std::size_t{1} << 20);
  journal->publish(event("drill", kT0, "", "", big));
  EXPECT_EQ(journal->errors(), 0u);
  journal->publish(event("drill", kT0 + 1s, "", "", big + " "));
  EXPECT_EQ(journal->errors(), 1u);
  const auto got = journal->history(all_events());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.front(), big);
  EXPECT_EQ(journal->rows(), 1u);
}

}  // namespace
}  // namespace lifeline::journal
