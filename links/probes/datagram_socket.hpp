// A datagram socket (UDP or raw ICMP) on the daemon's io_context: it reads every datagram
// as soon as it arrives and hands it over with its source, TTL / hop limit and the local
// address it came to; sends never block and report errors instead of throwing. The only
// place Asio is used in the probe library (datagram_socket.cpp), so the probers and the
// reflector compile without its headers.
//
// Lifetime: destroying the socket while a receive is pending is safe (the pending wait holds
// the socket's state and finds it closed); callbacks never run after the destructor started.
// A callback may destroy the socket. Use from the io_context's thread only, and destroy it
// before the io_context.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>

#include "common/address.hpp"
#include "common/units.hpp"
#include "links/probes/endpoint.hpp"

namespace boost::asio {
class io_context;
}

namespace lifeline::probes {

struct DatagramOptions {
  Family family = Family::v4;
  int type = SOCK_DGRAM;             // or SOCK_RAW
  int protocol = 0;                  // IPPROTO_ICMP / IPPROTO_ICMPV6 for raw sockets
  std::string device;                // SO_BINDTODEVICE when not empty (needs CAP_NET_RAW)
  std::optional<Endpoint> bind;      // local address and port; none: the kernel picks on send
  bool receive_ttl = true;           // IP_RECVTTL / IPV6_RECVHOPLIMIT
  bool receive_destination = false;  // IP_PKTINFO / IPV6_RECVPKTINFO (for reply_to)
};

struct Datagram {
  std::span<const std::uint8_t> bytes;  // valid during the callback only
  Endpoint from;
  int ttl = -1;  // -1 when the kernel did not say
  bool truncated = false;
  // With receive_destination: the local address the datagram was sent to, and the interface.
  std::optional<IpAddress> to;
  std::uint32_t interface_index = 0;
  // When the kernel received it (SO_TIMESTAMPNS, the wall clock): a reply read late, after
  // the loop was busy elsewhere, still has the instant it arrived.
  std::optional<std::chrono::system_clock::time_point> received;
};

class DatagramSocket {
 public:
  using OnDatagram = std::function<void(const Datagram&)>;
  using OnError = std::function<void(std::error_code)>;

  // Opens, configures and binds the socket, and starts reading. Throws std::system_error
  // saying which step failed.
  DatagramSocket(boost::asio::io_context& io, const DatagramOptions& options,
                 OnDatagram on_datagram, OnError on_receive_error);
  ~DatagramSocket();
  DatagramSocket(const DatagramSocket&) = delete;
  DatagramSocket& operator=(const DatagramSocket&) = delete;
  // Reads what is already queued, now (the same as when the socket becomes readable).
  void poll();

  // Sends now, without blocking. With `reply_to` (a datagram this socket received with
  // receive_destination), the source address is the one that datagram was sent to. If the
  // bound device has gone and come back (a new interface index), binds to it again and retries.
  std::error_code send_to(std::span<const std::uint8_t> bytes, const Endpoint& to,
                          const Datagram* reply_to = nullptr);

  // setsockopt on the socket (e.g. ICMP filters); the error, if any.
  std::error_code set_option(int level, int name, const void* value, socklen_t length);
  std::optional<Endpoint> local_endpoint() const;

  struct State;  // defined in datagram_socket.cpp, shared with pending waits

 private:
  std::shared_ptr<State> state_;
};

// The interface index of `name` (0 when there is none).
std::uint32_t interface_index(const std::string& name);

// The instant `d` arrived on the caller's steady clock `now_steady` (read now): the kernel's
// receive time moved back by how long ago it was, never later than now; `now_steady` if the
// kernel gave none. The wall clock is read right here, so a clock step between the two reads
// is the only error (and a stepped clock only shortens the correction to zero).
TimePoint arrival_time(const Datagram& d, TimePoint now_steady);

}  // namespace lifeline::probes
