// ZeroMQ sockets on an Asio loop (the daemon's): a target of its own, so that what does not
// run a loop (lifelinectl, the channel, the bridge) never builds Asio.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>
#include <zmq.hpp>

namespace lifeline::zmqio {

// Watches one ZeroMQ socket on the Asio loop. ZMQ_FD is not the socket's data: it is the
// descriptor of the socket's command mailbox and it signals edges, not levels
// (zmq_getsockopt(3)): it may stay quiet while messages wait, if an earlier send, receive or
// ZMQ_EVENTS read consumed the signal. So after every wake, and after every send or receive,
// ZMQ_EVENTS is read again (which also processes the socket's pending commands) and messages
// are handled while it says ZMQ_POLLIN; only when it does not is the next wait armed. Nothing
// can signal between that last check and the wait being queued, because both happen on the
// loop's one thread before it polls again: the io_context must be run by one thread.
class SocketWatch : public std::enable_shared_from_this<SocketWatch> {
 public:
  // Handles one whole message waiting on the socket (called only when ZMQ_POLLIN is set).
  using OnMessage = std::function<void(zmq::socket_t&)>;
  // Messages handled per wake before the loop gets a turn (the failover path must not wait
  // behind a flood of requests).
  static constexpr int kMessagesPerTurn = 64;

  SocketWatch(boost::asio::io_context& io, zmq::socket_t socket, OnMessage on_message);
  ~SocketWatch();
  SocketWatch(const SocketWatch&) = delete;
  SocketWatch& operator=(const SocketWatch&) = delete;

  void start() { drain(); }
  zmq::socket_t& socket() { return socket_; }

  // After a send from outside the watch (the event publisher): ZMQ_EVENTS processes what the
  // send left pending, so the next command signals the descriptor again.
  void after_send() { (void)socket_.get(zmq::sockopt::events); }
  // After a send from outside the watch on a socket that also receives (a control reply sent
  // later): reading ZMQ_EVENTS may have taken the edge of a request that arrived meanwhile,
  // so handle what waits now, then wait again.
  void kick() { drain(); }

 private:
  void drain();
  void arm();

  boost::asio::io_context& io_;
  zmq::socket_t socket_;
  boost::asio::posix::stream_descriptor fd_;
  OnMessage on_message_;
  bool armed_ = false;
};

}  // namespace lifeline::zmqio
