#include "controller/event_json.hpp"

#include <nlohmann/json.hpp>

namespace lifeline::events {
namespace {

using json = nlohmann::ordered_json;

ops::Event make(const char* kind, const std::string& node, Time at, json body,
                std::string cls = {}, std::string link = {}) {
  json j = {{"kind", kind}, {"time", api::to_rfc3339(at)}, {"node", node}};
  for (auto& [k, v] : body.items()) j[k] = std::move(v);
  ops::Event e;
  e.kind = kind;
  e.at = at;
  e.class_name = std::move(cls);
  e.link_name = std::move(link);
  e.json = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return e;
}

}  // namespace

ops::Event link_change(const std::string& node, const std::string& link, const std::string& from,
                       const std::string& to, const std::string& reason, Time at) {
  return make("link", node, at, {{"link", link}, {"from", from}, {"to", to}, {"reason", reason}}, {},
              link);
}

ops::Event class_switch(const std::string& node, const std::string& cls, const std::string& from,
                        const std::string& to, const std::string& why, const std::string& reason,
                        double switch_seconds, Time at) {
  // The links on both sides: `history --link 5g` finds the switches away from and onto 5g.
  return make("class", node, at,
              {{"class", cls}, {"from", from}, {"to", to}, {"why", why}, {"reason", reason},
               {"switch_seconds", switch_seconds}},
              cls, from + "," + to);
}

ops::Event operator_action(const std::string& node, const std::string& action,
                           const std::string& cls, const std::string& link,
                           const std::optional<Time>& until, const std::string& reason,
                           const api::Actor& by, Time at) {
  json body = {{"action", action}};
  if (!cls.empty()) body["class"] = cls;
  if (!link.empty()) body["link"] = link;
  if (until) body["until"] = api::to_rfc3339(*until);
  body["reason"] = reason;
  body["by"] = {{"user", by.user}, {"transport", by.peer.transport}, {"identity", by.peer.identity}};
  return make("operator", node, at, std::move(body), cls, link);
}

ops::Event reload(const std::string& node, bool ok, const std::vector<std::string>& errors,
                  std::size_t links, std::size_t classes, Time at) {
  return make("reload", node, at,
              {{"ok", ok}, {"errors", errors}, {"links", links}, {"classes", classes}});
}

ops::Event drill_step(const std::string& node, const std::string& id, const std::string& step,
                      const std::string& link, const std::string& fault,
                      const std::string& report_json, Time at) {
  json body = {{"id", id}, {"step", step}, {"link", link}, {"fault", fault}};
  if (!report_json.empty()) {
    auto report = json::parse(report_json, nullptr, false);
    if (!report.is_discarded()) body["report"] = std::move(report);
  }
  return make("drill", node, at, std::move(body), {}, link);
}

ops::Event daemon_step(const std::string& node, const std::string& step,
                       const std::string& version, Time at) {
  return make("daemon", node, at, {{"step", step}, {"version", version}});
}

}  // namespace lifeline::events
