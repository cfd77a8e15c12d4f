// lifeline-lab-stream: UDP streams that measure outages in the lab (docs/lab.md).
//
//   send  paces numbered datagrams (1 kHz by default) from one source address with one DSCP;
//         each carries its stream id, class name, sequence number and send time;
//   sink  receives any number of streams and, at the end, writes a JSON report per stream:
//         received, lost, duplicates, one-way delay, the source addresses it arrived from (the
//         gateway's NAT address tells which uplink carried it), and every gap longer than
//         --gap-factor intervals, the longest being the outage.
//
// Timestamps: the sender stamps CLOCK_MONOTONIC (for gap lengths, immune to clock steps) and
// CLOCK_REALTIME; the sink takes the kernel's CLOCK_REALTIME receive stamp (SO_TIMESTAMPNS).
// Network namespaces share both clocks, so one-way delays need no clock sync, and gap
// instants compare directly with the T0 that `lab.sh impair` prints ($EPOCHREALTIME).

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "lab/tools/quantities.hpp"

namespace lifeline::lab {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

// ---- wire format (network byte order) ---------------------------------------------------
constexpr std::uint32_t kMagic = 0x4c464c53;  // "LFLS"
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kFlagEnd = 1;
constexpr std::size_t kClassLen = 24;
constexpr std::size_t kHeaderLen = 56 + kClassLen;

struct Header {
  std::uint8_t flags = 0;
  std::uint8_t dscp = 0;
  std::uint64_t stream_id = 0;
  std::uint64_t seq = 0;
  std::uint64_t interval_ns = 0;
  std::int64_t send_mono_ns = 0;
  std::int64_t send_real_ns = 0;
  std::uint64_t total = 0;  // end marker: how many packets were sent
  std::string cls;
};

void put64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<std::uint8_t>(v & 0xff);
}
std::uint64_t get64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void encode(const Header& h, std::uint8_t* p) {
  const std::uint32_t magic = htonl(kMagic);
  std::memcpy(p, &magic, 4);
  p[4] = kVersion;
  p[5] = h.flags;
  p[6] = h.dscp;
  p[7] = 0;
  put64(p + 8, h.stream_id);
  put64(p + 16, h.seq);
  put64(p + 24, h.interval_ns);
  put64(p + 32, static_cast<std::uint64_t>(h.send_mono_ns));
  put64(p + 40, static_cast<std::uint64_t>(h.send_real_ns));
  put64(p + 48, h.total);
  std::memset(p + 56, 0, kClassLen);
  std::memcpy(p + 56, h.cls.data(), std::min(h.cls.size(), kClassLen - 1));
}

std::optional<Header> decode(const std::uint8_t* p, std::size_t n) {
  if (n < kHeaderLen) return std::nullopt;
  std::uint32_t magic;
  std::memcpy(&magic, p, 4);
  if (ntohl(magic) != kMagic || p[4] != kVersion) return std::nullopt;
  Header h;
  h.flags = p[5];
  h.dscp = p[6];
  h.stream_id = get64(p + 8);
  h.seq = get64(p + 16);
  h.interval_ns = get64(p + 24);
  h.send_mono_ns = static_cast<std::int64_t>(get64(p + 32));
  h.send_real_ns = static_cast<std::int64_t>(get64(p + 40));
  h.total = get64(p + 48);
  const char* c = reinterpret_cast<const char*>(p + 56);
  h.cls.assign(c, strnlen(c, kClassLen));
  if (h.interval_ns == 0) return std::nullopt;
  return h;
}

std::int64_t now_ns(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
double epoch_s(std::int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}
double ms(std::int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

// ---- addresses ----------------------------------------------------------------------------
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family() const { return addr.ss_family; }
};

// "198.19.0.100:9000", "[2001:db8:ff::100]:9000"; with port_optional also "198.18.10.10" and
// "2001:db8:10::10".
std::optional<Endpoint> parse_endpoint(const std::string& text, bool port_optional) {
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return std::nullopt;
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const auto colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  } else {
    host = text;
  }
  if (port.empty() && !port_optional) return std::nullopt;
  unsigned long p = 0;
  if (!port.empty()) {
    char* end = nullptr;
    p = std::strtoul(port.c_str(), &end, 10);
    if (*end != '\0' || p > 65535) return std::nullopt;
  }
  Endpoint e;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&e.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&e.addr);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(p));
    e.len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(p));
    e.len = sizeof(sockaddr_in6);
  } else {
    return std::nullopt;
  }
  return e;
}

// "198.18.1.1:40000" or "[2001:db8:1::1]:40000"; IPv4-mapped IPv6 is shown as IPv4.
std::string to_string(const sockaddr_storage& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(v4->sin_port));
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
  if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
    ::inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(v6->sin6_port));
  }
  ::inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
  return "[" + std::string(buf) + "]:" + std::to_string(ntohs(v6->sin6_port));
}

volatile sig_atomic_t g_stop = 0;
void on_stop(int) {
  g_stop = 1;
}

// ---- send ---------------------------------------------------------------------------------
struct SendOptions {
  std::string to, from, interface, cls;
  int dscp = 0;
  double rate = 1000;
  std::string duration = "10s";
  std::optional<std::uint64_t> count;
  std::size_t size = kHeaderLen;
  int end_markers = 3;
};

int run_send(const SendOptions& o) {
  const auto to = parse_endpoint(o.to, false);
  if (!to) {
    std::fprintf(stderr, "lifeline-lab-stream: bad --to '%s' (ADDR:PORT or [V6]:PORT)\n",
                 o.to.c_str());
    return kExitUsage;
  }
  std::optional<Endpoint> from;
  if (!o.from.empty()) {
    from = parse_endpoint(o.from, true);
    if (!from || from->family() != to->family()) {
      std::fprintf(stderr, "lifeline-lab-stream: bad --from '%s' (an address of --to's family)\n",
                   o.from.c_str());
      return kExitUsage;
    }
  }
  const auto duration = parse_duration(o.duration);
  if (!duration || o.rate <= 0 || o.rate > 1e6 || o.dscp < 0 || o.dscp > 63 ||
      o.size < kHeaderLen || o.size > 65000 || o.cls.size() >= kClassLen) {
    std::fprintf(stderr,
                 "lifeline-lab-stream: bad option (duration like 60s, rate 1-1000000, dscp 0-63, "
                 "size %zu-65000, class up to %zu characters)\n",
                 kHeaderLen, kClassLen - 1);
    return kExitUsage;
  }

  const int fd = ::socket(to->family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("lifeline-lab-stream: socket");
    return kExitRuntime;
  }
  const int tos = o.dscp << 2;
  const int rc = to->family() == AF_INET
                     ? ::setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos)
                     : ::setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
  if (rc < 0) std::perror("lifeline-lab-stream: setting the DSCP");
  if (!o.interface.empty() && ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o.interface.c_str(),
                                           static_cast<socklen_t>(o.interface.size())) < 0) {
    std::fprintf(stderr, "lifeline-lab-stream: SO_BINDTODEVICE %s: %s\n", o.interface.c_str(),
                 std::strerror(errno));
    return kExitRuntime;
  }
  if (from && ::bind(fd, reinterpret_cast<const sockaddr*>(&from->addr), from->len) < 0) {
    std::fprintf(stderr, "lifeline-lab-stream: bind %s: %s\n", o.from.c_str(),
                 std::strerror(errno));
    return kExitRuntime;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to->addr), to->len) < 0) {
    std::fprintf(stderr, "lifeline-lab-stream: connect %s: %s\n", o.to.c_str(),
                 std::strerror(errno));
    return kExitRuntime;
  }
  sockaddr_storage local{};
  socklen_t local_len = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len);

  struct sigaction sa {};
  sa.sa_handler = on_stop;  // no SA_RESTART: clock_nanosleep returns EINTR
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

  Header h;
  if (::getrandom(&h.stream_id, sizeof h.stream_id, 0) != sizeof h.stream_id) {
    h.stream_id =
        static_cast<std::uint64_t>(now_ns(CLOCK_REALTIME)) ^ static_cast<std::uint64_t>(::getpid());
  }
  h.dscp = static_cast<std::uint8_t>(o.dscp);
  h.cls = o.cls;
  h.interval_ns = static_cast<std::uint64_t>(1e9 / o.rate);
  std::vector<std::uint8_t> packet(o.size, 0);

  const std::int64_t interval = static_cast<std::int64_t>(h.interval_ns);
  const std::int64_t start = now_ns(CLOCK_MONOTONIC);
  const std::int64_t stop = start + duration->count();
  const std::uint64_t limit = o.count.value_or(UINT64_MAX);
  std::uint64_t sent = 0, errors = 0, late_over_interval = 0;
  std::int64_t late_max = 0, first_real = 0, last_real = 0;
  std::map<std::string, std::uint64_t> errors_by;
  // A fixed schedule: packet i is due at start + i * interval. A sender that was descheduled
  // catches up at once (the sink still sees every sequence number, and the send times show
  // the stall), rather than silently sending fewer packets.
  for (std::uint64_t i = 0; i < limit && !g_stop; ++i) {
    const std::int64_t due = start + static_cast<std::int64_t>(i) * interval;
    if (due >= stop) break;
    const timespec ts{static_cast<time_t>(due / 1'000'000'000),
                      static_cast<long>(due % 1'000'000'000)};
    while (!g_stop && ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    if (g_stop) break;
    h.seq = i;
    h.send_mono_ns = now_ns(CLOCK_MONOTONIC);
    h.send_real_ns = now_ns(CLOCK_REALTIME);
    const std::int64_t late = h.send_mono_ns - due;
    late_max = std::max(late_max, late);
    if (late > interval) ++late_over_interval;
    encode(h, packet.data());
    if (::send(fd, packet.data(), packet.size(), 0) < 0) {
      ++errors;
      ++errors_by[std::strerror(errno)];
    }
    if (sent == 0) first_real = h.send_real_ns;
    last_real = h.send_real_ns;
    ++sent;
  }
  // End markers: the sink learns how many were sent, so a lost tail counts as lost.
  h.flags = kFlagEnd;
  h.total = sent;
  h.seq = sent;
  for (int i = 0; i < o.end_markers; ++i) {
    h.send_mono_ns = now_ns(CLOCK_MONOTONIC);
    h.send_real_ns = now_ns(CLOCK_REALTIME);
    encode(h, packet.data());
    (void)::send(fd, packet.data(), packet.size(), 0);
    if (i + 1 < o.end_markers) ::usleep(5000);
  }
  ::close(fd);

  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(h.stream_id));
  Json out;
  out["stream_id"] = id;
  out["class"] = o.cls;
  out["from"] = to_string(local);
  out["to"] = o.to;
  out["dscp"] = o.dscp;
  out["rate_hz"] = o.rate;
  out["sent"] = sent;
  out["send_errors"] = errors;
  out["errors_by"] = errors_by;
  out["late_max_ms"] = ms(late_max);
  out["late_over_interval"] = late_over_interval;
  out["first_sent"] = epoch_s(first_real);
  out["last_sent"] = epoch_s(last_real);
  std::printf("%s\n", out.dump().c_str());
  return kExitOk;
}

// ---- sink ---------------------------------------------------------------------------------
struct Stamp {
  std::uint64_t seq = 0;
  std::int64_t sent_mono = 0;
  std::int64_t sent_real = 0;
  std::int64_t arrived_real = 0;
};

struct Gap {
  Stamp before;  // the last packet received before the gap
  Stamp after;   // the first packet received after it
  std::int64_t lost = 0;
  bool open = false;  // the stream never resumed (no packet after it)
  std::int64_t send_gap() const { return after.sent_mono - before.sent_mono; }
  std::int64_t arrival_gap() const { return after.arrived_real - before.arrived_real; }
};

struct Segment {  // consecutive packets that arrived from one source address
  std::string from;
  std::uint64_t first_seq = 0, last_seq = 0, packets = 0;
  std::int64_t first_arrival = 0, last_arrival = 0;
};

struct Stream {
  std::string cls;
  std::string to;  // the --listen address it arrived on
  std::uint64_t interval_ns = 0;
  std::uint8_t dscp_sent = 0;
  std::uint64_t received = 0, duplicates = 0, reordered = 0;
  std::optional<std::uint64_t> total;  // from the end marker
  std::optional<Stamp> first, last;    // last: the highest sequence number received
  std::vector<bool> seen;
  std::uint64_t dscp_received = 0;  // bit set of DSCP values in the IP header
  std::vector<float> owd_ms;
  std::vector<Gap> gaps;
  std::uint64_t gaps_dropped = 0;
  std::optional<Gap> longest;         // the longest gap with loss, kept even when the list is full
  std::int64_t longest_stall_ns = 0;  // the longest gap without loss
  std::vector<Segment> segments;
  std::uint64_t segments_dropped = 0;
};

class Sink {
 public:
  Sink(double gap_factor, std::size_t max_gaps) : gap_factor_(gap_factor), max_gaps_(max_gaps) {}

  void on_datagram(const std::uint8_t* p, std::size_t n, const std::string& from,
                   const std::string& listener, std::int64_t arrived_real, int tos) {
    const auto h = decode(p, n);
    if (!h) {
      ++malformed_;
      return;
    }
    Stream& s = streams_[h->stream_id];
    s.cls = h->cls;
    s.to = listener;
    s.interval_ns = h->interval_ns;
    s.dscp_sent = h->dscp;
    if (h->flags & kFlagEnd) {
      s.total = h->total;
      return;
    }
    if (h->seq > 100'000'000) {  // a 1 kHz stream runs for 27 hours before this
      ++malformed_;
      return;
    }
    if (s.seen.size() <= h->seq)
      s.seen.resize(std::max<std::size_t>(h->seq + 1, s.seen.size() * 2));
    if (s.seen[h->seq]) {
      ++s.duplicates;
      return;
    }
    s.seen[h->seq] = true;
    ++s.received;
    if (tos >= 0) s.dscp_received |= 1ULL << (tos >> 2);
    s.owd_ms.push_back(static_cast<float>(ms(arrived_real - h->send_real_ns)));
    track_source(s, from, h->seq, arrived_real);

    const Stamp now{h->seq, h->send_mono_ns, h->send_real_ns, arrived_real};
    if (!s.first) s.first = now;
    if (!s.last) {
      s.last = now;
      return;
    }
    if (h->seq < s.last->seq) {  // a late packet fills a hole that a gap already counted
      ++s.reordered;
      auto it = std::upper_bound(s.gaps.begin(), s.gaps.end(), h->seq,
                                 [](std::uint64_t seq, const Gap& g) { return seq < g.after.seq; });
      if (it != s.gaps.end() && it->before.seq < h->seq) --it->lost;
      return;
    }
    Gap g{*s.last, now, static_cast<std::int64_t>(h->seq - s.last->seq - 1), false};
    const double threshold = gap_factor_ * static_cast<double>(s.interval_ns);
    if (static_cast<double>(g.arrival_gap()) > threshold ||
        static_cast<double>(g.send_gap()) > threshold) {
      record(s, g);
    }
    s.last = now;
  }

  // A stream that stopped without its end marker (the sink was stopped first, or the path
  // died for good): the silence since its last packet is an open gap.
  void close_open_streams(std::int64_t stopped_real) {
    for (auto& [id, s] : streams_) {
      if (s.total || !s.last) continue;
      const double threshold = gap_factor_ * static_cast<double>(s.interval_ns);
      if (static_cast<double>(stopped_real - s.last->arrived_real) <= threshold) continue;
      Gap g{*s.last, Stamp{}, 0, true};
      g.after.arrived_real = stopped_real;
      record(s, g);
    }
  }

  Json report() const {
    Json streams = Json::array();
    for (const auto& [id, s] : streams_) streams.push_back(stream_json(id, s));
    std::sort(streams.begin(), streams.end(), [](const Json& a, const Json& b) {
      return std::tie(a["class"], a["stream_id"]) < std::tie(b["class"], b["stream_id"]);
    });
    Json r;
    r["gap_factor"] = gap_factor_;
    r["malformed"] = malformed_;
    r["streams"] = std::move(streams);
    return r;
  }

 private:
  void track_source(Stream& s, const std::string& from, std::uint64_t seq, std::int64_t at) {
    if (!s.segments.empty() && s.segments.back().from == from) {
      Segment& seg = s.segments.back();
      seg.last_seq = std::max(seg.last_seq, seq);
      ++seg.packets;
      seg.last_arrival = at;
      return;
    }
    if (s.segments.size() >= 1000) {
      ++s.segments_dropped;
      return;
    }
    s.segments.push_back(Segment{from, seq, seq, 1, at, at});
  }

  void record(Stream& s, const Gap& g) {
    if (g.lost > 0 || g.open) {
      if (!s.longest || g.arrival_gap() > s.longest->arrival_gap()) s.longest = g;
    } else {
      s.longest_stall_ns = std::max(s.longest_stall_ns, g.arrival_gap());
    }
    if (s.gaps.size() < max_gaps_)
      s.gaps.push_back(g);
    else
      ++s.gaps_dropped;
  }

  static Json stamp_json(const Stamp& st, bool with_seq) {
    Json j;
    if (with_seq) j["seq"] = st.seq;
    if (st.sent_real) j["sent"] = epoch_s(st.sent_real);
    j["arrived"] = epoch_s(st.arrived_real);
    return j;
  }

  static Json gap_json(const Gap& g) {
    Json j;
    j["after_seq"] = g.before.seq;
    j["lost"] = g.lost;
    // "loss": packets went missing (the network); "stall": none did, the sender or the
    // receiver was not scheduled in time (a busy machine), so it is not an outage.
    j["cause"] = g.lost > 0 || g.open ? "loss" : "stall";
    j["arrival_gap_ms"] = ms(g.arrival_gap());
    if (g.open) {
      j["open"] = true;
    } else {
      j["before_seq"] = g.after.seq;
      j["send_gap_ms"] = ms(g.send_gap());
    }
    j["last_before"] = stamp_json(g.before, false);
    j["first_after"] = stamp_json(g.after, false);
    return j;
  }

  Json stream_json(std::uint64_t id, const Stream& s) const {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(id));
    Json j;
    j["class"] = s.cls;
    j["stream_id"] = hex;
    j["to"] = s.to;
    j["dscp"] = s.dscp_sent;
    Json dscp_rx = Json::array();
    for (int d = 0; d < 64; ++d) {
      if (s.dscp_received & (1ULL << d)) dscp_rx.push_back(d);
    }
    j["dscp_received"] = dscp_rx;
    j["rate_hz"] = 1e9 / static_cast<double>(s.interval_ns);
    const std::uint64_t expected = s.total ? *s.total : (s.last ? s.last->seq + 1 : 0);
    j["expected"] = expected;
    j["received"] = s.received;
    j["lost"] = expected > s.received ? expected - s.received : 0;
    j["loss_ratio"] = expected
                          ? static_cast<double>(expected > s.received ? expected - s.received : 0) /
                                static_cast<double>(expected)
                          : 0.0;
    j["duplicates"] = s.duplicates;
    j["reordered"] = s.reordered;
    j["ended"] = s.total.has_value();
    if (s.first) {
      j["first_seq"] = s.first->seq;
      j["last_seq"] = s.last->seq;
      j["first_arrival"] = epoch_s(s.first->arrived_real);
      j["last_arrival"] = epoch_s(s.last->arrived_real);
    }
    if (!s.owd_ms.empty()) {
      std::vector<float> v = s.owd_ms;
      std::sort(v.begin(), v.end());
      auto at = [&](double q) {
        return v[std::min(v.size() - 1,
                          static_cast<std::size_t>(q * static_cast<double>(v.size())))];
      };
      j["owd_ms"] = {{"min", v.front()}, {"median", at(0.5)}, {"p99", at(0.99)}, {"max", v.back()}};
    }
    // The outage is the longest gap in the received stream in which packets were lost.
    // arrival_gap_ms is what the receiver lived through; send_gap_ms is the span of send times
    // that was lost, which does not include the difference in path delay between the old and
    // the new link. Gaps without loss are scheduling stalls of a busy machine, reported apart.
    j["outage_ms"] = s.longest ? ms(s.longest->arrival_gap()) : 0.0;
    j["outage_send_ms"] = (s.longest && !s.longest->open) ? ms(s.longest->send_gap()) : 0.0;
    j["longest_gap"] = s.longest ? gap_json(*s.longest) : Json(nullptr);
    j["longest_stall_ms"] = ms(s.longest_stall_ns);
    Json gaps = Json::array();
    for (const Gap& g : s.gaps) gaps.push_back(gap_json(g));
    j["gaps"] = std::move(gaps);
    j["gaps_dropped"] = s.gaps_dropped;
    Json sources = Json::array();
    for (const Segment& seg : s.segments) {
      sources.push_back({{"from", seg.from},
                         {"first_seq", seg.first_seq},
                         {"last_seq", seg.last_seq},
                         {"packets", seg.packets},
                         {"first_arrival", epoch_s(seg.first_arrival)},
                         {"last_arrival", epoch_s(seg.last_arrival)}});
    }
    j["sources"] = std::move(sources);
    j["sources_dropped"] = s.segments_dropped;
    return j;
  }

  double gap_factor_;
  std::size_t max_gaps_;
  std::uint64_t malformed_ = 0;
  std::map<std::uint64_t, Stream> streams_;
};

struct SinkOptions {
  std::vector<std::string> listen;
  std::string report, duration, ready;
  double gap_factor = 3;
  std::size_t max_gaps = 1000;
};

bool write_report(const std::string& path, const Json& j) {
  const std::string text = j.dump(2) + "\n";
  if (path == "-") {
    std::fputs(text.c_str(), stdout);
    return true;
  }
  // Written beside and renamed, so a reader polling for the file never sees half of it.
  const std::string tmp = path + ".tmp";
  std::ofstream f(tmp, std::ios::trunc);
  f << text;
  f.close();
  if (!f || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "lifeline-lab-stream: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  return true;
}

// A bound, non-blocking UDP socket that reports receive times and the DSCP; -1 on error.
int open_listener(const std::string& text) {
  const auto listen = parse_endpoint(text, false);
  if (!listen) {
    std::fprintf(stderr, "lifeline-lab-stream: bad --listen '%s' (ADDR:PORT or [V6]:PORT)\n",
                 text.c_str());
    return -1;
  }
  const int fd = ::socket(listen->family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    std::perror("lifeline-lab-stream: socket");
    return -1;
  }
  const int one = 1, zero = 0, rcvbuf = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  if (listen->family() == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&listen->addr);
    if (IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr)) {
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);  // [::] takes both
    }
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one);
  }
  ::setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&listen->addr), listen->len) < 0) {
    std::fprintf(stderr, "lifeline-lab-stream: bind %s: %s\n", text.c_str(), std::strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

int run_sink(const SinkOptions& o) {
  std::optional<Duration> duration;
  if (!o.duration.empty() && !(duration = parse_duration(o.duration))) {
    std::fprintf(stderr, "lifeline-lab-stream: bad --duration '%s'\n", o.duration.c_str());
    return kExitUsage;
  }
  if (o.gap_factor < 1) {
    std::fprintf(stderr, "lifeline-lab-stream: --gap-factor must be at least 1\n");
    return kExitUsage;
  }
  for (const std::string& l : o.listen) {
    if (!parse_endpoint(l, false)) {
      std::fprintf(stderr, "lifeline-lab-stream: bad --listen '%s' (ADDR:PORT or [V6]:PORT)\n",
                   l.c_str());
      return kExitUsage;
    }
  }
  std::vector<pollfd> pfds;
  for (const std::string& l : o.listen) {
    const int fd = open_listener(l);
    if (fd < 0) return kExitRuntime;
    pfds.push_back({fd, POLLIN, 0});
  }

  sigset_t mask;
  sigemptyset(&mask);
  for (const int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, sig);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int sfd = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

  if (!o.ready.empty()) std::ofstream(o.ready) << ::getpid() << "\n";
  for (const std::string& l : o.listen) {
    std::fprintf(stderr, "lifeline-lab-stream: sink listening on %s\n", l.c_str());
  }

  Sink sink(o.gap_factor, o.max_gaps);
  std::array<std::uint8_t, 65536> buf{};
  alignas(cmsghdr) std::array<char, 256> control{};
  // Reads everything waiting on one socket.
  auto drain = [&](int fd, const std::string& listener) {
    for (;;) {
      sockaddr_storage from{};
      iovec iov{buf.data(), buf.size()};
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      const ssize_t n = ::recvmsg(fd, &msg, 0);
      if (n < 0) return;
      std::int64_t arrived = 0;
      int tos = -1;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
          arrived = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
          std::uint8_t t;
          std::memcpy(&t, CMSG_DATA(c), 1);
          tos = t;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
          int t;
          std::memcpy(&t, CMSG_DATA(c), sizeof t);
          tos = t;
        }
      }
      if (arrived == 0) arrived = now_ns(CLOCK_REALTIME);
      sink.on_datagram(buf.data(), static_cast<std::size_t>(n), to_string(from), listener, arrived,
                       tos);
    }
  };

  pfds.push_back({sfd, POLLIN, 0});
  const std::int64_t started_real = now_ns(CLOCK_REALTIME);
  const std::int64_t deadline = duration ? now_ns(CLOCK_MONOTONIC) + duration->count() : INT64_MAX;
  for (;;) {
    int timeout = -1;
    if (deadline != INT64_MAX) {
      const std::int64_t left = deadline - now_ns(CLOCK_MONOTONIC);
      if (left <= 0) break;
      timeout = static_cast<int>(std::min<std::int64_t>(left / 1'000'000 + 1, 1000));
    }
    if (::poll(pfds.data(), pfds.size(), timeout) < 0 && errno != EINTR) break;
    if (pfds.back().revents & POLLIN) break;  // a signal
    for (std::size_t i = 0; i + 1 < pfds.size(); ++i) {
      if (pfds[i].revents & POLLIN) drain(pfds[i].fd, o.listen[i]);
    }
  }
  const std::int64_t stopped_real = now_ns(CLOCK_REALTIME);
  sink.close_open_streams(stopped_real);
  Json r;
  r["listen"] = o.listen;
  r["started"] = epoch_s(started_real);
  r["stopped"] = epoch_s(stopped_real);
  const Json body = sink.report();
  for (const auto& [k, v] : body.items()) r[k] = v;
  return write_report(o.report, r) ? kExitOk : kExitRuntime;
}

int main_impl(int argc, char** argv) {
  CLI::App app{
      "lifeline-lab-stream: UDP streams for measuring outages in the lifeline lab.\n"
      "  send: numbered datagrams at a fixed rate, one source, one DSCP\n"
      "  sink: receives streams, writes a JSON report (loss, gaps, outage, paths) at the end"};
  app.footer(
      "A gap is a silence longer than --gap-factor send intervals; the longest is the "
      "outage.\nThe sink writes its report on SIGTERM/SIGINT or when --duration is over.\n"
      "Exit codes: 0 ok, 1 runtime failure (socket, bind, report file), 2 usage error.");
  app.require_subcommand(1);

  SendOptions so;
  auto* send = app.add_subcommand("send", "send one stream");
  send->add_option("--to", so.to, "destination ADDR:PORT or [V6]:PORT")->required();
  send->add_option("--from", so.from, "source address (optionally :PORT) to bind");
  send->add_option("--interface", so.interface, "send through this interface (SO_BINDTODEVICE)");
  send->add_option("--dscp", so.dscp, "DSCP 0-63 (46 = EF)")->capture_default_str();
  send->add_option("--rate", so.rate, "packets per second")->capture_default_str();
  send->add_option("--duration", so.duration, "how long to send (e.g. 60s)")->capture_default_str();
  send->add_option("--count", so.count, "stop after this many packets");
  send->add_option("--class", so.cls, "class name carried in every packet (reported by the sink)");
  send->add_option("--size", so.size, "UDP payload bytes (at least 80)")->capture_default_str();
  send->add_option("--end-markers", so.end_markers, "end-of-stream packets to send")
      ->capture_default_str();

  SinkOptions ko;
  auto* sink = app.add_subcommand("sink", "receive streams and report");
  sink->add_option("--listen", ko.listen,
                   "ADDR:PORT or [V6]:PORT ([::]:PORT takes IPv4 too); repeat for more")
      ->required();
  sink->add_option("--report", ko.report, "JSON report file ('-' = stdout)")->required();
  sink->add_option("--duration", ko.duration, "stop after this long (default: until SIGTERM)");
  sink->add_option("--gap-factor", ko.gap_factor, "a gap is longer than this many intervals")
      ->capture_default_str();
  sink->add_option("--max-gaps", ko.max_gaps, "gaps listed per stream")->capture_default_str();
  sink->add_option("--ready", ko.ready, "file to write (with the pid) once the socket is bound");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (send->parsed()) return run_send(so);
  return run_sink(ko);
}

}  // namespace
}  // namespace lifeline::lab

int main(int argc, char** argv) {
  return lifeline::lab::main_impl(argc, argv);
}
