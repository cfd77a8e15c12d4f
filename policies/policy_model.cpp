#include "policies/policy_model.hpp"

#include <algorithm>
#include <numeric>

namespace lifeline::policy {

links::Thresholds merge(const links::Thresholds& sla, const config::Requirements& require) {
  links::Thresholds t = sla;
  if (require.rtt) t.rtt = require.rtt;
  if (require.jitter) t.jitter = require.jitter;
  if (require.loss) t.loss = require.loss;
  return t;
}

PolicyModel PolicyModel::compile(const config::Config& config) {
  PolicyModel model;
  model.dampening = config.dampening;
  const auto link_count = config.links.size();
  for (const auto& l : config.links) {
    ModelLink link;
    link.name = l.name;
    link.capacity = l.capacity;
    link.risk_groups = l.risk_groups;
    if (l.carried_over)
      link.underlay = static_cast<std::uint16_t>(config.link_index(*l.carried_over));
    model.links.push_back(std::move(link));
    model.watches.push_back({links::Thresholds{l.sla.rtt, l.sla.jitter, l.sla.loss}});
  }
  for (std::size_t i = 0; i < link_count; ++i) {
    for (std::size_t j = 0; j < link_count; ++j) {
      if (i == j) continue;
      const auto& a = config.links[i].risk_groups;
      const auto& b = config.links[j].risk_groups;
      const bool shared = std::any_of(a.begin(), a.end(), [&b](const std::string& g) {
        return std::find(b.begin(), b.end(), g) != b.end();
      });
      if (shared) model.links[i].risk_peers.push_back(static_cast<std::uint16_t>(j));
    }
  }
  for (std::size_t c = 0; c < config.classes.size(); ++c) {
    const auto& cc = config.classes[c];
    ModelClass cls;
    cls.name = cc.name;
    cls.index = static_cast<std::uint16_t>(c);
    cls.precedence = cc.precedence;
    cls.rate = cc.rate;
    cls.when_none = cc.when_none;
    cls.failback = cc.failback;
    cls.preempt = cc.preempt;
    cls.trust = cc.require.trust;
    cls.integrity = cc.require.integrity;
    cls.fit_offset = model.fit_slots;
    for (const auto& name : cc.links) {
      const auto l = static_cast<std::uint16_t>(config.link_index(name));
      cls.links.push_back(l);
      const auto merged = merge(model.watches[l][0], cc.require);
      auto& watches = model.watches[l];
      auto it = std::find(watches.begin(), watches.end(), merged);
      if (it == watches.end()) it = watches.insert(watches.end(), merged);
      cls.watch.push_back(static_cast<std::uint32_t>(it - watches.begin()));
      cls.thresholds.push_back(merged);
    }
    model.fit_slots += static_cast<std::uint32_t>(cls.links.size());
    model.classes.push_back(std::move(cls));
  }
  model.order.resize(model.classes.size());
  std::iota(model.order.begin(), model.order.end(), 0);
  // Highest precedence first; file order among equals.
  std::stable_sort(model.order.begin(), model.order.end(), [&model](auto a, auto b) {
    return model.classes[a].precedence > model.classes[b].precedence;
  });
  return model;
}

int PolicyModel::link_index(std::string_view name) const {
  for (std::size_t i = 0; i < links.size(); ++i) {
    if (links[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int PolicyModel::class_index(std::string_view name) const {
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace lifeline::policy
