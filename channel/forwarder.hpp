// The channel's forwarding loop: an XSUB/XPUB proxy of its own (not zmq_proxy) so that it can
// cap message sizes, drop messages it has forwarded already (loop and echo suppression for
// chained channels) and carry a second pair of sockets to an upstream channel. One thread; the
// ZAP handler and the socket monitors run in the same loop (channel/admission.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "channel/channel_config.hpp"
#include "zmq/curve_keys.hpp"

namespace lifeline::channel {

struct ForwarderCounters {
  std::uint64_t from_bases = 0;          // messages from local publishers, forwarded
  std::uint64_t from_upstream = 0;       // messages from the upstream channel, forwarded down
  std::uint64_t duplicates = 0;          // dropped: forwarded already (an echo, a loop, a replay)
  std::uint64_t oversized = 0;           // dropped: above max_message_size or kMaxFrames frames
  std::uint64_t refused_keys = 0;        // CURVE handshakes with a key not on the allow list
  std::uint64_t refused_handshakes = 0;  // handshakes that failed before ZAP: plain/NULL clients
  std::uint64_t forgotten_early = 0;     // digests dropped from a full duplicate filter
  friend bool operator==(const ForwarderCounters&, const ForwarderCounters&) = default;
};
std::string to_string(const ForwarderCounters& c);

class Forwarder {
 public:
  // A report is 3 frames; more than this is not one, and many tiny frames cost memory too.
  static constexpr std::size_t kMaxFrames = 16;

  // Binds xsub and xpub as CURVE servers with `own` keys and, with an upstream, connects to
  // it with `upstream_client`. Throws std::runtime_error naming the endpoint when a bind or a
  // connect fails.
  Forwarder(const ChannelConfig& config, const curve::KeyPair& own,
            const std::optional<curve::KeyPair>& upstream_client);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Forwards until `on_signal`, called in the loop for each signal read from `signal_fd` (a
  // signalfd), returns false. Throws std::runtime_error when polling fails.
  void run(int signal_fd, const std::function<bool(int signal)>& on_signal);

  // The allow list for later handshakes (clients already connected stay connected).
  void set_allowed_clients(std::vector<AllowedClient> clients);
  ForwarderCounters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lifeline::channel
