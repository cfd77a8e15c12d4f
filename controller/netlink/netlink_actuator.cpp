#include "controller/netlink/netlink_actuator.hpp"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <span>
#include <vector>

#include "controller/netlink/messages.hpp"
#include "controller/netlink/reconcile_plan.hpp"

namespace lifeline::netlink {
namespace {

using Clock = std::chrono::steady_clock;

// Large enough for any dump part: the kernel sizes them to the reader's buffer, up to 32 KiB.
constexpr std::size_t kReceiveBuffer = 64 * 1024;
constexpr int kDumpAttempts = 3;

std::string errno_text(int error) {
  const char* name = strerrorname_np(error);
  const char* text = strerrordesc_np(error);
  std::string out = name != nullptr ? name : "errno " + std::to_string(error);
  if (text != nullptr) out += std::string(" (") + text + ")";
  return out;
}

// The outcome of one request: error 0 is success, otherwise an errno (the kernel's, or the
// socket's, or ETIMEDOUT when no answer came in time) and what explains it.
struct Outcome {
  int error = 0;
  std::string detail;  // the kernel's extended-ACK message, or what failed locally
  bool ok() const { return error == 0; }
  std::string text() const {
    std::string out = errno_text(error);
    if (!detail.empty()) out += ": " + detail;
    return out;
  }
};

bool absent(const Outcome& outcome) {
  // A route or rule that is not there: ESRCH (IPv4 routes, rules) or ENOENT (IPv6, rules).
  return outcome.error == ESRCH || outcome.error == ENOENT;
}

// One NETLINK_ROUTE socket with synchronous request/answer exchanges.
class RtnlSocket {
 public:
  explicit RtnlSocket(std::chrono::milliseconds timeout)
      : timeout_(timeout), buffer_(kReceiveBuffer) {}
  ~RtnlSocket() { close(); }
  RtnlSocket(const RtnlSocket&) = delete;
  RtnlSocket& operator=(const RtnlSocket&) = delete;

  Outcome open() {
    if (nl_ != nullptr) return {};
    nl_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (nl_ == nullptr) return {errno, "cannot open a NETLINK_ROUTE socket"};
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
      const int error = errno;
      close();
      return {error, "cannot bind the NETLINK_ROUTE socket"};
    }
    // Best effort, each: error text from the kernel, ACKs without an echo of the request,
    // strict checking of our dump requests. Older kernels lack some; nothing depends on them.
    int one = 1;
    for (const int option : {NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK}) {
      mnl_socket_setsockopt(nl_, option, &one, sizeof(one));
    }
    return {};
  }

  std::uint32_t next_seq() { return ++seq_; }
  std::uint64_t requests() const { return requests_; }

  // Sends `request` and waits for the NLMSG_ERROR answering it.
  Outcome transact(std::span<const std::uint8_t> request) {
    const auto header = decode_header(request);
    assert(header);  // our own encoders made it
    if (Outcome sent = send(request); !sent.ok()) return sent;
    const auto deadline = Clock::now() + timeout_;
    for (;;) {
      auto received = receive(deadline);
      if (!received.outcome.ok()) return received.outcome;
      for (const auto message : split_messages(received.bytes)) {
        const auto h = decode_header(message);
        // Answers to earlier requests that timed out arrive late: their seq differs.
        if (!h || h->seq != header->seq || h->type != NLMSG_ERROR) continue;
        const auto ack = decode_ack(message);
        if (!ack) return {EBADMSG, "malformed ACK"};
        return {ack->error, ack->message};
      }
    }
  }

  // Sends a dump request and hands every part to `on_part` until NLMSG_DONE. `interrupted`
  // tells whether the kernel flagged the dump inconsistent (changed while being dumped).
  Outcome dump(std::span<const std::uint8_t> request,
               const std::function<void(std::span<const std::uint8_t>)>& on_part,
               bool& interrupted) {
    const auto header = decode_header(request);
    assert(header);
    interrupted = false;
    if (Outcome sent = send(request); !sent.ok()) return sent;
    for (;;) {
      // The deadline is for progress, not for the whole dump: big tables take longer.
      auto received = receive(Clock::now() + timeout_);
      if (!received.outcome.ok()) return received.outcome;
      for (const auto message : split_messages(received.bytes)) {
        const auto h = decode_header(message);
        if (!h || h->seq != header->seq) continue;
        if ((h->flags & NLM_F_DUMP_INTR) != 0) interrupted = true;
        if (h->type == NLMSG_DONE) return {decode_done(message).value_or(0), {}};
        if (h->type == NLMSG_ERROR) {
          const auto ack = decode_ack(message);
          return ack ? Outcome{ack->error, ack->message} : Outcome{EBADMSG, "malformed ACK"};
        }
        on_part(message);
      }
    }
  }

 private:
  struct Received {
    Outcome outcome;
    std::span<const std::uint8_t> bytes;
  };

  Outcome send(std::span<const std::uint8_t> request) {
    if (Outcome opened = open(); !opened.ok()) return opened;
    ++requests_;
    if (mnl_socket_sendto(nl_, request.data(), request.size()) < 0) {
      const int error = errno;
      close();  // reopened on the next request
      return {error, "netlink send failed"};
    }
    return {};
  }

  Received receive(Clock::time_point deadline) {
    pollfd pfd{mnl_socket_get_fd(nl_), POLLIN, 0};
    for (;;) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        return {{ETIMEDOUT,
                 "no answer from the kernel within " + std::to_string(timeout_.count()) + " ms"},
                {}};
      }
      const int ready = ::poll(&pfd, 1, static_cast<int>(left));
      if (ready < 0 && errno != EINTR) return {{errno, "poll on the netlink socket failed"}, {}};
      if (ready <= 0) continue;
      const ssize_t n = mnl_socket_recvfrom(nl_, buffer_.data(), buffer_.size());
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        const int error = errno;
        close();
        return {{error, "netlink receive failed"}, {}};
      }
      return {{}, std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(n))};
    }
  }

  void close() {
    if (nl_ != nullptr) mnl_socket_close(nl_);
    nl_ = nullptr;
  }

  std::chrono::milliseconds timeout_;
  mnl_socket* nl_ = nullptr;
  std::uint32_t seq_ = 0;
  std::uint64_t requests_ = 0;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace

struct NetlinkKernelView final : routing::KernelView {
  KernelState kernel;
};

class NetlinkRouteActuator::Impl {
 public:
  explicit Impl(NetlinkOptions options) : socket_(options.timeout), reader_(options.timeout) {
    socket_.open();
  }

  routing::ReconcileReport reconcile(const routing::RoutingState& desired) {
    auto state = read_kernel_state(socket_);
    if (!state.outcome.ok()) {
      fail(state.outcome);
      routing::ReconcileReport report;
      report.errors.push_back("cannot read the kernel's rules and routes (nothing changed): " +
                              state.outcome.text());
      return report;
    }
    return apply(desired, state.kernel);
  }

  std::unique_ptr<routing::KernelView> read_kernel() {
    std::lock_guard lock(reader_mutex_);
    auto view = std::make_unique<NetlinkKernelView>();
    auto state = read_kernel_state(reader_);
    if (!state.outcome.ok()) {
      fail(state.outcome);
      view->error = "cannot read the kernel's rules and routes (nothing changed): " + state.outcome.text();
      return view;
    }
    view->kernel = std::move(state.kernel);
    return view;
  }

  routing::ReconcileReport reconcile(const routing::RoutingState& desired, const routing::KernelView& view) {
    if (!view.error.empty()) {
      routing::ReconcileReport report;
      report.errors.push_back(view.error);
      return report;
    }
    const auto* ours = dynamic_cast<const NetlinkKernelView*>(&view);
    assert(ours != nullptr);  // only ever one of our own read_kernel()
    return apply(desired, ours->kernel);
  }

  routing::ReconcileReport apply(const routing::RoutingState& desired, const KernelState& kernel) {
    routing::ReconcileReport report;
    const ChangePlan plan = plan_changes(kernel, desired);
    foreign_slots_ = std::set<Slot>(plan.foreign_slots.begin(), plan.foreign_slots.end());
    for (const auto& conflict : plan.conflicts) {
      count_error();
      report.errors.push_back(conflict);
    }

    // Routes before rules: a rule never points at a table still empty; stale rules before
    // stale routes for the same reason.
    for (const auto& route : plan.add_routes) {
      if (auto error = write_route(route, WriteMode::create); error.empty()) {
        ++report.added;
      } else {
        report.errors.push_back("add " + describe(route) + ": " + error);
      }
    }
    for (const auto& route : plan.replace_routes) {
      if (auto error = write_route(route, WriteMode::replace); error.empty()) {
        ++report.replaced;
      } else {
        report.errors.push_back("replace " + describe(route) + ": " + error);
      }
    }
    for (const auto& rule : plan.add_rules) {
      const Outcome outcome = exchange(encode_new_rule(rule, socket_.next_seq()));
      if (outcome.ok()) {
        ++report.added;
      } else {
        report.errors.push_back("add " + describe(rule) + ": " + outcome.text());
      }
    }
    for (const auto& rule : plan.remove_rules) {
      const Outcome outcome = exchange(encode_del_rule(rule, socket_.next_seq()));
      if (outcome.ok()) {
        ++report.removed;
      } else if (!absent(outcome)) {
        report.errors.push_back("remove " + describe(rule) + ": " + outcome.text());
      }
    }
    for (const auto& route : plan.remove_routes) {
      const Outcome outcome = exchange(encode_del_route(route, socket_.next_seq()));
      if (outcome.ok()) {
        ++report.removed;
      } else if (!absent(outcome)) {
        report.errors.push_back("remove " + describe(route) + ": " + outcome.text());
      }
    }
    return report;
  }

  std::string set_class_route(std::uint32_t table, Family family,
                              const std::optional<routing::RouteSpec>& route) {
    if (!route) {
      const Outcome outcome =
          exchange(encode_del_route(default_slot(family, table), socket_.next_seq()));
      if (outcome.ok() || absent(outcome)) return {};
      return "remove " + describe(family) + " table " + std::to_string(table) +
             " default route: " + outcome.text();
    }
    if (route->table != table || route->family != family) {
      count_error();
      return "refusing " + describe(*route) + ": it is not a route of " + describe(family) +
             " table " + std::to_string(table);
    }
    if (foreign_slots_.contains({family, table})) {
      count_error();
      return "refusing " + describe(*route) +
             ": the table's default route belongs to another owner (seen by the last reconcile)";
    }
    if (auto error = write_route(*route, WriteMode::replace); !error.empty()) {
      return "replace " + describe(*route) + ": " + error;
    }
    return {};
  }

  std::optional<routing::RoutingState> dump_own() {
    auto state = read_kernel_state(socket_);
    if (!state.outcome.ok()) {
      fail(state.outcome);
      return std::nullopt;
    }
    return own_state(state.kernel);
  }

  NetlinkStats stats() const {
    return {requests_.load(std::memory_order_relaxed) + reader_requests_.load(std::memory_order_relaxed),
            errors_.load(std::memory_order_relaxed), timeouts_.load(std::memory_order_relaxed)};
  }

 private:
  struct StateRead {
    Outcome outcome;
    KernelState kernel;
  };

  // Rules and routes of both families, all tables. A dump the kernel flags as interrupted
  // (the state changed under it) may miss objects, so it is taken again.
  StateRead read_kernel_state(RtnlSocket& socket) {
    StateRead read;
    for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
      read = {};
      bool any_interrupted = false;
      for (const Family family : {Family::v4, Family::v6}) {
        bool interrupted = false;
        read.outcome = dump(
            socket, encode_rule_dump(family, socket.next_seq()),
            [&](auto part) {
              if (auto rule = decode_rule(part)) read.kernel.rules.push_back(std::move(*rule));
            },
            interrupted);
        if (!read.outcome.ok()) return read;
        any_interrupted |= interrupted;
        read.outcome = dump(
            socket, encode_route_dump(family, socket.next_seq()),
            [&](auto part) {
              if (auto route = decode_route(part)) read.kernel.routes.push_back(std::move(*route));
            },
            interrupted);
        if (!read.outcome.ok()) return read;
        any_interrupted |= interrupted;
      }
      if (!any_interrupted) {
        name_interfaces(read.kernel);
        return read;
      }
    }
    read.outcome = {EINTR, "the kernel's routing state kept changing during " +
                               std::to_string(kDumpAttempts) + " dumps"};
    return read;
  }

  // Interface names of our routes' output interfaces (what RouteSpec compares).
  static void name_interfaces(KernelState& kernel) {
    for (auto& route : kernel.routes) {
      if (route.protocol != routing::kRouteProtocol || route.oif == 0) continue;
      char name[IF_NAMESIZE] = {};
      if (::if_indextoname(route.oif, name) != nullptr) {
        route.interface = name;
      } else {
        route.interface = "#" + std::to_string(route.oif);  // gone meanwhile: never equal
      }
    }
  }

  // Returns an error text, empty on success.
  std::string write_route(const routing::RouteSpec& route, WriteMode mode) {
    std::uint32_t oif = 0;
    if (route.kind == routing::RouteSpec::Kind::unicast) {
      if (route.gateway && route.gateway->family() != route.family) {
        count_error();
        return "the gateway " + route.gateway->to_string() + " is not an " +
               describe(route.family) + " address";
      }
      if (route.interface.empty()) {
        if (!route.gateway) {
          count_error();
          return "a route needs an interface or a gateway";
        }
      } else {
        // Resolved now, not at configuration time: interfaces come and go (wwan, tunnels).
        oif = ::if_nametoindex(route.interface.c_str());
        if (oif == 0) {
          count_error();
          return "interface " + route.interface + " does not exist: " + errno_text(ENODEV);
        }
      }
    }
    const Outcome outcome = exchange(encode_new_route(route, oif, mode, socket_.next_seq()));
    return outcome.ok() ? std::string() : outcome.text();
  }

  Outcome exchange(const Bytes& request) {
    Outcome outcome = socket_.transact(request);
    requests_.store(socket_.requests(), std::memory_order_relaxed);
    if (!outcome.ok() && !absent(outcome)) fail(outcome);
    return outcome;
  }

  Outcome dump(RtnlSocket& socket, const Bytes& request,
               const std::function<void(std::span<const std::uint8_t>)>& on_part,
               bool& interrupted) {
    Outcome outcome = socket.dump(request, on_part, interrupted);
    (&socket == &reader_ ? reader_requests_ : requests_).store(socket.requests(), std::memory_order_relaxed);
    return outcome;
  }

  void fail(const Outcome& outcome) {
    count_error();
    if (outcome.error == ETIMEDOUT) timeouts_.fetch_add(1, std::memory_order_relaxed);
  }
  void count_error() { errors_.fetch_add(1, std::memory_order_relaxed); }

  RtnlSocket socket_;
  // read_kernel()'s own socket (another thread), one reader at a time.
  std::mutex reader_mutex_;
  RtnlSocket reader_;
  std::set<Slot> foreign_slots_;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> reader_requests_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> timeouts_{0};
};

NetlinkRouteActuator::NetlinkRouteActuator(NetlinkOptions options)
    : impl_(std::make_unique<Impl>(options)) {}
NetlinkRouteActuator::~NetlinkRouteActuator() = default;

routing::ReconcileReport NetlinkRouteActuator::reconcile(const routing::RoutingState& desired) {
  return impl_->reconcile(desired);
}

std::string NetlinkRouteActuator::set_class_route(std::uint32_t table, Family family,
                                                  const std::optional<routing::RouteSpec>& route) {
  return impl_->set_class_route(table, family, route);
}

std::unique_ptr<routing::KernelView> NetlinkRouteActuator::read_kernel() {
  return impl_->read_kernel();
}

routing::ReconcileReport NetlinkRouteActuator::reconcile(const routing::RoutingState& desired,
                                                         const routing::KernelView& view) {
  return impl_->reconcile(desired, view);
}

std::optional<routing::RoutingState> NetlinkRouteActuator::dump_own() {
  return impl_->dump_own();
}

NetlinkStats NetlinkRouteActuator::stats() const {
  return impl_->stats();
}

std::unique_ptr<NetlinkRouteActuator> make_netlink_actuator(NetlinkOptions options) {
  return std::make_unique<NetlinkRouteActuator>(options);
}

}  // namespace lifeline::netlink
