// JSON requests onto DaemonApi calls, and state objects back to JSON (docs/control-api.md).
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/utc_time.hpp"
#include "controller/daemon_api.hpp"

namespace lifeline::api {

using json = nlohmann::ordered_json;

std::string Fault::text() const {
  switch (kind) {
    case FaultKind::blackhole:
      return "blackhole";
    case FaultKind::loss:
      return "loss=" + std::to_string(loss_percent) + "%";
    case FaultKind::simulate:
      return "simulate";
  }
  return "?";
}

namespace {

constexpr int kVersion = 1;

json time_or_null(const std::optional<snapshot::SystemTime>& t) {
  return t ? json(utc::format_millis(*t)) : json(nullptr);
}

json pin_json(const snapshot::Pin& p) {
  return {{"link", p.link}, {"until", utc::format_millis(p.until)}, {"reason", p.reason}, {"by", p.by}};
}

json drill_json(const snapshot::Drill& d) {
  return {{"id", d.id},       {"link", d.link},
          {"fault", d.fault}, {"state", d.state},
          {"started", utc::format_millis(d.started)}, {"ends", utc::format_millis(d.ends)},
          {"abort_reason", d.abort_reason}};
}

json link_json(const snapshot::Link& l) {
  json targets = json::array();
  for (const auto& t : l.targets) {
    targets.push_back({{"name", t.name}, {"alive", t.alive}, {"sent", t.sent}, {"answered", t.answered}, {"lost", t.lost}});
  }
  json j = {{"name", l.name},
            {"interface", l.interface},
            {"kind", l.kind},
            {"health", l.health},
            {"since", utc::format_millis(l.since)},
            {"reason", l.reason},
            {"detection_seconds", l.detection_seconds},
            {"rtt_seconds", l.has_rtt ? json(l.rtt_seconds) : json(nullptr)},
            {"rttvar_seconds", l.has_rtt ? json(l.rttvar_seconds) : json(nullptr)},
            {"jitter_seconds", l.has_rtt ? json(l.jitter_seconds) : json(nullptr)},
            {"loss_ratio", l.loss_ratio},
            {"targets", targets},
            {"downs", l.downs},
            {"integrity",
             {{"bad_mac", l.bad_mac},
              {"unknown_key", l.unknown_key},
              {"wrong_session", l.wrong_session},
              {"malformed", l.malformed},
              {"duplicate", l.duplicate},
              {"late", l.late},
              {"unknown_seq", l.unknown_seq}}},
            {"drained", nullptr},
            {"quarantined", nullptr},
            {"trust", l.trust},
            {"trust_reason", l.trust_reason},
            {"findings",
             [&] {
               json out = json::array();
               for (const auto& fnd : l.findings) {
                 out.push_back({{"rule", fnd.rule}, {"verdict", fnd.verdict}, {"count", fnd.count}});
               }
               return out;
             }()},
            {"dampening", {{"suppressed", l.suppressed}, {"penalty", l.penalty}}}};
  if (l.drained_until) {
    j["drained"] = {{"until", utc::format_millis(*l.drained_until)}, {"reason", l.drain_reason}, {"by", l.drained_by}};
  }
  if (l.quarantined_until) {
    j["quarantined"] = {{"until", utc::format_millis(*l.quarantined_until)}, {"reason", l.quarantine_reason}};
  }
  if (l.radio) {
    const auto& r = *l.radio;
    j["radio"] = {{"modem", r.modem},
                  {"readings", r.readings},
                  {"malformed", r.malformed},
                  {"other_modem", r.other_modem},
                  {"stale", r.stale},
                  {"last_reading_at", r.last_reading ? json(utc::format_millis(*r.last_reading)) : json(nullptr)},
                  {"last", r.last.empty() ? json(nullptr) : json::parse(r.last, nullptr, false)},
                  {"active", r.active}};
  }
  return j;
}

json class_json(const snapshot::Class& c) {
  json switches = json::array();
  for (const auto& s : c.switches) {
    switches.push_back({{"from", s.from}, {"to", s.to}, {"reason", s.reason}, {"count", s.count}});
  }
  return {{"name", c.name},
          {"precedence", c.precedence},
          {"when_none", c.when_none},
          {"links", c.links},
          {"target", c.target.name},
          {"target_kind", c.target.kind},
          {"since", utc::format_millis(c.since)},
          {"why", c.why},
          {"reason", c.reason},
          {"explain", c.explain},
          {"pin", c.pin ? pin_json(*c.pin) : json(nullptr)},
          {"hold_until", time_or_null(c.hold_until)},
          {"switches", switches},
          {"last_switch", time_or_null(c.last_switch)},
          {"last_switch_seconds", c.last_switch ? json(c.last_switch_seconds) : json(nullptr)}};
}

json daemon_json(const snapshot::Daemon& d) {
  const double uptime =
      std::chrono::duration<double>(std::chrono::system_clock::now() - d.started).count();
  return {{"node", d.node},
          {"version", d.version},
          {"started", utc::format_millis(d.started)},
          {"uptime_seconds", uptime},
          {"config",
           {{"path", d.config_path},
            {"loaded", utc::format_millis(d.config_loaded)},
            {"reloads_ok", d.reloads_ok},
            {"reloads_failed", d.reloads_failed},
            {"last_reload", time_or_null(d.last_reload)},
            {"last_reload_ok", d.last_reload_ok}}},
          {"settled", d.settled},
          {"decisions", d.decisions},
          {"loop",
           {{"scheduling", d.loop.scheduling},
            {"timer_lag_max_seconds", d.loop.timer_lag_max_recent},
            {"reply_lag_max_seconds", d.loop.reply_lag_max_recent},
            {"timer_lag_max_5s_seconds", d.loop.timer_lag_max_5s},
            {"reply_lag_max_5s_seconds", d.loop.reply_lag_max_5s},
            {"timer_lag_max_since_start_seconds", d.loop.timer_lag_max},
            {"reply_lag_max_since_start_seconds", d.loop.reply_lag_max},
            {"worker_queued", d.loop.worker_queued},
            {"journal_queued", d.loop.journal_queued}}},
          {"route_errors", d.route_errors},
          {"journal", d.journal ? json{{"path", d.journal->path},
                                       {"rows", d.journal->rows},
                                       {"errors", d.journal->errors}}
                                : json(nullptr)},
          {"drill", d.drill ? drill_json(*d.drill) : json(nullptr)},
          {"incidents", d.incidents ? json{{"accepted", d.incidents->accepted},
                                           {"duplicate", d.incidents->duplicate},
                                           {"bad_signature", d.incidents->bad_signature},
                                           {"malformed", d.incidents->malformed},
                                           {"expired", d.incidents->expired},
                                           {"flooded", d.incidents->flooded},
                                           {"quarantines", d.incidents->quarantines},
                                           {"published", d.incidents->published},
                                           {"publish_failed", d.incidents->publish_failed},
                                           {"rate_limited", d.incidents->rate_limited}}
                                    : json(nullptr)}};
}

json reply_ok(json result) { return {{"version", kVersion}, {"ok", true}, {"result", std::move(result)}}; }

json reply_error(const std::string& code, const std::string& message) {
  return {{"version", kVersion}, {"ok", false}, {"error", {{"code", code}, {"message", message}}}};
}

// A request field: present and a string, or an error naming it.
struct Fields {
  const json& request;
  std::optional<Error> error;

  std::string text(const char* key, bool required = true) {
    if (error) return {};
    const auto it = request.find(key);
    if (it == request.end() || it->is_null()) {
      if (required) error = Error{"bad_request", std::string("'") + key + "' is required"};
      return {};
    }
    if (!it->is_string()) {
      error = Error{"bad_request", std::string("'") + key + "' must be a string"};
      return {};
    }
    return it->get<std::string>();
  }

  std::optional<Duration> duration(const char* key, bool required = true) {
    const auto value = text(key, required);
    if (error || value.empty()) return std::nullopt;
    auto parsed = parse_duration(value);
    if (!parsed.value) {
      error = Error{"invalid_argument", std::string(key) + ": " + parsed.error};
      return std::nullopt;
    }
    if (*parsed.value <= Duration::zero()) {
      error = Error{"invalid_argument", std::string(key) + ": must be more than 0s"};
      return std::nullopt;
    }
    return parsed.value;
  }
};

template <typename T, typename F>
json answer(Result<T>&& r, F&& to_json) {
  if (auto* e = std::get_if<Error>(&r)) return reply_error(e->code, e->message);
  return reply_ok(to_json(std::get<T>(std::move(r))));
}

std::optional<Fault> parse_fault(const std::string& text, std::string& error) {
  if (text == "blackhole") return Fault{FaultKind::blackhole, 100};
  if (text == "simulate") return Fault{FaultKind::simulate, 0};
  if (text.rfind("loss=", 0) == 0) {
    auto ratio = parse_percent(text.substr(5));
    if (ratio.value && *ratio.value > 0 && *ratio.value < 1) {
      return Fault{FaultKind::loss, static_cast<int>(*ratio.value * 100 + 0.5)};
    }
    error = "loss must be between 1% and 99% (loss=100% is a blackhole)";
    return std::nullopt;
  }
  error = "'" + text + "' is not a fault; use blackhole, loss=N% or simulate";
  return std::nullopt;
}

std::string to_text(const json& reply) {
  return reply.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Turns a later answer into its reply text with `to_json`, never throwing.
template <typename T, typename F>
Then<T> later(const std::function<void(json)>& reply, F to_json) {
  return [reply, to_json](Result<T> r) {
    json out;
    try {
      out = answer(std::move(r), to_json);
    } catch (const std::exception& e) {
      out = reply_error("failed", std::string("internal error: ") + e.what());
    }
    reply(std::move(out));
  };
}

// The reply of a command answered at once; nullopt for one that answers through `reply`.
std::optional<json> dispatch(DaemonApi& api, const json& req, const ops::Peer& peer,
                             const std::function<void(json)>& reply) {
  Fields f{req, std::nullopt};
  const auto command = f.text("command");
  Actor by{f.text("user", false), peer};
  if (f.error) return reply_error(f.error->code, f.error->message);

  if (command == "status") {
    const auto s = api.state();
    json links = json::array();
    for (const auto& l : s.links) {
      links.push_back({{"name", l.name}, {"health", l.health}, {"since", utc::format_millis(l.since)},
                       {"reason", l.reason},
                       {"detection_seconds", l.detection_seconds},
                       {"rtt_seconds", l.has_rtt ? json(l.rtt_seconds) : json(nullptr)},
                       {"jitter_seconds", l.has_rtt ? json(l.jitter_seconds) : json(nullptr)},
                       {"loss_ratio", l.loss_ratio},
                       {"targets_alive", l.targets_alive},
                       {"targets", l.targets.size()},
                       {"drained", l.drained_until.has_value()}});
    }
    json classes = json::array();
    for (const auto& c : s.classes) {
      classes.push_back({{"name", c.name}, {"precedence", c.precedence}, {"target", c.target.name},
                         {"target_kind", c.target.kind}, {"why", c.why}, {"since", utc::format_millis(c.since)},
                         {"reason", c.reason}, {"pinned", c.pin.has_value()}});
    }
    return reply_ok({{"daemon", daemon_json(s)}, {"links", links}, {"classes", classes}});
  }
  if (command == "links") {
    json links = json::array();
    for (const auto& l : api.state().links) links.push_back(link_json(l));
    return reply_ok({{"links", links}});
  }
  if (command == "classes") {
    json classes = json::array();
    for (const auto& c : api.state().classes) classes.push_back(class_json(c));
    return reply_ok({{"classes", classes}});
  }
  if (command == "explain") {
    const auto name = f.text("class");
    if (f.error) return reply_error(f.error->code, f.error->message);
    const auto s = api.state();
    std::string names;
    for (const auto& c : s.classes) {
      if (c.name == name) return reply_ok(class_json(c));
      names += (names.empty() ? "" : ", ") + c.name;
    }
    return reply_error("unknown_class", "no class '" + name + "'; the classes are " + names);
  }
  if (command == "history") {
    ops::HistoryQuery q;
    if (auto since = f.duration("since", false)) q.since = std::chrono::system_clock::now() - *since;
    q.class_name = f.text("class", false);
    q.link_name = f.text("link", false);
    q.kind = f.text("kind", false);
    if (const auto it = req.find("limit"); it != req.end() && !it->is_null()) {
      if (!it->is_number_integer() || it->get<long long>() < 1 || it->get<long long>() > 10000) {
        return reply_error("bad_request", "'limit' must be a whole number from 1 to 10000");
      }
      q.limit = static_cast<std::size_t>(it->get<long long>());
    } else {
      q.limit = 100;
    }
    if (f.error) return reply_error(f.error->code, f.error->message);
    api.history(q, later<std::vector<std::string>>(reply, [](std::vector<std::string> rows) {
                  json events = json::array();
                  for (const auto& row : rows) {
                    auto parsed = json::parse(row, nullptr, false);
                    events.push_back(parsed.is_discarded() ? json(row) : std::move(parsed));
                  }
                  return json{{"events", std::move(events)}};
                }));
    return std::nullopt;
  }
  if (command == "pin") {
    const auto cls = f.text("class");
    const auto link = f.text("link");
    const auto hold = f.duration("for");
    const auto reason = f.text("reason");
    if (f.error) return reply_error(f.error->code, f.error->message);
    if (reason.empty()) return reply_error("invalid_argument", "reason: say why (it is journaled)");
    return answer(api.pin(cls, link, *hold, reason, by), [](const snapshot::Pin& p) { return pin_json(p); });
  }
  if (command == "unpin") {
    const auto cls = f.text("class");
    const auto reason = f.text("reason", false);
    if (f.error) return reply_error(f.error->code, f.error->message);
    return answer(api.unpin(cls, reason, by), [&cls](const std::optional<snapshot::Pin>& was) {
      return json{{"class", cls}, {"was", was ? pin_json(*was) : json(nullptr)}};
    });
  }
  if (command == "drain") {
    const auto link = f.text("link");
    const auto hold = f.duration("for");
    const auto reason = f.text("reason");
    if (f.error) return reply_error(f.error->code, f.error->message);
    if (reason.empty()) return reply_error("invalid_argument", "reason: say why (it is journaled)");
    return answer(api.drain(link, *hold, reason, by), [](const DrainInfo& d) {
      return json{{"link", d.link}, {"until", utc::format_millis(d.until)}, {"reason", d.reason}, {"by", d.by}};
    });
  }
  if (command == "undrain") {
    const auto link = f.text("link");
    const auto reason = f.text("reason", false);
    if (f.error) return reply_error(f.error->code, f.error->message);
    return answer(api.undrain(link, reason, by), [&link](const std::optional<snapshot::SystemTime>& was) {
      return json{{"link", link}, {"was_until", time_or_null(was)}};
    });
  }
  if (command == "reload") {
    api.reload(by, later<ReloadInfo>(reply, [](const ReloadInfo& r) {
                 return json{{"reloaded", true}, {"links", r.links}, {"classes", r.classes}};
               }));
    return std::nullopt;
  }
  if (command == "drill.start") {
    const auto link = f.text("link");
    const auto fault_text = f.text("fault");
    const auto hold = f.duration("for");
    if (f.error) return reply_error(f.error->code, f.error->message);
    std::string error;
    const auto fault = parse_fault(fault_text, error);
    if (!fault) return reply_error("invalid_argument", "fault: " + error);
    api.drill_start(link, *fault, *hold, by,
                    later<snapshot::Drill>(reply, [](const snapshot::Drill& d) { return drill_json(d); }));
    return std::nullopt;
  }
  if (command == "drill.status") {
    const auto d = api.drill_status();
    return reply_ok({{"drill", d ? drill_json(*d) : json(nullptr)}});
  }
  if (command == "drill.abort") {
    const auto reason = f.text("reason", false);
    if (f.error) return reply_error(f.error->code, f.error->message);
    return answer(api.drill_abort(reason.empty() ? "aborted by operator" : reason, by),
                  [](const snapshot::Drill& d) { return drill_json(d); });
  }
  if (command == "drill.report") {
    const auto id = f.text("id", false);
    if (f.error) return reply_error(f.error->code, f.error->message);
    api.drill_report(id, later<std::string>(reply, [](const std::string& report) {
                       auto parsed = json::parse(report, nullptr, false);
                       return parsed.is_discarded() ? json{{"raw", report}} : parsed;
                     }));
    return std::nullopt;
  }
  return reply_error("unknown_command",
                     "'" + command + "' is not a command; use status, links, classes, explain, history, "
                     "pin, unpin, drain, undrain, reload, drill.start, drill.status, drill.abort or "
                     "drill.report");
}

// A DaemonApi that only knows a snapshot: what answer_from_snapshot() renders. The other
// calls are never made for the commands it is used for.
class SnapshotApi final : public DaemonApi {
 public:
  explicit SnapshotApi(const snapshot::Daemon& state) : state_(state) {}
  snapshot::Daemon state() override { return state_; }
  Result<snapshot::Pin> pin(const std::string&, const std::string&, Duration, const std::string&, const Actor&) override {
    return refused();
  }
  Result<std::optional<snapshot::Pin>> unpin(const std::string&, const std::string&, const Actor&) override {
    return refused();
  }
  Result<DrainInfo> drain(const std::string&, Duration, const std::string&, const Actor&) override { return refused(); }
  Result<std::optional<snapshot::SystemTime>> undrain(const std::string&, const std::string&, const Actor&) override {
    return refused();
  }
  void reload(const Actor&, Then<ReloadInfo> then) override { then(refused()); }
  void history(const ops::HistoryQuery&, Then<std::vector<std::string>> then) override { then(refused()); }
  void drill_start(const std::string&, const Fault&, Duration, const Actor&, Then<snapshot::Drill> then) override {
    then(refused());
  }
  std::optional<snapshot::Drill> drill_status() override { return state_.drill; }
  Result<snapshot::Drill> drill_abort(const std::string&, const Actor&) override { return refused(); }
  void drill_report(const std::string&, Then<std::string> then) override { then(refused()); }

 private:
  static Error refused() { return Error{"failed", "internal error: not a query"}; }
  const snapshot::Daemon& state_;
};

}  // namespace

bool is_query(const std::string& request) {
  const auto req = json::parse(request, nullptr, false);
  if (!req.is_object()) return false;
  const auto it = req.find("command");
  if (it == req.end() || !it->is_string()) return false;
  const auto& command = it->get_ref<const std::string&>();
  return command == "status" || command == "links" || command == "classes" || command == "explain" ||
         command == "drill.status";
}

std::string answer_from_snapshot(const snapshot::Daemon& state, const std::string& request, const ops::Peer& peer) {
  SnapshotApi api(state);
  std::string out;
  handle_request(api, request, peer, [&out](std::string text) { out = std::move(text); });
  return out;
}

void handle_request(DaemonApi& api, const std::string& request, const ops::Peer& peer,
                    std::function<void(std::string)> reply) {
  std::optional<json> now;
  try {
    const auto req = json::parse(request, nullptr, false);
    if (req.is_discarded()) {
      now = reply_error("bad_request", "the request is not JSON");
    } else if (!req.is_object()) {
      now = reply_error("bad_request", "the request must be a JSON object");
    } else if (!req.contains("version") || !req["version"].is_number_integer()) {
      now = reply_error("bad_request", "'version' is required (1)");
    } else if (req["version"].get<long long>() != kVersion) {
      now = reply_error("unsupported_version", "this daemon speaks version 1");
    } else {
      now = dispatch(api, req, peer, [reply](json later) { reply(to_text(later)); });
    }
  } catch (const std::exception& e) {
    // nlohmann throws on type errors inside dispatch; a request must never take the daemon down.
    now = reply_error("bad_request", e.what());
  }
  if (now) reply(to_text(*now));
}

}  // namespace lifeline::api
