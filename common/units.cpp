#include "common/units.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace lifeline {
namespace {

// Splits "12.5ms" into 12.5 and "ms". Only plain decimal notation: no sign, no exponent,
// no hex, so that "1e3s" or "-5ms" are refused instead of being read in surprising ways.
struct NumberAndUnit {
  bool ok = false;
  long double number = 0;
  std::string_view unit;
};

NumberAndUnit split_number(std::string_view text) {
  NumberAndUnit out;
  std::size_t i = 0;
  long double value = 0;
  bool digits = false;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    value = value * 10 + (text[i] - '0');
    digits = true;
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    long double scale = 0.1L;
    bool fraction = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      value += (text[i] - '0') * scale;
      scale /= 10;
      fraction = true;
      ++i;
    }
    if (!fraction) return out;
  }
  if (!digits) return out;
  std::size_t unit_start = i;
  while (unit_start < text.size() && text[unit_start] == ' ') ++unit_start;
  out.ok = true;
  out.number = value;
  out.unit = text.substr(unit_start);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string trim_number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  std::string s = buffer;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

Parsed<Duration> parse_duration(std::string_view text) {
  static constexpr const char* kAllowed = "a number with a unit: us, ms, s, m, h or d (e.g. 5ms)";
  if (!text.empty() && text.front() == '-') {
    return {std::nullopt, "'" + std::string(text) + "' is negative; use " + kAllowed};
  }
  const auto parsed = split_number(text);
  if (!parsed.ok) {
    return {std::nullopt, "'" + std::string(text) + "' is not a duration; use " + kAllowed};
  }
  struct Unit {
    std::string_view name;
    long double ns;
  };
  static constexpr Unit kUnits[] = {{"us", 1e3L}, {"ms", 1e6L},   {"s", 1e9L},
                                    {"m", 60e9L}, {"h", 3600e9L}, {"d", 86400e9L}};
  for (const auto& unit : kUnits) {
    if (parsed.unit != unit.name) continue;
    const long double ns = parsed.number * unit.ns;
    // A year is far beyond any timer we have; refusing it also keeps int64 ns safe.
    if (ns > 366 * 86400e9L) {
      return {std::nullopt, "'" + std::string(text) + "' is too long; at most 366d"};
    }
    return {Duration(static_cast<std::int64_t>(std::llround(ns))), {}};
  }
  if (parsed.unit.empty()) {
    return {std::nullopt, "'" + std::string(text) + "' has no unit; use " + kAllowed};
  }
  return {std::nullopt, "'" + std::string(text) + "' has an unknown unit '" +
                            std::string(parsed.unit) + "'; use " + kAllowed};
}

Parsed<double> parse_percent(std::string_view text) {
  static constexpr const char* kAllowed = "a percentage from 0% to 100% (e.g. 5% or 0.5%)";
  if (text.empty() || text.back() != '%') {
    return {std::nullopt, "'" + std::string(text) + "' is not a percentage; use " + kAllowed};
  }
  text.remove_suffix(1);
  const auto parsed = split_number(text);
  if (!parsed.ok || !parsed.unit.empty()) {
    return {std::nullopt, "'" + std::string(text) + "%' is not a percentage; use " + kAllowed};
  }
  if (parsed.number > 100) {
    return {std::nullopt, "'" + std::string(text) + "%' is above 100%; use " + kAllowed};
  }
  return {static_cast<double>(parsed.number / 100), {}};
}

Parsed<BitRate> parse_rate(std::string_view text) {
  static constexpr const char* kAllowed =
      "bits per second with a unit: bit, kbit, Mbit or Gbit (e.g. 2Mbit)";
  const auto parsed = split_number(text);
  if (!parsed.ok) {
    return {std::nullopt, "'" + std::string(text) + "' is not a rate; use " + kAllowed};
  }
  struct Unit {
    std::string_view name;
    long double bps;
  };
  static constexpr Unit kUnits[] = {
      {"bit", 1}, {"kbit", 1e3L}, {"mbit", 1e6L}, {"gbit", 1e9L}, {"tbit", 1e12L}};
  for (const auto& unit : kUnits) {
    if (!iequals(parsed.unit, unit.name)) continue;
    const long double bps = parsed.number * unit.bps;
    if (bps > 1e15L) return {std::nullopt, "'" + std::string(text) + "' is too large"};
    return {static_cast<BitRate>(std::llround(bps)), {}};
  }
  std::string message = "'" + std::string(text) + "' ";
  if (parsed.unit.empty()) {
    message += "has no unit";
  } else if (iequals(parsed.unit, "mb") || iequals(parsed.unit, "kb") ||
             iequals(parsed.unit, "gb") || iequals(parsed.unit, "mbps") ||
             iequals(parsed.unit, "kbps") || iequals(parsed.unit, "gbps")) {
    message += "is ambiguous (bytes or bits?)";
  } else {
    message += "has an unknown unit '" + std::string(parsed.unit) + "'";
  }
  return {std::nullopt, message + "; use " + kAllowed};
}

std::string format_duration(Duration d) {
  using namespace std::chrono;
  const auto ns = d.count();
  if (ns == 0) return "0s";
  if (ns < 0) return "-" + format_duration(-d);
  if (ns % 3'600'000'000'000 == 0) return std::to_string(ns / 3'600'000'000'000) + "h";
  if (ns % 60'000'000'000 == 0 && ns < 3'600'000'000'000)
    return std::to_string(ns / 60'000'000'000) + "m";
  if (ns >= 1'000'000'000) return trim_number(static_cast<double>(ns) / 1e9) + "s";
  if (ns >= 1'000'000) return trim_number(static_cast<double>(ns) / 1e6) + "ms";
  if (ns >= 1'000) return trim_number(static_cast<double>(ns) / 1e3) + "us";
  return std::to_string(ns) + "ns";
}

std::string format_rate(BitRate bps) {
  if (bps >= 1'000'000'000) return trim_number(static_cast<double>(bps) / 1e9) + "Gbit";
  if (bps >= 1'000'000) return trim_number(static_cast<double>(bps) / 1e6) + "Mbit";
  if (bps >= 1'000) return trim_number(static_cast<double>(bps) / 1e3) + "kbit";
  return std::to_string(bps) + "bit";
}

std::string format_percent(double ratio) {
  return trim_number(ratio * 100) + "%";
}

}  // namespace lifeline
