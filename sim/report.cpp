#include "sim/report.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace lifeline::sim {
namespace {

// Virtual times are printed to the microsecond: the simulator's resolution is finer, but
// nothing an operator reads needs more.
double seconds_us(Duration d) {
  return std::round(to_seconds(d) * 1e6) / 1e6;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string with_commas(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string render_text(const SimResult& r, const std::string& config_name,
                        const std::string& scenario_name, double wall_seconds) {
  std::string out;
  out += "lifeline-sim: " + config_name + " + " + scenario_name + ", " +
         format_duration(r.duration) + " of virtual time, seed " + std::to_string(r.seed) + "\n";
  out += "start: ";
  for (std::size_t i = 0; i < r.classes.size(); ++i) {
    out += (i ? ", " : "") + r.classes[i].name + " on " + r.classes[i].initial;
  }
  out += "\n\n";
  if (r.timeline.empty()) {
    out += "  (no link or class changed state)\n";
  } else {
    out += "        t  what   name        change                reason\n";
  }
  for (const auto& e : r.timeline) {
    std::string line = fixed(to_seconds(e.t), 3) + "s";
    if (line.size() < 10) line.insert(0, 10 - line.size(), ' ');
    line += "  " + pad(e.kind == TimelineEntry::Kind::link    ? "link"
                       : e.kind == TimelineEntry::Kind::klass ? "class"
                                                              : "find",
                       5);
    const bool finding = e.kind == TimelineEntry::Kind::finding;
    line += "  " + pad(e.name, 10) + "  " + pad(finding ? e.to + ": " + e.from : e.from + " -> " + e.to, 20) + "  " +
            e.reason;
    out += line + "\n";
  }
  out += "\nclasses\n";
  out += "  " + pad("name", 12) + pad("switches", 10) + "time on\n";
  const double total = to_seconds(r.duration);
  for (const auto& c : r.classes) {
    std::string on;
    for (const auto& [target, d] : c.time_on) {
      on += (on.empty() ? "" : ", ") + target + " " + fixed(to_seconds(d), 3) + "s (" +
            fixed(total > 0 ? 100 * to_seconds(d) / total : 0, 2) + "%)";
    }
    out += "  " + pad(c.name, 12) + pad(std::to_string(c.switches), 10) + on + "\n";
  }
  out += "\nlinks\n";
  out += "  " + pad("name", 12) + pad("downs", 8) + pad("up", 14) + pad("degraded", 14) +
         pad("down", 14) + "probes sent / lost\n";
  for (const auto& l : r.links) {
    out += "  " + pad(l.name, 12) + pad(std::to_string(l.downs), 8) +
           pad(fixed(to_seconds(l.time_up), 3) + "s", 14) +
           pad(fixed(to_seconds(l.time_degraded), 3) + "s", 14) +
           pad(fixed(to_seconds(l.time_down), 3) + "s", 14) + with_commas(l.probes_sent) + " / " +
           with_commas(l.probes_lost) + "\n";
  }
  const double rate = wall_seconds > 0 ? static_cast<double>(r.probes) / wall_seconds : 0;
  out += "\nsimulated " + with_commas(r.probes) + " probes and " + with_commas(r.decisions) +
         " decisions in " + fixed(wall_seconds, 3) + "s of wall time (" +
         with_commas(static_cast<std::uint64_t>(rate)) + " probes/s)\n";
  return out;
}

std::string render_json(const SimResult& r, double wall_seconds) {
  nlohmann::ordered_json timeline = nlohmann::ordered_json::array();
  for (const auto& e : r.timeline) {
    nlohmann::ordered_json entry;
    entry["t"] = seconds_us(e.t);
    if (e.kind == TimelineEntry::Kind::finding) {
      entry["kind"] = "finding";
      entry["link"] = e.name;
      entry["rule"] = e.from;
      entry["verdict"] = e.to;
      entry["evidence"] = e.reason;
      timeline.push_back(std::move(entry));
      continue;
    }
    const bool link = e.kind == TimelineEntry::Kind::link;
    entry["kind"] = link ? "link" : "class";
    entry[link ? "link" : "class"] = e.name;
    entry["from"] = e.from;
    entry["to"] = e.to;
    entry["reason"] = e.reason;
    timeline.push_back(std::move(entry));
  }
  nlohmann::ordered_json classes = nlohmann::ordered_json::object();
  for (const auto& c : r.classes) {
    nlohmann::ordered_json time_on = nlohmann::ordered_json::object();
    for (const auto& [target, d] : c.time_on) time_on[target] = seconds_us(d);
    classes[c.name] = {{"initial", c.initial}, {"switches", c.switches}, {"time_on", time_on}};
  }
  nlohmann::ordered_json links = nlohmann::ordered_json::object();
  for (const auto& l : r.links) {
    links[l.name] = {{"initial", l.initial},
                     {"downs", l.downs},
                     {"time_in",
                      {{"up", seconds_us(l.time_up)},
                       {"degraded", seconds_us(l.time_degraded)},
                       {"down", seconds_us(l.time_down)}}},
                     {"probes_sent", l.probes_sent},
                     {"probes_lost", l.probes_lost},
                     {"findings", l.findings},
                     {"quarantines", l.quarantines},
                     {"radio_readings", l.readings}};
  }
  nlohmann::ordered_json doc;
  doc["timeline"] = std::move(timeline);
  doc["summary"] = {{"duration", seconds_us(r.duration)},
                    {"seed", r.seed},
                    {"classes", std::move(classes)},
                    {"links", std::move(links)},
                    {"probes", r.probes},
                    {"decisions", r.decisions},
                    {"wall_seconds", std::round(wall_seconds * 1e3) / 1e3}};
  return doc.dump(2) + "\n";
}

}  // namespace lifeline::sim
