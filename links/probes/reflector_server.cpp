#include "links/probes/reflector_server.hpp"

#include <chrono>

#include "links/probes/datagram_socket.hpp"

namespace lifeline::probes {
namespace {

// At most one log line per kind of dropped request in this interval (plus a count of the rest).
constexpr std::chrono::seconds kLogInterval{10};

std::uint64_t realtime_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ReflectorServer::ReflectorServer(boost::asio::io_context& io, const std::vector<Endpoint>& listen,
                                 KeyRing keys, std::size_t max_clients, Log log)
    : reflector_(std::move(keys), max_clients, realtime_ns), log_(std::move(log)) {
  if (!log_) log_ = [](int, const std::string&) {};
  for (const auto& endpoint : listen) {
    DatagramOptions options;
    options.family = endpoint.address.family();
    options.type = SOCK_DGRAM;
    options.bind = endpoint;
    options.receive_ttl = false;
    options.receive_destination = true;  // reply from the address the request came to
    // The callback answers through its own socket, which exists only once constructed.
    auto self = std::make_shared<DatagramSocket*>(nullptr);
    auto socket = std::make_unique<DatagramSocket>(
        io, options, [this, self](const Datagram& d) { on_datagram(**self, d); },
        [this](std::error_code ec) {
          reflector_.count_receive_error();
          log_limited(Verdict::reply, kError, "receive error: " + ec.message());
        });
    *self = socket.get();
    sockets_.push_back(std::move(socket));
  }
}

ReflectorServer::~ReflectorServer() {
  sockets_.clear();
}

std::vector<Endpoint> ReflectorServer::local_endpoints() const {
  std::vector<Endpoint> out;
  for (const auto& s : sockets_) {
    if (auto e = s->local_endpoint()) out.push_back(*e);
  }
  return out;
}

void ReflectorServer::on_datagram(DatagramSocket& socket, const Datagram& d) {
  const std::uint64_t received_ns = realtime_ns();
  reflector_.count_received();
  // A truncated datagram is longer than any request: the decoder finds it malformed.
  const auto result = reflector_.handle(d.bytes, d.from, received_ns);
  if (result.reply) {
    const std::error_code ec = socket.send_to(*result.reply, d.from, &d);
    reflector_.count_sent(!ec);
    if (ec) {
      log_limited(Verdict::reply, kWarning,
                  "cannot send a reply to " + to_string(d.from) + ": " + ec.message());
    }
    return;
  }
  std::string message =
      "dropped a request from " + to_string(d.from) + ": " + to_string(result.verdict);
  if (result.request && result.verdict != Verdict::malformed) {
    message += " (key id " + std::to_string(result.request->key_id) + ", sequence number " +
               std::to_string(result.request->seq) + ")";
  }
  log_limited(result.verdict, kWarning, message);
}

void ReflectorServer::log_limited(Verdict verdict, int priority, const std::string& message) {
  auto& limit = limits_.at(static_cast<std::size_t>(verdict));
  const std::int64_t now = steady_ns();
  const std::int64_t interval = std::chrono::nanoseconds(kLogInterval).count();
  if (limit.last_ns != 0 && now - limit.last_ns < interval) {
    ++limit.suppressed;
    return;
  }
  std::string line = message;
  if (limit.suppressed > 0) {
    line += " (and " + std::to_string(limit.suppressed) + " more like it in the last " +
            std::to_string(kLogInterval.count()) + "s)";
  }
  limit.last_ns = now;
  limit.suppressed = 0;
  log_(priority, line);
}

}  // namespace lifeline::probes
