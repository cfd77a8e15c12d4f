#include "controller/event_json.hpp"

#include "common/utc_time.hpp"
#include <nlohmann/json.hpp>
#include <set>

namespace lifeline::events {
namespace {

using json = nlohmann::ordered_json;

ops::Event make(const char* kind, const std::string& node, Time at, json body,
                std::string cls = {}, std::string link = {}) {
  json j = {{"kind", kind}, {"time", utc::format_millis(at)}, {"node", node}};
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
  if (until) body["until"] = utc::format_millis(*until);
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

ops::Event trust_change(const std::string& node, const std::string& link, const std::string& from,
                        const std::string& to, const std::string& reason, Time at) {
  return make("trust", node, at, {{"link", link}, {"from", from}, {"to", to}, {"reason", reason}}, {}, link);
}

ops::Event finding(const std::string& node, const std::string& link, const std::string& rule,
                   const std::string& verdict, const std::string& evidence,
                   const std::optional<Time>& quarantined_until, Time at) {
  json body = {{"link", link}, {"rule", rule}, {"verdict", verdict}, {"evidence", evidence}};
  body["quarantined_until"] = quarantined_until ? json(utc::format_millis(*quarantined_until)) : json(nullptr);
  return make("finding", node, at, std::move(body), {}, link);
}

ops::Event incident(const std::string& node, const std::string& direction, const std::string& report_json,
                    const std::vector<std::string>& links, Time at) {
  json body = {{"direction", direction}};
  auto report = json::parse(report_json, nullptr, false);
  body["report"] = report.is_discarded() ? json(nullptr) : std::move(report);
  body["links"] = links;
  return make("incident", node, at, std::move(body), {}, links.size() == 1 ? links[0] : std::string());
}

ops::Event daemon_step(const std::string& node, const std::string& step,
                       const std::string& version, Time at) {
  return make("daemon", node, at, {{"step", step}, {"version", version}});
}

std::vector<StandingOrder> standing_orders(const std::vector<std::string>& newest_first, Time now) {
  std::vector<StandingOrder> out;
  std::set<std::string> decided;  // "class:c2", "link:5g": a newer event already settled it
  for (const auto& text : newest_first) {
    const json e = json::parse(text, nullptr, false);
    if (e.is_discarded() || !e.is_object()) continue;
    auto field = [&](const json& j, const char* key) {
      const auto it = j.find(key);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (field(e, "kind") != "operator") continue;
    const std::string action = field(e, "action");
    std::string key;
    if (action == "pin" || action == "unpin") key = "class:" + field(e, "class");
    else if (action == "drain" || action == "undrain") key = "link:" + field(e, "link");
    else continue;
    if (!decided.insert(key).second) continue;
    if (action != "pin" && action != "drain") continue;
    const auto until = utc::parse(field(e, "until"));
    if (!until || *until <= now) continue;
    StandingOrder order;
    order.action = action;
    order.cls = field(e, "class");
    order.link = field(e, "link");
    order.until = *until;
    order.reason = field(e, "reason");
    if (const auto by = e.find("by"); by != e.end() && by->is_object()) {
      order.by.user = field(*by, "user");
      order.by.peer.transport = field(*by, "transport");
      order.by.peer.identity = field(*by, "identity");
    }
    if (order.link.empty() || (action == "pin" && order.cls.empty())) continue;
    out.push_back(std::move(order));
  }
  return out;
}

}  // namespace lifeline::events
