// Hot paths of the decision core: one probe through the estimator and the link monitor,
// PolicyEngine::decide for a large gateway (16 links x 256 classes), and the simulator's
// throughput in probes per second.
#include <benchmark/benchmark.h>

#include "config/loader.hpp"
#include "links/health_estimator.hpp"
#include "links/link_monitor.hpp"
#include "policies/policy_engine.hpp"
#include "sim/random.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"

namespace lifeline {
namespace {

void BM_HealthEstimatorReply(benchmark::State& state) {
  links::HealthEstimator h(2000);
  sim::Random rng(1);
  std::int64_t i = 0;
  for (auto _ : state) {
    if ((++i & 63) == 0) {
      h.on_loss();
    } else {
      h.on_reply(Duration(20'000'000 + (i & 1023) * 1000));
    }
    benchmark::DoNotOptimize(h.srtt());
  }
}
BENCHMARK(BM_HealthEstimatorReply);

config::Config gateway(std::size_t links, std::size_t classes) {
  config::Config c;
  c.node = "bench";
  for (std::size_t l = 0; l < links; ++l) {
    config::LinkConfig link;
    link.name = "l" + std::to_string(l);
    link.interface = "if" + std::to_string(l);
    link.detect = config::default_detect(config::LinkKind::cellular);
    link.capacity = 100'000'000;
    link.sla.rtt = 150ms;
    link.sla.loss = 0.05;
    link.risk_groups = {"g" + std::to_string(l % 4)};
    config::ProbeConfig probe;
    probe.target = *IpAddress::parse("198.19.0.1");
    link.probes = {probe, probe};
    c.links.push_back(link);
  }
  sim::Random rng(42);
  for (std::size_t k = 0; k < classes; ++k) {
    config::ClassConfig cls;
    cls.name = "c" + std::to_string(k);
    cls.precedence = static_cast<config::Precedence>(k % 5);
    // Each class prefers 4 links, starting at a different one.
    for (std::size_t j = 0; j < 4; ++j)
      cls.links.push_back("l" + std::to_string((k + j * 3) % links));
    cls.rate = 100'000 * (1 + k % 7);
    if (k % 3 == 0) cls.require.rtt = std::chrono::milliseconds(50 + 10 * (k % 20));
    cls.when_none = k % 2 ? config::WhenNone::main : config::WhenNone::blackhole;
    c.classes.push_back(cls);
  }
  return c;
}

// One probe through the link monitor: send, reply, state update (the per-probe hot path).
void BM_LinkMonitorProbe(benchmark::State& state) {
  const auto c = gateway(1, 1);
  auto link = c.links[0];
  link.probes.resize(static_cast<std::size_t>(state.range(0)));
  links::LinkMonitor m(link, {links::LinkMonitor::sla_thresholds(link.sla)}, TimePoint{});
  TimePoint now{};
  std::int64_t i = 0;
  for (auto _ : state) {
    for (std::size_t t = 0; t < link.probes.size(); ++t) {
      const auto seq = m.on_probe_sent(t, now);
      m.on_probe_reply(t, seq, now + Duration(20'000'000 + (++i & 1023) * 1000));
    }
    now += 5ms;
    if (m.next_deadline() <= now) m.on_timer(now);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LinkMonitorProbe)->Arg(1)->Arg(2);

struct DecideFixture {
  config::Config config;
  policy::PolicyModel model;
  std::vector<links::LinkStatus> status;
  std::vector<policy::LinkInput> inputs;
  DecideFixture(std::size_t links, std::size_t classes)
      : config(gateway(links, classes)), model(policy::PolicyModel::compile(config)) {
    status.resize(links);
    inputs.resize(links);
    for (std::size_t l = 0; l < links; ++l) {
      status[l].health = links::Health::up;
      status[l].meets.resize(model.watches[l].size());
      inputs[l].status = &status[l];
    }
  }
};

// decide() with every link up and the previous assignment unchanged (the reconcile case).
void BM_Decide(benchmark::State& state) {
  DecideFixture f(static_cast<std::size_t>(state.range(0)),
                  static_cast<std::size_t>(state.range(1)));
  policy::PolicyEngine engine(f.model);
  auto previous =
      engine.decide(f.inputs, {}, policy::PolicyState::initial(f.model), TimePoint{}).state;
  TimePoint now = TimePoint{} + 1s;
  for (auto _ : state) {
    auto d = engine.decide(f.inputs, {}, previous, now);
    benchmark::DoNotOptimize(d.classes.data());
  }
}
BENCHMARK(BM_Decide)->Args({16, 256})->Args({4, 8});

// decide() on the failover path: the link most classes prefer has just gone down.
void BM_DecideFailover(benchmark::State& state) {
  DecideFixture f(16, 256);
  policy::PolicyEngine engine(f.model);
  const auto before =
      engine.decide(f.inputs, {}, policy::PolicyState::initial(f.model), TimePoint{}).state;
  f.status[0].health = links::Health::down;
  f.status[0].downs = 1;
  f.status[3].health = links::Health::down;
  f.status[3].downs = 1;
  TimePoint now = TimePoint{} + 1s;
  for (auto _ : state) {
    auto d = engine.decide(f.inputs, {}, before, now);
    benchmark::DoNotOptimize(d.classes.data());
  }
}
BENCHMARK(BM_DecideFailover);

// Simulated probes per second: the shipped gateway through its 5G outage scenario.
void BM_SimulatorThroughput(benchmark::State& state) {
  const std::string src = LIFELINE_SOURCE_DIR;
  const auto config = config::load_config_file(src + "/config/examples/base-gateway.yaml");
  const auto scenario =
      sim::load_scenario_file(src + "/lab/scenarios/5g-outage.yaml", *config.config);
  std::uint64_t probes = 0;
  for (auto _ : state) {
    const auto r = sim::simulate(*config.config, *scenario.scenario);
    probes += r.probes;
  }
  state.counters["probes/s"] =
      benchmark::Counter(static_cast<double>(probes), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulatorThroughput)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lifeline
