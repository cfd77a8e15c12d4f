// The daemon's event loop against fakes: probers that answer after an RTT unless their
// link is black-holed, a route actuator and a classifier that record what they are told.
// This tests the composition (event-driven failover, start-up adoption, reload) without
// root; the real effects are tested in network namespaces (tests/integration/).
#include "daemon_harness.hpp"

#include <set>

namespace lifeline::daemon {
namespace {

using namespace testing;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

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

// Moving N classes costs one walk of the conntrack table, not N (the kernel visits every hash
// bucket per walk: ~8.6 ms each with 262 144 buckets, which starved 40 ms detection).
TEST(Daemon, OneDecisionFlushesAllTheClassesItMovedWithOneWalk) {
  DaemonHarness h;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); }));
  h.net.blackhole_5g = true;
  ASSERT_TRUE(h.eventually([&] {
    std::lock_guard lock(h.classifier_->mutex);
    return !h.classifier_->flush_calls.empty();
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::lock_guard lock(h.classifier_->mutex);
  ASSERT_EQ(h.classifier_->flush_calls.size(), 1u);
  const auto& marks = h.classifier_->flush_calls[0];
  EXPECT_EQ(std::set<std::uint32_t>(marks.begin(), marks.end()),
            (std::set<std::uint32_t>{routing::class_mark(0), routing::class_mark(1)}));
}

// A failback leaves a link that works: the classes' flows are collected first (one walk for
// all of them) and deleted right before each class's route moves, so no packet of a NATed
// flow meets an entry for the old link. A failover deletes them after the switch.
TEST(Daemon, AFailbackDeletesTheFlowsBeforeTheRouteMoves) {
  DaemonHarness h;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); }));
  h.net.blackhole_5g = true;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0") && h.class_on(1, "sat0"); }));
  ASSERT_TRUE(h.eventually([&] {
    std::lock_guard lock(h.classifier_->mutex);
    return h.classifier_->flush_calls.size() == 1;  // the failover: after the switch
  }));
  h.net.blackhole_5g = false;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::lock_guard lock(h.classifier_->mutex);
  ASSERT_EQ(h.classifier_->collect_calls.size(), 1u) << "one walk for both classes failing back";
  EXPECT_EQ(std::set<std::uint32_t>(h.classifier_->collect_calls[0].begin(), h.classifier_->collect_calls[0].end()),
            (std::set<std::uint32_t>{routing::class_mark(0), routing::class_mark(1)}));
  // After the switch, the usual flush too: flows that began during the collection's walk
  // were not collected and still carry the old link's binding.
  EXPECT_EQ(h.classifier_->flush_calls.size(), 2u);
  ASSERT_EQ(h.classifier_->deleted_before_switch.size(), 2u);
  // Each class's flows went before its route: c2 (flash) first.
  const auto calls = h.actuator_->calls();
  for (std::size_t i = 0; i < 2; ++i) {
    const auto mark = h.classifier_->deleted_before_switch[i];
    const std::size_t slot = mark == routing::class_mark(0) ? 0 : 1;
    EXPECT_EQ(slot, i);
    std::optional<Clock::time_point> switched;
    for (const auto& c : calls) {
      if (c.table == routing::class_table(slot) && c.route && c.route->interface == "wwan0") switched = c.at;
    }
    ASSERT_TRUE(switched);
    EXPECT_LE(h.classifier_->deleted_at[i], *switched);
  }
}

// A failback waits for its flows to be collected; a move off a link that stopped working
// for the class does not wait for anything.
TEST(Daemon, AnUrgentMoveDoesNotWaitForAFailbacksCollection) {
  DaemonHarness h(kConfig, std::nullopt, {.faults = false, .journal = true, .events = false});
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); }));
  h.net.blackhole_5g = true;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0") && h.class_on(1, "sat0"); }));
  h.classifier_->collect_delay_ms = 1500;  // a very slow walk
  h.net.blackhole_5g = false;
  // The failback starts (min_stable 200 ms + failback 500 ms): its collection is under way,
  // the classes still on LEO.
  ASSERT_TRUE(h.eventually([&] { return h.classifier_->collecting.load(); }, std::chrono::seconds(3)));
  ASSERT_TRUE(h.class_on(0, "sat0"));
  // The link they are on stops working (drained): they must leave it now, not after the walk.
  const auto t0 = Clock::now();
  EXPECT_NE(h.control(R"({"version":1,"command":"drain","link":"leo","for":"1m","reason":"x"})").find("\"ok\":true"),
            std::string::npos);
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); },
                           std::chrono::milliseconds(400)))
      << "the classes waited for the failback's collection on a drained link";
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(400));
}

// The flush runs off the loop: while a slow one is in progress the daemon goes on probing,
// and the backup it just moved to stays up.
TEST(Daemon, ASlowConntrackFlushDoesNotStopTheProbes) {
  DaemonHarness h;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }));
  h.classifier_->flush_delay_ms = 400;
  h.net.blackhole_5g = true;
  ASSERT_TRUE(h.eventually([&] { return h.classifier_->flushing.load(); }));
  const auto sent = h.net.probes_sent.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(h.classifier_->flushing.load());
  // Two links at 200 probes/s each: about 40 in 100 ms (none if the loop were flushing).
  EXPECT_GT(h.net.probes_sent.load(), sent + 20);
  ASSERT_TRUE(h.eventually([&] { return !h.classifier_->flushing.load(); }));
  const auto s = h.snapshot();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->links[1].health, "up");
  EXPECT_TRUE(h.class_on(0, "sat0"));
}

// The route switch stays synchronous on the loop; when the kernel is slow to answer it, the
// loop stalls. A stall is never a failure: the links keep their state.
TEST(Daemon, AStalledLoopTakesNoLinkDown) {
  DaemonHarness h;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }));
  h.actuator_->switch_delay_ms = 100;  // two classes x two families: the loop stalls 400 ms
  h.net.blackhole_5g = true;
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0") && h.class_on(1, "sat0"); }));
  h.actuator_->switch_delay_ms = 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto s = h.snapshot();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->links[1].health, "up") << "LEO went down after the stall: " << s->links[1].reason;
  EXPECT_EQ(s->links[1].downs, 0u);
  EXPECT_TRUE(h.class_on(0, "sat0"));
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
