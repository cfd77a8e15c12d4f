// lifeline-mm-bridge's loop: finds the modem, reads it every interval (and soon after its RAT,
// registration or operator changes), publishes the reading, and keeps looking for the modem
// while it is gone. Failed reads are skipped, counted and logged (rate-limited); nothing
// short of losing the bus itself ends the loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "bridge/feed_publisher.hpp"
#include "bridge/mm_client.hpp"
#include "bridge/mm_mapping.hpp"
#include "common/log.hpp"

namespace lifeline::bridge {

struct BridgeOptions {
  std::string name;  // the `modem` field of each reading
  ModemSelector modem;
  std::chrono::milliseconds interval{1000};
};

struct BridgeCounters {
  std::uint64_t published = 0;
  std::uint64_t send_failed = 0;  // no feed socket, or libzmq refused the message
  std::uint64_t modem_found = 0;  // (re)discoveries
  std::uint64_t modem_lost = 0;
  std::uint64_t values_discarded = 0;                // values the contract cannot carry
  std::map<std::string, std::uint64_t> read_failed;  // by what was asked
};

class Bridge {
 public:
  Bridge(BridgeOptions options, ModemManagerClient& client, FeedPublisher& feed);

  // Runs until `stop_fd` (a signalfd for SIGTERM and SIGINT) is readable; returns the signal.
  // Throws BusError when the bus connection is lost.
  int run(int stop_fd);

  const BridgeCounters& counters() const { return counters_; }
  std::string counters_text() const;

 private:
  void read_and_publish();
  void discover();
  void forget_modem(const std::string& why);
  void ensure_feed();
  void note(const CallFailures& failures);
  log::RateLimit& limit(const std::string& key);

  BridgeOptions options_;
  ModemManagerClient& client_;
  FeedPublisher& feed_;
  BridgeCounters counters_;
  std::optional<std::string> modem_path_;
  bool location_setup_tried_ = false;
  std::chrono::steady_clock::time_point signal_setup_at_{};
  std::map<std::string, log::RateLimit> limits_;
};

}  // namespace lifeline::bridge
