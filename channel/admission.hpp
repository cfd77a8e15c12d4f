// Who gets into the channel. The channel's sockets are CURVE servers; libzmq asks this ZAP
// handler (RFC 27, at inproc://zeromq.zap.01 of the channel's context) about every CURVE
// handshake, and it admits only the public keys of the allow list (without a handler libzmq
// would admit ANY CURVE client). Clients that never reach ZAP (plain/NULL clients, garbage)
// fail the handshake inside libzmq; a socket monitor reports those, so they are counted and
// logged too. The same monitors tell whether this channel got into its upstream.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "channel/channel_config.hpp"
#include "common/log.hpp"

namespace lifeline::channel {

// A socket the forwarding loop polls, and what to do when it has input.
struct PollTarget {
  zmq::socket_t* socket = nullptr;
  std::function<void()> on_input;
};

class Admission {
 public:
  // Binds the ZAP handler of `context`. Construct it before any CURVE server socket of the
  // context binds: a handshake that finds no handler is admitted.
  Admission(zmq::context_t& context, std::vector<AllowedClient> allowed);
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // The ZAP domain of one side ("xsub", "xpub") of the channel: the log says which side a
  // client was refused on.
  static std::string zap_domain(const std::string& side);

  // Later handshakes are decided by `allowed`; connected clients stay connected.
  void set_allowed_clients(std::vector<AllowedClient> allowed);
  std::size_t allowed_count() const { return allowed_.size(); }

  // Reports failed handshakes on `socket` (a bound side of the channel: `server`), or the
  // state of this channel's connection to its upstream (`server` false). `name` names the
  // socket in the logs and must be unique.
  void watch_handshakes(zmq::socket_t& socket, const std::string& name, bool server);

  // The ZAP socket and the monitors, for the loop.
  std::vector<PollTarget> poll_targets();

  std::uint64_t refused_keys() const { return refused_keys_; }              // by ZAP
  std::uint64_t refused_handshakes() const { return refused_handshakes_; }  // not CURVE, broken

 private:
  struct Monitor {
    std::string name;
    bool server = false;
    zmq::socket_t events;
  };

  void on_zap_request();
  void on_monitor_event(Monitor& monitor);
  // Logs one refusal of `who` (a key, or a side and a reason) at most once a minute: a
  // refused client retries every few hundred milliseconds, and must not crowd the others out
  // of the log.
  void log_refusal(const std::string& who, const std::string& message);

  zmq::context_t& context_;
  zmq::socket_t zap_;
  std::vector<AllowedClient> allowed_;
  std::vector<std::string> allowed_keys_;     // what zap::decide takes
  std::map<std::string, std::string> names_;  // key -> name, for the logs
  std::vector<std::unique_ptr<Monitor>> monitors_;
  std::uint64_t refused_keys_ = 0;
  std::uint64_t refused_handshakes_ = 0;
  std::map<std::string, std::chrono::steady_clock::time_point> refusals_logged_;
  log::RateLimit refused_log_{20, std::chrono::seconds(10)};
  log::RateLimit admitted_log_{20, std::chrono::seconds(60)};
  log::RateLimit upstream_log_{10, std::chrono::seconds(60)};
};

}  // namespace lifeline::channel
