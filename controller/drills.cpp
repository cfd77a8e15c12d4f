#include "controller/drills.hpp"

#include <nlohmann/json.hpp>

#include "common/utc_time.hpp"
#include "controller/classify/nft_classifier.hpp"
#include "controller/daemon_api.hpp"

namespace lifeline::drills {

std::string render_clear() {
  // Creating the table first makes the delete succeed whether or not it existed.
  return "table inet lifeline_drill {}\ndelete table inet lifeline_drill\n";
}

std::string render_fault(const std::string& interface, int loss_percent) {
  const std::string match = loss_percent >= 100
                                ? std::string()
                                : "numgen random mod 100 < " + std::to_string(loss_percent) + " ";
  return render_clear() +
         "table inet lifeline_drill {\n"
         "\tcomment \"lifelined failover drill: removed when the drill ends\"\n"
         "\tchain ingress {\n"
         "\t\ttype filter hook prerouting priority -300; policy accept;\n"
         "\t\tiifname \"" + interface + "\" " + match + "counter drop\n"
         "\t}\n"
         "\tchain egress {\n"
         "\t\ttype filter hook postrouting priority 300; policy accept;\n"
         "\t\toifname \"" + interface + "\" " + match + "counter drop\n"
         "\t}\n"
         "}\n";
}

namespace {

class NftFaultInjector : public FaultInjector {
 public:
  std::string inject(const std::string& interface, int loss_percent) override {
    return classify::run_nft_transaction(render_fault(interface, loss_percent));
  }
  std::string clear() override { return classify::run_nft_transaction(render_clear()); }
};

std::string seconds(double s) {
  char buffer[32];
  if (s < 1) {
    std::snprintf(buffer, sizeof buffer, "%.1f ms", s * 1000);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.3f s", s);
  }
  return buffer;
}

void check(ClassResult& c, const char* what, const std::optional<double>& value,
           const std::optional<Duration>& target) {
  if (!target) return;
  const double limit = to_seconds(*target);
  if (!value) {
    c.failures.push_back(std::string(what) + ": not measured (target " + seconds(limit) + ")");
  } else if (*value > limit) {
    c.failures.push_back(std::string(what) + " " + seconds(*value) + " > target " + seconds(limit));
  }
}

}  // namespace

std::unique_ptr<FaultInjector> make_nft_fault_injector() { return std::make_unique<NftFaultInjector>(); }

void judge(Report& r) {
  r.passed = r.state == "completed";
  for (auto& c : r.classes) {
    c.failures.clear();
    if (c.to.empty()) c.failures.push_back("never left " + r.link);
    check(c, "detection", c.detection, r.targets.detection);
    check(c, "switchover", c.switchover, r.targets.switchover);
    check(c, "outage", c.outage, r.targets.outage);
    if (r.fault_ended && !c.failback) {
      c.failures.push_back("did not return to " + r.link);
    } else {
      check(c, "failback", c.failback, r.targets.failback);
    }
    c.passed = c.failures.empty();
    r.passed = r.passed && c.passed;
  }
}

std::string to_json(const Report& r) {
  using json = nlohmann::ordered_json;
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  auto target = [](const std::optional<Duration>& d) { return d ? json(to_seconds(*d)) : json(nullptr); };
  json classes = json::array();
  for (const auto& c : r.classes) {
    classes.push_back({{"class", c.cls},
                       {"from", c.from},
                       {"to", c.to.empty() ? json(nullptr) : json(c.to)},
                       {"detection_seconds", opt(c.detection)},
                       {"switch_seconds", opt(c.switchover)},
                       {"outage_seconds", opt(c.outage)},
                       {"failback_seconds", opt(c.failback)},
                       {"passed", c.passed},
                       {"failures", c.failures}});
  }
  json j = {{"id", r.id},
            {"link", r.link},
            {"fault", r.fault},
            {"state", r.state},
            {"abort_reason", r.abort_reason},
            {"started", utc::format_millis(r.started)},
            {"fault_ended", r.fault_ended ? json(utc::format_millis(*r.fault_ended)) : json(nullptr)},
            {"finished", utc::format_millis(r.finished)},
            {"planned_seconds", r.planned_seconds},
            {"link_detection_seconds", opt(r.link_detection)},
            {"targets",
             {{"detection_seconds", target(r.targets.detection)},
              {"switch_seconds", target(r.targets.switchover)},
              {"outage_seconds", target(r.targets.outage)},
              {"failback_seconds", target(r.targets.failback)}}},
            {"classes", classes},
            {"passed", r.passed}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace lifeline::drills
