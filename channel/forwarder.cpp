#include "channel/forwarder.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string_view>
#include <zmq.hpp>

#include "channel/admission.hpp"
#include "channel/recent_messages.hpp"
#include "common/log.hpp"

namespace lifeline::channel {
namespace {

// Messages handled per socket per wake: the other sockets (and the ZAP handler, which holds
// up every new client's handshake) get a turn even while one side floods.
constexpr int kMessagesPerTurn = 64;
// Under CURVE each frame travels as a MESSAGE command: 8 bytes of name, an 8-byte nonce, a
// flags byte and a 16-byte MAC around the payload. ZMQ_MAXMSGSIZE counts that wire size.
constexpr std::int64_t kCurveFrameOverhead = 64;
// ZMTP heartbeats (RFC 37): a base behind a dead satellite link is noticed within the timeout
// instead of when TCP gives up, minutes later.
constexpr int kHeartbeatIvlMs = 10'000;
constexpr int kHeartbeatTimeoutMs = 30'000;
constexpr auto kCounterReportInterval = std::chrono::minutes(10);
// Reconnecting to an upstream that is down or refuses us backs off up to this, instead of
// trying every 100 ms over a link that may be a satellite's.
constexpr int kReconnectIvlMaxMs = 30'000;

enum class Received { nothing, message, oversized };

void set_common_options(zmq::socket_t& socket, std::int64_t max_frame_bytes) {
  socket.set(zmq::sockopt::linger, 0);
  // A frame larger than this makes libzmq drop the connection before reading it into memory;
  // a message of several smaller frames that adds up to more is dropped by the loop.
  socket.set(zmq::sockopt::maxmsgsize, max_frame_bytes);
  socket.set(zmq::sockopt::heartbeat_ivl, kHeartbeatIvlMs);
  socket.set(zmq::sockopt::heartbeat_timeout, kHeartbeatTimeoutMs);
  socket.set(zmq::sockopt::tcp_keepalive, 1);
}

}  // namespace

std::string to_string(const ForwarderCounters& c) {
  return "forwarded " + std::to_string(c.from_bases) + " from bases and " +
         std::to_string(c.from_upstream) + " from upstream; dropped " +
         std::to_string(c.duplicates) + " duplicates and " + std::to_string(c.oversized) +
         " oversized; refused " + std::to_string(c.refused_keys) + " unknown keys and " +
         std::to_string(c.refused_handshakes) + " handshakes without CURVE; " +
         std::to_string(c.forgotten_early) + " digests forgotten early";
}

struct Forwarder::Impl {
  // Declared first, destroyed last: every socket below must be closed before it terminates.
  zmq::context_t context{1};
  Admission admission;
  zmq::socket_t xsub;
  zmq::socket_t xpub;
  std::optional<zmq::socket_t> up_pub;
  std::optional<zmq::socket_t> up_sub;
  std::uint64_t max_bytes;
  MessageDigester digester;
  RecentMessages recent;
  ForwarderCounters counters;
  std::vector<zmq::message_t> frames;  // the message being forwarded
  log::RateLimit drop_log{10, std::chrono::seconds(60)};

  Impl(const ChannelConfig& config, const curve::KeyPair& own,
       const std::optional<curve::KeyPair>& upstream_client)
      : admission(context, config.allowed_clients),
        xsub(context, zmq::socket_type::xsub),
        xpub(context, zmq::socket_type::xpub),
        max_bytes(config.max_message_size) {
    const auto max_frame = static_cast<std::int64_t>(max_bytes) + kCurveFrameOverhead;
    bind_server(xsub, "xsub", config.xsub, own, max_frame);
    bind_server(xpub, "xpub", config.xpub, own, max_frame);
    // Subscribe to everything the bases publish: what they publish goes upstream whatever
    // the local subscribers want, and XPUB filters for each local subscriber anyway.
    xsub.send(zmq::buffer(std::string_view("\x01", 1)), zmq::send_flags::dontwait);
    if (config.upstream && upstream_client) {
      const auto& up = *config.upstream;
      up_pub.emplace(context, zmq::socket_type::pub);
      up_sub.emplace(context, zmq::socket_type::sub);
      up_sub->set(zmq::sockopt::subscribe, "");
      connect_client(*up_pub, "upstream.xsub", up.xsub, up.server_key, *upstream_client, max_frame);
      connect_client(*up_sub, "upstream.xpub", up.xpub, up.server_key, *upstream_client, max_frame);
    }
  }

  void bind_server(zmq::socket_t& socket, const std::string& side, const Endpoint& ep,
                   const curve::KeyPair& keys, std::int64_t max_frame) {
    set_common_options(socket, max_frame);
    socket.set(zmq::sockopt::curve_server, true);
    socket.set(zmq::sockopt::curve_secretkey, keys.secret_key);
    socket.set(zmq::sockopt::zap_domain, Admission::zap_domain(side));
    attach(socket, side, ep, true);
  }

  void connect_client(zmq::socket_t& socket, const std::string& name, const Endpoint& ep,
                      const std::string& server_key, const curve::KeyPair& keys,
                      std::int64_t max_frame) {
    set_common_options(socket, max_frame);
    socket.set(zmq::sockopt::curve_serverkey, server_key);
    socket.set(zmq::sockopt::curve_publickey, keys.public_key);
    socket.set(zmq::sockopt::curve_secretkey, keys.secret_key);
    socket.set(zmq::sockopt::reconnect_ivl_max, kReconnectIvlMaxMs);
    attach(socket, name, ep, false);
  }

  // Binds a side of the channel (`server`), or connects to the upstream.
  void attach(zmq::socket_t& socket, const std::string& name, const Endpoint& ep, bool server) {
    if (ep.needs_ipv6()) socket.set(zmq::sockopt::ipv6, true);
    // Before the bind or connect, so that no handshake goes unreported.
    admission.watch_handshakes(socket, name, server);
    const std::string uri = ep.uri();
    try {
      if (server) {
        socket.bind(uri);
      } else {
        socket.connect(uri);
      }
    } catch (const zmq::error_t& e) {
      throw std::runtime_error(name + " " + uri +
                               (server ? ": cannot bind: " : ": cannot connect: ") + e.what());
    }
  }

  // Reads one whole message into `frames` (its frames arrive together, or not at all). An
  // oversized one is read to its end, so that the next read starts a new message, but not
  // kept.
  Received receive(zmq::socket_t& socket, std::size_t& frame_count, std::size_t& bytes) {
    frames.clear();
    frame_count = 0;
    bytes = 0;
    bool more = true;
    while (more) {
      zmq::message_t frame;
      if (!socket.recv(frame, zmq::recv_flags::dontwait)) break;
      more = frame.more();
      ++frame_count;
      bytes += frame.size();
      if (frame_count <= kMaxFrames && bytes <= max_bytes) frames.push_back(std::move(frame));
    }
    if (frame_count == 0) return Received::nothing;
    if (frame_count > kMaxFrames || bytes > max_bytes) {
      frames.clear();
      return Received::oversized;
    }
    return Received::message;
  }

  // PUB and XPUB never block and never refuse: a subscriber that does not keep up loses
  // messages at its high-water mark inside libzmq.
  void send(zmq::socket_t& socket, bool keep) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      zmq::message_t out;
      if (keep) {
        out.copy(frames[i]);  // shares the buffer of a large frame, copies a small one
      } else {
        out.move(frames[i]);
      }
      const auto flags = i + 1 < frames.size()
                             ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                             : zmq::send_flags::dontwait;
      (void)socket.send(out, flags);
    }
  }

  // Forwards what arrives on `socket`: from the bases (xsub) to the local subscribers and the
  // upstream, from the upstream (up_sub) to the local subscribers only.
  void pump(zmq::socket_t& socket, bool from_upstream) {
    const char* side = from_upstream ? "upstream.xpub" : "xsub";
    for (int handled = 0; handled < kMessagesPerTurn; ++handled) {
      std::size_t frame_count = 0;
      std::size_t bytes = 0;
      const Received got = receive(socket, frame_count, bytes);
      if (got == Received::nothing) return;
      if (got == Received::oversized) {
        ++counters.oversized;
        drop_log.write(log::Level::warning,
                       std::string(side) + ": dropped a message of " + std::to_string(frame_count) +
                           " frames and " + std::to_string(bytes) + " bytes; at most " +
                           std::to_string(kMaxFrames) + " frames and " + std::to_string(max_bytes) +
                           " bytes (max_message_size)");
        continue;
      }
      std::vector<std::string_view> views;
      for (const auto& f : frames) views.emplace_back(static_cast<const char*>(f.data()), f.size());
      const auto now = TimePoint(std::chrono::steady_clock::now().time_since_epoch());
      if (!recent.first_sighting(digester.digest(views), now)) {
        ++counters.duplicates;
        continue;
      }
      if (from_upstream) {
        ++counters.from_upstream;
      } else {
        ++counters.from_bases;
        if (up_pub) send(*up_pub, true);
      }
      send(xpub, false);
    }
  }

  // Subscriptions from local subscribers: read so they do not queue up, and not forwarded,
  // since the channel takes everything from its publishers and its upstream (see above).
  void drain_subscriptions() {
    for (int handled = 0; handled < kMessagesPerTurn; ++handled) {
      zmq::message_t frame;
      if (!xpub.recv(frame, zmq::recv_flags::dontwait)) return;
    }
  }

  ForwarderCounters snapshot() const {
    ForwarderCounters c = counters;
    c.refused_keys = admission.refused_keys();
    c.refused_handshakes = admission.refused_handshakes();
    c.forgotten_early = recent.forgotten_early();
    return c;
  }
};

Forwarder::Forwarder(const ChannelConfig& config, const curve::KeyPair& own,
                     const std::optional<curve::KeyPair>& upstream_client)
    : impl_(std::make_unique<Impl>(config, own, upstream_client)) {}

Forwarder::~Forwarder() = default;

void Forwarder::set_allowed_clients(std::vector<AllowedClient> clients) {
  impl_->admission.set_allowed_clients(std::move(clients));
}

ForwarderCounters Forwarder::counters() const {
  return impl_->snapshot();
}

void Forwarder::run(int signal_fd, const std::function<bool(int)>& on_signal) {
  auto& d = *impl_;
  std::vector<PollTarget> targets = d.admission.poll_targets();
  targets.push_back({&d.xsub, [&d] { d.pump(d.xsub, false); }});
  targets.push_back({&d.xpub, [&d] { d.drain_subscriptions(); }});
  if (d.up_sub) targets.push_back({&*d.up_sub, [&d] { d.pump(*d.up_sub, true); }});
  std::vector<zmq::pollitem_t> items;
  for (const auto& t : targets) items.push_back({t.socket->handle(), 0, ZMQ_POLLIN, 0});
  items.push_back({nullptr, signal_fd, ZMQ_POLLIN, 0});

  using Clock = std::chrono::steady_clock;
  auto next_report = Clock::now() + kCounterReportInterval;
  ForwarderCounters reported;
  for (;;) {
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_report - Clock::now());
    try {
      zmq::poll(items, std::max(wait, std::chrono::milliseconds(0)));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      throw std::runtime_error(std::string("zmq_poll failed: ") + e.what());
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
      if (items[i].revents & ZMQ_POLLIN) targets[i].on_input();
    }
    if (items.back().revents & ZMQ_POLLIN) {
      signalfd_siginfo info{};
      while (::read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        if (!on_signal(static_cast<int>(info.ssi_signo))) return;
      }
    }
    if (Clock::now() >= next_report) {
      // A line now and then when something happened: the channel has no metrics endpoint,
      // and the journal is where an operator looks.
      next_report = Clock::now() + kCounterReportInterval;
      if (const auto now = d.snapshot(); now != reported) {
        log::info("counters: " + to_string(now));
        reported = now;
      }
    }
  }
}

}  // namespace lifeline::channel
