#include "common/utc_time.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace lifeline::utc {
namespace {

struct Split {
  std::tm tm{};
  int millis = 0;
};

// Whole seconds rounded down (also before 1970) and the milliseconds within them.
Split split(SystemTime t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const auto seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  Split s;
  ::gmtime_r(&seconds, &s.tm);
  s.millis = static_cast<int>(((ms % 1000) + 1000) % 1000);
  return s;
}

}  // namespace

std::string format(SystemTime t) {
  const Split s = split(t);
  char b[96];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02dZ", s.tm.tm_year + 1900, s.tm.tm_mon + 1, s.tm.tm_mday,
                s.tm.tm_hour, s.tm.tm_min, s.tm.tm_sec);
  return b;
}

std::string format_millis(SystemTime t) {
  const Split s = split(t);
  char b[96];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", s.tm.tm_year + 1900, s.tm.tm_mon + 1,
                s.tm.tm_mday, s.tm.tm_hour, s.tm.tm_min, s.tm.tm_sec, s.millis);
  return b;
}

std::string format_clock(SystemTime t) {
  const Split s = split(t);
  char b[96];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d %02d:%02d:%02dZ", s.tm.tm_year + 1900, s.tm.tm_mon + 1, s.tm.tm_mday,
                s.tm.tm_hour, s.tm.tm_min, s.tm.tm_sec);
  return b;
}

std::string format_compact(SystemTime t) {
  const Split s = split(t);
  char b[96];
  std::snprintf(b, sizeof b, "%04d%02d%02dT%02d%02d%02dZ", s.tm.tm_year + 1900, s.tm.tm_mon + 1, s.tm.tm_mday,
                s.tm.tm_hour, s.tm.tm_min, s.tm.tm_sec);
  return b;
}

std::optional<SystemTime> parse(std::string_view text) {
  if (text.size() < 20 || text.back() != 'Z' || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto number = [&](std::size_t at, std::size_t digits, int& out) {
    out = 0;
    for (std::size_t i = at; i < at + digits; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!number(0, 4, y) || !number(5, 2, mo) || !number(8, 2, d) || !number(11, 2, h) || !number(14, 2, mi) ||
      !number(17, 2, s) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return std::nullopt;
  }
  // Years outside 1970-2200 are no date an attestation or an event carries (found by the fuzzer).
  if (y < 1970 || y > 2200) return std::nullopt;
  std::chrono::nanoseconds fraction{0};
  const auto rest = text.substr(19, text.size() - 20);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2 || rest.size() > 10) return std::nullopt;
    std::int64_t ns = 0;
    for (std::size_t i = 1; i < 10; ++i) {
      const char c = i < rest.size() ? rest[i] : '0';
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      ns = ns * 10 + (c - '0');
    }
    fraction = std::chrono::nanoseconds(ns);
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return SystemTime{} +
         std::chrono::duration_cast<SystemTime::duration>(std::chrono::seconds(::timegm(&tm)) + fraction);
}

}  // namespace lifeline::utc
