#include "common/log.hpp"

#include <unistd.h>

#include <cstdio>

namespace lifeline::log {
namespace {

Level g_max = Level::info;

bool on_terminal() {
  static const bool tty = ::isatty(STDERR_FILENO) == 1;
  return tty;
}

const char* name(Level level) {
  switch (level) {
    case Level::err:
      return "error";
    case Level::warning:
      return "warning";
    case Level::notice:
      return "notice";
    case Level::info:
      return "info";
    case Level::debug:
      return "debug";
  }
  return "?";
}

}  // namespace

void set_max_level(Level level) { g_max = level; }

void write(Level level, std::string_view message) {
  if (static_cast<int>(level) > static_cast<int>(g_max)) return;
  std::string line;
  line.reserve(message.size() + 16);
  if (on_terminal()) {
    line += name(level);
    line += ": ";
  } else {
    line += '<';
    line += static_cast<char>('0' + static_cast<int>(level));
    line += '>';
  }
  line += message;
  line += '\n';
  // One write per line, so lines from a crash handler or another thread never interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void RateLimit::write(Level level, std::string_view message) {
  const auto now = std::chrono::steady_clock::now();
  if (now - window_start_ >= period_) {
    if (suppressed_ > 0) {
      log::write(level, std::to_string(suppressed_) + " similar messages suppressed");
    }
    window_start_ = now;
    in_window_ = 0;
    suppressed_ = 0;
  }
  if (in_window_ < burst_) {
    ++in_window_;
    log::write(level, message);
  } else {
    ++suppressed_;
  }
}

}  // namespace lifeline::log
