// Logging to stderr for systemd: each line starts with its syslog priority ("<4>...",
// sd-daemon(3)), which journald turns into the entry's priority. On a terminal the prefix
// is a readable level name instead. Messages that can repeat per packet go through a
// RateLimit so a flood of bad packets cannot flood the journal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace lifeline::log {

enum class Level : int { err = 3, warning = 4, notice = 5, info = 6, debug = 7 };

void set_max_level(Level level);
void write(Level level, std::string_view message);

inline void error(std::string_view m) { write(Level::err, m); }
inline void warning(std::string_view m) { write(Level::warning, m); }
inline void notice(std::string_view m) { write(Level::notice, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void debug(std::string_view m) { write(Level::debug, m); }

// At most `burst` messages per `period`; the first message after a suppressed stretch says
// how many were dropped.
class RateLimit {
 public:
  RateLimit(std::uint32_t burst, std::chrono::steady_clock::duration period)
      : burst_(burst), period_(period) {}
  void write(Level level, std::string_view message);

 private:
  std::uint32_t burst_;
  std::chrono::steady_clock::duration period_;
  std::chrono::steady_clock::time_point window_start_{};
  std::uint32_t in_window_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace lifeline::log
