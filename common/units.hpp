// Quantities with units, as operators write them in YAML ("5ms", "2%", "200Mbit"), and the
// std::chrono types used end to end once they are parsed. TimePoint is a monotonic instant:
// the daemon maps it to steady_clock, the simulator to virtual time starting at zero.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lifeline {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

using namespace std::chrono_literals;

// Bits per second.
using BitRate = std::uint64_t;

// The result of parsing one quantity: a value, or a message saying what is allowed.
template <typename T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // set when !value
};

// "250us", "5ms", "1.5s", "2m", "1h", "30d". A unit is required; negative values are refused.
Parsed<Duration> parse_duration(std::string_view text);
// "5%", "0.5%": a ratio in [0, 1]. The percent sign is required.
Parsed<double> parse_percent(std::string_view text);
// "64kbit", "2Mbit", "1Gbit", "9600bit" (case-insensitive units, SI multiples of 1000).
Parsed<BitRate> parse_rate(std::string_view text);

// Shortest exact human form: 5ms, 1.5s, 250us, 2m, 1h30m.
std::string format_duration(Duration d);
std::string format_rate(BitRate bps);
std::string format_percent(double ratio);

// Seconds as a double, for output and statistics only (never for decisions).
inline double to_seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}
inline Duration from_seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

}  // namespace lifeline
