// lifeline-lab-delay: the lab's delay line. This kernel has no netem qdisc, so a carrier
// namespace routes the packets that cross it into a TUN device (policy routing by input
// interface, set up by lab/lab.sh); this tool holds each packet for the configured one-way
// delay and writes it into a second TUN device, from which the kernel forwards it on.
//
// Two directions: packets read from device A leave through B after delay-ab, packets read from
// B leave through A after delay-ba. Each direction is a FIFO whose release times never
// decrease, so packets are never reordered (a satellite hop does not reorder either, and
// netem-style reordering would make every outage measurement noisy). One timerfd is armed for
// the earliest release; timer slack is set to 1 ns so releases land within tens of
// microseconds of their target without spinning a core that other people share. The line
// is invisible to the hop count (restore_hop).
// docs/lab.md explains where it sits in the lab.

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "lab/tools/quantities.hpp"

namespace lifeline::lab {
namespace {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, the clock timerfd is armed on
using TimePoint = Clock::time_point;
using namespace std::chrono_literals;

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

// What one direction of the line does to a packet.
struct Settings {
  Duration delay{0};
  Duration jitter{0};     // uniform in [-jitter, +jitter], never below zero, never reordering
  double loss = 0;        // ratio of packets dropped at random
  double rate_bps = 0;    // 0: no bandwidth limit
  Duration queue{200ms};  // with a rate: the longest a packet may wait for the link
};

struct DirectionStats {
  std::uint64_t in = 0;
  std::uint64_t out = 0;
  std::uint64_t lost = 0;           // dropped by `loss`
  std::uint64_t dropped_queue = 0;  // dropped because the rate-limited queue was full
  std::uint64_t dropped_limit = 0;  // dropped because --limit packets were already held
  std::uint64_t ignored = 0;        // not forwardable (the TUN device's own IPv6 chatter)
  std::uint64_t write_errors = 0;
  std::int64_t late_max_ns = 0;  // how late a release was, compared with its target
  std::int64_t late_sum_ns = 0;
};

struct Held {
  TimePoint release;
  std::vector<std::uint8_t> bytes;
};

struct Direction {
  std::string name;  // "ab" or "ba"
  int in_fd = -1;
  int out_fd = -1;
  Settings settings;
  std::deque<Held> queue;
  TimePoint last_release{};
  TimePoint link_free{};
  DirectionStats stats;
};

std::string json_escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string settings_json(const Settings& s) {
  std::ostringstream o;
  o << "{\"delay_ms\":" << static_cast<double>(s.delay.count()) / 1e6
    << ",\"jitter_ms\":" << static_cast<double>(s.jitter.count()) / 1e6
    << ",\"loss_percent\":" << s.loss * 100 << ",\"rate_bps\":" << s.rate_bps
    << ",\"queue_ms\":" << static_cast<double>(s.queue.count()) / 1e6 << "}";
  return o.str();
}

std::string stats_json(const DirectionStats& s, std::size_t held) {
  std::ostringstream o;
  const double late_mean_us =
      s.out ? static_cast<double>(s.late_sum_ns) / static_cast<double>(s.out) / 1e3 : 0.0;
  o << "{\"in\":" << s.in << ",\"out\":" << s.out << ",\"held\":" << held << ",\"lost\":" << s.lost
    << ",\"dropped_queue\":" << s.dropped_queue << ",\"dropped_limit\":" << s.dropped_limit
    << ",\"ignored\":" << s.ignored << ",\"write_errors\":" << s.write_errors
    << ",\"late_mean_us\":" << late_mean_us
    << ",\"late_max_us\":" << static_cast<double>(s.late_max_ns) / 1e3 << "}";
  return o.str();
}

void emit(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// Packets the kernel routed into the device are forwardable unicast. What else shows up is the
// device's own IPv6 chatter (router/neighbour solicitations, MLD reports from a link-local
// source or to a multicast group); forwarding it to the other side would only confuse it.
bool forwardable(std::span<const std::uint8_t> p) {
  if (p.empty()) return false;
  const int version = p[0] >> 4;
  if (version == 4) return p.size() >= 20;
  if (version == 6) {
    if (p.size() < 40) return false;
    const bool src_link_local = p[8] == 0xfe && (p[9] & 0xc0) == 0x80;
    const bool dst_multicast = p[24] == 0xff;
    return !src_link_local && !dst_multicast;
  }
  return false;
}

// The kernel forwards a packet that crosses the delay line twice (into the TUN device and out
// of the other), so it would lose one more TTL than on the same carrier without the line.
// Give the hop back: a delay must not look like a path change to a probe that watches the
// hop count (lifelined's path integrity check does). IPv4 needs the header checksum
// updated, incrementally as in RFC 1624 (eqn. 3).
void restore_hop(std::vector<std::uint8_t>& p) {
  if (p.empty()) return;
  const int version = p[0] >> 4;
  if (version == 6 && p.size() >= 40 && p[7] < 255) {
    ++p[7];
  } else if (version == 4 && p.size() >= 20 && p[8] < 255) {
    const auto word = [&] { return static_cast<std::uint32_t>((p[8] << 8) | p[9]); };
    const std::uint32_t old_word = word();
    ++p[8];
    std::uint32_t sum = (~static_cast<std::uint32_t>((p[10] << 8) | p[11]) & 0xffff) +
                        (~old_word & 0xffff) + word();
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    const auto checksum = static_cast<std::uint16_t>(~sum & 0xffff);
    p[10] = static_cast<std::uint8_t>(checksum >> 8);
    p[11] = static_cast<std::uint8_t>(checksum & 0xff);
  }
}

int open_tun(const std::string& name, std::optional<int> mtu) {
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(std::string("open /dev/net/tun: ") + std::strerror(errno));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name.c_str());
  if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
    throw std::runtime_error("TUNSETIFF " + name + ": " + std::strerror(errno));
  }
  // Bring it up here, so lab.sh only has to route into it.
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (mtu) {
    ifr.ifr_mtu = *mtu;
    if (::ioctl(s, SIOCSIFMTU, &ifr) < 0) {
      ::close(s);
      throw std::runtime_error("SIOCSIFMTU " + name + ": " + std::strerror(errno));
    }
  }
  bool up = ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  if (up) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    up = ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  }
  const int e = errno;
  ::close(s);
  if (!up) throw std::runtime_error("bringing " + name + " up: " + std::strerror(e));
  return fd;
}

itimerspec to_itimerspec(TimePoint t) {
  const auto ns = t.time_since_epoch().count();
  itimerspec its{};
  its.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  its.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  // A zero it_value disarms the timer: an instant at the epoch is never wanted, but be safe.
  if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  return its;
}

class DelayLine {
 public:
  DelayLine(int fd_a, int fd_b, Settings ab, Settings ba, std::size_t limit, std::uint64_t seed,
            int control_fd)
      : limit_(limit), rng_(seed), control_fd_(control_fd) {
    dirs_[0] = Direction{"ab", fd_a, fd_b, ab, {}, {}, {}, {}};
    dirs_[1] = Direction{"ba", fd_b, fd_a, ba, {}, {}, {}, {}};
    baseline_ = {ab, ba};
  }

  int run() {
    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    sigset_t mask;
    sigemptyset(&mask);
    for (const int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&mask, sig);
    ::sigprocmask(SIG_BLOCK, &mask, nullptr);
    signal_fd_ = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (timer_fd_ < 0 || epoll_fd_ < 0 || signal_fd_ < 0) {
      std::fprintf(stderr, "lifeline-lab-delay: setup: %s\n", std::strerror(errno));
      return kExitRuntime;
    }
    watch(dirs_[0].in_fd);
    watch(dirs_[1].in_fd);
    watch(timer_fd_);
    watch(signal_fd_);
    if (control_fd_ >= 0) watch(control_fd_);

    std::array<epoll_event, 8> events{};
    while (running_) {
      const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        std::fprintf(stderr, "lifeline-lab-delay: epoll_wait: %s\n", std::strerror(errno));
        return kExitRuntime;
      }
      for (int i = 0; i < n; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        if (fd == dirs_[0].in_fd)
          read_packets(dirs_[0]);
        else if (fd == dirs_[1].in_fd)
          read_packets(dirs_[1]);
        else if (fd == timer_fd_)
          drain_timer();
        else if (fd == signal_fd_)
          handle_signal();
        else if (fd == control_fd_)
          read_control();
      }
      release_due(Clock::now());
      rearm();
    }
    emit("{\"event\":\"exit\",\"ab\":" + stats_json(dirs_[0].stats, dirs_[0].queue.size()) +
         ",\"ba\":" + stats_json(dirs_[1].stats, dirs_[1].queue.size()) + "}");
    return kExitOk;
  }

 private:
  void watch(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
      throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
    }
  }

  // Reads what the device holds, in bounded batches so one busy direction cannot starve the
  // other or delay a due release by more than a batch.
  void read_packets(Direction& d) {
    for (int i = 0; i < 64; ++i) {
      const ssize_t n = ::read(d.in_fd, buffer_.data(), buffer_.size());
      if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) {
          std::fprintf(stderr, "lifeline-lab-delay: read %s: %s\n", d.name.c_str(),
                       std::strerror(errno));
        }
        return;
      }
      accept(d, std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(n)),
             Clock::now());
    }
  }

  void accept(Direction& d, std::span<const std::uint8_t> packet, TimePoint now) {
    ++d.stats.in;
    if (!forwardable(packet)) {
      ++d.stats.ignored;
      return;
    }
    const Settings& s = d.settings;
    if (s.loss > 0 && uniform_(rng_) < s.loss) {
      ++d.stats.lost;
      return;
    }
    if (d.queue.size() >= limit_) {
      ++d.stats.dropped_limit;
      return;
    }
    TimePoint departs = now;
    if (s.rate_bps > 0) {
      const TimePoint starts = std::max(now, d.link_free);
      if (starts - now > s.queue) {
        ++d.stats.dropped_queue;
        return;
      }
      const auto serialisation = Duration{
          static_cast<std::int64_t>(static_cast<double>(packet.size()) * 8e9 / s.rate_bps)};
      d.link_free = starts + serialisation;
      departs = d.link_free;
    }
    Duration delay = s.delay;
    if (s.jitter.count() > 0) {
      std::uniform_int_distribution<std::int64_t> j(-s.jitter.count(), s.jitter.count());
      delay = std::max(Duration{0}, delay + Duration{j(rng_)});
    }
    const TimePoint release = std::max(departs + delay, d.last_release);
    d.last_release = release;
    Held held{release, take_buffer()};
    held.bytes.assign(packet.begin(), packet.end());
    restore_hop(held.bytes);
    d.queue.push_back(std::move(held));
  }

  void release_due(TimePoint now) {
    for (Direction& d : dirs_) {
      while (!d.queue.empty() && d.queue.front().release <= now) {
        Held& h = d.queue.front();
        if (::write(d.out_fd, h.bytes.data(), h.bytes.size()) < 0) {
          ++d.stats.write_errors;
        } else {
          ++d.stats.out;
          const std::int64_t late = (now - h.release).count();
          d.stats.late_sum_ns += late;
          d.stats.late_max_ns = std::max(d.stats.late_max_ns, late);
        }
        pool_.push_back(std::move(h.bytes));
        d.queue.pop_front();
      }
    }
  }

  void rearm() {
    std::optional<TimePoint> next;
    for (const Direction& d : dirs_) {
      if (!d.queue.empty() && (!next || d.queue.front().release < *next)) {
        next = d.queue.front().release;
      }
    }
    if (next == armed_) return;
    itimerspec its{};  // zero disarms
    if (next) its = to_itimerspec(*next);
    ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr);
    armed_ = next;
  }

  void drain_timer() {
    std::uint64_t expirations = 0;
    while (::read(timer_fd_, &expirations, sizeof expirations) > 0) {
    }
    armed_.reset();  // a fired timer is no longer armed
  }

  void handle_signal() {
    signalfd_siginfo info{};
    while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      if (info.ssi_signo == SIGUSR1)
        emit_stats();
      else
        running_ = false;
    }
  }

  void emit_stats() {
    emit("{\"event\":\"stats\",\"ab\":" + stats_json(dirs_[0].stats, dirs_[0].queue.size()) +
         ",\"ba\":" + stats_json(dirs_[1].stats, dirs_[1].queue.size()) + "}");
  }

  // The control channel: a FIFO the tool holds open for reading and writing, so it never sees
  // end-of-file. One command per line, applied as a whole or not at all; every line is
  // answered on stdout with an "applied" or "error" event (lab.sh waits for it).
  void read_control() {
    char buf[1024];
    for (;;) {
      const ssize_t n = ::read(control_fd_, buf, sizeof buf);
      if (n <= 0) break;
      control_buf_.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t pos;
    while ((pos = control_buf_.find('\n')) != std::string::npos) {
      const std::string line = control_buf_.substr(0, pos);
      control_buf_.erase(0, pos + 1);
      if (!line.empty()) apply_control(line);
    }
    if (control_buf_.size() > 4096) control_buf_.clear();  // garbage without newlines
  }

  void apply_control(const std::string& line) {
    std::array<Settings, 2> next{dirs_[0].settings, dirs_[1].settings};
    std::istringstream words(line);
    std::string word;
    std::string error;
    bool stats = false;
    while (words >> word && error.empty()) {
      if (word == "stats") {
        stats = true;
        continue;
      }
      if (word == "reset") {
        next = baseline_;
        continue;
      }
      const auto eq = word.find('=');
      if (eq == std::string::npos) {
        error = "expected key=value, reset or stats: '" + word + "'";
        break;
      }
      const std::string key = word.substr(0, eq);
      const std::string value = word.substr(eq + 1);
      // key, key-ab, key-ba
      std::string base = key;
      bool ab = true, ba = true;
      if (key.ends_with("-ab"))
        base = key.substr(0, key.size() - 3), ba = false;
      else if (key.ends_with("-ba"))
        base = key.substr(0, key.size() - 3), ab = false;
      auto set = [&](auto member, auto parsed) {
        if (!parsed) {
          error = "bad value for " + key + ": '" + value + "'";
          return;
        }
        if (ab) next[0].*member = *parsed;
        if (ba) next[1].*member = *parsed;
      };
      if (base == "delay")
        set(&Settings::delay, parse_duration(value));
      else if (base == "jitter")
        set(&Settings::jitter, parse_duration(value));
      else if (base == "loss")
        set(&Settings::loss, parse_percent(value));
      else if (base == "rate")
        set(&Settings::rate_bps, parse_rate(value));
      else if (base == "queue")
        set(&Settings::queue, parse_duration(value));
      else
        error = "unknown key '" + key + "' (delay, jitter, loss, rate, queue; -ab or -ba)";
    }
    if (!error.empty()) {
      emit("{\"event\":\"error\",\"line\":\"" + json_escape(line) + "\",\"message\":\"" +
           json_escape(error) + "\"}");
      return;
    }
    dirs_[0].settings = next[0];
    dirs_[1].settings = next[1];
    emit("{\"event\":\"applied\",\"line\":\"" + json_escape(line) +
         "\",\"ab\":" + settings_json(next[0]) + ",\"ba\":" + settings_json(next[1]) + "}");
    if (stats) emit_stats();
  }

  std::vector<std::uint8_t> take_buffer() {
    if (pool_.empty()) return {};
    std::vector<std::uint8_t> b = std::move(pool_.back());
    pool_.pop_back();
    return b;
  }

  std::array<Direction, 2> dirs_;
  std::array<Settings, 2> baseline_;
  std::size_t limit_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  int control_fd_ = -1;
  int timer_fd_ = -1;
  int epoll_fd_ = -1;
  int signal_fd_ = -1;
  bool running_ = true;
  std::optional<TimePoint> armed_;
  std::string control_buf_;
  std::vector<std::vector<std::uint8_t>> pool_;
  std::array<std::uint8_t, 65536> buffer_{};
};

template <typename T, typename Parse>
bool parse_into(const std::string& what, const std::string& text, Parse parse, T& out) {
  if (text.empty()) return true;
  const auto v = parse(text);
  if (!v) {
    std::fprintf(stderr, "lifeline-lab-delay: bad %s '%s'\n", what.c_str(), text.c_str());
    return false;
  }
  out = static_cast<T>(*v);
  return true;
}

int main_impl(int argc, char** argv) {
  CLI::App app{
      "lifeline-lab-delay: a delay line between two TUN devices, for the lab's carrier "
      "namespaces (there is no netem in this kernel).\n"
      "Packets read from --dev-a leave through --dev-b after the a->b delay, and the other "
      "way round. Packets are never reordered."};
  app.footer(
      "Control (--control FIFO), one line per command, answered on stdout:\n"
      "  delay=300ms jitter=2ms loss=1% rate=8Mbit|none queue=200ms   (suffix -ab or -ba for "
      "one direction)\n"
      "  reset    back to the command-line settings;   stats    print counters\n"
      "SIGUSR1 prints counters too; SIGTERM prints them and exits.\n"
      "Exit codes: 0 ok, 1 runtime failure (cannot create a device), 2 usage error.");
  std::string dev_a, dev_b, delay = "0ms", delay_ab, delay_ba, jitter, loss, rate, queue;
  std::string control, ready;
  std::size_t limit = 20000;
  std::optional<int> mtu;
  std::optional<std::uint64_t> seed;
  app.add_option("--dev-a", dev_a, "TUN device to create on the base side")->required();
  app.add_option("--dev-b", dev_b, "TUN device to create on the network side")->required();
  app.add_option("--delay", delay, "one-way delay, both directions (e.g. 300ms)");
  app.add_option("--delay-ab", delay_ab, "one-way delay a->b (overrides --delay)");
  app.add_option("--delay-ba", delay_ba, "one-way delay b->a (overrides --delay)");
  app.add_option("--jitter", jitter, "uniform jitter +-J on the delay (FIFO order is kept)");
  app.add_option("--loss", loss, "random loss per direction, e.g. 1%");
  app.add_option("--rate", rate, "link rate per direction, e.g. 8Mbit (default: none)");
  app.add_option("--queue", queue, "with --rate: longest wait for the link before tail drop");
  app.add_option("--limit", limit, "most packets held per direction")->capture_default_str();
  app.add_option("--mtu", mtu, "MTU of both devices (default: the kernel's, 1500)");
  app.add_option("--control", control, "FIFO to read control commands from (created if missing)");
  app.add_option("--ready", ready, "file to create once both devices are up");
  app.add_option("--seed", seed, "random seed for loss and jitter (default: random)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  Settings base;
  bool ok = parse_into("--delay", delay, parse_duration, base.delay) &&
            parse_into("--jitter", jitter, parse_duration, base.jitter) &&
            parse_into("--loss", loss, parse_percent, base.loss) &&
            parse_into("--rate", rate, parse_rate, base.rate_bps) &&
            parse_into("--queue", queue, parse_duration, base.queue);
  Settings ab = base, ba = base;
  ok = ok && parse_into("--delay-ab", delay_ab, parse_duration, ab.delay) &&
       parse_into("--delay-ba", delay_ba, parse_duration, ba.delay);
  if (!ok) return kExitUsage;
  if (limit == 0) {
    std::fprintf(stderr, "lifeline-lab-delay: --limit must be at least 1\n");
    return kExitUsage;
  }

  ::signal(SIGPIPE, SIG_IGN);
  // Timer slack: the default 50 us would be most of our precision budget.
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

  try {
    const int fd_a = open_tun(dev_a, mtu);
    const int fd_b = open_tun(dev_b, mtu);
    int control_fd = -1;
    if (!control.empty()) {
      if (::mkfifo(control.c_str(), 0600) < 0 && errno != EEXIST) {
        throw std::runtime_error("mkfifo " + control + ": " + std::strerror(errno));
      }
      control_fd = ::open(control.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
      if (control_fd < 0) throw std::runtime_error("open " + control + ": " + std::strerror(errno));
    }
    const std::uint64_t s = seed ? *seed : std::random_device{}();
    DelayLine line(fd_a, fd_b, ab, ba, limit, s, control_fd);
    if (!ready.empty()) {
      const int fd = ::open(ready.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) throw std::runtime_error("open " + ready + ": " + std::strerror(errno));
      ::close(fd);
    }
    emit("{\"event\":\"ready\",\"pid\":" + std::to_string(::getpid()) + ",\"dev_a\":\"" +
         json_escape(dev_a) + "\",\"dev_b\":\"" + json_escape(dev_b) +
         "\",\"ab\":" + settings_json(ab) + ",\"ba\":" + settings_json(ba) + "}");
    return line.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lifeline-lab-delay: %s\n", e.what());
    return kExitRuntime;
  }
}

}  // namespace
}  // namespace lifeline::lab

int main(int argc, char** argv) {
  return lifeline::lab::main_impl(argc, argv);
}
