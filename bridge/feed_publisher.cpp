#include "bridge/feed_publisher.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <zmq.hpp>

namespace lifeline::bridge {
namespace {

constexpr std::string_view kIpc = "ipc://";

// Whether a process listens on the unix socket at `path` (false for a stale file).
bool someone_listens(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::close(fd);
  return rc == 0;
}

}  // namespace

FeedPublisher::FeedPublisher(std::string endpoint)
    : endpoint_(std::move(endpoint)),
      context_(std::make_unique<zmq::context_t>(1)),
      socket_(std::make_unique<zmq::socket_t>(*context_, zmq::socket_type::pub)) {
  socket_->set(zmq::sockopt::linger, 0);
  // A reading older than a few intervals is worth nothing to lifelined: keep the queue short.
  socket_->set(zmq::sockopt::sndhwm, 16);
  if (endpoint_.compare(0, kIpc.size(), kIpc) == 0) ipc_path_ = endpoint_.substr(kIpc.size());
}

FeedPublisher::~FeedPublisher() {
  socket_.reset();
  remove_socket_file();
}

void FeedPublisher::remove_socket_file() {
  if (ipc_path_.empty() || ino_ == 0) return;
  struct stat st {};
  if (::lstat(ipc_path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev_ &&
      st.st_ino == ino_) {
    ::unlink(ipc_path_.c_str());
  }
  ino_ = 0;
}

std::string FeedPublisher::bind_ipc(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return path + " exists and is not a socket; refusing to replace it";
    // libzmq 4.3 does not bind over a file left by a process that died.
    if (someone_listens(path)) return path + ": another process is publishing there";
    ::unlink(path.c_str());
  }
  {
    // Created 0600, then opened to the group (lifelined's), so nobody else can connect.
    struct UmaskGuard {
      mode_t old = ::umask(0177);
      ~UmaskGuard() { ::umask(old); }
    } guard;
    socket_->bind(endpoint_);  // throws zmq::error_t
  }
  if (::chmod(path.c_str(), 0660) != 0 || ::lstat(path.c_str(), &st) != 0) {
    return path + ": cannot chmod 0660: " + std::strerror(errno);
  }
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  return {};
}

FeedPublisher::BindResult FeedPublisher::ensure_bound() {
  BindResult result;
  if (bound_ && !ipc_path_.empty()) {
    struct stat st {};
    if (::lstat(ipc_path_.c_str(), &st) != 0 || st.st_ino != ino_ || st.st_dev != dev_) {
      // Our file was removed (systemd empties /run/lifeline when lifelined stops): a new
      // subscriber could never reach the old listener.
      try {
        socket_->unbind(endpoint_);
      } catch (const zmq::error_t&) {
        // Already gone with its file, as far as libzmq is concerned.
      }
      bound_ = false;
      ino_ = 0;
      result.rebound = true;
    }
  }
  if (bound_) {
    result.ok = true;
    return result;
  }
  try {
    if (ipc_path_.empty()) {
      socket_->bind(endpoint_);
    } else if (auto error = bind_ipc(ipc_path_); !error.empty()) {
      result.error = std::move(error);
      return result;
    }
    bound_ = true;
    result.ok = true;
  } catch (const zmq::error_t& e) {
    const int n = e.num();
    result.usage_error = n == EINVAL || n == EPROTONOSUPPORT || n == ENOCOMPATPROTO;
    result.error = endpoint_ + ": " + e.what();
  }
  return result;
}

bool FeedPublisher::publish(const std::string& message) {
  if (!bound_) return false;
  try {
    return socket_->send(zmq::buffer(message), zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t&) {
    return false;
  }
}

}  // namespace lifeline::bridge
