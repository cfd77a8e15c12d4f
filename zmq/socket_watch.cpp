#include "zmq/socket_watch.hpp"

#include <boost/asio/post.hpp>
#include <string>

#include "common/log.hpp"

namespace lifeline::zmqio {
namespace asio = boost::asio;

SocketWatch::SocketWatch(asio::io_context& io, zmq::socket_t socket, OnMessage on_message)
    : io_(io),
      socket_(std::move(socket)),
      fd_(io, socket_.get(zmq::sockopt::fd)),
      on_message_(std::move(on_message)) {}

SocketWatch::~SocketWatch() {
  // The descriptor is the socket's, not Asio's: take it back so Asio does not close it,
  // then the socket closes it (pending waits complete with operation_aborted).
  boost::system::error_code ignored;
  fd_.cancel(ignored);
  (void)fd_.release();
}

void SocketWatch::drain() {
  for (int handled = 0; handled < kMessagesPerTurn; ++handled) {
    int events = 0;
    try {
      events = socket_.get(zmq::sockopt::events);
    } catch (const zmq::error_t& e) {
      log::error(std::string("zmq: ZMQ_EVENTS failed: ") + e.what());
      return;
    }
    if ((events & ZMQ_POLLIN) == 0 || !on_message_) {
      arm();
      return;
    }
    on_message_(socket_);
  }
  // More is waiting: let the loop run other work first, then come back (no wait is armed,
  // so no edge is needed: drain() reads ZMQ_EVENTS first).
  asio::post(io_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->drain();
  });
}

void SocketWatch::arm() {
  if (armed_) return;  // one wait at a time (kick() may come while one is queued)
  armed_ = true;
  fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                 [weak = weak_from_this()](const boost::system::error_code& ec) {
                   if (ec == asio::error::operation_aborted) return;
                   auto self = weak.lock();
                   if (!self) return;
                   self->armed_ = false;
                   if (ec) {
                     log::error("zmq: waiting on a ZeroMQ socket failed: " + ec.message());
                     return;
                   }
                   self->drain();
                 });
}

}  // namespace lifeline::zmqio
