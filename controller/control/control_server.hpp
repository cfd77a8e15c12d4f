// The control socket and the event stream over ZeroMQ (cppzmq), served on the daemon's Asio
// loop: a ROUTER socket on ipc (file mode 0660, group from the config) and, when
// configured, on TCP with CURVE where a ZAP handler admits only the allow-listed client
// keys (without one libzmq admits ANY CURVE client); and a PUB socket for events, likewise.
// The transport moves bytes and enforces size limits; ops::ControlHandler answers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "controller/ops.hpp"
#include "zmq/curve_keys.hpp"

namespace boost::asio {
class io_context;
}

namespace lifeline::control {

inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;

struct ServerStats {
  std::uint64_t requests = 0;  // every request received, refused ones included
  std::uint64_t refused = 0;   // oversized or multi-part garbage, answered with bad_request
  std::uint64_t denied = 0;    // CURVE handshakes the allow-list refused (control.tcp)
};

// Both servers run on an io_context that ONE thread runs (the daemon's loop): ZMQ_FD is
// edge-triggered, and the re-check that makes that safe relies on it (control_server.cpp).
// Construct and destroy them on that thread, or while the loop is not running.

class ControlServer {
 public:
  // Binds every endpoint; throws std::runtime_error naming the endpoint and the reason.
  // The handler may answer later (on the loop); `offload` runs the NSS look-up that names an
  // ipc client (uid -> login) off the loop, once per uid (empty: on the loop).
  ControlServer(boost::asio::io_context& io, const config::ControlConfig& config,
                ops::ControlHandler handler, ops::Offload offload = {});
  ~ControlServer();
  ServerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class EventPublisher : public ops::EventSink {
 public:
  // Binds every endpoint; throws std::runtime_error naming the endpoint and the reason.
  EventPublisher(boost::asio::io_context& io, const config::EventsConfig& config);
  ~EventPublisher() override;
  void publish(const ops::Event& event) override;  // never blocks; drops and counts when full
  std::uint64_t published() const;
  std::uint64_t dropped() const;
  std::uint64_t denied() const;  // CURVE handshakes the allow-list refused (events.tcp)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A SUB socket connected to a feed someone else binds (a modem bridge's telemetry, the
// incident channel), on the daemon's loop. Connecting never waits: libzmq retries in the
// background, so a feed that is not there yet just delivers nothing (the caller watches for
// silence). Every whole message is handed over as its first `kept_frames` frames plus its
// frame count; a message over `max_bytes` makes libzmq drop that connection
// (ZMQ_MAXMSGSIZE) before it is read into memory.
class FeedSubscriber {
 public:
  using OnMessage = std::function<void(const std::vector<std::string>& frames, std::size_t total_frames)>;
  // Throws std::runtime_error for an endpoint libzmq refuses (naming `what`).
  FeedSubscriber(boost::asio::io_context& io, const std::string& what, const std::string& endpoint,
                 const std::optional<curve::Client>& curve, std::int64_t max_bytes, OnMessage on_message);
  ~FeedSubscriber();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A PUB socket connected to a feed's publishing side (the incident channel's XSUB).
class FeedPublisher {
 public:
  FeedPublisher(boost::asio::io_context& io, const std::string& what, const std::string& endpoint,
                const std::optional<curve::Client>& curve);
  ~FeedPublisher();
  // Never blocks; false when the message was not queued (no connection yet, or full).
  bool publish(const std::vector<std::string>& frames);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lifeline::control
