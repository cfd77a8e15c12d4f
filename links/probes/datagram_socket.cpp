#include "links/probes/datagram_socket.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>

namespace lifeline::probes {
namespace {

// Datagrams read per wake-up before going back to the loop, so one busy socket cannot
// starve the rest of the daemon.
constexpr int kBatch = 64;
// Our packets are small; anything longer is someone else's (and reported truncated).
constexpr std::size_t kBufferSize = 2048;

std::system_error socket_error(const std::string& what) {
  return std::system_error(errno, std::system_category(), what);
}

int set_int(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value);
}

int bind_device(int fd, const std::string& device) {
  return ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(),
                      static_cast<socklen_t>(device.size()));
}

}  // namespace

std::uint32_t interface_index(const std::string& name) {
  return ::if_nametoindex(name.c_str());
}

struct DatagramSocket::State {
  explicit State(boost::asio::io_context& io) : descriptor(io) {}

  boost::asio::posix::stream_descriptor descriptor;
  int fd = -1;
  Family family = Family::v4;
  std::string device;
  bool alive = true;
  OnDatagram on_datagram;
  OnError on_error;
  std::array<std::uint8_t, kBufferSize> buffer{};
  // Ancillary data: TTL / hop limit and packet info, with room to spare.
  alignas(cmsghdr) std::array<std::uint8_t, 256> control{};
};

namespace {

using StatePtr = std::shared_ptr<DatagramSocket::State>;

}  // namespace

// Reads what is queued (up to kBatch datagrams) and hands each over. Stops as soon as the
// owner is gone, which a callback may have caused.
static void drain(DatagramSocket::State& s) {
  for (int i = 0; i < kBatch && s.alive; ++i) {
    sockaddr_storage from{};
    iovec iov{s.buffer.data(), s.buffer.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = s.control.data();
    msg.msg_controllen = s.control.size();
    const ssize_t n = ::recvmsg(s.fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      s.on_error(std::error_code(errno, std::system_category()));
      return;
    }
    const auto source = from_sockaddr(from, msg.msg_namelen);
    if (!source) continue;  // cannot happen for IP sockets; nothing to attribute it to

    Datagram d;
    d.bytes = std::span<const std::uint8_t>(s.buffer.data(), static_cast<std::size_t>(n));
    d.from = *source;
    d.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
        int ttl = 0;
        std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
        d.ttl = ttl;
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
        int hops = 0;
        std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
        d.ttl = hops;
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        d.received = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        std::array<std::uint8_t, 4> bytes{};
        // spec_dst: the local address a reply should come from (for a unicast request, the
        // address it was sent to).
        std::memcpy(bytes.data(), &info.ipi_spec_dst, 4);
        d.to = IpAddress::v4(bytes);
        d.interface_index = static_cast<std::uint32_t>(info.ipi_ifindex);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        std::array<std::uint8_t, 16> bytes{};
        std::memcpy(bytes.data(), &info.ipi6_addr, 16);
        d.to = IpAddress::v6(bytes);
        d.interface_index = info.ipi6_ifindex;
      }
    }
    s.on_datagram(d);
  }
}

static void arm(const StatePtr& state) {
  state->descriptor.async_wait(
      boost::asio::posix::descriptor_base::wait_read, [state](const boost::system::error_code& ec) {
        if (!state->alive || ec == boost::asio::error::operation_aborted) return;
        if (ec) {
          state->on_error(std::error_code(ec.value(), std::system_category()));
        } else {
          drain(*state);
        }
        if (state->alive) arm(state);
      });
}

TimePoint arrival_time(const Datagram& d, TimePoint now_steady) {
  if (!d.received) return now_steady;
  const auto ago = std::chrono::system_clock::now() - *d.received;
  if (ago <= std::chrono::system_clock::duration::zero() || ago > std::chrono::seconds(10)) return now_steady;
  return now_steady - std::chrono::duration_cast<Duration>(ago);
}

void DatagramSocket::poll() {
  if (state_->alive) drain(*state_);
}

DatagramSocket::DatagramSocket(boost::asio::io_context& io, const DatagramOptions& options,
                               OnDatagram on_datagram, OnError on_receive_error)
    : state_(std::make_shared<State>(io)) {
  auto& s = *state_;
  s.family = options.family;
  s.device = options.device;
  s.on_datagram = std::move(on_datagram);
  s.on_error = std::move(on_receive_error);
  const bool v4 = options.family == Family::v4;
  const int fd = ::socket(v4 ? AF_INET : AF_INET6, options.type | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          options.protocol);
  if (fd < 0) throw socket_error("socket");
  s.fd = fd;
  try {
    // From here the descriptor owns the fd and closes it, also when a later step throws.
    s.descriptor.assign(fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
  // IPv6 only, so that [::]:port and 0.0.0.0:port can both be bound (UDP; raw sockets are
  // per protocol family anyway and refuse the option).
  if (!v4 && options.type == SOCK_DGRAM && set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) != 0) {
    throw socket_error("IPV6_V6ONLY");
  }
  if (!options.device.empty() && bind_device(fd, options.device) != 0) {
    throw socket_error("SO_BINDTODEVICE " + options.device);
  }
  // Best effort: without it the arrival instant is the read instant.
  (void)set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
  if (options.receive_ttl) {
    const int r = v4 ? set_int(fd, IPPROTO_IP, IP_RECVTTL, 1)
                     : set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
    if (r != 0) throw socket_error(v4 ? "IP_RECVTTL" : "IPV6_RECVHOPLIMIT");
  }
  if (options.receive_destination) {
    const int r = v4 ? set_int(fd, IPPROTO_IP, IP_PKTINFO, 1)
                     : set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    if (r != 0) throw socket_error(v4 ? "IP_PKTINFO" : "IPV6_RECVPKTINFO");
  }
  if (options.bind) {
    if (options.bind->address.family() != options.family) {
      throw std::system_error(EAFNOSUPPORT, std::system_category(), "bind: address family");
    }
    sockaddr_storage sa{};
    const socklen_t length = to_sockaddr(*options.bind, sa);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), length) != 0) {
      throw socket_error("bind " + to_string(*options.bind));
    }
  }
  arm(state_);
}

DatagramSocket::~DatagramSocket() {
  state_->alive = false;
  boost::system::error_code ignored;
  state_->descriptor.close(ignored);  // a pending wait completes with operation_aborted
  state_->fd = -1;
}

std::error_code DatagramSocket::send_to(std::span<const std::uint8_t> bytes, const Endpoint& to,
                                        const Datagram* reply_to) {
  auto& s = *state_;
  sockaddr_storage sa{};
  const socklen_t length = to_sockaddr(to, sa);
  iovec iov{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_name = &sa;
  msg.msg_namelen = length;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) std::array<std::uint8_t, CMSG_SPACE(sizeof(in6_pktinfo))> control{};
  if (reply_to != nullptr && reply_to->to) {
    msg.msg_control = control.data();
    cmsghdr* c = nullptr;
    if (reply_to->to->is_v4()) {
      msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
      c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo info{};
      std::memcpy(&info.ipi_spec_dst, reply_to->to->bytes().data(), 4);
      std::memcpy(CMSG_DATA(c), &info, sizeof info);
    } else {
      msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
      c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo info{};
      std::memcpy(&info.ipi6_addr, reply_to->to->bytes().data(), 16);
      // The interface matters only for link-local addresses; elsewhere routing decides.
      if (is_link_local(*reply_to->to)) info.ipi6_ifindex = reply_to->interface_index;
      std::memcpy(CMSG_DATA(c), &info, sizeof info);
    }
  }
  for (int attempt = 0;; ++attempt) {
    if (::sendmsg(s.fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) return {};
    const int error = errno;
    if (error == EINTR && attempt < 3) continue;
    // The bound interface was deleted and may exist again under a new index: bind by name
    // again (the kernel keeps the old index otherwise) and retry once.
    if (error == ENODEV && attempt == 0 && !s.device.empty() && bind_device(s.fd, s.device) == 0) {
      continue;
    }
    return std::error_code(error, std::system_category());
  }
}

std::error_code DatagramSocket::set_option(int level, int name, const void* value,
                                           socklen_t length) {
  if (::setsockopt(state_->fd, level, name, value, length) != 0) {
    return std::error_code(errno, std::system_category());
  }
  return {};
}

std::optional<Endpoint> DatagramSocket::local_endpoint() const {
  sockaddr_storage sa{};
  socklen_t length = sizeof sa;
  if (::getsockname(state_->fd, reinterpret_cast<sockaddr*>(&sa), &length) != 0)
    return std::nullopt;
  return from_sockaddr(sa, length);
}

}  // namespace lifeline::probes
