// The authenticated UDP echo prober: one UDP socket bound to the link's interface, a request
// per send(), every datagram that comes back classified by udp_echo::classify_reply.
#include <optional>
#include <stdexcept>

#include "links/probes/datagram_socket.hpp"
#include "links/probes/key_ring.hpp"
#include "links/probes/prober.hpp"
#include "links/probes/udp_echo_codec.hpp"

namespace lifeline::probes {
namespace {

class UdpEchoProber final : public Prober {
 public:
  UdpEchoProber(boost::asio::io_context& io, ProbeSpec spec, Handler handler)
      : spec_(std::move(spec)), handler_(std::move(handler)) {
    if (!spec_.key) throw std::invalid_argument("a UDP echo probe needs a key");
    if (spec_.port == 0) throw std::invalid_argument("a UDP echo probe needs a port");
    init_crypto();
    key_ = *spec_.key;
    wipe(*spec_.key);
    spec_.key.reset();
    if (!spec_.clock) spec_.clock = [] { return TimePoint(std::chrono::steady_clock::now()); };
    target_ = Endpoint{spec_.target, spec_.port, 0};
    if (is_link_local(spec_.target) && !spec_.interface.empty()) {
      target_.scope_id = interface_index(spec_.interface);
    }

    DatagramOptions options;
    options.family = spec_.target.family();
    options.type = SOCK_DGRAM;
    options.device = spec_.interface;
    // An explicit ephemeral port: the socket can receive (and the reflector's window keys on
    // it) from the start.
    options.bind =
        Endpoint{spec_.target.is_v4() ? IpAddress::v4({0, 0, 0, 0}) : IpAddress::v6({}), 0, 0};
    socket_.emplace(
        io, options, [this](const Datagram& d) { on_datagram(d); },
        [this](std::error_code) { ++stats_.receive_errors; });
  }

  ~UdpEchoProber() override {
    socket_.reset();  // first: no callback runs after this
    wipe(key_);
  }

  void send(std::uint64_t seq) override {
    udp_echo::Message m;
    m.type = udp_echo::MessageType::request;
    m.key_id = key_.id;
    m.session = spec_.session;
    m.seq = seq;
    m.client_timestamp = static_cast<std::uint64_t>(spec_.clock().time_since_epoch().count());
    const auto packet = udp_echo::encode(m, key_.secret);
    if (socket_->send_to(packet, target_)) {
      ++stats_.send_errors;
    } else {
      ++stats_.sent;
    }
  }

  const ProberStats& stats() const override { return stats_; }
  void poll() override {
    if (socket_) socket_->poll();
  }

 private:
  void on_datagram(const Datagram& d) {
    const TimePoint at = arrival_time(d, spec_.clock());  // the arrival instant is what RTT measures
    ++stats_.received;
    if (d.from.address != target_.address || d.from.port != target_.port) {
      ++stats_.stray;
      return;
    }
    // (A truncated datagram is longer than a reply: malformed.)
    const auto c = udp_echo::classify_reply(d.bytes, key_, spec_.session);
    switch (c.status) {
      case ReplyStatus::ok:
        break;
      case ReplyStatus::bad_mac:
        ++stats_.bad_mac;
        break;
      case ReplyStatus::unknown_key:
        ++stats_.unknown_key;
        break;
      case ReplyStatus::wrong_session:
        ++stats_.wrong_session;
        break;
      case ReplyStatus::malformed:
        ++stats_.malformed;
        break;
    }
    handler_(Received{c.seq, at, c.status, d.ttl});
  }

  ProbeSpec spec_;
  ProbeKey key_;
  Handler handler_;
  ProberStats stats_;
  Endpoint target_;
  std::optional<DatagramSocket> socket_;  // last: destroyed first
};

}  // namespace

std::unique_ptr<Prober> make_udp_echo_prober(boost::asio::io_context& io, ProbeSpec spec,
                                             Prober::Handler handler) {
  return std::make_unique<UdpEchoProber>(io, std::move(spec), std::move(handler));
}

}  // namespace lifeline::probes
