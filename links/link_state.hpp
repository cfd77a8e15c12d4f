// What the rest of lifeline knows about a link: its measured health (from LinkMonitor), its
// admin overlays (drain, quarantine) and its trust. These are the only links/ types that
// policies/ sees.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/units.hpp"
#include "config/config.hpp"

namespace lifeline::links {

// Ordered worst to best.
enum class Health : std::uint8_t { down, degraded, up };
const char* to_string(Health health);

// Quality limits a link is watched against. Unset fields are not checked.
struct Thresholds {
  std::optional<Duration> rtt;
  std::optional<Duration> jitter;
  std::optional<double> loss;  // ratio 0..1
  friend bool operator==(const Thresholds&, const Thresholds&) = default;
};

struct LinkMetrics {
  bool has_rtt = false;
  Duration srtt{};
  Duration rttvar{};
  Duration jitter{};
  Duration min_rtt{};
  double loss = 0;  // over the SLA window
  std::uint32_t targets_alive = 0;
  std::uint32_t targets_total = 0;
};

// A small dynamic bitset: bit i says whether the link meets watched threshold set i.
class ThresholdBits {
 public:
  void resize(std::size_t n) { words_.assign((n + 63) / 64, ~std::uint64_t{0}); }
  bool test(std::size_t i) const { return (words_[i / 64] >> (i % 64)) & 1; }
  void set(std::size_t i, bool value) {
    const auto bit = std::uint64_t{1} << (i % 64);
    words_[i / 64] = value ? words_[i / 64] | bit : words_[i / 64] & ~bit;
  }
  friend bool operator==(const ThresholdBits&, const ThresholdBits&) = default;

 private:
  std::vector<std::uint64_t> words_;
};

struct LinkStatus {
  Health health = Health::down;
  TimePoint since{};        // when `health` last changed
  std::uint64_t downs = 0;  // transitions into down from up/degraded (feeds dampening)
  LinkMetrics metrics;
  // Bit i: the link meets watch i (LinkMonitor's constructor argument); bit 0 is its SLA.
  // Evaluated with hysteresis, so it only flips on evidence.
  ThresholdBits meets;
  std::string reason;  // why `health` is what it is, for people
};

// Operator and integrity overlays; each holds until its expiry.
struct LinkAdmin {
  std::optional<TimePoint> drained_until;
  std::string drain_reason;
  std::optional<TimePoint> quarantined_until;
  std::string quarantine_reason;
  // quarantined_until for people (the caller's clock: wall time in lifelined, virtual time in
  // lifeline-sim); explain prints it.
  std::string quarantine_until_text;
};

// An integrity finding (docs/integrity.md): from the probes (path), the modem (radio) or an
// incident report.
struct Finding {
  std::string rule;  // auth_failure, rat_below_min, ... (the keys of path_integrity / radio.rules)
  config::Verdict verdict = config::Verdict::suspicion;
  std::string evidence;  // "RAT dropped nr -> gsm (below min_rat lte)"
  // The condition was already reported and still holds: keeps a quarantine going, is not a
  // new finding (not counted, not evented).
  bool renewed = false;
};

// Vendor attestation result (set by the integrity issue's attestation check).
enum class Trust : std::uint8_t { unattested, attested, violating };
const char* to_string(Trust trust);

}  // namespace lifeline::links
