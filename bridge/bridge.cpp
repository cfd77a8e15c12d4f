#include "bridge/bridge.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace lifeline::bridge {
namespace {

using Clock = std::chrono::steady_clock;

// PropertiesChanged comes in bursts (RAT, then registration, then operator, each its own
// signal): one reading after the burst, not one per signal.
constexpr auto kSettle = std::chrono::milliseconds(200);
// How often to turn Modem.Signal's refresh back on when it reads as off (ModemManager forgets
// it when the modem is re-enabled; a refusal should not be retried every interval).
constexpr auto kSignalSetupRetry = std::chrono::minutes(1);
// Per kind of message: a few lines, then silence for the rest of the period.
constexpr std::uint32_t kLogBurst = 3;
constexpr auto kLogPeriod = std::chrono::minutes(10);

std::uint32_t signal_rate_seconds(std::chrono::milliseconds interval) {
  const auto seconds = std::lround(std::chrono::duration<double>(interval).count());
  return static_cast<std::uint32_t>(std::max(1L, seconds));
}

int wait_ms(Clock::time_point now, Clock::time_point until) {
  if (until <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
  return static_cast<int>(std::min<std::int64_t>(ms, 60'000));
}

}  // namespace

Bridge::Bridge(BridgeOptions options, ModemManagerClient& client, FeedPublisher& feed)
    : options_(std::move(options)), client_(client), feed_(feed) {}

log::RateLimit& Bridge::limit(const std::string& key) {
  return limits_.try_emplace(key, kLogBurst, kLogPeriod).first->second;
}

void Bridge::note(const CallFailures& failures) {
  for (const auto& f : failures) {
    const auto count = ++counters_.read_failed[f.what];
    limit(f.what).write(log::Level::warning, options_.name + ": " + f.what + " failed (" + f.name +
                                                 ": " + f.message + "); " + std::to_string(count) +
                                                 " failures so far");
  }
}

void Bridge::ensure_feed() {
  const auto result = feed_.ensure_bound();
  if (result.rebound && result.ok) {
    log::warning(options_.name + ": the feed's socket file " + feed_.endpoint() +
                 " had been removed (lifelined restarted?); bound it again");
  }
  if (!result.ok) {
    limit("feed").write(log::Level::warning, options_.name + ": cannot bind the feed " +
                                                 result.error + "; retrying every interval");
  }
}

void Bridge::forget_modem(const std::string& why) {
  log::warning(options_.name + ": lost modem " + modem_path_.value_or("?") + " (" + why +
               "); publishing nothing until " + to_string(options_.modem) + " is back");
  ++counters_.modem_lost;
  modem_path_.reset();
  client_.watch(std::nullopt);
}

void Bridge::discover() {
  CallFailures failures;
  const auto modems = client_.list_modems(failures);
  note(failures);
  if (!modems) return;  // ModemManager unreachable: logged above; asked again next interval
  const auto selected = select_modem(options_.modem, *modems);
  if (selected && selected == modem_path_) return;
  if (modem_path_) forget_modem("ModemManager no longer lists it");
  if (!selected) {
    limit("waiting").write(log::Level::notice, options_.name + ": waiting for " +
                                                   to_string(options_.modem) +
                                                   " (ModemManager lists " +
                                                   std::to_string(modems->size()) + " modem(s))");
    return;
  }
  modem_path_ = selected;
  client_.watch(modem_path_);
  ++counters_.modem_found;
  location_setup_tried_ = false;
  const auto& equipment_id = modems->at(*selected);
  log::notice(options_.name + ": reading modem " + *selected +
              (equipment_id.empty() ? "" : " (equipment identifier " + equipment_id + ")"));
  CallFailures setup_failures;
  client_.setup_signal(*selected, signal_rate_seconds(options_.interval), setup_failures);
  signal_setup_at_ = Clock::now();
  note(setup_failures);
}

void Bridge::read_and_publish() {
  ensure_feed();
  if (!modem_path_) discover();
  if (!modem_path_) return;

  CallFailures failures;
  const auto read = client_.read(*modem_path_, failures);
  if (read.gone) {
    const auto it = std::find_if(failures.begin(), failures.end(),
                                 [](const CallFailure& f) { return means_modem_gone(f.name); });
    forget_modem(it == failures.end() ? "gone" : it->what + ": " + it->name);
    return;
  }
  note(failures);

  failures.clear();
  if (read.signal_rate && *read.signal_rate == 0 &&
      Clock::now() - signal_setup_at_ >= kSignalSetupRetry) {
    client_.setup_signal(*modem_path_, signal_rate_seconds(options_.interval), failures);
    signal_setup_at_ = Clock::now();
  }
  // Only when the location is needed (no serving cell) and its 3GPP source is off; once per
  // modem, as it changes a setting others may rely on.
  if (read.location_sources && !(*read.location_sources & 1u /* 3GPP_LAC_CI */) &&
      !location_setup_tried_) {
    location_setup_tried_ = true;
    if (client_.enable_location_3gpp(*modem_path_, failures)) {
      log::notice(options_.name + ": enabled the 3GPP location source (no cell info)");
    }
  }
  note(failures);

  const Reading reading =
      make_reading(options_.name, std::chrono::system_clock::now(), read.snapshot);
  if (!reading.discarded.empty()) {
    counters_.values_discarded += reading.discarded.size();
    std::string what;
    for (const auto& d : reading.discarded) what += (what.empty() ? "" : "; ") + d;
    limit("discarded")
        .write(log::Level::warning, options_.name + ": left out of the reading: " + what);
  }
  if (feed_.publish(links::format_radio_reading(reading.radio))) {
    ++counters_.published;
  } else {
    ++counters_.send_failed;
    limit("send").write(log::Level::warning,
                        options_.name + ": could not publish a reading on " + feed_.endpoint() +
                            " (" + std::to_string(counters_.send_failed) + " so far)");
  }
}

int Bridge::run(int stop_fd) {
  // kNever rather than an optional: g++ 12 takes optional<time_point> for maybe-uninitialized.
  constexpr auto kNever = Clock::time_point::max();
  auto next_tick = Clock::now();
  auto change_at = kNever;  // a reading soon, for a change ModemManager signalled
  while (true) {
    auto now = Clock::now();
    const bool periodic = now >= next_tick;
    if (periodic || now >= change_at) {
      if (periodic) {
        next_tick += options_.interval;
        if (next_tick <= now) next_tick = now + options_.interval;  // fell behind: no burst
      }
      change_at = kNever;
      read_and_publish();
    }

    client_.process();
    const auto changes = client_.take_changes();
    now = Clock::now();
    if (changes.modems) {
      discover();
      if (modem_path_) change_at = std::min(change_at, now + kSettle);
    }
    if (changes.modem_state) change_at = std::min(change_at, now + kSettle);

    auto until = std::min(next_tick, change_at);
    if (const auto bus_wait = client_.timeout()) until = std::min(until, now + *bus_wait);
    pollfd fds[2] = {{client_.fd(), client_.events(), 0}, {stop_fd, POLLIN, 0}};
    if (::poll(fds, 2, wait_ms(now, until)) < 0 && errno != EINTR) {
      throw BusError(std::string("poll: ") + std::strerror(errno));
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(stop_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        return static_cast<int>(info.ssi_signo);
      }
    }
  }
}

std::string Bridge::counters_text() const {
  std::string text = std::to_string(counters_.published) + " readings published, " +
                     std::to_string(counters_.send_failed) + " not sent, modem found " +
                     std::to_string(counters_.modem_found) + " and lost " +
                     std::to_string(counters_.modem_lost) + " times, " +
                     std::to_string(counters_.values_discarded) + " values left out";
  for (const auto& [what, count] : counters_.read_failed) {
    text += ", " + what + " failed " + std::to_string(count);
  }
  return text;
}

}  // namespace lifeline::bridge
