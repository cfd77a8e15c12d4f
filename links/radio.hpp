// Radio integrity of a cellular link (docs/integrity.md): the modem's telemetry readings, as
// a bridge (lifeline-mm-bridge, or any publisher of the same JSON) sends them, and the rules
// that turn them into findings — a downgrade to an older RAT, null ciphering, a foreign
// network, a cell nobody surveyed, a tracking area that changes under the same cell, a signal
// far stronger than the cell's own history, the neighbour list emptied, registration
// rejects in a burst, or no readings at all. Pure: the caller passes the time.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/units.hpp"
#include "config/config.hpp"
#include "links/link_state.hpp"

namespace lifeline::links {

// One telemetry message (docs/integrity.md "Telemetry"). Every field but `modem` is optional.
struct RadioReading {
  std::string modem;
  std::string time;  // as sent (informational: findings use the receive time)
  std::optional<config::Rat> rat;
  std::optional<std::string> plmn;
  std::optional<std::uint32_t> tac;
  std::optional<std::uint64_t> cell_id;
  std::optional<std::uint32_t> pci;
  std::optional<std::uint32_t> arfcn;
  std::optional<double> rsrp, rsrq, snr;  // dBm, dB, dB
  std::optional<std::uint32_t> neighbours;
  std::optional<std::string> registration;  // home | roaming | searching | denied | idle
  std::optional<std::uint32_t> reject_cause;  // 3GPP TS 24.301 EMM cause
  std::optional<std::string> cipher;          // nea0..nea3, eea0..eea3, ..., unknown
};

// The largest message parse_radio_reading accepts (a reading is ~300 bytes).
inline constexpr std::size_t kMaxReadingBytes = 4096;

// A reading, or why the message is not one ("rat: '5g' is not one of gsm, umts, lte, nr").
std::variant<RadioReading, std::string> parse_radio_reading(std::string_view json);
// The JSON form (the contract; used by the simulator, the tests and the lab's fake modem).
std::string format_radio_reading(const RadioReading& reading);

// "nea0", "eea0", "gea0", "uea0": ciphering off.
bool is_null_cipher(std::string_view cipher);

using RadioFinding = Finding;

// Per link. Readings for another modem must not be passed in (the caller filters by name).
class RadioWatch {
 public:
  // The signal baseline (docs/integrity.md "RSRP jump"): per cell, RSRP's smoothed mean and
  // mean deviation as RFC 6298 smooths RTT (gains 1/8 and 1/4), learnt over kLearn readings;
  // a reading more than max(rsrp_jump_db, 4 x deviation) above the mean is a jump. A cell
  // without a baseline yet is compared with the cell that served before it (a handover
  // goes to a cell a few dB stronger, not 20). Readings that jump do not teach the baseline,
  // unless the new level holds for kRelearn readings (then it becomes the cell's level).
  static constexpr int kLearn = 10;
  static constexpr int kRelearn = 300;
  static constexpr std::size_t kMaxCells = 256;
  // Registration rejects: this many within kRejectWindow is a burst.
  static constexpr int kRejectBurst = 3;
  static constexpr Duration kRejectWindow = std::chrono::seconds(60);
  // Neighbours: zero, while the learnt mean is at least this.
  static constexpr double kMinNeighbours = 2.0;

  RadioWatch(config::RadioConfig config, TimePoint start);

  std::vector<RadioFinding> on_reading(const RadioReading& reading, TimePoint at);
  // At or after next_deadline(): the feed-stale check.
  std::vector<RadioFinding> on_timer(TimePoint at);
  TimePoint next_deadline() const;

  const std::optional<RadioReading>& last() const { return last_; }
  std::optional<TimePoint> last_at() const { return last_at_; }
  bool stale() const { return stale_; }
  const config::RadioConfig& config() const { return config_; }
  // Rules whose condition holds now.
  std::vector<std::string> active() const;

 private:
  struct Baseline {
    double mean = 0, dev = 0;
    int samples = 0;
    int outliers = 0;  // consecutive readings flagged as jumps
    std::uint64_t used = 0;  // for evicting the least recently used cell
  };
  // A condition rule: reported when it starts, renewed while it holds.
  void condition(std::vector<RadioFinding>& out, const char* rule, config::Verdict verdict, bool holds,
                 const std::string& evidence);
  void check_rsrp(std::vector<RadioFinding>& out, const RadioReading& r);
  Baseline& baseline(std::uint64_t cell);

  config::RadioConfig config_;
  TimePoint start_;
  std::optional<RadioReading> last_;
  std::optional<TimePoint> last_at_;
  bool stale_ = false;
  TimePoint stale_reported_{};
  struct Holding {
    bool holds = false;
    std::string evidence;  // as last seen
  };
  config::Verdict verdict_of(const std::string& rule) const;
  std::map<std::string, Holding> holding_;
  int neighbours_outliers_ = 0;  // consecutive readings with no neighbours
  std::map<std::uint64_t, Baseline> cells_;
  std::uint64_t tick_ = 0;
  // The last cell whose baseline was learnt: a cell still learning is compared with it.
  std::optional<std::uint64_t> reference_cell_;
  double neighbours_mean_ = 0;
  int neighbours_samples_ = 0;
  std::deque<TimePoint> rejects_;
};

}  // namespace lifeline::links
