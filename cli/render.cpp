#include "cli/render.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/utc_time.hpp"

namespace lifeline::cli {
namespace {

using json = nlohmann::ordered_json;

const json& field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

bool present(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  return true;
}

std::string text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "-";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump();
}
std::string text(const json& j, const char* key) {
  return text(field(j, key));
}

std::optional<double> number(const json& v) {
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

// "5m12s ago" / "in 29m"
std::string relative(SystemTime t, SystemTime now) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  if (t <= now) return human_duration(duration_cast<seconds>(now - t)) + " ago";
  return "in " + human_duration(duration_cast<seconds>(t - now));
}

std::string ago(const json& v, SystemTime now) {
  if (!v.is_string()) return "-";
  const auto t = utc::parse(v.get<std::string>());
  return t ? relative(*t, now) : v.get<std::string>();
}

// "2026-11-29 12:30:00Z (in 29m)"
std::string when(const json& v, SystemTime now) {
  if (!v.is_string()) return "-";
  const auto t = utc::parse(v.get<std::string>());
  return t ? utc::format_clock(*t) + " (" + relative(*t, now) + ")" : v.get<std::string>();
}

// The API's time with 'T' made a space, for logs: "2026-11-29 12:00:30.039Z".
std::string log_time(const json& v) {
  std::string s = text(v);
  if (s.size() > 10 && s[10] == 'T') s[10] = ' ';
  return s;
}

std::size_t display_width(const std::string& s) {
  // UTF-8: count the bytes that start a character.
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

class Table {
 public:
  // A header ending in '>' is right-aligned (numbers).
  explicit Table(std::vector<std::string> headers) {
    for (auto& h : headers) {
      const bool right = !h.empty() && h.back() == '>';
      if (right) h.pop_back();
      right_.push_back(right);
      headers_.push_back(std::move(h));
    }
  }
  void add(std::vector<std::string> row) {
    row.resize(headers_.size(), "");
    rows_.push_back(std::move(row));
  }
  std::string str(bool header = true) const {
    std::vector<std::size_t> width(headers_.size(), 0);
    auto measure = [&](const std::vector<std::string>& row) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        width[i] = std::max(width[i], display_width(row[i]));
      }
    };
    if (header) measure(headers_);
    for (const auto& r : rows_) measure(r);
    std::string out;
    auto line = [&](const std::vector<std::string>& row) {
      std::string l;
      for (std::size_t i = 0; i < row.size(); ++i) {
        const std::size_t pad = width[i] - display_width(row[i]);
        const bool last = i + 1 == row.size();
        if (right_[i]) l.append(pad, ' ');
        l += row[i];
        if (!right_[i] && !last) l.append(pad, ' ');
        if (!last) l += "  ";
      }
      while (!l.empty() && l.back() == ' ') l.pop_back();
      out += l + "\n";
    };
    if (header) line(headers_);
    for (const auto& r : rows_) line(r);
    return out;
  }
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

std::string milliseconds(const json& seconds) {
  const auto s = number(seconds);
  return s ? fixed(*s * 1000, 1) : "-";
}

// ---- links and classes -----------------------------------------------------------------------

std::string targets_text(const json& link) {
  const json& alive_v = field(link, "targets_alive");
  const json& total_v = field(link, "targets_total");
  const json& targets = field(link, "targets");
  std::optional<double> alive = number(alive_v);
  std::optional<double> total = number(total_v);
  if (!total && targets.is_number()) total = number(targets);
  if (targets.is_array()) {
    if (!total) total = static_cast<double>(targets.size());
    if (!alive) {
      alive = static_cast<double>(std::count_if(targets.begin(), targets.end(), [](const json& t) {
        return field(t, "alive").is_boolean() && field(t, "alive").get<bool>();
      }));
    }
  }
  if (!alive && !total) return "-";
  return (alive ? fixed(*alive, 0) : "-") + "/" + (total ? fixed(*total, 0) : "-");
}

std::string links_table(const json& links, SystemTime now) {
  Table t({"LINK", "HEALTH", "SINCE", "RTT ms>", "JITTER ms>", "LOSS %>", "TARGETS>", "REASON"});
  if (!links.is_array()) return "no links\n";
  for (const auto& l : links) {
    std::string health = text(l, "health");
    if (present(field(l, "drained"))) health += " drained";
    if (present(field(l, "quarantined"))) health += " quarantined";
    if (present(field(field(l, "dampening"), "suppressed"))) health += " suppressed";
    if (text(l, "trust") == "violating") health += " VIOLATING";
    const auto loss = number(field(l, "loss_ratio"));
    std::string reason = text(l, "reason");
    if (const auto& d = field(l, "drained"); d.is_object()) {
      reason = "drained until " + when(field(d, "until"), now) + " by " + text(d, "by") + ": " +
               text(d, "reason") + "; " + reason;
    }
    if (text(l, "trust") == "violating") reason = "trust: " + text(l, "trust_reason") + "; " + reason;
    if (const auto& q = field(l, "quarantined"); q.is_object()) {
      reason = "quarantined until " + when(field(q, "until"), now) + ": " + text(q, "reason") +
               "; " + reason;
    }
    t.add({text(l, "name"), health, ago(field(l, "since"), now),
           milliseconds(field(l, "rtt_seconds")), milliseconds(field(l, "jitter_seconds")),
           loss ? fixed(*loss * 100, 1) : "-", targets_text(l), reason});
  }
  return t.empty() ? "no links\n" : t.str();
}

std::string target_text(const json& c) {
  std::string target = text(c, "target");
  const std::string kind = text(c, "target_kind");
  if (kind == "none") target = "-";
  if (present(field(c, "pin")) || present(field(c, "pinned"))) target += " (pinned)";
  return target;
}

std::string classes_table(const json& classes, SystemTime now) {
  Table t({"CLASS", "PRECEDENCE", "TARGET", "WHY", "SINCE", "REASON"});
  if (!classes.is_array()) return "no classes\n";
  for (const auto& c : classes) {
    t.add({text(c, "name"), text(c, "precedence"), target_text(c), text(c, "why"),
           ago(field(c, "since"), now), text(c, "reason")});
  }
  return t.empty() ? "no classes\n" : t.str();
}

std::string drill_line(const json& d, SystemTime now) {
  if (!d.is_object()) return "no drill";
  std::string s = "drill " + text(d, "id") + ": " + text(d, "fault") + " on " + text(d, "link") +
                  ", " + text(d, "state");
  const std::string state = text(d, "state");
  if (state == "running") {
    s += ", ends " + when(field(d, "ends"), now);
  } else {
    s += ", started " + when(field(d, "started"), now);
  }
  if (const std::string why = text(d, "abort_reason");
      state == "aborted" && why != "-" && !why.empty()) {
    s += ": " + why;
  }
  return s;
}

// Per link that has any: its findings since the start, its radio feed's state, and the
// incident channel's counters. Nothing when there is nothing to say.
std::string integrity_lines(const json& daemon, const json& links) {
  std::string out;
  if (links.is_array()) {
    for (const auto& l : links) {
      std::string line;
      if (const json& fs = field(l, "findings"); fs.is_array() && !fs.empty()) {
        line += "findings";
        bool first = true;
        for (const auto& f : fs) {
          line += std::string(first ? " " : ", ") + text(f, "rule") + " (" + text(f, "verdict") + ") x" + text(f, "count");
          first = false;
        }
      }
      if (const json& radio = field(l, "radio"); radio.is_object()) {
        line += std::string(line.empty() ? "" : "; ") + "modem " + text(radio, "modem") + ": " +
                text(radio, "readings") + " readings";
        if (const json& bad = field(radio, "malformed"); bad.is_number() && bad.get<double>() > 0) {
          line += ", " + text(radio, "malformed") + " malformed";
        }
        const json& stale = field(radio, "stale");
        if (stale.is_boolean() && stale.get<bool>()) line += ", FEED STALE";
        if (const json& active = field(radio, "active"); active.is_array() && !active.empty()) {
          std::string rules;
          for (const auto& a : active) rules += (rules.empty() ? "" : ", ") + text(a);
          line += ", now: " + rules;
        }
      }
      if (!line.empty()) out += "integrity " + text(l, "name") + ": " + line + "\n";
    }
  }
  if (const json& i = field(daemon, "incidents"); i.is_object()) {
    out += "incidents: " + text(i, "accepted") + " accepted (" + text(i, "quarantines") + " quarantines), " +
           text(i, "duplicate") + " duplicate, " + text(i, "bad_signature") + " bad signature, " +
           text(i, "malformed") + " malformed, " + text(i, "expired") + " expired; " + text(i, "published") +
           " published, " + text(i, "publish_failed") + " failed, " + text(i, "rate_limited") + " held back\n";
  }
  return out;
}

// The event loop: how it is scheduled, how late it ran lately against the smallest detection
// time (a loop late by half of it delays failover noticeably; it never causes one), and what
// waits off it.
std::string loop_line(const json& daemon, const json& links) {
  const json& loop = field(daemon, "loop");
  if (!loop.is_object()) return {};
  std::optional<double> smallest;
  if (links.is_array()) {
    for (const auto& l : links) {
      if (const auto d = number(field(l, "detection_seconds")); d && *d > 0) smallest = smallest ? std::min(*smallest, *d) : *d;
    }
  }
  const auto timer = number(field(loop, "timer_lag_max_seconds"));
  const auto reply = number(field(loop, "reply_lag_max_seconds"));
  std::string out = "loop: " + text(loop, "scheduling") + "; late by at most " + milliseconds(field(loop, "timer_lag_max_seconds")) +
                    " ms (timers), " + milliseconds(field(loop, "reply_lag_max_seconds")) + " ms (replies) in the last minute";
  if (smallest) {
    out += ", smallest detection time " + fixed(*smallest * 1000, 0) + " ms";
    if (std::max(timer.value_or(0), reply.value_or(0)) > *smallest / 2) out += " (LAGGING: failover is late by as much)";
  }
  const auto queued = number(field(loop, "worker_queued")).value_or(0) + number(field(loop, "journal_queued")).value_or(0);
  if (queued > 0) out += "; " + fixed(queued, 0) + " jobs waiting off the loop";
  return out + "\n";
}

std::string status(const json& r, SystemTime now) {
  const json& d = field(r, "daemon");
  std::string out = "node " + text(d, "node") + ": lifelined " + text(d, "version");
  if (const auto up = number(field(d, "uptime_seconds"))) {
    out += ", up " + human_duration(std::chrono::seconds(static_cast<std::int64_t>(*up)));
  }
  const json& settled = field(d, "settled");
  if (settled.is_boolean() && !settled.get<bool>()) {
    out += ", settling (measuring the links; classes not moved yet)";
  }
  out += "; " + text(d, "decisions") + " decisions, " + text(d, "route_errors") + " route errors\n";

  const json& c = field(d, "config");
  out += "config " + text(c, "path") + ", loaded " + when(field(c, "loaded"), now) + "; reloads " +
         text(c, "reloads_ok") + " ok, " + text(c, "reloads_failed") + " refused";
  if (field(c, "last_reload").is_string()) {
    const json& ok = field(c, "last_reload_ok");
    out += "; the last " + ago(field(c, "last_reload"), now) +
           (ok.is_boolean() && !ok.get<bool>() ? " was REFUSED (the config loaded before runs on)"
                                               : " was ok");
  }
  out += "\n";
  const json& j = field(d, "journal");
  if (j.is_object()) {
    out += "journal " + text(j, "path") + ": " + text(j, "rows") + " events";
    const json& errors = field(j, "errors");
    if (errors.is_number() && errors.get<double>() > 0) {
      out += ", " + text(j, "errors") + " ERRORS (events not recorded: see the log)";
    }
    out += "\n";
  } else if (j.is_null() && d.contains("journal")) {
    out += "journal: NONE (it could not be opened: no history, pins and drains are not kept "
           "across a restart; see the log)\n";
  }
  out += loop_line(d, field(r, "links"));
  out += drill_line(field(d, "drill"), now) + "\n";
  out += integrity_lines(d, field(r, "links")) + "\n";
  out += links_table(field(r, "links"), now) + "\n";
  out += classes_table(field(r, "classes"), now);
  return out;
}

std::string explain(const json& c, SystemTime now) {
  std::string out;
  const json& lines = field(c, "explain");
  if (lines.is_array() && !lines.empty()) {
    bool first = true;
    for (const auto& l : lines) {
      out += (first ? "" : "  ") + text(l) + "\n";
      first = false;
    }
  } else {
    out += text(c, "name") + " -> " + target_text(c) + " (" + text(c, "why") +
           "): " + text(c, "reason") + "\n";
  }
  if (const json& links = field(c, "links"); links.is_array()) {
    std::string list;
    for (const auto& l : links) list += (list.empty() ? "" : ", ") + text(l);
    out += "preference: " + list + "; precedence " + text(c, "precedence") +
           "; when no link fits: " + text(c, "when_none") + "\n";
  }
  out += "on " + target_text(c) + " since " + when(field(c, "since"), now) + "\n";
  if (const json& pin = field(c, "pin"); pin.is_object()) {
    out += "pinned to " + text(pin, "link") + " until " + when(field(pin, "until"), now) + " by " +
           text(pin, "by") + ": " + text(pin, "reason") + "\n";
  }
  if (const json& hold = field(c, "hold_until"); hold.is_string()) {
    out += "a more preferred link may be taken back at " + when(hold, now) + "\n";
  }
  if (const json& switches = field(c, "switches"); switches.is_array() && !switches.empty()) {
    std::string list;
    for (const auto& s : switches) {
      list += (list.empty() ? "" : ", ") + text(s, "from") + " -> " + text(s, "to") + " (" +
              text(s, "reason") + ") x" + text(s, "count");
    }
    out += "switches since lifelined started: " + list + "\n";
  }
  if (const json& last = field(c, "last_switch"); last.is_string()) {
    out += "last switch " + when(last, now) + ", routes replaced in " +
           milliseconds(field(c, "last_switch_seconds")) + " ms\n";
  }
  return out;
}

// The four columns of an event: time, kind, subject, what.
std::array<std::string, 4> event_columns(const json& e) {
  const std::string kind = text(e, "kind");
  std::string subject = "-";
  std::string what;
  if (kind == "link") {
    subject = text(e, "link");
    what = text(e, "from") + " -> " + text(e, "to") + ": " + text(e, "reason");
  } else if (kind == "class") {
    subject = text(e, "class");
    what = text(e, "from") + " -> " + text(e, "to") + " (" + text(e, "why") +
           "): " + text(e, "reason");
    if (const auto s = number(field(e, "switch_seconds")); s && *s > 0) {
      what += " [routes replaced in " + fixed(*s * 1000, 2) + " ms]";
    }
  } else if (kind == "operator") {
    const bool has_class = field(e, "class").is_string();
    const bool has_link = field(e, "link").is_string();
    subject = has_class ? text(e, "class") : has_link ? text(e, "link") : "-";
    what = text(e, "action");
    if (has_class && has_link) what += " " + text(e, "link");
    if (field(e, "until").is_string()) what += " until " + log_time(field(e, "until"));
    const json& by = field(e, "by");
    if (by.is_object()) {
      std::string user = text(by, "user");
      what += " by " + (user.empty() || user == "-" ? std::string("?") : user) + " (" +
              text(by, "transport") + " " + text(by, "identity") + ")";
    }
    if (const std::string reason = text(e, "reason"); !reason.empty() && reason != "-") {
      what += ": " + reason;
    }
  } else if (kind == "reload") {
    subject = text(e, "node");
    const json& ok = field(e, "ok");
    if (ok.is_boolean() && ok.get<bool>()) {
      what = "reloaded: " + text(e, "links") + " links, " + text(e, "classes") + " classes";
    } else {
      const json& errors = field(e, "errors");
      what = "refused";
      if (errors.is_array() && !errors.empty()) {
        what += ": " + text(errors.front());
        if (errors.size() > 1) what += " (and " + std::to_string(errors.size() - 1) + " more)";
      }
    }
  } else if (kind == "drill") {
    subject = text(e, "link");
    what = text(e, "step") + " " + text(e, "id") + ": " + text(e, "fault");
  } else if (kind == "daemon") {
    subject = text(e, "node");
    what = text(e, "step") + " (lifelined " + text(e, "version") + ")";
  } else {
    what = e.dump();
  }
  return {log_time(field(e, "time")), kind, subject, what};
}

std::string history(const json& r) {
  const json& events = field(r, "events");
  if (!events.is_array() || events.empty()) return "no events\n";
  Table t({"TIME", "KIND", "SUBJECT", "WHAT"});
  // The API sends the newest first; people read a log oldest first, newest by the prompt.
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    auto c = event_columns(*it);
    t.add({c[0], c[1], c[2], c[3]});
  }
  return t.str();
}

// Any object, as indented "key: value" lines (drill reports, unknown results).
void tree(const json& v, const std::string& indent, std::string& out) {
  for (const auto& [key, value] : v.items()) {
    if (value.is_object()) {
      out += indent + key + ":\n";
      tree(value, indent + "  ", out);
    } else if (value.is_array() && !value.empty() && value.front().is_object()) {
      out += indent + key + ":\n";
      for (const auto& item : value) {
        out += indent + "  -\n";
        tree(item, indent + "    ", out);
      }
    } else {
      out += indent + key + ": " + (value.is_array() ? value.dump() : text(value)) + "\n";
    }
  }
}

}  // namespace

std::string human_duration(std::chrono::seconds d) {
  auto s = d.count();
  if (s < 0) s = 0;
  char buffer[64];
  if (s < 60) {
    std::snprintf(buffer, sizeof buffer, "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(buffer, sizeof buffer, "%lldd%02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  }
  return buffer;
}

std::string render_event_line(const std::string& event_json) {
  const json e = json::parse(event_json, nullptr, false);
  if (e.is_discarded() || !e.is_object()) return event_json;
  const auto c = event_columns(e);
  // Fixed widths, so that a stream of lines lines up without knowing what comes next.
  auto pad = [](std::string s, std::size_t width) {
    const std::size_t w = display_width(s);
    if (w < width) s.append(width - w, ' ');
    return s;
  };
  return pad(c[0], 24) + "  " + pad(c[1], 8) + "  " + pad(c[2], 10) + "  " + c[3];
}

std::string render_result(const std::string& command, const std::string& result_json,
                          SystemTime now, const std::string& subject) {
  const json r = json::parse(result_json, nullptr, false);
  if (r.is_discarded()) return result_json + "\n";
  if (command == "status") return status(r, now);
  if (command == "links") return links_table(field(r, "links"), now);
  if (command == "classes") return classes_table(field(r, "classes"), now);
  if (command == "explain") return explain(r, now);
  if (command == "history") return history(r);
  if (command == "pin") {
    return subject + " pinned to " + text(r, "link") + " until " + when(field(r, "until"), now) +
           ": " + text(r, "reason") + "\n";
  }
  if (command == "unpin") {
    const json& was = field(r, "was");
    if (!was.is_object()) return text(r, "class") + " was not pinned\n";
    return text(r, "class") + " unpinned (it was pinned to " + text(was, "link") + " until " +
           when(field(was, "until"), now) + " by " + text(was, "by") + ")\n";
  }
  if (command == "drain") {
    return text(r, "link") + " drained until " + when(field(r, "until"), now) + ": " +
           text(r, "reason") + "\n";
  }
  if (command == "undrain") {
    const json& was = field(r, "was_until");
    if (!was.is_string()) return text(r, "link") + " was not drained\n";
    return text(r, "link") + " undrained (the drain was to end " + when(was, now) + ")\n";
  }
  if (command == "reload") {
    return "reloaded: " + text(r, "links") + " links, " + text(r, "classes") + " classes\n";
  }
  if (command == "drill.start" || command == "drill.abort") return drill_line(r, now) + "\n";
  if (command == "drill.status") {
    const json& d = field(r, "drill");
    return d.is_object() ? drill_line(d, now) + "\n"
                         : std::string("no drill since lifelined started\n");
  }
  std::string out;  // drill.report and anything newer than this lifelinectl
  if (r.is_object()) {
    tree(r, "", out);
  } else {
    out = r.dump(2) + "\n";
  }
  return out;
}

}  // namespace lifeline::cli
