// Durations, percentages and rates as the lab tools take them on the command line and on
// their control channel: the same spelling as lifelined's config ("300ms", "1.5%", "8Mbit"),
// parsed here so that the lab builds even while config/ is being changed.
#pragma once

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace lifeline::lab {

using Duration = std::chrono::nanoseconds;

namespace detail {
// A non-negative decimal number followed by a suffix; nullopt if the number is malformed.
inline std::optional<std::pair<double, std::string_view>> split_number(std::string_view text) {
  std::size_t end = 0;
  while (end < text.size() && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.')) ++end;
  if (end == 0) return std::nullopt;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, value);
  if (ec != std::errc{} || ptr != text.data() + end || !std::isfinite(value)) return std::nullopt;
  return std::pair{value, text.substr(end)};
}
}  // namespace detail

// "300ms", "0.5ms", "250us", "1s", "2m". A unit is required ("0ms", not "0").
inline std::optional<Duration> parse_duration(std::string_view text) {
  const auto parts = detail::split_number(text);
  if (!parts) return std::nullopt;
  const auto [value, unit] = *parts;
  double ns_per_unit = 0;
  if (unit == "ns")
    ns_per_unit = 1;
  else if (unit == "us")
    ns_per_unit = 1e3;
  else if (unit == "ms")
    ns_per_unit = 1e6;
  else if (unit == "s")
    ns_per_unit = 1e9;
  else if (unit == "m")
    ns_per_unit = 60e9;
  else
    return std::nullopt;
  const double ns = value * ns_per_unit;
  if (ns > 3600e9) return std::nullopt;  // an hour of delay is a typo, not a satellite
  return Duration{static_cast<std::int64_t>(std::llround(ns))};
}

// "1.5%" -> 0.015. The percent sign is required; 0% to 100%.
inline std::optional<double> parse_percent(std::string_view text) {
  const auto parts = detail::split_number(text);
  if (!parts || parts->second != "%" || parts->first > 100) return std::nullopt;
  return parts->first / 100.0;
}

// "8Mbit", "64kbit", "1Gbit" -> bits per second; "none" -> 0 (no limit).
inline std::optional<double> parse_rate(std::string_view text) {
  if (text == "none") return 0.0;
  const auto parts = detail::split_number(text);
  if (!parts) return std::nullopt;
  const auto [value, unit] = *parts;
  if (unit == "bit") return value;
  if (unit == "kbit") return value * 1e3;
  if (unit == "Mbit") return value * 1e6;
  if (unit == "Gbit") return value * 1e9;
  return std::nullopt;
}

inline std::string format_ms(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fms", static_cast<double>(d.count()) / 1e6);
  return buf;
}

}  // namespace lifeline::lab
