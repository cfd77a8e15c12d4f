#include "controller/control/control_server.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>
#include <vector>
#include <zmq.hpp>

#include "common/log.hpp"
#include "controller/control/protocol.hpp"
#include "zmq/curve_keys.hpp"
#include "zmq/socket_watch.hpp"
#include "zmq/zap.hpp"

namespace lifeline::control {
namespace asio = boost::asio;
using zmqio::SocketWatch;
namespace {

// A frame larger than this makes libzmq drop the connection (ZMQ_MAXMSGSIZE) instead of
// reading it into memory; between kMaxRequestBytes and this, the client gets bad_request.
constexpr std::int64_t kMaxFrameBytes = 4 * 1024 * 1024;
// Frames kept of one message (the rest of a multi-frame request is read and counted only).
constexpr std::size_t kKeptFrames = 4;
constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

std::string errno_text(int error) {
  return std::strerror(error);
}

// Receives one whole message (its frames arrive together): keeps the first kKeptFrames and
// counts them all. False when nothing was waiting.
bool receive_message(zmq::socket_t& socket, std::vector<zmq::message_t>& kept, std::size_t& total) {
  kept.clear();
  total = 0;
  do {
    zmq::message_t frame;
    if (!socket.recv(frame, zmq::recv_flags::dontwait)) return total > 0;
    ++total;
    if (kept.size() < kKeptFrames) kept.push_back(std::move(frame));
  } while (socket.get(zmq::sockopt::rcvmore));
  return true;
}

// ---- binding -------------------------------------------------------------------------------

gid_t lookup_group(const std::string& name) {
  struct group grp {};
  struct group* found = nullptr;
  std::vector<char> buffer(16384);
  const int rc = ::getgrnam_r(name.c_str(), &grp, buffer.data(), buffer.size(), &found);
  if (rc != 0) {
    throw std::runtime_error("control.group '" + name + "': cannot look it up: " + errno_text(rc));
  }
  if (found == nullptr) {
    throw std::runtime_error("control.group '" + name +
                             "': no such group; create it (the package creates 'lifeline') or "
                             "set control.group to an existing group");
  }
  return grp.gr_gid;
}

// Before binding `path`: its directory must exist (systemd's RuntimeDirectory makes it); a
// socket file left by a process that died is removed; a live one, or anything that is not a
// socket, is refused (libzmq would silently unlink it and steal the name).
void prepare_ipc_path(const std::string& what, const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  struct stat st {};
  if (slash == std::string::npos || ::stat(dir.c_str(), &st) != 0) {
    throw std::runtime_error(what + " " + path + ": directory " + dir +
                             " does not exist (systemd creates it: RuntimeDirectory=lifeline)");
  }
  if (!S_ISDIR(st.st_mode)) {
    throw std::runtime_error(what + " " + path + ": " + dir + " is not a directory");
  }
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw std::runtime_error(what + " " + path + ": " + errno_text(errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    throw std::runtime_error(what + " " + path +
                             ": exists and is not a socket; refusing to replace it");
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    throw std::runtime_error(what + " " + path + ": longer than a unix socket path may be");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(what + " " + path + ": socket: " + errno_text(errno));
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int error = errno;
  ::close(fd);
  if (rc == 0) {
    throw std::runtime_error(what + " " + path +
                             ": another process is listening on it (is lifelined already "
                             "running?)");
  }
  if (error != ECONNREFUSED) {
    throw std::runtime_error(what + " " + path +
                             ": cannot tell whether it is in use: " + errno_text(error));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw std::runtime_error(what + " " + path +
                             ": cannot remove the stale socket: " + errno_text(errno));
  }
  log::notice(what + " " + path + ": removed a stale socket file");
}

// A socket file we made, removed when we stop (libzmq 4.3 leaves it behind) unless something
// else has taken its place meanwhile.
struct SocketFile {
  std::string path;
  dev_t dev = 0;
  ino_t ino = 0;
};

void remove_socket_file(const SocketFile& file) {
  struct stat st {};
  if (::lstat(file.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == file.dev &&
      st.st_ino == file.ino) {
    ::unlink(file.path.c_str());
  }
}

// Binds `socket` on ipc://path, mode 0660, and gives it to `group` when set. The socket file
// is created under umask 0177 (mode 0600), so nobody else can connect before chown/chmod.
SocketFile bind_ipc(zmq::socket_t& socket, const std::string& what, const std::string& path,
                    std::optional<gid_t> group) {
  prepare_ipc_path(what, path);
  {
    struct UmaskGuard {
      mode_t old = ::umask(0177);
      ~UmaskGuard() { ::umask(old); }
    } guard;
    try {
      socket.bind("ipc://" + path);
    } catch (const zmq::error_t& e) {
      throw std::runtime_error(what + " " + path + ": cannot bind: " + e.what());
    }
  }
  if (group && ::chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    throw std::runtime_error(what + " " + path + ": cannot give it to group " +
                             std::to_string(*group) + ": " + errno_text(error));
  }
  SocketFile file{path};
  struct stat st {};
  if (::chmod(path.c_str(), 0660) != 0 || ::lstat(path.c_str(), &st) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    throw std::runtime_error(what + " " + path + ": cannot chmod 0660: " + errno_text(error));
  }
  file.dev = st.st_dev;
  file.ino = st.st_ino;
  return file;
}

std::string tcp_endpoint(const config::CurveEndpoint& ep) {
  const std::string host =
      ep.address.is_v4() ? ep.address.to_string() : "[" + ep.address.to_string() + "]";
  return "tcp://" + host + ":" + std::to_string(ep.port);
}

// A CURVE server on the endpoint; the ZAP handler of this context decides who gets in.
void bind_curve_tcp(zmq::socket_t& socket, const std::string& what, const config::CurveEndpoint& ep,
                    const std::string& domain) {
  std::string error;
  const auto keys = curve::load_key_file(ep.server_key_file, error);
  if (!keys) {
    throw std::runtime_error(what + ".server_key_file " + ep.server_key_file + ": " + error);
  }
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, keys->secret_key);
  socket.set(zmq::sockopt::zap_domain, domain);
  if (!ep.address.is_v4()) socket.set(zmq::sockopt::ipv6, true);
  const std::string endpoint = tcp_endpoint(ep);
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error(what + " " + endpoint + ": cannot bind: " + e.what());
  }
}

// The ZAP handler (RFC 27) of one context: libzmq asks it about every CURVE handshake on the
// context's sockets, and without it libzmq would admit any CURVE client at all.
class ZapHandler {
 public:
  ZapHandler(asio::io_context& io, zmq::context_t& context, std::string what, std::string domain,
             std::vector<std::string> allowed)
      : what_(std::move(what)), domain_(std::move(domain)), allowed_(std::move(allowed)) {
    zmq::socket_t socket(context, zmq::socket_type::router);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind(kZapEndpoint);
    watch_ = std::make_shared<SocketWatch>(io, std::move(socket),
                                           [this](zmq::socket_t& s) { on_request(s); });
    watch_->start();
  }
  std::uint64_t denied() const { return denied_.load(); }

 private:
  void on_request(zmq::socket_t& socket) {
    std::vector<zmq::message_t> frames;
    std::size_t total = 0;
    // [routing id][empty][version][request id][domain][address][identity][mechanism][creds..]
    frames.clear();
    do {
      zmq::message_t frame;
      if (!socket.recv(frame, zmq::recv_flags::dontwait)) break;
      ++total;
      if (frames.size() < 16) frames.push_back(std::move(frame));
    } while (socket.get(zmq::sockopt::rcvmore));
    if (frames.size() < 2 || frames[1].size() != 0) return;  // not from libzmq: ignore
    std::vector<std::string> body;
    for (std::size_t i = 2; i < frames.size(); ++i) body.push_back(frames[i].to_string());
    const auto request = zap::parse_request(body);
    if (!request) return;  // libzmq times the handshake out
    const zap::Verdict verdict = zap::decide(*request, domain_, allowed_);
    if (!verdict.admitted()) {
      ++denied_;
      std::string who = verdict.user_id.empty() ? request->mechanism + " client"
                                                : "CURVE client " + verdict.user_id;
      log_.write(log::Level::warning, what_ + ": refused " + who + " from " + request->address +
                                          ": " + verdict.status_text);
    }
    const auto reply = zap::reply_frames(*request, verdict);
    try {
      socket.send(frames[0], zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      socket.send(zmq::message_t(), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      for (std::size_t i = 0; i < reply.size(); ++i) {
        const auto flags = i + 1 < reply.size()
                               ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                               : zmq::send_flags::dontwait;
        socket.send(zmq::buffer(reply[i]), flags);
      }
    } catch (const zmq::error_t& e) {
      log_.write(log::Level::warning, what_ + ": cannot answer the ZAP request: " + e.what());
    }
  }

  std::string what_;
  std::string domain_;
  std::vector<std::string> allowed_;
  std::atomic<std::uint64_t> denied_{0};
  log::RateLimit log_{10, std::chrono::seconds(10)};
  std::shared_ptr<SocketWatch> watch_;
};

zmq::socket_t make_socket(zmq::context_t& context, zmq::socket_type type) {
  zmq::socket_t socket(context, type);
  socket.set(zmq::sockopt::linger, 0);
  return socket;
}

}  // namespace

// ---- ControlServer ----------------------------------------------------------------------------

struct ControlServer::Impl {
  // One context per server: the ZAP handler is per context, so the control endpoints and the
  // event stream each have their own allow-list, and destruction closes everything in order
  // (the context is declared first, so it goes last).
  zmq::context_t context{1};
  asio::io_context& io;
  ops::ControlHandler handler;
  ops::Offload offload;  // NSS look-ups off the loop (empty: inline)
  std::unique_ptr<ZapHandler> zap;
  std::shared_ptr<SocketWatch> ipc;
  std::shared_ptr<SocketWatch> tcp;
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> refused{0};
  std::map<std::uint32_t, std::string> user_names;  // uid -> login name (NSS is not free)
  log::RateLimit bad_log{10, std::chrono::seconds(10)};
  std::optional<SocketFile> socket_file;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  Impl(asio::io_context& io_context, ops::ControlHandler h, ops::Offload o)
      : io(io_context), handler(std::move(h)), offload(std::move(o)) {}
  ~Impl() {
    *alive = false;
    tcp.reset();
    ipc.reset();
    zap.reset();
    context.close();
    if (socket_file) remove_socket_file(*socket_file);
  }

  // The login name of `uid` (empty when it has none). NSS may ask LDAP or sssd: never on the
  // loop when an offload is given.
  static std::string lookup_user(std::uint32_t uid) {
    struct passwd pw {};
    struct passwd* found = nullptr;
    std::vector<char> buffer(16384);
    std::string name;
    if (::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
      name = pw.pw_name;
    }
    return name;
  }

  void remember_user(std::uint32_t uid, const std::string& name) {
    if (user_names.size() < 1024) user_names.emplace(uid, name);
  }

  // The peer as the transport knows it; for ipc also the client's uid, to name it.
  ops::Peer peer_of(std::vector<zmq::message_t>& frames, const std::string& transport,
                    std::optional<std::uint32_t>& uid) {
    ops::Peer peer{transport, transport};
    // The routing-id frame is made by the ROUTER itself; the frames after it carry the
    // connection's metadata.
    for (std::size_t i = 1; i < frames.size(); ++i) {
      if (transport == "ipc") {
        const char* address = zmq_msg_gets(frames[i].handle(), "Peer-Address");
        if (address == nullptr) continue;
        if (const auto cred = parse_ipc_peer_address(address)) uid = cred->uid;
        return peer;
      }
      const char* user_id = zmq_msg_gets(frames[i].handle(), "User-Id");
      if (user_id == nullptr) continue;
      peer.identity = user_id;  // the client's CURVE public key, set by our ZAP handler
      return peer;
    }
    return peer;
  }

  void on_request(zmq::socket_t& socket, const std::string& transport, std::weak_ptr<SocketWatch> watch) {
    std::vector<zmq::message_t> frames;
    std::size_t total = 0;
    if (!receive_message(socket, frames, total)) return;
    ++requests;
    std::vector<std::size_t> sizes;
    for (const auto& f : frames) sizes.push_back(f.size());
    const std::size_t envelope = envelope_frames(sizes);
    const std::size_t body_frames = total - envelope;
    const std::size_t body_bytes = frames.size() > envelope ? frames[envelope].size() : 0;
    std::optional<std::uint32_t> uid;
    ops::Peer peer = peer_of(frames, transport, uid);
    auto request = std::make_shared<Request>();
    request->watch = std::move(watch);
    request->problem = request_problem(body_frames, body_bytes, kMaxRequestBytes);
    if (!request->problem) request->body = frames[envelope].to_string();
    for (std::size_t i = 0; i < envelope; ++i) request->envelope.push_back(std::move(frames[i]));
    if (uid) {
      if (auto it = user_names.find(*uid); it != user_names.end()) {
        peer.identity = ipc_identity(*uid, it->second);
      } else if (offload) {
        offload([u = *uid] { return lookup_user(u); },
                [this, alive = std::weak_ptr<bool>(alive), request, peer, u = *uid](std::string name) mutable {
                  if (auto a = alive.lock(); !a || !*a) return;
                  remember_user(u, name);
                  peer.identity = ipc_identity(u, name);
                  answer(request, peer, false);
                });
        return;
      } else {
        const auto name = lookup_user(*uid);
        remember_user(*uid, name);
        peer.identity = ipc_identity(*uid, name);
      }
    }
    answer(request, peer, true);
  }

  struct Request {
    std::weak_ptr<SocketWatch> watch;
    std::vector<zmq::message_t> envelope;
    std::optional<std::string> problem;
    std::string body;
  };

  // Hands the request to the handler; its reply goes back on the socket it came from, now or
  // later. `in_drain`: called from the watch's own drain (which goes on reading afterwards).
  void answer(const std::shared_ptr<Request>& request, const ops::Peer& peer, bool in_drain) {
    if (request->problem) {
      ++refused;
      bad_log.write(log::Level::warning, "control: bad request from " + peer.transport + " " +
                                             peer.identity + ": " + *request->problem);
      send_reply(*request, peer, error_reply("bad_request", *request->problem), !in_drain);
      return;
    }
    // Whether the handler answered before returning: then the watch's drain goes on by itself.
    auto answered_now = std::make_shared<bool>(false);
    auto returned = std::make_shared<bool>(false);
    auto reply = [this, alive = std::weak_ptr<bool>(alive), request, peer, in_drain, answered_now,
                  returned](std::string text) {
      if (auto a = alive.lock(); !a || !*a) return;
      if (!*returned) *answered_now = true;
      send_reply(*request, peer, text, *returned || !in_drain);
    };
    try {
      handler(request->body, peer, reply);
    } catch (const std::exception& e) {
      // The handler promises not to throw; if it does, the client still gets an answer.
      log::error(std::string("control: the request handler failed: ") + e.what());
      if (!*answered_now) send_reply(*request, peer, error_reply("failed", std::string("internal error: ") + e.what()), !in_drain);
    }
    *returned = true;
  }

  // ROUTER never blocks on send: a reply to a client that has gone is dropped by libzmq.
  // `later`: sent outside the watch's drain, which must then look at the socket again.
  void send_reply(Request& request, const ops::Peer& peer, const std::string& reply, bool later) {
    auto watch = request.watch.lock();
    if (!watch) return;
    try {
      for (auto& frame : request.envelope) {
        watch->socket().send(frame, zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      }
      watch->socket().send(zmq::buffer(reply), zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
      bad_log.write(log::Level::warning,
                    "control: cannot send the reply to " + peer.identity + ": " + e.what());
    }
    if (later) watch->kick();
  }

  std::shared_ptr<SocketWatch> watch(zmq::socket_t socket, std::string transport) {
    auto self = std::make_shared<std::weak_ptr<SocketWatch>>();
    auto w = std::make_shared<SocketWatch>(
        io, std::move(socket),
        [this, self, transport = std::move(transport)](zmq::socket_t& s) { on_request(s, transport, *self); });
    *self = w;
    w->start();
    return w;
  }
};

ControlServer::ControlServer(asio::io_context& io, const config::ControlConfig& config,
                             ops::ControlHandler handler, ops::Offload offload)
    : impl_(std::make_unique<Impl>(io, std::move(handler), std::move(offload))) {
  const gid_t group = lookup_group(config.group);
  {
    auto socket = make_socket(impl_->context, zmq::socket_type::router);
    socket.set(zmq::sockopt::maxmsgsize, kMaxFrameBytes);
    impl_->socket_file = bind_ipc(socket, "control.socket", config.socket, group);
    impl_->ipc = impl_->watch(std::move(socket), "ipc");
  }
  if (config.tcp) {
    impl_->zap = std::make_unique<ZapHandler>(io, impl_->context, "control.tcp", "lifeline.control",
                                              config.tcp->allowed_clients);
    auto socket = make_socket(impl_->context, zmq::socket_type::router);
    socket.set(zmq::sockopt::maxmsgsize, kMaxFrameBytes);
    bind_curve_tcp(socket, "control.tcp", *config.tcp, "lifeline.control");
    impl_->tcp = impl_->watch(std::move(socket), "tcp");
  }
}

ControlServer::~ControlServer() = default;

ServerStats ControlServer::stats() const {
  ServerStats s;
  s.requests = impl_->requests.load();
  s.refused = impl_->refused.load();
  s.denied = impl_->zap ? impl_->zap->denied() : 0;
  return s;
}

// ---- EventPublisher --------------------------------------------------------------------------

struct EventPublisher::Impl {
  zmq::context_t context{1};
  std::unique_ptr<ZapHandler> zap;
  std::vector<std::shared_ptr<SocketWatch>> sockets;  // PUB: watched only to process commands
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> dropped{0};
  log::RateLimit drop_log{5, std::chrono::seconds(60)};
  std::optional<SocketFile> socket_file;

  ~Impl() {
    sockets.clear();
    zap.reset();
    context.close();
    if (socket_file) remove_socket_file(*socket_file);
  }
};

EventPublisher::EventPublisher(asio::io_context& io, const config::EventsConfig& config)
    : impl_(std::make_unique<Impl>()) {
  auto add = [&](zmq::socket_t socket) {
    auto w = std::make_shared<SocketWatch>(io, std::move(socket), nullptr);
    w->start();
    impl_->sockets.push_back(std::move(w));
  };
  {
    auto socket = make_socket(impl_->context, zmq::socket_type::pub);
    // No group of its own in the config: the daemon's group (docs/events.md).
    impl_->socket_file = bind_ipc(socket, "events.socket", config.socket, std::nullopt);
    add(std::move(socket));
  }
  if (config.tcp) {
    impl_->zap = std::make_unique<ZapHandler>(io, impl_->context, "events.tcp", "lifeline.events",
                                              config.tcp->allowed_clients);
    auto socket = make_socket(impl_->context, zmq::socket_type::pub);
    bind_curve_tcp(socket, "events.tcp", *config.tcp, "lifeline.events");
    add(std::move(socket));
  }
}

EventPublisher::~EventPublisher() = default;

void EventPublisher::publish(const ops::Event& event) {
  // PUB never blocks: a subscriber that does not keep up loses messages at its high-water
  // mark inside libzmq, which does not tell the publisher. What is counted here are events a
  // socket refused outright.
  bool all = true;
  for (auto& w : impl_->sockets) {
    auto& socket = w->socket();
    try {
      const bool sent =
          socket.send(zmq::buffer(event.kind), zmq::send_flags::sndmore | zmq::send_flags::dontwait)
              .has_value() &&
          socket.send(zmq::buffer(event.json), zmq::send_flags::dontwait).has_value();
      if (!sent) all = false;
    } catch (const zmq::error_t& e) {
      all = false;
      impl_->drop_log.write(log::Level::warning,
                            std::string("events: cannot publish: ") + e.what());
    }
    w->after_send();
  }
  if (all) {
    ++impl_->published;
  } else {
    ++impl_->dropped;
  }
}

std::uint64_t EventPublisher::published() const {
  return impl_->published.load();
}
std::uint64_t EventPublisher::dropped() const {
  return impl_->dropped.load();
}
std::uint64_t EventPublisher::denied() const {
  return impl_->zap ? impl_->zap->denied() : 0;
}

// ---- feeds ------------------------------------------------------------------------------------

namespace {

void connect_feed(zmq::socket_t& socket, const std::string& what, const std::string& endpoint,
                  const std::optional<curve::Client>& curve) {
  if (curve) {
    socket.set(zmq::sockopt::curve_serverkey, curve->server_public_key);
    socket.set(zmq::sockopt::curve_publickey, curve->client_public_key);
    socket.set(zmq::sockopt::curve_secretkey, curve->client_secret_key);
  }
  if (endpoint.starts_with("tcp://[")) socket.set(zmq::sockopt::ipv6, true);
  // Reconnect within a second of a feed coming back, not libzmq's default 100 ms storm.
  socket.set(zmq::sockopt::reconnect_ivl, 200);
  socket.set(zmq::sockopt::reconnect_ivl_max, 1000);
  try {
    socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error(what + " " + endpoint + ": cannot connect: " + e.what());
  }
}

}  // namespace

struct FeedSubscriber::Impl {
  zmq::context_t context{1};
  std::shared_ptr<SocketWatch> watch;
  ~Impl() {
    watch.reset();
    context.close();
  }
};

FeedSubscriber::FeedSubscriber(asio::io_context& io, const std::string& what, const std::string& endpoint,
                               const std::optional<curve::Client>& curve, std::int64_t max_bytes,
                               OnMessage on_message)
    : impl_(std::make_unique<Impl>()) {
  auto socket = make_socket(impl_->context, zmq::socket_type::sub);
  socket.set(zmq::sockopt::maxmsgsize, max_bytes);
  socket.set(zmq::sockopt::subscribe, "");
  connect_feed(socket, what, endpoint, curve);
  impl_->watch = std::make_shared<SocketWatch>(
      io, std::move(socket), [on_message = std::move(on_message)](zmq::socket_t& s) {
        std::vector<zmq::message_t> kept;
        std::size_t total = 0;
        if (!receive_message(s, kept, total)) return;
        std::vector<std::string> frames;
        frames.reserve(kept.size());
        for (const auto& f : kept) frames.push_back(f.to_string());
        on_message(frames, total);
      });
  impl_->watch->start();
}

FeedSubscriber::~FeedSubscriber() = default;

struct FeedPublisher::Impl {
  zmq::context_t context{1};
  std::shared_ptr<SocketWatch> watch;
  ~Impl() {
    watch.reset();
    context.close();
  }
};

FeedPublisher::FeedPublisher(asio::io_context& io, const std::string& what, const std::string& endpoint,
                             const std::optional<curve::Client>& curve)
    : impl_(std::make_unique<Impl>()) {
  auto socket = make_socket(impl_->context, zmq::socket_type::pub);
  connect_feed(socket, what, endpoint, curve);
  impl_->watch = std::make_shared<SocketWatch>(io, std::move(socket), nullptr);
  impl_->watch->start();
}

FeedPublisher::~FeedPublisher() = default;

bool FeedPublisher::publish(const std::vector<std::string>& frames) {
  auto& socket = impl_->watch->socket();
  bool sent = true;
  try {
    for (std::size_t i = 0; i < frames.size() && sent; ++i) {
      const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                               : zmq::send_flags::dontwait;
      sent = socket.send(zmq::buffer(frames[i]), flags).has_value();
    }
  } catch (const zmq::error_t&) {
    sent = false;
  }
  impl_->watch->after_send();
  return sent;
}

}  // namespace lifeline::control
