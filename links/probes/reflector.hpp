// The far end of the authenticated UDP echo (docs/protocol.md), as a pure function of a
// request's bytes, its source and the reflector's clock: it verifies the request against its
// keys, drops replays (a sliding window per client, session and key), and returns the reply to
// send. lifeline-reflector (reflector/main.cpp) puts sockets around it (ReflectorServer).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "links/probes/endpoint.hpp"
#include "links/probes/key_ring.hpp"
#include "links/probes/replay_window.hpp"
#include "links/probes/udp_echo_codec.hpp"

namespace lifeline::probes {

struct ReflectorCounters {
  std::uint64_t received = 0;     // datagrams read
  std::uint64_t replied = 0;      // replies handed to the kernel
  std::uint64_t malformed = 0;    // not a well-formed request packet
  std::uint64_t not_request = 0;  // well formed and authentic, but a reply (reflected at us)
  std::uint64_t unknown_key = 0;  // a key id we do not hold
  std::uint64_t bad_mac = 0;      // forged or corrupted
  std::uint64_t replayed = 0;     // authentic, but seen before (duplicate) or too old
  std::uint64_t send_errors = 0;
  std::uint64_t receive_errors = 0;
  std::uint64_t clients_evicted = 0;  // replay windows dropped to stay within max_clients
};
// "received 10, replied 9, malformed 1, ..." (every counter, for the log on exit)
std::string to_string(const ReflectorCounters& counters);

enum class Verdict : std::uint8_t {
  reply,
  malformed,
  not_request,
  unknown_key,
  bad_mac,
  duplicate,
  too_old,
};
const char* to_string(Verdict verdict);

class Reflector {
 public:
  static constexpr std::size_t kDefaultMaxClients = 4096;
  // Nanoseconds since the Unix epoch (the reflector's CLOCK_REALTIME in production).
  using Clock = std::function<std::uint64_t()>;

  Reflector(KeyRing keys, std::size_t max_clients, Clock clock);

  struct Result {
    Verdict verdict = Verdict::malformed;
    std::optional<udp_echo::Packet> reply;     // with verdict == reply
    std::optional<udp_echo::Message> request;  // when it parsed (for logs; unauthenticated
                                               // unless verdict is reply, duplicate or too_old)
  };
  // `received_ns`: when the datagram was read (goes into the reply).
  Result handle(std::span<const std::uint8_t> bytes, const Endpoint& from,
                std::uint64_t received_ns);

  // The server reports what happened to the datagrams and the replies it sent.
  void count_received() { ++counters_.received; }
  void count_sent(bool ok) { ++(ok ? counters_.replied : counters_.send_errors); }
  void count_receive_error() { ++counters_.receive_errors; }

  const ReflectorCounters& counters() const { return counters_; }
  std::size_t clients() const { return replay_.size(); }
  std::size_t keys() const { return keys_.size(); }

 private:
  KeyRing keys_;
  ReplayTable replay_;
  Clock clock_;
  ReflectorCounters counters_;
};

}  // namespace lifeline::probes
