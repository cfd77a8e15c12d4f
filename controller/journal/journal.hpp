// The journal: a SQLite database (WAL) of every event lifelined publishes (link changes,
// class switches with their measured duration, operator actions, reloads, drill steps) and
// of drill reports. Writes are one committed transaction each, on the caller's thread (the
// daemon's journal thread, controller/journal_thread.hpp, never its event loop): when
// publish() returns the row survives a kill -9 of the daemon. WAL with
// synchronous=NORMAL makes that a few tens of microseconds, not an fsync.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "controller/ops.hpp"

namespace lifeline::journal {

class Journal : public ops::JournalStore {
 public:
  // Opens or creates the database (its directory must exist) and applies retention. Throws
  // std::runtime_error naming the path and SQLite's reason when it cannot.
  static std::unique_ptr<Journal> open(const config::JournalConfig& config);
  ~Journal() override;

  // One committed transaction. Failures (disk full, read-only) are logged, counted in
  // errors() and never thrown: the failover path does not depend on the disk.
  void publish(const ops::Event& event) override;

  // Event JSON texts matching `query`, newest first. Throws std::runtime_error when the
  // database cannot be read (the control API answers `journal_unavailable`).
  std::vector<std::string> history(const ops::HistoryQuery& query) const override;

  // Stored (replaced if `id` exists) as one committed transaction; failures are counted in
  // errors() and never thrown, as for publish().
  void store_drill_report(const std::string& id, std::chrono::system_clock::time_point started,
                          const std::string& report_json) override;
  // The report of drill `id`, or of the latest drill when `id` is empty. Throws as history().
  std::optional<std::string> drill_report(const std::string& id) const override;

  // Deletes events older than the retention and beyond max_rows; returns how many. Works in
  // bounded batches for about 20 ms at most, leaving the rest for the next call (call it every
  // minute: a call with nothing to delete costs microseconds). Never throws.
  std::size_t apply_retention(std::chrono::system_clock::time_point now) override;

  // Safe to read from any thread (the metrics collector); everything else is one thread's.
  std::uint64_t errors() const override;  // events and reports not recorded, failed queries and deletes
  std::uint64_t rows() const override;    // events in the journal

 private:
  struct Impl;
  explicit Journal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lifeline::journal
