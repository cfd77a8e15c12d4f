// The telemetry feed: a ZeroMQ PUB socket, one reading per message. lifelined connects a SUB.
// An ipc:// socket lives in lifelined's /run/lifeline, which systemd empties whenever
// lifelined stops; the publisher notices its socket file is gone and binds it again.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace zmq {
class context_t;
class socket_t;
}  // namespace zmq

namespace lifeline::bridge {

class FeedPublisher {
 public:
  explicit FeedPublisher(std::string endpoint);
  ~FeedPublisher();  // removes the ipc socket file it made
  FeedPublisher(const FeedPublisher&) = delete;
  FeedPublisher& operator=(const FeedPublisher&) = delete;

  struct BindResult {
    bool ok = false;
    bool usage_error = false;  // the endpoint itself is wrong: retrying cannot help
    bool rebound = false;      // bound again after its socket file had been removed
    std::string error;
  };
  // Binds unless bound and still reachable. Cheap when nothing is wrong (one lstat for ipc).
  BindResult ensure_bound();
  // Sends one message (never blocks: PUB drops for a subscriber that cannot keep up).
  bool publish(const std::string& message);

  const std::string& endpoint() const { return endpoint_; }

 private:
  std::string bind_ipc(const std::string& path);
  void remove_socket_file();

  std::string endpoint_;
  std::unique_ptr<zmq::context_t> context_;
  std::unique_ptr<zmq::socket_t> socket_;
  bool bound_ = false;
  std::string ipc_path_;  // set for ipc:// endpoints
  dev_t dev_ = 0;         // the socket file we made, so we never remove someone else's
  ino_t ino_ = 0;
};

}  // namespace lifeline::bridge
