// What the journal costs the event loop: one publish() (an INSERT committed to the WAL, no
// fsync), its tail with the daemon's once-a-minute apply_retention() between, the same
// INSERT with synchronous=FULL (the fsync per event we chose not to pay), a `history --class`
// query, and the periodic apply_retention() call. The database lives under $LIFELINE_BENCH_DIR
// (default: the temp directory): point it at the disk the journal will really use.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "controller/journal/journal.hpp"

namespace lifeline::journal {
namespace {

using std::chrono::steady_clock;
using std::chrono::system_clock;

class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("LIFELINE_BENCH_DIR");
    std::string pattern =
        (base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path()) /
        "lifeline-journal-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern);
    path_ = pattern;
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  std::string file() const { return path_ + "/journal.db"; }

 private:
  std::string path_;
};

// A class switch, as docs/events.md shows it (~330 bytes).
ops::Event class_event(std::uint64_t i) {
  ops::Event e;
  e.kind = "class";
  e.at = system_clock::now();
  e.class_name = i % 4 == 0 ? "c2" : "voice";
  e.link_name = "leo";
  e.json = R"({"kind": "class", "time": "2026-11-29T12:00:30.039Z", "node": "base-alpha-gw1", )"
           R"("class": "c2", "from": "5g", "to": "leo", "why": "failover", )"
           R"("reason": "5g down; leo is the next fit link", "switch_seconds": 0.000412, "seq": )" +
           std::to_string(i) + "}";
  return e;
}

std::unique_ptr<Journal> open_journal(const BenchDir& dir) {
  config::JournalConfig c;
  c.path = dir.file();
  return Journal::open(c);
}

// The daemon calls apply_retention() every minute; a minute holds far fewer than 1000 events,
// so calling it every 1000 publishes keeps the WAL at least as short as in service.
constexpr std::uint64_t kMaintenanceEvery = 1000;

void BM_Publish(benchmark::State& state) {
  BenchDir dir;
  auto journal = open_journal(dir);
  std::uint64_t i = 0;
  for (auto _ : state) {
    journal->publish(class_event(i));
    if (++i % kMaintenanceEvery == 0) {
      state.PauseTiming();
      journal->apply_retention(system_clock::now());
      state.ResumeTiming();
    }
  }
  if (journal->errors() != 0) state.SkipWithError("publish failed");
}
BENCHMARK(BM_Publish)->Unit(benchmark::kMicrosecond);

// Every publish() timed on its own: the percentiles say whether any of them pays an fsync.
void BM_PublishLatencyPercentiles(benchmark::State& state) {
  constexpr std::size_t kEvents = 20000;
  for (auto _ : state) {
    BenchDir dir;
    auto journal = open_journal(dir);
    std::vector<double> us;
    us.reserve(kEvents);
    for (std::size_t i = 0; i < kEvents; ++i) {
      const auto event = class_event(i);
      const auto t0 = steady_clock::now();
      journal->publish(event);
      us.push_back(std::chrono::duration<double, std::micro>(steady_clock::now() - t0).count());
      if ((i + 1) % kMaintenanceEvery == 0) journal->apply_retention(system_clock::now());
    }
    std::sort(us.begin(), us.end());
    auto at = [&](double q) { return us[static_cast<std::size_t>(q * (us.size() - 1))]; };
    state.counters["p50_us"] = at(0.5);
    state.counters["p99_us"] = at(0.99);
    state.counters["p999_us"] = at(0.999);
    state.counters["max_us"] = us.back();
  }
}
BENCHMARK(BM_PublishLatencyPercentiles)->Iterations(1)->Unit(benchmark::kMillisecond);

// The alternative we did not take: the same INSERT into the same schema with
// synchronous=FULL, an fsync of the WAL per event.
void BM_InsertSynchronousFull(benchmark::State& state) {
  BenchDir dir;
  open_journal(dir);  // creates the schema
  sqlite3* db = nullptr;
  sqlite3_open_v2(dir.file().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  sqlite3_exec(db, "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO events(time, kind, class, link, json) VALUES (?, ?, ?, ?, ?)",
                     -1, &insert, nullptr);
  std::uint64_t i = 0;
  for (auto _ : state) {
    const auto e = class_event(i++);
    sqlite3_bind_int64(insert, 1, 0);
    sqlite3_bind_text(insert, 2, e.kind.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 3, e.class_name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 4, e.link_name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 5, e.json.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(insert) != SQLITE_DONE) state.SkipWithError(sqlite3_errmsg(db));
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  sqlite3_close(db);
}
BENCHMARK(BM_InsertSynchronousFull)->Unit(benchmark::kMicrosecond);

// `lifelinectl history --class c2` (100 newest) in a journal of 50000 events.
void BM_HistoryByClass(benchmark::State& state) {
  BenchDir dir;
  auto journal = open_journal(dir);
  for (std::uint64_t i = 0; i < 50000; ++i) journal->publish(class_event(i));
  ops::HistoryQuery q;
  q.class_name = "c2";
  q.limit = 100;
  for (auto _ : state) benchmark::DoNotOptimize(journal->history(q));
}
BENCHMARK(BM_HistoryByClass)->Unit(benchmark::kMicrosecond);

// The periodic call in a quiet minute (nothing to delete, nothing written: no checkpoint)...
void BM_ApplyRetentionQuiet(benchmark::State& state) {
  BenchDir dir;
  auto journal = open_journal(dir);
  for (std::uint64_t i = 0; i < 1000; ++i) journal->publish(class_event(i));
  journal->apply_retention(system_clock::now());
  for (auto _ : state) benchmark::DoNotOptimize(journal->apply_retention(system_clock::now()));
}
BENCHMARK(BM_ApplyRetentionQuiet)->Unit(benchmark::kMicrosecond);

// ...and after a minute with events: the WAL checkpoint and its fsyncs happen here.
void BM_ApplyRetentionAfterEvents(benchmark::State& state) {
  BenchDir dir;
  auto journal = open_journal(dir);
  std::uint64_t i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int k = 0; k < 20; ++k) journal->publish(class_event(i++));
    state.ResumeTiming();
    benchmark::DoNotOptimize(journal->apply_retention(system_clock::now()));
  }
}
BENCHMARK(BM_ApplyRetentionAfterEvents)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace lifeline::journal
