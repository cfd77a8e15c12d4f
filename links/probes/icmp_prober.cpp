// The ICMP echo prober: a raw ICMP (or ICMPv6) socket bound to the link's interface. Raw, not
// the unprivileged "ping" socket: that one needs net.ipv4.ping_group_range, which a hardened
// host may not grant, while the daemon has CAP_NET_RAW anyway. A raw socket sees every ICMP
// packet of its family arriving on the interface, so replies are told apart by the prober's
// identifier (unique in this process), the target's address and the session in the payload.
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sodium.h>

#include <atomic>
#include <optional>

#include "links/probes/datagram_socket.hpp"
#include "links/probes/icmp_codec.hpp"
#include "links/probes/prober.hpp"
#include "links/probes/udp_echo_codec.hpp"

namespace lifeline::probes {
namespace {

// Random start, then consecutive: two probers of this process never share an identifier (up
// to 65536 of them), and a restarted daemon starts somewhere else.
std::uint16_t allocate_identifier() {
  static std::atomic<std::uint32_t> next{::randombytes_uniform(65536)};
  return static_cast<std::uint16_t>(next.fetch_add(1));
}

class IcmpProber final : public Prober {
 public:
  IcmpProber(boost::asio::io_context& io, ProbeSpec spec, Handler handler)
      : spec_(std::move(spec)), handler_(std::move(handler)) {
    init_crypto();
    identifier_ = allocate_identifier();
    if (!spec_.clock) spec_.clock = [] { return TimePoint(std::chrono::steady_clock::now()); };
    family_ = spec_.target.family();
    target_ = Endpoint{spec_.target, 0, 0};
    if (is_link_local(spec_.target) && !spec_.interface.empty()) {
      target_.scope_id = interface_index(spec_.interface);
    }

    DatagramOptions options;
    options.family = family_;
    options.type = SOCK_RAW;
    options.protocol = family_ == Family::v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    options.device = spec_.interface;
    socket_.emplace(
        io, options, [this](const Datagram& d) { on_datagram(d); },
        [this](std::error_code) { ++stats_.receive_errors; });

    // Let only echo replies through to this socket: fewer wake-ups for other ICMP traffic.
    // An optimisation; the decoder filters anyway.
    if (family_ == Family::v4) {
      icmp_filter filter{};
      filter.data = ~(1U << ICMP_ECHOREPLY);  // a set bit blocks that type
      socket_->set_option(SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
    } else {
      icmp6_filter filter{};
      ICMP6_FILTER_SETBLOCKALL(&filter);
      ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
      socket_->set_option(IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
    }
  }

  ~IcmpProber() override { socket_.reset(); }

  void send(std::uint64_t seq) override {
    const auto message = icmp::encode_echo_request(family_, identifier_, spec_.session, seq);
    if (socket_->send_to(message, target_)) {
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
    if (d.from.address != spec_.target) return;  // another host's ICMP
    const auto c = icmp::classify_reply(family_, d.bytes, identifier_, spec_.session);
    if (!c) return;  // not an echo reply to this prober
    ++stats_.received;
    switch (c->status) {
      case ReplyStatus::ok:
        break;
      case ReplyStatus::wrong_session:
        ++stats_.wrong_session;
        break;
      case ReplyStatus::bad_mac:
      case ReplyStatus::unknown_key:
      case ReplyStatus::malformed:
        ++stats_.malformed;
        break;
    }
    handler_(Received{c->seq, at, c->status, d.ttl});
  }

  ProbeSpec spec_;
  Handler handler_;
  ProberStats stats_;
  Family family_ = Family::v4;
  std::uint16_t identifier_ = 0;
  Endpoint target_;
  std::optional<DatagramSocket> socket_;  // last: destroyed first
};

}  // namespace

std::unique_ptr<Prober> make_icmp_prober(boost::asio::io_context& io, ProbeSpec spec,
                                         Prober::Handler handler) {
  return std::make_unique<IcmpProber>(io, std::move(spec), std::move(handler));
}

}  // namespace lifeline::probes
