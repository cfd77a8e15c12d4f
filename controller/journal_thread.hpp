// The journal off the event loop. SQLite commits are usually tens of microseconds, but a slow
// or busy disk can make one take seconds, a checkpoint fsyncs twice, and a history query over
// a year of rows scans; none of that may stall probing. Every write and every query runs on a
// thread of the journal's own (not the kernel worker's: a slow disk must not delay conntrack
// flushes), in the order they were made; answers come back to the loop through `post`.
// after_writes() is the barrier that keeps "an acknowledged action is committed before the
// reply": its callback runs once everything queued before it is in the database.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/ops.hpp"
#include "controller/worker.hpp"

namespace lifeline::daemon {

class JournalThread {
 public:
  // A query's answer: the rows (or report), or why the journal could not be read.
  template <typename T>
  struct Answer {
    std::optional<T> value;
    std::string error;  // set when the read failed
  };

  JournalThread(std::unique_ptr<ops::JournalStore> store, Worker::Post post);
  // Writes what is still queued, then stops.
  ~JournalThread();
  JournalThread(const JournalThread&) = delete;
  JournalThread& operator=(const JournalThread&) = delete;

  // Queued; each returns at once.
  void publish(const ops::Event& event);
  void store_drill_report(const std::string& id, std::chrono::system_clock::time_point started,
                          const std::string& report_json);
  void apply_retention(std::chrono::system_clock::time_point now);
  // `done` runs on the loop once everything queued before this call is committed.
  void after_writes(std::function<void()> done);
  void history(const ops::HistoryQuery& query,
               std::function<void(Answer<std::vector<std::string>>)> done);
  // The report of drill `id` (the latest when empty); value nullopt and no error: none.
  void drill_report(const std::string& id, std::function<void(Answer<std::optional<std::string>>)> done);

  // Blocking, for start-up before the loop runs (the standing orders to restore).
  Answer<std::vector<std::string>> history_now(const ops::HistoryQuery& query);

  // Any thread.
  std::uint64_t rows() const { return store_->rows(); }
  std::uint64_t errors() const { return store_->errors(); }
  std::uint64_t writes_queued() const { return writes_; }  // the loop's thread
  std::size_t backlog() const { return worker_.queued(); }

 private:
  std::unique_ptr<ops::JournalStore> store_;
  Worker::Post post_;
  std::uint64_t writes_ = 0;
  Worker worker_{"lifelined-jrnl"};  // last: its jobs use the store
};

}  // namespace lifeline::daemon
