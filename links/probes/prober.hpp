// Probe I/O: one Prober per probe target of a link. It owns a socket bound to the link's
// interface (SO_BINDTODEVICE), so the probe measures that link whatever the class routes say,
// sends the probes it is told to send, and reports every reply it receives, authenticated
// or not, with the instant it arrived. Deciding what a reply means is LinkMonitor's job.
// Asio stays out of this header on purpose (build time): the io_context is only declared.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/address.hpp"
#include "common/units.hpp"
#include "links/probes/keys.hpp"

namespace boost::asio {
class io_context;
}

namespace lifeline::probes {

enum class ReplyStatus : std::uint8_t {
  ok,             // well formed, ours, MAC verified (or ICMP: id and session match)
  bad_mac,        // UDP echo: the HMAC does not verify
  unknown_key,    // UDP echo: a key id we do not have
  wrong_session,  // a reply to another session of ours (an earlier run): a replay
  malformed,      // too short, wrong magic or type
};
const char* to_string(ReplyStatus status);

struct Received {
  std::uint64_t seq = 0;
  TimePoint at{};
  ReplyStatus status = ReplyStatus::ok;
  int ttl = -1;  // TTL / hop limit the reply arrived with (-1: unknown)
};

struct ProberStats {
  std::uint64_t sent = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t received = 0;  // every datagram read, whatever its status
  std::uint64_t bad_mac = 0;
  std::uint64_t unknown_key = 0;
  std::uint64_t wrong_session = 0;
  std::uint64_t malformed = 0;
  std::uint64_t receive_errors = 0;
  // Datagrams from another address or port than the target: dropped unread. Only someone on
  // the path can answer as the target; anyone else's packet is noise, not a finding.
  std::uint64_t stray = 0;
};

struct ProbeSpec {
  std::string interface;  // SO_BINDTODEVICE
  IpAddress target;
  std::uint16_t port = 0;            // UDP echo
  std::optional<ProbeKey> key;       // UDP echo
  std::uint64_t session = 0;         // random per daemon start; echoed in every reply
  std::function<TimePoint()> clock;  // the daemon's steady clock; tests may inject
};

class Prober {
 public:
  using Handler = std::function<void(const Received&)>;
  virtual ~Prober() = default;
  // Sends probe `seq` now. Failures (no route, interface down) are counted, not thrown.
  virtual void send(std::uint64_t seq) = 0;
  virtual const ProberStats& stats() const = 0;
  // Reads the replies already queued on the socket, now. The daemon calls it before a
  // detection deadline declares the target silent: a loop that stalled (a slow conntrack
  // flush on a busy machine) must not mistake replies it has not read yet for silence.
  virtual void poll() {}
};

// Throw std::system_error when the socket cannot be set up (bad interface, no permission).
std::unique_ptr<Prober> make_udp_echo_prober(boost::asio::io_context& io, ProbeSpec spec,
                                             Prober::Handler handler);
std::unique_ptr<Prober> make_icmp_prober(boost::asio::io_context& io, ProbeSpec spec,
                                         Prober::Handler handler);

}  // namespace lifeline::probes
