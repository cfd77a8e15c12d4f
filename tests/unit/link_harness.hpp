// Drives a LinkMonitor in virtual time for tests: each target is probed every interval, a
// reply comes back after `rtt(target, sent)` unless `drop(target, sent)` says otherwise, and
// deadlines fire exactly when the monitor asks. Records every health transition.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "links/link_monitor.hpp"

namespace lifeline::testing {

// A whole config around one link body (YAML of a single `links:` entry without the dash).
inline config::Config config_with_link(const std::string& link_yaml) {
  std::string indented;
  std::size_t start = 0;
  while (start < link_yaml.size()) {
    const auto end = link_yaml.find('\n', start);
    const auto line =
        link_yaml.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty()) indented += "    " + line + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  indented[2] = '-';
  const std::string text =
      "node: test\nlinks:\n" + indented +
      "classes:\n  - name: c\n    precedence: routine\n    match: {dscp: [ef]}\n"
      "    links: [l]\n    when_none: main\n";
  auto loaded = config::load_config_text(text, "test.yaml");
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
    return {};
  }
  return *loaded.config;
}

struct Transition {
  TimePoint at;
  links::Health to;
  std::string reason;
};

class LinkHarness {
 public:
  explicit LinkHarness(const config::LinkConfig& link, std::vector<links::Thresholds> watches = {})
      : link_(link), monitor_(link, std::move(watches), TimePoint{}) {
    for (std::size_t i = 0; i < link.probes.size(); ++i)
      next_send_.push_back(TimePoint{} + link.detect.interval);
  }

  std::function<bool(std::size_t, TimePoint)> drop = [](std::size_t, TimePoint) { return false; };
  std::function<Duration(std::size_t, TimePoint)> rtt = [](std::size_t, TimePoint) {
    return Duration(20ms);
  };

  // The caller does nothing from `from` until `to` (a stalled event loop); see run_until.
  void stall(TimePoint from, TimePoint to) { stalls_.emplace_back(from, to); }

  void run_until(TimePoint end) {
    while (true) {
      TimePoint t = monitor_.next_deadline();
      int kind = 0;  // 0 deadline, 1 reply, 2 send
      std::size_t which = 0;
      if (!pending_.empty() && pending_.begin()->first < t) {
        t = pending_.begin()->first;
        kind = 1;
      }
      for (std::size_t i = 0; i < next_send_.size(); ++i) {
        if (next_send_[i] < t) {
          t = next_send_[i];
          kind = 2;
          which = i;
        }
      }
      if (t > end) break;
      // A stalled caller: nothing runs inside [stall.from, stall.to). Replies queue in the
      // socket with their arrival time and are read first; a detection deadline that fell
      // inside is judged at `to` (after those replies, as the daemon polls before judging);
      // sends due inside leave at `to` and the schedule carries on from there.
      const auto stall = std::find_if(stalls_.begin(), stalls_.end(),
                                      [&](const auto& s) { return t >= s.first && t < s.second; });
      if (stall != stalls_.end() && kind != 1) {
        if (!pending_.empty() && pending_.begin()->first < stall->second) {
          t = pending_.begin()->first;
          kind = 1;
        } else {
          t = stall->second;
          if (kind == 2) next_send_[which] = t;
        }
      }
      now_ = t;
      const auto generation = monitor_.generation();
      if (kind == 0) {
        monitor_.on_timer(t);
      } else if (kind == 1) {
        const auto [target, seq] = pending_.begin()->second;
        pending_.erase(pending_.begin());
        verdicts_.push_back(monitor_.on_probe_reply(target, seq, t));
      } else {
        const auto seq = monitor_.on_probe_sent(which, t);
        next_send_[which] += link_.detect.interval;
        if (!drop(which, t)) pending_.emplace(t + rtt(which, t), std::make_pair(which, seq));
      }
      if (monitor_.generation() != generation) {
        ++generation_changes_;
        const auto h = monitor_.status().health;
        if (transitions_.empty() ? h != links::Health::down : h != transitions_.back().to) {
          transitions_.push_back({t, h, monitor_.status().reason});
        }
      }
    }
    now_ = end;
  }

  links::LinkMonitor& monitor() { return monitor_; }
  const std::vector<Transition>& transitions() const { return transitions_; }
  const std::vector<links::ReplyVerdict>& verdicts() const { return verdicts_; }
  std::size_t generation_changes() const { return generation_changes_; }
  TimePoint now() const { return now_; }
  // Delivers a forged reply now.
  links::ReplyVerdict inject(std::size_t target, std::uint64_t seq) {
    return monitor_.on_probe_reply(target, seq, now_);
  }

 private:
  config::LinkConfig link_;
  links::LinkMonitor monitor_;
  std::vector<TimePoint> next_send_;
  std::multimap<TimePoint, std::pair<std::size_t, std::uint64_t>> pending_;
  std::vector<Transition> transitions_;
  std::vector<links::ReplyVerdict> verdicts_;
  std::size_t generation_changes_ = 0;
  TimePoint now_{};
  std::vector<std::pair<TimePoint, TimePoint>> stalls_;
};

inline TimePoint at(Duration d) {
  return TimePoint{} + d;
}

}  // namespace lifeline::testing
