#include "controller/reload_plan.hpp"

namespace lifeline::daemon {
namespace {

template <typename T>
std::optional<std::size_t> by_name(const std::vector<T>& items, const std::string& name) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].name == name) return i;
  }
  return std::nullopt;
}

}  // namespace

bool same_probing(const config::LinkConfig& a, const config::LinkConfig& b) {
  return a.name == b.name && a.interface == b.interface && a.probes == b.probes && a.detect == b.detect &&
         a.sla.window == b.sla.window && a.quorum == b.quorum;
}

ReloadPlan plan_reload(const config::Config& running, const config::Config& next) {
  ReloadPlan plan;
  plan.links.resize(next.links.size());
  plan.link_to.resize(running.links.size());
  for (std::size_t l = 0; l < next.links.size(); ++l) {
    auto& p = plan.links[l];
    p.from = by_name(running.links, next.links[l].name);
    if (p.from) {
      const auto& was = running.links[*p.from];
      p.kept = same_probing(was, next.links[l]);
      p.new_radio = was.radio != next.links[l].radio;
      plan.link_to[*p.from] = l;
    } else {
      p.new_radio = true;
    }
  }
  plan.class_from.resize(next.classes.size());
  for (std::size_t c = 0; c < next.classes.size(); ++c) {
    plan.class_from[c] = by_name(running.classes, next.classes[c].name);
  }
  for (std::size_t o = 0; o < running.classes.size(); ++o) {
    const auto c = by_name(next.classes, running.classes[o].name);
    if (!c || *c != o) plan.moved_slots.push_back(o);
  }
  plan.incidents_changed = running.incidents != next.incidents;
  if (running.control != next.control) plan.need_restart.emplace_back("control");
  if (running.events != next.events) plan.need_restart.emplace_back("events");
  if (running.metrics != next.metrics) plan.need_restart.emplace_back("metrics");
  if (running.journal != next.journal) plan.need_restart.emplace_back("journal");
  if (running.scheduling != next.scheduling) plan.need_restart.emplace_back("scheduling");
  return plan;
}

}  // namespace lifeline::daemon
