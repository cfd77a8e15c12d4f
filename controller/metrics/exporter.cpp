// The exposer (civetweb, its own threads) and the collector that asks the daemon for a fresh
// Snapshot at every scrape. Nothing here keeps daemon state between scrapes: only the count of
// scrapes that got no answer, which is the exporter's own fact.
//
// Shutdown: the Exposer is destroyed first (it joins its threads), then the collector. A
// scrape in flight at that moment may be waiting for the event loop; if the loop itself is
// destroying the Exporter, that wait ends with the SnapshotSource's own timeout.
//
// civetweb as Debian 12 builds it (1.15) has no IPv6 (mg_check_feature), so an IPv6
// metrics.listen is refused with that reason rather than civetweb's "problem binding to port".
#include "controller/metrics/exporter.hpp"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "controller/metrics/families.hpp"

#ifndef LIFELINE_VERSION
#define LIFELINE_VERSION "unknown"
#endif

namespace lifeline::metrics {
namespace {

std::string endpoint_text(const IpAddress& address, std::uint16_t port) {
  const std::string host = address.is_v4() ? address.to_string() : "[" + address.to_string() + "]";
  return host + ":" + std::to_string(port);
}

// civetweb only says "possible problem binding to port"; find the kernel's reason by trying
// the same bind ourselves, so the operator reads "address already in use" and not a guess.
std::string bind_failure_reason(const IpAddress& address, std::uint16_t port) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (address.is_v4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    std::memcpy(&sin.sin_addr, address.bytes().data(), 4);
    std::memcpy(&storage, &sin, sizeof sin);
    length = sizeof sin;
  } else {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    std::memcpy(&sin6.sin6_addr, address.bytes().data(), 16);
    std::memcpy(&storage, &sin6, sizeof sin6);
    length = sizeof sin6;
  }
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as civetweb does
  int error = 0;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&storage), length) != 0 ||
      ::listen(fd, 1) != 0) {
    error = errno;
  }
  ::close(fd);
  if (error == 0) return "the HTTP server could not listen there";
  std::string reason = std::strerror(error);
  if (!reason.empty()) {
    reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
  }
  return reason;
}

// civetweb's accept loop waits in poll() with a 2 s quantum before it sees the stop flag, so
// stopping the exposer after its first scrape takes 2 s. A connection wakes the loop at once:
// knock until the exposer is gone (lifelined's stop and restart stay fast).
void knock(const IpAddress& address, std::uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  std::memcpy(&sin.sin_addr, address.bytes().data(), 4);
  if (sin.sin_addr.s_addr == htonl(INADDR_ANY)) sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return;
  ::connect(fd, reinterpret_cast<const sockaddr*>(&sin), sizeof sin);  // in progress is enough
  ::close(fd);
}

class SnapshotCollector : public prometheus::Collectable {
 public:
  explicit SnapshotCollector(SnapshotSource source) : source_(std::move(source)) {}

  // Runs on the exposer's threads, possibly two at once: source_ must be thread-safe (the
  // daemon's is), and nothing may escape (an exception here would end the process).
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::optional<snapshot::Daemon> daemon;
    try {
      daemon = source_();
    } catch (const std::exception&) {
      daemon.reset();
    }
    if (!daemon) failures_.fetch_add(1, std::memory_order_relaxed);
    const ExporterFacts facts{LIFELINE_VERSION, failures_.load(std::memory_order_relaxed)};
    return build_families(daemon ? &*daemon : nullptr, std::chrono::system_clock::now(), facts);
  }

 private:
  SnapshotSource source_;
  mutable std::atomic<std::uint64_t> failures_{0};
};

}  // namespace

struct Exporter::Impl {
  std::shared_ptr<SnapshotCollector> collector;  // declared first: destroyed after the exposer
  std::unique_ptr<prometheus::Exposer> exposer;
  IpAddress address;
  std::uint16_t port = 0;
};

Exporter::Exporter(const config::MetricsConfig& config, SnapshotSource source)
    : impl_(std::make_unique<Impl>()) {
  const std::string endpoint = endpoint_text(config.address, config.port);
  constexpr unsigned kCivetwebIpv6 = 8;
  if (!config.address.is_v4() && mg_check_feature(kCivetwebIpv6) == 0) {
    throw std::runtime_error("metrics.listen " + endpoint +
                             ": this build's HTTP server (civetweb) has no IPv6 support; use "
                             "an IPv4 address, e.g. 127.0.0.1:" +
                             std::to_string(config.port));
  }
  impl_->address = config.address;
  impl_->collector = std::make_shared<SnapshotCollector>(std::move(source));
  try {
    impl_->exposer = std::make_unique<prometheus::Exposer>(endpoint, 2);
  } catch (const std::exception&) {
    // CivetException: the port is taken, or the address is not one of ours.
    throw std::runtime_error("metrics.listen " + endpoint + ": " +
                             bind_failure_reason(config.address, config.port));
  }
  impl_->exposer->RegisterCollectable(impl_->collector);
  const auto ports = impl_->exposer->GetListeningPorts();
  impl_->port = ports.empty() ? config.port : static_cast<std::uint16_t>(ports.front());
}

Exporter::~Exporter() {
  if (!impl_->exposer) return;
  std::atomic<bool> stopped{false};
  std::thread knocker;
  if (impl_->address.is_v4()) {
    try {
      knocker = std::thread([&] {
        while (!stopped.load()) {
          knock(impl_->address, impl_->port);
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      });
    } catch (const std::system_error&) {
      // No thread to spare: the stop just takes civetweb's 2 s.
    }
  }
  impl_->exposer.reset();
  stopped = true;
  if (knocker.joinable()) knocker.join();
}

std::uint16_t Exporter::port() const {
  return impl_->port;
}

}  // namespace lifeline::metrics
