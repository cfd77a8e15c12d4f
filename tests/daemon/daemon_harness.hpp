// Fakes and a harness for the daemon's event loop: probers that answer after an RTT unless
// their link is black-holed, a route actuator and a classifier that record what they are
// told, an in-memory journal, an event recorder and a fault injector that black-holes the
// fake network. Shared by the daemon tests.
#pragma once

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

namespace lifeline::daemon::testing {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// ---- fakes -----------------------------------------------------------------------------

struct FakeNetwork {
  std::atomic<bool> blackhole_5g{false};
  // On 5G, beside each genuine reply: a forged one (a bad MAC), or the genuine one twice.
  std::atomic<bool> forge_5g{false};
  std::atomic<bool> forge_leo{false};  // the same on LEO
  std::atomic<bool> duplicate_5g{false};
  std::atomic<int> ttl_5g{64};  // the TTL 5G's replies arrive with
  std::atomic<int> rtt_ms_5g{2};  // how long 5G's replies take
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
    const bool on_5g = spec_.interface == "wwan0";
    const bool on_leo = spec_.interface == "sat0";
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(on_5g ? net_.rtt_ms_5g.load() : 2));
    std::weak_ptr<bool> alive = alive_;
    timer->async_wait([this, timer, seq, alive, on_5g, on_leo](const boost::system::error_code& ec) {
      if (ec || !alive.lock() || !*alive.lock()) return;
      if ((on_5g && net_.forge_5g) || (on_leo && net_.forge_leo)) {
        ++stats_.bad_mac;  // as a real prober counts what it hands over
        handler_(probes::Received{seq, Clock::now(), probes::ReplyStatus::bad_mac, 64});
      }
      handler_(probes::Received{seq, Clock::now(), probes::ReplyStatus::ok, on_5g ? net_.ttl_5g.load() : 64});
      if (on_5g && net_.duplicate_5g) handler_(probes::Received{seq, Clock::now(), probes::ReplyStatus::ok, 64});
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
    // A slow route switch stalls the loop: it is the one effect that stays synchronous.
    if (const int ms = switch_delay_ms; ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    std::lock_guard lock(mutex_);
    calls_.push_back({Clock::now(), table, family, route});
    return {};
  }
  std::unique_ptr<routing::KernelView> read_kernel() override {
    return std::make_unique<routing::KernelView>();
  }
  routing::ReconcileReport reconcile(const routing::RoutingState& desired, const routing::KernelView&) override {
    return reconcile(desired);
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
  std::atomic<int> switch_delay_ms{0};

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
  Flushed flush_flows(const std::vector<std::uint32_t>& marks) override {
    // A slow kernel walk (the real one takes ~10 ms per 262 144 buckets, more with entries).
    if (const int ms = flush_delay_ms; ms > 0) {
      flushing = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      flushing = false;
    }
    std::lock_guard lock(mutex);
    flushed.insert(flushed.end(), marks.begin(), marks.end());
    flush_calls.push_back(marks);
    return {0, 0, 1};
  }
  struct FakeCollected final : Collected {
    std::vector<std::uint32_t> marks;
    std::size_t count(std::uint32_t mark) const override {
      return static_cast<std::size_t>(std::count(marks.begin(), marks.end(), mark));
    }
  };
  std::shared_ptr<const Collected> collect_flows(const std::vector<std::uint32_t>& marks) override {
    collecting = true;
    if (const int ms = collect_delay_ms; ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    collecting = false;
    auto out = std::make_shared<FakeCollected>();
    out->marks = marks;
    out->walks = 1;
    std::lock_guard lock(mutex);
    collect_calls.push_back(marks);
    return out;
  }
  Flushed delete_flows(const Collected&, std::uint32_t mark, bool again) override {
    std::lock_guard lock(mutex);
    if (again) {
      deleted_again.push_back(mark);
      return {0, 0, 0};
    }
    deleted_before_switch.push_back(mark);
    deleted_at.push_back(Clock::now());
    return {0, 1, 0};
  }
  std::atomic<int> applies{0};
  std::atomic<int> flush_delay_ms{0};
  std::atomic<int> collect_delay_ms{0};
  std::atomic<bool> collecting{false};
  std::atomic<bool> flushing{false};
  std::mutex mutex;
  std::vector<std::uint32_t> flushed;
  std::vector<std::vector<std::uint32_t>> flush_calls;    // one per walk (after a switch)
  std::vector<std::vector<std::uint32_t>> collect_calls;  // one per walk (before a failback)
  std::vector<std::uint32_t> deleted_before_switch;       // marks, in the order deleted
  std::vector<Clock::time_point> deleted_at;
  std::vector<std::uint32_t> deleted_again;  // the second pass, after the switch
};

// Black-holes the fake 5G link, as the nftables fault would the real one.
class FakeFaults : public drills::FaultInjector {
 public:
  explicit FakeFaults(FakeNetwork& net) : net_(net) {}
  std::string inject(const std::string& interface, int loss_percent) override {
    // A slow nftables transaction (the daemon installs it on its worker).
    if (const int ms = inject_delay_ms; ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    if (interface == "wwan0" && loss_percent == 100) net_.blackhole_5g = true;
    ++injected;
    return {};
  }
  std::string clear() override {
    net_.blackhole_5g = false;
    ++cleared;
    return {};
  }
  std::atomic<int> injected{0};
  std::atomic<int> cleared{0};
  std::atomic<int> inject_delay_ms{0};

 private:
  FakeNetwork& net_;
};

// Records events (as the event stream would publish them).
class EventRecorder : public ops::EventSink {
 public:
  void publish(const ops::Event& e) override {
    std::lock_guard lock(mutex_);
    events_.push_back(e);
  }
  std::vector<ops::Event> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  bool has(const std::string& kind, const std::string& text) const {
    for (const auto& e : events()) {
      if (e.kind == kind && e.json.find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<ops::Event> events_;
};

// What the daemon owns in place of the event stream: forwards to a recorder the test keeps.
class ForwardingSink : public ops::EventSink {
 public:
  explicit ForwardingSink(std::shared_ptr<EventRecorder> to) : to_(std::move(to)) {}
  void publish(const ops::Event& e) override { to_->publish(e); }

 private:
  std::shared_ptr<EventRecorder> to_;
};

// An in-memory journal.
class MemoryJournal : public ops::JournalStore {
 public:
  void publish(const ops::Event& e) override {
    // A slow disk: the commit takes this long.
    if (const int ms = commit_delay_ms; ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    std::lock_guard lock(mutex_);
    rows_.push_back(e);
  }
  std::vector<std::string> history(const ops::HistoryQuery& q) const override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (auto it = rows_.rbegin(); it != rows_.rend() && out.size() < q.limit; ++it) {
      if (!q.kind.empty() && it->kind != q.kind) continue;
      if (!q.class_name.empty() && it->class_name != q.class_name) continue;
      out.push_back(it->json);
    }
    return out;
  }
  void store_drill_report(const std::string& id, std::chrono::system_clock::time_point,
                          const std::string& json) override {
    std::lock_guard lock(mutex_);
    reports_.emplace_back(id, json);
  }
  std::optional<std::string> drill_report(const std::string& id) const override {
    std::lock_guard lock(mutex_);
    for (auto it = reports_.rbegin(); it != reports_.rend(); ++it) {
      if (id.empty() || it->first == id) return it->second;
    }
    return std::nullopt;
  }
  std::size_t apply_retention(std::chrono::system_clock::time_point) override { return 0; }
  std::uint64_t rows() const override {
    std::lock_guard lock(mutex_);
    return rows_.size();
  }
  std::uint64_t errors() const override { return 0; }
  std::atomic<int> commit_delay_ms{0};

 private:
  mutable std::mutex mutex_;
  std::vector<ops::Event> rows_;
  std::vector<std::pair<std::string, std::string>> reports_;
};

// Feeds (radio telemetry, incidents) without sockets: the test sends a message to an
// endpoint and every live subscription to it gets it on the daemon's loop; what the daemon
// publishes is recorded.
class FakeFeeds {
 public:
  std::shared_ptr<void> subscribe(asio::io_context& io, const ops::FeedSpec& spec, ops::FeedHandler handler) {
    auto alive = std::make_shared<std::atomic<bool>>(true);
    std::lock_guard lock(mutex_);
    subs_.push_back({&io, std::move(handler), alive, spec.endpoint});
    struct Token {
      explicit Token(std::shared_ptr<std::atomic<bool>> a) : alive(std::move(a)) {}
      Token(const Token&) = delete;
      Token& operator=(const Token&) = delete;
      ~Token() { *alive = false; }
      std::shared_ptr<std::atomic<bool>> alive;
    };
    return std::make_shared<Token>(alive);
  }
  std::pair<std::shared_ptr<void>, ops::FeedSend> publish(asio::io_context&, const ops::FeedSpec& spec) {
    ops::FeedSend send = [this, endpoint = spec.endpoint](const std::vector<std::string>& frames) {
      std::lock_guard lock(mutex_);
      published_.emplace_back(endpoint, frames);
      return true;
    };
    return {std::make_shared<int>(0), send};
  }
  // Delivers one message to every live subscriber of `endpoint`; how many there were.
  int send(const std::string& endpoint, const std::vector<std::string>& frames) {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& sub : subs_) {
      if (sub.endpoint != endpoint || !*sub.alive) continue;
      ++n;
      asio::post(*sub.io, [handler = sub.handler, alive = sub.alive, frames] {
        if (*alive) handler(frames, frames.size());
      });
    }
    return n;
  }
  std::vector<std::pair<std::string, std::vector<std::string>>> published() const {
    std::lock_guard lock(mutex_);
    return published_;
  }

 private:
  struct Sub {
    asio::io_context* io;
    ops::FeedHandler handler;
    std::shared_ptr<std::atomic<bool>> alive;
    std::string endpoint;
  };
  mutable std::mutex mutex_;
  std::vector<Sub> subs_;
  std::vector<std::pair<std::string, std::vector<std::string>>> published_;
};

// ---- harness ---------------------------------------------------------------------------

// What else the daemon gets besides the fake network, routes and classifier.
struct HarnessExtras {
  bool faults = false;   // a fault injector that black-holes the fake 5G link
  bool journal = false;  // an in-memory journal
  bool events = false;   // an event recorder as the event stream
  int rtt_ms_5g = 2;     // 5G's round trip from the first probe on (set before the daemon starts)
};

inline constexpr const char* kConfig = R"(node: test
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
  using Extras = HarnessExtras;

  explicit DaemonHarness(const std::string& yaml = kConfig,
                         std::optional<routing::RoutingState> existing = std::nullopt,
                         Extras extras = {}) {
    net.rtt_ms_5g = extras.rtt_ms_5g;
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
    if (extras.faults) {
      auto faults = std::make_unique<FakeFaults>(net);
      faults_ = faults.get();
      effects.faults = std::move(faults);
    }
    if (extras.journal) {
      auto journal = std::make_unique<MemoryJournal>();
      journal_ = journal.get();
      effects.journal = std::move(journal);
    }
    if (extras.events) {
      events_ = std::make_shared<EventRecorder>();
      effects.event_stream = [recorder = events_](asio::io_context&) -> std::unique_ptr<ops::EventSink> {
        return std::make_unique<ForwardingSink>(recorder);
      };
    }
    effects.subscribe = [this](asio::io_context& io, const ops::FeedSpec& spec, ops::FeedHandler handler) {
      return feeds.subscribe(io, spec, std::move(handler));
    };
    effects.publish = [this](asio::io_context& io, const ops::FeedSpec& spec) { return feeds.publish(io, spec); };
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
  // One control request as the control socket would pass it; returns the reply text.
  std::string control(const std::string& request) {
    return daemon_->control(request, ops::Peer{"ipc", "uid 0"});
  }
  std::optional<snapshot::Daemon> snapshot() { return daemon_->snapshot(std::chrono::seconds(2)); }

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
  FakeFeeds feeds;
  FakeActuator* actuator_ = nullptr;
  FakeClassifier* classifier_ = nullptr;
  FakeFaults* faults_ = nullptr;
  MemoryJournal* journal_ = nullptr;
  std::shared_ptr<EventRecorder> events_;

 private:
  std::string path_;
  std::unique_ptr<Daemon> daemon_;
  std::thread thread_;
  int exit_code_ = -1;
};

}  // namespace lifeline::daemon::testing
