#include "controller/control/client.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <zmq.hpp>

#include "common/units.hpp"

namespace lifeline::control {
namespace {

constexpr const char* kMonitorEndpoint = "inproc://lifeline-client-monitor";

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Watches a client socket's connection through a libzmq socket monitor, to say more than
// "no reply" when something goes wrong (refused connection, refused key, failed handshake).
class ConnectionMonitor {
 public:
  ConnectionMonitor(zmq::context_t& context, zmq::socket_t& watched)
      : watched_(watched), pair_(context, zmq::socket_type::pair) {
    if (zmq_socket_monitor(watched.handle(), kMonitorEndpoint, ZMQ_EVENT_ALL) != 0) {
      throw zmq::error_t();
    }
    pair_.set(zmq::sockopt::linger, 0);
    pair_.connect(kMonitorEndpoint);
  }
  ~ConnectionMonitor() { zmq_socket_monitor(watched_.handle(), nullptr, 0); }
  ConnectionMonitor(const ConnectionMonitor&) = delete;
  ConnectionMonitor& operator=(const ConnectionMonitor&) = delete;

  zmq::socket_t& socket() { return pair_; }

  // Reads one monitor event; returns its id (0 when nothing was there).
  std::uint16_t read() {
    zmq::message_t head;
    if (!pair_.recv(head, zmq::recv_flags::dontwait)) return 0;
    std::uint16_t event = 0;
    std::uint32_t value = 0;
    if (head.size() >= 6) {
      std::memcpy(&event, head.data(), 2);
      std::memcpy(&value, static_cast<const char*>(head.data()) + 2, 4);
    }
    while (pair_.get(zmq::sockopt::rcvmore)) {
      zmq::message_t rest;
      (void)pair_.recv(rest, zmq::recv_flags::dontwait);
    }
    switch (event) {
      case ZMQ_EVENT_CONNECTED:
        state_ = "connected, but the server did not answer";
        break;
      case ZMQ_EVENT_CONNECT_RETRIED:
        if (state_.empty()) state_ = "the connection was refused";
        break;
      case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        state_ = "connected, but the server did not answer";
        handshake_ok_ = true;
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        state_ = "the handshake failed (a wrong --server-key, or not a lifeline CURVE endpoint?)";
        break;
      case ZMQ_EVENT_DISCONNECTED:
        if (!handshake_ok_) {
          state_ =
              "the server closed the connection during the handshake (a wrong "
              "--server-key, or a CURVE endpoint reached without --server-key?)";
        }
        break;
      default:
        break;
    }
    last_value_ = value;
    return event;
  }

  // What is known about the connection, for a time-out message.
  const std::string& state() const { return state_; }
  std::uint32_t last_value() const { return last_value_; }

 private:
  zmq::socket_t& watched_;
  zmq::socket_t pair_;
  std::string state_;
  bool handshake_ok_ = false;
  std::uint32_t last_value_ = 0;
};

const char* const kRefusedKey =
    "the server refused our CURVE key: it is not in the server's allowed_clients";

void set_curve(zmq::socket_t& socket, const curve::Client& curve) {
  socket.set(zmq::sockopt::curve_serverkey, curve.server_public_key);
  socket.set(zmq::sockopt::curve_publickey, curve.client_public_key);
  socket.set(zmq::sockopt::curve_secretkey, curve.client_secret_key);
}

std::string ipc_path(const std::string& endpoint) {
  return endpoint.substr(6);
}

}  // namespace

std::optional<std::string> ipc_problem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return path +
             " does not exist: lifelined is not running, or listens elsewhere (see "
             "control.socket / events.socket in its config)";
    }
    if (errno == EACCES) {
      return "permission denied on " + path +
             ": its directory is closed to you; join the lifeline group, or use sudo";
    }
    return path + ": " + std::strerror(errno);
  }
  if (!S_ISSOCK(st.st_mode)) return path + " is not a socket";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return path + " is too long for a unix socket";
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int error = errno;
  ::close(fd);
  if (rc == 0) return std::nullopt;
  if (error == EACCES || error == EPERM) {
    return "permission denied on " + path + ": join the socket's group (ls -l " + path +
           "), or use sudo";
  }
  if (error == ECONNREFUSED) {
    return "nobody is listening on " + path + ": lifelined is not running (a stale socket)";
  }
  return path + ": " + std::strerror(error);
}

std::optional<std::string> request(const std::string& endpoint, const std::string& json,
                                   std::chrono::milliseconds timeout,
                                   const std::optional<curve::Client>& curve, std::string& error) {
  if (starts_with(endpoint, "ipc://")) {
    if (auto problem = ipc_problem(ipc_path(endpoint))) {
      error = *problem;
      return std::nullopt;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    zmq::context_t context(1);
    zmq::socket_t socket(context, zmq::socket_type::req);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::ipv6, true);  // tcp://[2001:db8::1]:7441; IPv4 works as well
    if (curve) set_curve(socket, *curve);
    ConnectionMonitor monitor(context, socket);
    try {
      socket.connect(endpoint);
    } catch (const zmq::error_t& e) {
      error = "cannot connect to " + endpoint + ": " + e.what();
      return std::nullopt;
    }
    // REQ queues the request on the pipe made by connect(); it goes once connected.
    socket.set(zmq::sockopt::sndtimeo, static_cast<int>(timeout.count()));
    if (!socket.send(zmq::buffer(json), zmq::send_flags::none)) {
      error = "could not send the request to " + endpoint + " within " + format_duration(timeout);
      return std::nullopt;
    }
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
      std::vector<zmq_pollitem_t> items = {{socket.handle(), 0, ZMQ_POLLIN, 0},
                                           {monitor.socket().handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, left);
      if ((items[1].revents & ZMQ_POLLIN) != 0) {
        while (const auto event = monitor.read()) {
          if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            error = std::string(kRefusedKey) + " (" + endpoint + ")";
            return std::nullopt;
          }
        }
      }
      if ((items[0].revents & ZMQ_POLLIN) != 0) {
        zmq::message_t reply;
        if (!socket.recv(reply, zmq::recv_flags::dontwait)) continue;
        std::string text = reply.to_string();
        while (socket.get(zmq::sockopt::rcvmore)) {  // not our protocol; keep the first frame
          zmq::message_t rest;
          (void)socket.recv(rest, zmq::recv_flags::dontwait);
        }
        return text;
      }
    }
    error = "no reply from " + endpoint + " within " + format_duration(timeout);
    if (!monitor.state().empty()) error += ": " + monitor.state();
    return std::nullopt;
  } catch (const zmq::error_t& e) {
    error = endpoint + ": " + e.what();
    return std::nullopt;
  }
}

// ---- EventSubscriber ---------------------------------------------------------------------------

struct EventSubscriber::Impl {
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::sub};
  std::unique_ptr<ConnectionMonitor> monitor;
  std::string endpoint;
  bool connected = false;
  bool ever_connected = false;
  ~Impl() {
    monitor.reset();
    socket.close();
    context.close();
  }
};

EventSubscriber::EventSubscriber(const std::string& endpoint,
                                 const std::vector<std::string>& topics,
                                 const std::optional<curve::Client>& curve)
    : impl_(std::make_unique<Impl>()) {
  if (starts_with(endpoint, "ipc://")) {
    if (auto problem = ipc_problem(ipc_path(endpoint))) throw std::runtime_error(*problem);
  }
  impl_->endpoint = endpoint;
  try {
    auto& s = impl_->socket;
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::ipv6, true);
    if (curve) set_curve(s, *curve);
    if (topics.empty()) s.set(zmq::sockopt::subscribe, "");
    for (const auto& t : topics) s.set(zmq::sockopt::subscribe, t);
    impl_->monitor = std::make_unique<ConnectionMonitor>(impl_->context, s);
    s.connect(endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("cannot subscribe to " + endpoint + ": " + e.what());
  }
}

EventSubscriber::~EventSubscriber() = default;

EventSubscriber::Status EventSubscriber::next(std::optional<std::chrono::milliseconds> timeout,
                                              Message& message, std::string& notice) {
  const auto deadline =
      timeout ? std::optional(std::chrono::steady_clock::now() + *timeout) : std::nullopt;
  auto& s = impl_->socket;
  try {
    for (;;) {
      long wait_ms = -1;
      if (deadline) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= *deadline) return Status::timeout;
        wait_ms = static_cast<long>(
            std::chrono::ceil<std::chrono::milliseconds>(*deadline - now).count());
      }
      zmq_pollitem_t items[] = {{s.handle(), 0, ZMQ_POLLIN, 0},
                                {impl_->monitor->socket().handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 2, std::chrono::milliseconds(wait_ms));
      if ((items[0].revents & ZMQ_POLLIN) != 0) {
        zmq::message_t topic;
        if (s.recv(topic, zmq::recv_flags::dontwait)) {
          message.topic = topic.to_string();
          message.json.clear();
          if (s.get(zmq::sockopt::rcvmore)) {
            zmq::message_t body;
            if (s.recv(body, zmq::recv_flags::dontwait)) message.json = body.to_string();
            while (s.get(zmq::sockopt::rcvmore)) {
              zmq::message_t rest;
              (void)s.recv(rest, zmq::recv_flags::dontwait);
            }
          }
          return Status::message;
        }
      }
      if ((items[1].revents & ZMQ_POLLIN) != 0) {
        const auto event = impl_->monitor->read();
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
          notice = std::string(kRefusedKey) + " (" + impl_->endpoint + ")";
          return Status::notice;
        }
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
          impl_->connected = true;
          if (impl_->ever_connected) {
            notice = "connected again to " + impl_->endpoint;
            return Status::notice;
          }
          impl_->ever_connected = true;
        }
        if (event == ZMQ_EVENT_DISCONNECTED && impl_->connected) {
          impl_->connected = false;
          notice =
              "lost the event stream " + impl_->endpoint + " (lifelined stopped?); reconnecting";
          return Status::notice;
        }
      }
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return Status::interrupted;
    throw std::runtime_error(impl_->endpoint + ": " + e.what());
  }
}

}  // namespace lifeline::control
