// The daemon's event loop against fakes: probers that answer after an RTT unless their
// link is black-holed, a route actuator and a classifier that record what they are told.
// This tests the composition (event-driven failover, start-up adoption, reload) without
// root; the real effects are tested in network namespaces (tests/integration/).
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include "config/loader.hpp"
#include "controller/daemon.hpp"

namespace lifeline::daemon {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// ---- fakes -----------------------------------------------------------------------------

struct FakeNetwork {
  std::atomic<bool> blackhole_5g{false};
  std::atomic<int> probers_created{0};
  std::atomic<std::uint64_t> probes_sent{0};
};

class FakeProber : public probes::Prober {
 public:
  FakeProber(asio::io_context& io, probes::ProbeSpec spec, Handler handler, FakeNetwork& net)
      : io_(io), spec_(std::move(spec)), handler_(std::move(handler)), net_(net) {}
  ~FakeProber() override { *alive_ = false; }

  void send(std::uint64_t seq) override {
    ++stats_.sent;
    ++net_.probes_sent;
    if (spec_.interface == "wwan0" && net_.blackhole_5g) return;
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(2));
    std::weak_ptr<bool> alive = alive_;
    timer->async_wait([this, timer, seq, alive](const boost::system::error_code& ec) {
      if (ec || !alive.lock() || !*alive.lock()) return;
      handler_(probes::Received{seq, Clock::now(), probes::ReplyStatus::ok, 64});
    });
  }
  const probes::ProberStats& stats() const override { return stats_; }

 private:
  asio::io_context& io_;
  probes::ProbeSpec spec_;
  Handler handler_;
  FakeNetwork& net_;
  probes::ProberStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

struct RouteCall {
  Clock::time_point at;
  std::uint32_t table;
  Family family;
  std::optional<routing::RouteSpec> route;
};

class FakeActuator : public routing::RouteActuator {
 public:
  explicit FakeActuator(std::optional<routing::RoutingState> existing = std::nullopt)
      : existing_(std::move(existing)) {}
  routing::ReconcileReport reconcile(const routing::RoutingState& desired) override {
    std::lock_guard lock(mutex_);
    reconciles_.push_back(desired);
    return {};
  }
  std::string set_class_route(std::uint32_t table, Family family,
                              const std::optional<routing::RouteSpec>& route) override {
    std::lock_guard lock(mutex_);
    calls_.push_back({Clock::now(), table, family, route});
    return {};
  }
  std::optional<routing::RoutingState> dump_own() override { return existing_; }

  std::vector<RouteCall> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::vector<routing::RoutingState> reconciles() const {
    std::lock_guard lock(mutex_);
    return reconciles_;
  }

 private:
  mutable std::mutex mutex_;
  std::optional<routing::RoutingState> existing_;
  std::vector<RouteCall> calls_;
  std::vector<routing::RoutingState> reconciles_;
};

class FakeClassifier : public classify::Classifier {
 public:
  std::string apply(const config::Config&) override {
    ++applies;
    return {};
  }
  long flush_flows(std::uint32_t mark) override {
    std::lock_guard lock(mutex);
    flushed.push_back(mark);
    return 0;
  }
  std::atomic<int> applies{0};
  std::mutex mutex;
  std::vector<std::uint32_t> flushed;
};

// ---- harness ---------------------------------------------------------------------------

const char* kConfig = R"(node: test
links:
  - name: 5g
    interface: wwan0
    gateway: 198.18.1.2
    kind: cellular
    detect: { interval: 5ms, multiplier: 8, rise: 5, min_stable: 200ms }
    probes: [{ type: icmp, target: 198.19.0.1 }]
  - name: leo
    interface: sat0
    gateway: 198.18.2.2
    kind: satellite
    detect: { interval: 5ms, multiplier: 8, rise: 5, min_stable: 200ms }
    probes: [{ type: icmp, target: 198.19.0.2 }]
classes:
  - { name: c2, precedence: flash, match: { dscp: [ef] }, links: [5g, leo], when_none: blackhole, failback: 500ms }
  - { name: bulk, precedence: routine, match: { dscp: [cs1] }, links: [5g, leo], when_none: main, failback: 500ms }
)";

class DaemonHarness {
 public:
  explicit DaemonHarness(const std::string& yaml = kConfig,
                         std::optional<routing::RoutingState> existing = std::nullopt) {
    path_ = ::testing::TempDir() + "/lifeline-daemon-test-" + std::to_string(::getpid()) + ".yaml";
    write_config(yaml);
    auto loaded = config::load_config_file(path_);
    EXPECT_TRUE(loaded.ok());
    auto actuator = std::make_unique<FakeActuator>(std::move(existing));
    auto classifier = std::make_unique<FakeClassifier>();
    actuator_ = actuator.get();
    classifier_ = classifier.get();
    Effects effects;
    effects.routes = std::move(actuator);
    effects.classifier = std::move(classifier);
    effects.probers = [this](asio::io_context& io, const config::ProbeConfig&, probes::ProbeSpec spec,
                             probes::Prober::Handler handler) -> std::unique_ptr<probes::Prober> {
      ++net.probers_created;
      return std::make_unique<FakeProber>(io, std::move(spec), std::move(handler), net);
    };
    Options options;
    options.config_path = path_;
    options.reconcile_interval = std::chrono::milliseconds(200);
    daemon_ = std::make_unique<Daemon>(std::move(*loaded.config), std::move(effects), options);
    thread_ = std::thread([this] { exit_code_ = daemon_->run(); });
  }
  ~DaemonHarness() {
    daemon_->stop();
    thread_.join();
    std::remove(path_.c_str());
  }

  void write_config(const std::string& yaml) { std::ofstream(path_) << yaml; }
  void reload() { daemon_->reload(); }

  // Polls `predicate` until it holds or `budget` passes.
  template <typename F>
  bool eventually(F predicate, std::chrono::milliseconds budget = std::chrono::seconds(5)) {
    const auto deadline = Clock::now() + budget;
    while (Clock::now() < deadline) {
      if (predicate()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return predicate();
  }

  // The last route set for a class table and family, if any was set.
  std::optional<std::optional<routing::RouteSpec>> last_route(std::uint32_t table, Family family) const {
    std::optional<std::optional<routing::RouteSpec>> out;
    for (const auto& c : actuator_->calls()) {
      if (c.table == table && c.family == family) out = c.route;
    }
    return out;
  }
  bool class_on(std::size_t slot, const std::string& interface) const {
    const auto r = last_route(routing::class_table(slot), Family::v4);
    return r && *r && (*r)->kind == routing::RouteSpec::Kind::unicast && (*r)->interface == interface;
  }

  FakeNetwork net;
  FakeActuator* actuator_ = nullptr;
  FakeClassifier* classifier_ = nullptr;

 private:
  std::string path_;
  std::unique_ptr<Daemon> daemon_;
  std::thread thread_;
  int exit_code_ = -1;
};

// ---- tests -----------------------------------------------------------------------------

TEST(Daemon, SettlesThenPutsClassesOnTheirPreferredLink) {
  DaemonHarness h;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); }));
  // Start-up reconcile installed the rules of both classes, both families.
  const auto first = h.actuator_->reconciles().front();
  std::size_t fwmark_rules = 0;
  for (const auto& r : first.rules) fwmark_rules += r.fwmark ? 1 : 0;
  EXPECT_EQ(fwmark_rules, 4u);
  // c2 fails closed while the links are measured: a blackhole from the start.
  bool c2_blackholed = false;
  for (const auto& r : first.routes) {
    c2_blackholed |= r.table == routing::class_table(0) && r.kind == routing::RouteSpec::Kind::blackhole;
  }
  EXPECT_TRUE(c2_blackholed);
  EXPECT_GE(h.classifier_->applies.load(), 1);
}

TEST(Daemon, ABlackHoleMovesEveryClassInTheSameTurn) {
  DaemonHarness h;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); }));
  const auto calls_before = h.actuator_->calls().size();
  const auto t0 = Clock::now();
  h.net.blackhole_5g = true;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0") && h.class_on(1, "sat0"); }));
  const auto calls = h.actuator_->calls();
  // c2 (flash) is switched before bulk (routine), and both within a few ms of each other:
  // one decision, one turn of the loop.
  std::vector<RouteCall> moves(calls.begin() + static_cast<std::ptrdiff_t>(calls_before), calls.end());
  ASSERT_GE(moves.size(), 2u);
  EXPECT_EQ(moves[0].table, routing::class_table(0));
  EXPECT_GE(moves[0].at, t0);
  const auto spread = moves.back().at - moves.front().at;
  EXPECT_LT(spread, std::chrono::milliseconds(20));
  // Their NATed flows are flushed so they re-establish on the new link (right after the
  // routes, in the same turn).
  EXPECT_TRUE(h.eventually([&] {
    std::lock_guard lock(h.classifier_->mutex);
    return std::find(h.classifier_->flushed.begin(), h.classifier_->flushed.end(),
                     routing::class_mark(0)) != h.classifier_->flushed.end();
  }));
}

TEST(Daemon, FailsBackAfterTheHoldDown) {
  DaemonHarness h;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }));
  h.net.blackhole_5g = true;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  const auto restored = Clock::now();
  h.net.blackhole_5g = false;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }));
  // min_stable 200 ms, then failback 500 ms.
  EXPECT_GE(Clock::now() - restored, std::chrono::milliseconds(650));
}

TEST(Daemon, ABrokenReloadKeepsTheRunningConfigAndItsProbes) {
  DaemonHarness h;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }));
  const int probers = h.net.probers_created;
  h.write_config("node: test\nlinks: [\n");  // a syntax error
  h.reload();
  const auto sent = h.net.probes_sent.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_GT(h.net.probes_sent.load(), sent + 20);  // probes go on (2 links x 200/s)
  EXPECT_EQ(h.net.probers_created.load(), probers);
  // Still failing over with the old config.
  h.net.blackhole_5g = true;
  EXPECT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
}

TEST(Daemon, AReloadKeepsUnchangedLinksProbing) {
  DaemonHarness h;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); }));
  const int probers = h.net.probers_created;
  // A new class, and bulk changes its preference: links unchanged.
  std::string next = kConfig;
  next += "  - { name: voice, precedence: priority, match: { dscp: [af31] }, links: [leo, 5g], when_none: main }\n";
  next.replace(next.find("links: [5g, leo], when_none: main"), 33, "links: [leo, 5g], when_none: main");
  h.write_config(next);
  h.reload();
  ASSERT_TRUE(h.eventually([&] { return h.class_on(2, "sat0") && h.class_on(1, "sat0"); }));
  EXPECT_EQ(h.net.probers_created.load(), probers);  // no prober was rebuilt
  EXPECT_TRUE(h.class_on(0, "wwan0"));
}

TEST(Daemon, AdoptsTheRoutesOfAPreviousRunUntilLinksAreMeasured) {
  // A previous run left c2 on LEO. Until the links are measured it must stay there: a
  // restart causes no gap and no needless switch.
  routing::RoutingState existing;
  routing::RouteSpec leo;
  leo.table = routing::class_table(0);
  leo.family = Family::v4;
  leo.gateway = IpAddress::parse("198.18.2.2");
  leo.interface = "sat0";
  existing.routes.push_back(leo);
  DaemonHarness h(kConfig, existing);
  ASSERT_TRUE(h.eventually([&] { return !h.actuator_->reconciles().empty(); }));
  const auto first = h.actuator_->reconciles().front();
  EXPECT_NE(std::find(first.routes.begin(), first.routes.end(), leo), first.routes.end());
  // Once settled, the policy takes over (5G is preferred and up).
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }));
}

// The systemd notification protocol, against a socket of our own standing in for systemd.
class NotifySocket {
 public:
  NotifySocket() {
    path_ = ::testing::TempDir() + "/lifeline-notify-" + std::to_string(::getpid());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    ::unlink(path_.c_str());
    EXPECT_EQ(::bind(fd_, static_cast<sockaddr*>(static_cast<void*>(&addr)), sizeof addr), 0);
    timeval tv{0, 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    ::setenv("WATCHDOG_USEC", "100000", 1);  // 100 ms: pinged every 50 ms
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // Reads messages until one contains `text` or `budget` passes.
  bool wait_for(const std::string& text, std::chrono::milliseconds budget = std::chrono::seconds(5)) {
    const auto deadline = Clock::now() + budget;
    char buffer[512];
    while (Clock::now() < deadline) {
      const auto n = ::recv(fd_, buffer, sizeof buffer - 1, 0);
      if (n <= 0) continue;
      buffer[n] = 0;
      if (std::string(buffer).find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(Daemon, SpeaksTheSystemdNotifyProtocol) {
  NotifySocket systemd;
  auto h = std::make_unique<DaemonHarness>();
  EXPECT_TRUE(systemd.wait_for("READY=1"));
  EXPECT_TRUE(systemd.wait_for("WATCHDOG=1"));  // from the loop, at half the interval
  EXPECT_TRUE(systemd.wait_for("WATCHDOG=1"));
  h->reload();
  EXPECT_TRUE(systemd.wait_for("RELOADING=1"));
  EXPECT_TRUE(systemd.wait_for("READY=1"));
  h.reset();  // stops the daemon
  EXPECT_TRUE(systemd.wait_for("STOPPING=1"));
}

}  // namespace
}  // namespace lifeline::daemon
