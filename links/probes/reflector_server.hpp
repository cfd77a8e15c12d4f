// lifeline-reflector's sockets: one UDP socket per listen address on a single-threaded
// io_context, each datagram through the Reflector, the reply sent back from the address the
// request came to. Dropped requests are counted and logged, rate-limited.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "links/probes/endpoint.hpp"
#include "links/probes/reflector.hpp"

namespace boost::asio {
class io_context;
}

namespace lifeline::probes {

class DatagramSocket;
struct Datagram;

class ReflectorServer {
 public:
  // syslog priorities, as systemd reads them from a "<N>" prefix on stderr.
  enum Priority { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6 };
  using Log = std::function<void(int priority, const std::string& message)>;

  // Binds every endpoint (port 0: any free port); throws std::system_error naming the one
  // that failed.
  ReflectorServer(boost::asio::io_context& io, const std::vector<Endpoint>& listen, KeyRing keys,
                  std::size_t max_clients, Log log);
  ~ReflectorServer();
  ReflectorServer(const ReflectorServer&) = delete;
  ReflectorServer& operator=(const ReflectorServer&) = delete;

  const ReflectorCounters& counters() const { return reflector_.counters(); }
  // The bound addresses (with the ports the kernel picked for port 0).
  std::vector<Endpoint> local_endpoints() const;

 private:
  struct RateLimit {
    std::int64_t last_ns = 0;
    std::uint64_t suppressed = 0;
  };
  void on_datagram(DatagramSocket& socket, const Datagram& d);
  void log_limited(Verdict verdict, int priority, const std::string& message);

  Reflector reflector_;
  Log log_;
  std::array<RateLimit, 8> limits_{};  // per Verdict (reply: send and receive errors)
  std::vector<std::unique_ptr<DatagramSocket>> sockets_;  // last: destroyed first
};

}  // namespace lifeline::probes
