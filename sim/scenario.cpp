#include "sim/scenario.hpp"

#include <algorithm>

#include "config/yaml_reader.hpp"

namespace lifeline::sim {

using config::indexed;
using config::member;
using config::YamlReader;

PathParams ParamChange::apply(PathParams p) const {
  if (rtt) p.rtt = *rtt;
  if (jitter) p.jitter = *jitter;
  if (loss) p.loss = *loss;
  return p;
}

void RadioChange::apply(RadioState& state) const {
  auto& r = state.reading;
  if (set.rat) r.rat = set.rat;
  if (set.plmn) r.plmn = set.plmn;
  if (set.tac) r.tac = set.tac;
  if (set.cell_id) r.cell_id = set.cell_id;
  if (set.pci) r.pci = set.pci;
  if (set.arfcn) r.arfcn = set.arfcn;
  if (set.rsrp) r.rsrp = set.rsrp;
  if (set.rsrq) r.rsrq = set.rsrq;
  if (set.snr) r.snr = set.snr;
  if (set.neighbours) r.neighbours = set.neighbours;
  if (set.registration) r.registration = set.registration;
  if (set.reject_cause) r.reject_cause = set.reject_cause;
  if (clear_reject) r.reject_cause.reset();
  if (set.cipher) r.cipher = set.cipher;
  if (rsrp_sigma) state.rsrp_sigma = *rsrp_sigma;
  if (silent) state.silent = *silent;
}

namespace {

constexpr Duration kMaxDuration = std::chrono::hours(24 * 31);

class ScenarioParser {
 public:
  ScenarioParser(YamlReader& reader, const config::Config& config) : r_(reader), config_(config) {}

  std::optional<Scenario> parse(const YAML::Node& root) {
    if (!root.IsDefined()) return std::nullopt;
    if (!r_.map(root, "", {"duration", "seed", "links", "events"})) return std::nullopt;
    scenario_.source = r_.file();
    if (r_.require(root, "duration", "")) {
      if (auto d = r_.duration(YamlReader::get(root, "duration"), "duration", 1ms, kMaxDuration)) {
        scenario_.duration = *d;
      }
    }
    if (auto s = YamlReader::get(root, "seed"); !YamlReader::is_null(s)) {
      if (auto v = r_.integer(s, "seed", 0, INT64_MAX))
        scenario_.seed = static_cast<std::uint64_t>(*v);
    }
    if (r_.require(root, "links", "")) parse_baseline(YamlReader::get(root, "links"));
    if (auto e = YamlReader::get(root, "events"); !YamlReader::is_null(e)) parse_events(e);
    if (r_.failed()) return std::nullopt;
    std::stable_sort(scenario_.events.begin(), scenario_.events.end(),
                     [](const auto& a, const auto& b) { return a.at < b.at; });
    return std::move(scenario_);
  }

 private:
  std::optional<std::size_t> link_ref(const YAML::Node& node, const std::string& path) {
    auto name = r_.string(node, path);
    if (!name) return std::nullopt;
    const int i = config_.link_index(*name);
    if (i >= 0) return static_cast<std::size_t>(i);
    std::vector<std::string_view> names;
    for (const auto& l : config_.links) names.push_back(l.name);
    std::string message = "the config (" + config_.source + ") has no link '" + *name + "'";
    if (auto guess = config::did_you_mean(*name, names); !guess.empty()) {
      message += "; did you mean '" + guess + "'?";
    } else {
      message += "; its links are " + config::one_of(names);
    }
    r_.error(node, path, std::move(message));
    return std::nullopt;
  }

  // rtt / jitter / loss; `all` requires rtt.
  ParamChange parse_params(const YAML::Node& n, const std::string& path, bool baseline) {
    ParamChange change;
    if (!(baseline ? r_.map(n, path, {"rtt", "jitter", "loss", "radio"}) : r_.map(n, path, {"rtt", "jitter", "loss"}))) {
      return change;
    }
    if (auto v = YamlReader::get(n, "rtt"); v.IsDefined()) {
      change.rtt = r_.duration(v, member(path, "rtt"), 0s, 60s);
    } else if (baseline) {
      r_.require(n, "rtt", path);
    }
    if (auto v = YamlReader::get(n, "jitter"); v.IsDefined()) {
      change.jitter = r_.duration(v, member(path, "jitter"), 0s, 60s);
    }
    if (auto v = YamlReader::get(n, "loss"); v.IsDefined()) {
      change.loss = r_.percent(v, member(path, "loss"));
    }
    if (!baseline && !change.rtt && !change.jitter && !change.loss && n.IsMap() && n.size() == 0) {
      r_.error(n, path, "needs at least one of rtt, jitter or loss");
    }
    return change;
  }

  // Telemetry fields (docs/integrity.md) plus rsrp_sigma and silent. Only for a link whose
  // config has `radio:`.
  std::optional<RadioChange> parse_radio(const YAML::Node& n, const std::string& path, std::size_t link) {
    if (!r_.map(n, path,
                {"rat", "plmn", "tac", "cell_id", "pci", "arfcn", "rsrp", "rsrq", "snr", "neighbours",
                 "registration", "reject_cause", "cipher", "rsrp_sigma", "silent"})) {
      return std::nullopt;
    }
    if (!config_.links[link].radio) {
      r_.error(n, path, "link '" + config_.links[link].name + "' has no radio in the config (" + config_.source +
                            "); add links[].radio to watch its modem");
      return std::nullopt;
    }
    RadioChange c;
    auto& x = c.set;
    auto get = [&](const char* key) { return YamlReader::get(n, key); };
    auto uint = [&](const char* key, std::int64_t max) -> std::optional<std::uint64_t> {
      if (auto v = get(key); !YamlReader::is_null(v)) {
        if (auto i = r_.integer(v, member(path, key), 0, max)) return static_cast<std::uint64_t>(*i);
      }
      return std::nullopt;
    };
    auto number = [&](const char* key, std::int64_t min, std::int64_t max) -> std::optional<double> {
      if (auto v = get(key); !YamlReader::is_null(v)) {
        double d = 0;
        if (!YAML::convert<double>::decode(v, d) || d < static_cast<double>(min) || d > static_cast<double>(max)) {
          r_.error(v, member(path, key), "must be a number from " + std::to_string(min) + " to " + std::to_string(max));
          return std::nullopt;
        }
        return d;
      }
      return std::nullopt;
    };
    if (auto v = get("rat"); !YamlReader::is_null(v)) {
      x.rat = r_.choice<config::Rat>(v, member(path, "rat"),
                                     {{"gsm", config::Rat::gsm}, {"umts", config::Rat::umts},
                                      {"lte", config::Rat::lte}, {"nr", config::Rat::nr}});
    }
    if (auto v = get("plmn"); !YamlReader::is_null(v)) x.plmn = r_.string(v, member(path, "plmn"));
    if (auto t = uint("tac", 0xFFFFFF)) x.tac = static_cast<std::uint32_t>(*t);
    x.cell_id = uint("cell_id", (std::int64_t{1} << 36) - 1);
    if (auto t = uint("pci", 1007)) x.pci = static_cast<std::uint32_t>(*t);
    if (auto t = uint("arfcn", 3279165)) x.arfcn = static_cast<std::uint32_t>(*t);
    x.rsrp = number("rsrp", -160, 0);
    x.rsrq = number("rsrq", -50, 30);
    x.snr = number("snr", -50, 60);
    if (auto t = uint("neighbours", 1024)) x.neighbours = static_cast<std::uint32_t>(*t);
    if (auto v = get("registration"); !YamlReader::is_null(v)) {
      x.registration = r_.choice<std::string>(v, member(path, "registration"),
                                              {{"home", "home"}, {"roaming", "roaming"}, {"searching", "searching"},
                                               {"denied", "denied"}, {"idle", "idle"}});
    }
    if (auto v = get("reject_cause"); v.IsDefined()) {
      if (v.IsNull()) {
        c.clear_reject = true;
      } else if (auto t = r_.integer(v, member(path, "reject_cause"), 0, 255)) {
        x.reject_cause = static_cast<std::uint32_t>(*t);
      }
    }
    if (auto v = get("cipher"); !YamlReader::is_null(v)) x.cipher = r_.string(v, member(path, "cipher"));
    c.rsrp_sigma = number("rsrp_sigma", 0, 30);
    if (auto v = get("silent"); !YamlReader::is_null(v)) c.silent = r_.boolean(v, member(path, "silent"));
    return c;
  }

  // A report's fields (docs/incidents.md) with `expires_in` instead of times.
  std::optional<ScenarioIncident> parse_incident_event(const YAML::Node& n, const std::string& path) {
    if (!r_.map(n, path, {"id", "reporter", "severity", "category", "affected", "indicators", "expires_in"})) {
      return std::nullopt;
    }
    const auto before = r_.error_count();
    ScenarioIncident in;
    auto& r = in.report;
    r.id = "sim-" + std::to_string(++incidents_);
    r.reporter = "scenario";
    r.severity = "high";
    r.category = "other";
    if (auto v = YamlReader::get(n, "id"); !YamlReader::is_null(v)) r.id = r_.string(v, member(path, "id")).value_or(r.id);
    if (auto v = YamlReader::get(n, "reporter"); !YamlReader::is_null(v)) {
      r.reporter = r_.string(v, member(path, "reporter")).value_or(r.reporter);
    }
    if (auto v = YamlReader::get(n, "severity"); !YamlReader::is_null(v)) {
      r.severity = r_.choice<std::string>(v, member(path, "severity"),
                                          {{"low", "low"}, {"medium", "medium"}, {"high", "high"}, {"critical", "critical"}})
                       .value_or(r.severity);
    }
    if (auto v = YamlReader::get(n, "category"); !YamlReader::is_null(v)) {
      r.category = r_.choice<std::string>(v, member(path, "category"),
                                          {{"rogue-base-station", "rogue-base-station"}, {"downgrade", "downgrade"},
                                           {"null-cipher", "null-cipher"}, {"vendor-compromise", "vendor-compromise"},
                                           {"probe-spoofing", "probe-spoofing"}, {"outage", "outage"}, {"other", "other"}})
                       .value_or(r.category);
    }
    auto strings = [&](const YAML::Node& parent, const char* key, const std::string& ppath, std::vector<std::string>& out) {
      const auto list = YamlReader::get(parent, key);
      if (YamlReader::is_null(list) || !r_.sequence(list, member(ppath, key))) return;
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (auto x = r_.string(list[i], indexed(member(ppath, key), i))) out.push_back(*x);
      }
    };
    const auto affected = YamlReader::get(n, "affected");
    const auto apath = member(path, "affected");
    if (r_.require(n, "affected", path) && r_.map(affected, apath, {"operators", "plmns", "cells", "vendors"})) {
      strings(affected, "operators", apath, r.operators);
      strings(affected, "plmns", apath, r.plmns);
      strings(affected, "vendors", apath, r.vendors);
      const auto cells = YamlReader::get(affected, "cells");
      if (!YamlReader::is_null(cells) && r_.sequence(cells, member(apath, "cells"))) {
        for (std::size_t i = 0; i < cells.size(); ++i) {
          const auto cpath = indexed(member(apath, "cells"), i);
          if (!r_.map(cells[i], cpath, {"tac", "cell_id"}) || !r_.require(cells[i], "tac", cpath) ||
              !r_.require(cells[i], "cell_id", cpath)) {
            continue;
          }
          auto tac = r_.integer(YamlReader::get(cells[i], "tac"), member(cpath, "tac"), 0, 0xFFFFFF);
          auto id = r_.integer(YamlReader::get(cells[i], "cell_id"), member(cpath, "cell_id"), 0,
                               (std::int64_t{1} << 36) - 1);
          if (tac && id) r.cells.push_back({static_cast<std::uint32_t>(*tac), static_cast<std::uint64_t>(*id)});
        }
      }
      if (r_.error_count() == before && r.operators.empty() && r.plmns.empty() && r.cells.empty() && r.vendors.empty()) {
        r_.error(affected, apath, "names nothing; give operators, plmns, cells or vendors");
      }
    }
    strings(n, "indicators", path, r.indicators);
    if (auto v = YamlReader::get(n, "expires_in"); !YamlReader::is_null(v)) {
      if (auto d = r_.duration(v, member(path, "expires_in"), 1s, std::chrono::hours(24 * 30))) in.expires_in = *d;
    }
    if (r_.error_count() != before) return std::nullopt;
    return in;
  }

  void parse_baseline(const YAML::Node& n) {
    if (!n.IsMap()) {
      r_.error(n, "links", "must be a map from link name to { rtt, jitter, loss }");
      return;
    }
    scenario_.baseline.resize(config_.links.size());
    scenario_.radio.resize(config_.links.size());
    std::vector<bool> seen(config_.links.size(), false);
    for (auto it = n.begin(); it != n.end(); ++it) {
      const auto index = link_ref(it->first, "links");
      if (!index) continue;
      const std::string path = member("links", config_.links[*index].name);
      if (seen[*index]) {
        r_.error(it->first, path, "is given twice; keep one");
        continue;
      }
      seen[*index] = true;
      scenario_.baseline[*index] = parse_params(it->second, path, true).apply({});
      if (auto radio = YamlReader::get(it->second, "radio"); it->second.IsMap() && !YamlReader::is_null(radio)) {
        if (auto change = parse_radio(radio, member(path, "radio"), *index)) {
          RadioState state;
          state.reading.modem = config_.links[*index].radio ? config_.links[*index].radio->modem : "";
          change->apply(state);
          scenario_.radio[*index] = state;
        }
      }
    }
    for (std::size_t i = 0; i < seen.size(); ++i) {
      if (!seen[i]) {
        r_.error(n, "links",
                 "has no baseline for link '" + config_.links[i].name +
                     "'; every configured link needs { rtt, jitter, loss }");
      }
    }
  }

  void parse_events(const YAML::Node& list) {
    if (!r_.sequence(list, "events")) return;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = indexed("events", i);
      const YAML::Node& e = list[i];
      if (!r_.map(e, path, {"at", "link", "set", "radio", "incident", "every", "until"})) continue;
      const auto before = r_.error_count();
      ScenarioEvent event;
      if (r_.require(e, "at", path)) {
        if (auto at = r_.duration(YamlReader::get(e, "at"), member(path, "at"), 0s, kMaxDuration)) {
          event.at = *at;
        }
      }
      const bool has_incident = !YamlReader::is_null(YamlReader::get(e, "incident"));
      if (has_incident) {
        event.incident = parse_incident_event(YamlReader::get(e, "incident"), member(path, "incident"));
        if (YamlReader::present(e, "link") || YamlReader::present(e, "set") || YamlReader::present(e, "radio")) {
          r_.error(e, path, "an incident names its links itself; give it alone (no link, set or radio)");
        }
      } else if (r_.require(e, "link", path)) {
        if (auto l = link_ref(YamlReader::get(e, "link"), member(path, "link"))) event.link = *l;
      }
      const bool has_set = !YamlReader::is_null(YamlReader::get(e, "set"));
      const bool has_radio = !YamlReader::is_null(YamlReader::get(e, "radio"));
      if (has_set) event.set = parse_params(YamlReader::get(e, "set"), member(path, "set"), false);
      if (has_radio && r_.error_count() == before) {
        event.radio = parse_radio(YamlReader::get(e, "radio"), member(path, "radio"), event.link);
        if (event.radio && !scenario_.radio[event.link]) {
          r_.error(YamlReader::get(e, "radio"), member(path, "radio"),
                   "link '" + config_.links[event.link].name +
                       "' has no radio baseline in this scenario (links." + config_.links[event.link].name +
                       ".radio); a radio event changes that baseline");
        }
      }
      if (!has_set && !has_radio && !has_incident) {
        r_.error(e, path, "needs 'set' (rtt, jitter, loss), 'radio' (telemetry fields) or 'incident' (a report)");
      }
      std::optional<Duration> every;
      Duration until = scenario_.duration;
      if (auto v = YamlReader::get(e, "every"); v.IsDefined()) {
        every = r_.duration(v, member(path, "every"), 1ms, kMaxDuration);
      }
      if (auto v = YamlReader::get(e, "until"); v.IsDefined()) {
        if (!every) r_.error(v, member(path, "until"), "only makes sense with 'every'");
        if (auto u = r_.duration(v, member(path, "until"), 0s, kMaxDuration)) until = *u;
      }
      if (r_.error_count() != before) continue;
      if (event.at > scenario_.duration) {
        r_.error(YamlReader::get(e, "at"), member(path, "at"),
                 format_duration(event.at) + " is after the end of the scenario (" +
                     format_duration(scenario_.duration) + ")");
        continue;
      }
      if (!every) {
        scenario_.events.push_back(event);
        continue;
      }
      for (Duration at = event.at; at <= until && at <= scenario_.duration; at += *every) {
        if (scenario_.events.size() >= kMaxExpandedEvents) {
          r_.error(e, path,
                   "repeats into more than " + std::to_string(kMaxExpandedEvents) +
                       " events; use a longer 'every'");
          return;
        }
        ScenarioEvent copy = event;
        copy.at = at;
        scenario_.events.push_back(copy);
      }
    }
  }

  YamlReader& r_;
  const config::Config& config_;
  Scenario scenario_;
  int incidents_ = 0;  // for the ids of incidents that give none
};

}  // namespace

ScenarioLoad load_scenario_text(std::string_view yaml, const std::string& name,
                                const config::Config& config) {
  YamlReader reader(name);
  const YAML::Node root = reader.parse(yaml);
  ScenarioParser parser(reader, config);
  ScenarioLoad result;
  result.scenario = parser.parse(root);
  result.errors = reader.take_diagnostics();
  if (!result.errors.empty()) result.scenario.reset();
  return result;
}

ScenarioLoad load_scenario_file(const std::string& path, const config::Config& config) {
  ScenarioLoad result;
  const auto text = config::read_text_file(path, result.errors);
  if (!text) return result;
  return load_scenario_text(*text, path, config);
}

}  // namespace lifeline::sim
