// Property test of PolicyEngine::decide: random gateways (links with capacities, risk groups
// and underlays; classes with random preference lists, rates and requirements) driven
// through random sequences of link failures, drains, quarantines and pins. Whatever happens,
// no class may sit on a link that fails its requirements, and no link may be promised more
// than its capacity.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "policies/policy_engine.hpp"
#include "sim/random.hpp"

namespace lifeline::policy {
namespace {

using links::Health;

struct World {
  config::Config config;
  PolicyModel model;
  std::vector<links::LinkStatus> status;
  std::vector<LinkInput> inputs;
  std::vector<std::optional<Pin>> pins;
};

std::size_t pick(sim::Random& rng, std::size_t n) {
  return static_cast<std::size_t>(rng.uniform() * static_cast<double>(n));
}
bool chance(sim::Random& rng, double p) {
  return rng.uniform() < p;
}

World make_world(sim::Random& rng) {
  World w;
  const std::size_t links = 1 + pick(rng, 12);
  const std::size_t classes = 1 + pick(rng, 30);
  for (std::size_t l = 0; l < links; ++l) {
    config::LinkConfig link;
    link.name = "l" + std::to_string(l);
    if (chance(rng, 0.6)) link.capacity = 1'000'000 * (1 + pick(rng, 50));
    for (const char* g : {"a", "b", "c"}) {
      if (chance(rng, 0.15)) link.risk_groups.push_back(g);
    }
    if (l > 0 && chance(rng, 0.2)) link.carried_over = "l" + std::to_string(pick(rng, l));
    if (chance(rng, 0.5)) link.sla.rtt = std::chrono::milliseconds(50 + pick(rng, 500));
    w.config.links.push_back(link);
  }
  for (std::size_t c = 0; c < classes; ++c) {
    config::ClassConfig cls;
    cls.name = "c" + std::to_string(c);
    cls.precedence = static_cast<config::Precedence>(pick(rng, 5));
    std::vector<std::size_t> order(links);
    std::iota(order.begin(), order.end(), 0);
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[pick(rng, i)]);
    order.resize(1 + pick(rng, links));
    for (auto l : order) cls.links.push_back(w.config.links[l].name);
    if (chance(rng, 0.7)) cls.rate = 500'000 * (1 + pick(rng, 40));
    if (chance(rng, 0.3)) cls.require.rtt = std::chrono::milliseconds(20 + pick(rng, 300));
    if (chance(rng, 0.2)) cls.require.trust = config::TrustRequirement::attested;
    cls.require.integrity = chance(rng, 0.3);
    cls.when_none = chance(rng, 0.5) ? config::WhenNone::blackhole : config::WhenNone::main;
    cls.failback = std::chrono::seconds(pick(rng, 60));
    cls.preempt = chance(rng, 0.8);
    w.config.classes.push_back(cls);
  }
  w.model = PolicyModel::compile(w.config);
  w.status.resize(links);
  w.inputs.resize(links);
  for (std::size_t l = 0; l < links; ++l) {
    w.status[l].meets.resize(w.model.watches[l].size());
    w.inputs[l].status = &w.status[l];
  }
  w.pins.resize(classes);
  return w;
}

void perturb(World& w, sim::Random& rng, TimePoint now) {
  for (std::size_t l = 0; l < w.status.size(); ++l) {
    auto& s = w.status[l];
    if (chance(rng, 0.3)) {
      const auto h = static_cast<Health>(pick(rng, 3));
      if (h == Health::down && s.health != Health::down) ++s.downs;
      s.health = h;
    }
    for (std::size_t i = 0; i < w.model.watches[l].size(); ++i) {
      if (chance(rng, 0.1)) s.meets.set(i, chance(rng, 0.7));
    }
    auto& admin = w.inputs[l].admin;
    if (chance(rng, 0.05)) admin.drained_until = now + std::chrono::seconds(pick(rng, 100));
    if (chance(rng, 0.05)) admin.quarantined_until = now + std::chrono::seconds(pick(rng, 100));
    if (chance(rng, 0.05)) w.inputs[l].trust = static_cast<links::Trust>(pick(rng, 3));
  }
  for (std::size_t c = 0; c < w.pins.size(); ++c) {
    if (chance(rng, 0.03)) {
      w.pins[c] = Pin{static_cast<std::uint16_t>(pick(rng, w.status.size())),
                      now + std::chrono::seconds(pick(rng, 60)), "p"};
    }
  }
}

bool underlay_usable(const World& w, std::uint16_t l, TimePoint now) {
  for (auto u = w.model.links[l].underlay; u != kNoLink; u = w.model.links[u].underlay) {
    if (w.status[u].health != Health::up) return false;
    const auto& d = w.inputs[u].admin.drained_until;
    if (d && *d > now) return false;
  }
  return true;
}

void check_invariants(const World& w, const Decision& d, TimePoint now, const std::string& where) {
  std::vector<BitRate> load(w.model.links.size(), 0);
  for (std::size_t c = 0; c < w.model.classes.size(); ++c) {
    const auto& cls = w.model.classes[c];
    const auto& cd = d.classes[c];
    SCOPED_TRACE(where + " class " + cls.name);
    ASSERT_NE(cd.target.kind, TargetKind::none);
    if (cd.target.kind != TargetKind::link) {
      // when_none only when nothing fits: every listed link was rejected.
      EXPECT_EQ(cd.target, cls.when_none == config::WhenNone::blackhole ? Target::blackhole()
                                                                        : Target::main());
      EXPECT_EQ(cd.rejections_count, cls.links.size());
      continue;
    }
    const auto l = cd.target.link;
    const auto pos = std::find(cls.links.begin(), cls.links.end(), l);
    ASSERT_NE(pos, cls.links.end()) << "not a listed link";
    const auto& s = w.status[l];
    const auto& in = w.inputs[l];
    EXPECT_NE(s.health, Health::down);
    EXPECT_TRUE(s.meets.test(cls.watch[static_cast<std::size_t>(pos - cls.links.begin())]))
        << "requirements";
    EXPECT_FALSE(in.admin.drained_until && *in.admin.drained_until > now) << "drained";
    EXPECT_FALSE(d.state.dampening[l].suppressed) << "suppressed";
    EXPECT_TRUE(underlay_usable(w, l, now)) << "underlay";
    if (cls.trust == config::TrustRequirement::attested) {
      EXPECT_EQ(in.trust, links::Trust::attested);
    }
    if (cls.integrity) {
      EXPECT_FALSE(in.admin.quarantined_until && *in.admin.quarantined_until > now);
    }
    load[l] += cls.rate.value_or(0);
  }
  for (std::size_t l = 0; l < w.model.links.size(); ++l) {
    if (w.model.links[l].capacity) {
      EXPECT_LE(load[l], *w.model.links[l].capacity) << where << " link " << l;
    }
    EXPECT_EQ(load[l], d.links[l].allocated);
  }
}

TEST(PolicyProperty, NeverAnUnfitLinkNeverOverCommitted) {
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    sim::Random rng(seed);
    World w = make_world(rng);
    PolicyEngine engine(w.model);
    PolicyState state = PolicyState::initial(w.model);
    TimePoint now{};
    for (int step = 0; step < 60; ++step) {
      perturb(w, rng, now);
      Decision d = engine.decide(w.inputs, w.pins, state, now);
      check_invariants(w, d, now, "seed " + std::to_string(seed) + " step " + std::to_string(step));
      if (::testing::Test::HasFatalFailure() || ::testing::Test::HasNonfatalFailure()) return;
      // Deterministic: the same inputs give the same answer.
      Decision again = engine.decide(w.inputs, w.pins, state, now);
      for (std::size_t c = 0; c < d.classes.size(); ++c)
        ASSERT_EQ(d.classes[c].target, again.classes[c].target);
      state = std::move(d.state);
      now += std::chrono::milliseconds(pick(rng, 20'000));
    }
  }
}

TEST(PolicyProperty, ALinkIsLeftInTheSameDecisionItBecomesUnfit) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    sim::Random rng(seed * 7919);
    World w = make_world(rng);
    PolicyEngine engine(w.model);
    PolicyState state = PolicyState::initial(w.model);
    TimePoint now{};
    for (auto& s : w.status) s.health = Health::up;
    Decision d = engine.decide(w.inputs, w.pins, state, now);
    // Kill every link a class uses, one decision later none of them is used.
    std::vector<bool> used(w.status.size(), false);
    for (const auto& cd : d.classes) {
      if (cd.target.kind == TargetKind::link) used[cd.target.link] = true;
    }
    for (std::size_t l = 0; l < used.size(); ++l) {
      if (used[l]) {
        w.status[l].health = Health::down;
        ++w.status[l].downs;
      }
    }
    now += 1ms;
    Decision after = engine.decide(w.inputs, w.pins, std::move(d.state), now);
    for (const auto& cd : after.classes) {
      if (cd.target.kind == TargetKind::link) {
        EXPECT_FALSE(used[cd.target.link]) << "seed " << seed;
      }
    }
  }
}

}  // namespace
}  // namespace lifeline::policy
