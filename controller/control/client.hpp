// The client side (lifelinectl), without Asio: one request to the control socket, and the
// event stream (lifelinectl events): a SUB socket on the daemon's event endpoint, with CURVE
// for TCP.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zmq/curve_keys.hpp"

namespace lifeline::control {

// Sends one request to `endpoint` ("ipc:///run/..." or
// "tcp://host:port") and waits for the reply. Returns nullopt with `error` set on timeout or
// transport failure.
std::optional<std::string> request(const std::string& endpoint, const std::string& json,
                                   std::chrono::milliseconds timeout,
                                   const std::optional<curve::Client>& curve, std::string& error);

// Why an ipc endpoint cannot be used, before any ZeroMQ is involved (ZeroMQ would just retry
// in silence): "no such file", "permission denied", "nobody listening" — each with what to do.
// nullopt when something accepts connections at `path`.
std::optional<std::string> ipc_problem(const std::string& path);

class EventSubscriber {
 public:
  struct Message {
    std::string topic;  // the event's kind
    std::string json;
  };
  enum class Status {
    message,      // `message` holds the next event
    notice,       // `notice` says what happened to the connection (lost, back, refused)
    timeout,      // nothing within the timeout
    interrupted,  // a signal arrived (Ctrl-C)
  };

  // Subscribes to `topics` (prefixes; empty: everything). Throws std::runtime_error when the
  // endpoint cannot be used (for ipc: ipc_problem()).
  EventSubscriber(const std::string& endpoint, const std::vector<std::string>& topics,
                  const std::optional<curve::Client>& curve);
  ~EventSubscriber();
  EventSubscriber(const EventSubscriber&) = delete;
  EventSubscriber& operator=(const EventSubscriber&) = delete;

  // Waits for the next event or notice, at most `timeout` (nullopt: no limit).
  Status next(std::optional<std::chrono::milliseconds> timeout, Message& message,
              std::string& notice);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lifeline::control
