// The Prometheus metrics as a monitoring engineer meets them: every family of docs/metrics.md
// with the values the snapshot says (one-hot states, per-target counters, cumulative
// histogram buckets), only honest metrics when the daemon does not answer, names that follow
// the conventions, the alert rules and the dashboard using only metrics that exist, and the
// real HTTP endpoint: on 127.0.0.1 port 0, scraped over a socket, clean under
// `promtool check metrics`, with a clear error when the port is taken.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/check_names.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "controller/metrics/exporter.hpp"
#include "controller/metrics/families.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/metrics_snapshot.hpp"

namespace lifeline::metrics {
namespace {

using namespace std::chrono_literals;
using prometheus::MetricFamily;
using prometheus::MetricType;
using LabelMap = std::map<std::string, std::string>;

const snapshot::SystemTime kNow = snapshot::SystemTime{} + std::chrono::seconds(1'700'000'000);

double epoch_seconds(snapshot::SystemTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::vector<MetricFamily> families_of(const snapshot::Daemon& d, std::uint64_t failures = 0) {
  return build_families(&d, kNow, ExporterFacts{"0.1.0-test", failures});
}

const MetricFamily* find_family(const std::vector<MetricFamily>& fams, const std::string& name) {
  for (const auto& f : fams) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

LabelMap labels_of(const prometheus::ClientMetric& m) {
  LabelMap out;
  for (const auto& l : m.label) out[l.name] = l.value;
  return out;
}

// The sample of family `name` whose labels are exactly `labels`.
const prometheus::ClientMetric* find_sample(const std::vector<MetricFamily>& fams,
                                            const std::string& name, const LabelMap& labels) {
  const auto* f = find_family(fams, name);
  if (!f) return nullptr;
  for (const auto& m : f->metric) {
    if (labels_of(m) == labels) return &m;
  }
  return nullptr;
}

std::optional<double> value(const std::vector<MetricFamily>& fams, const std::string& name,
                            const LabelMap& labels = {}) {
  const auto* f = find_family(fams, name);
  const auto* m = find_sample(fams, name, labels);
  if (!f || !m) return std::nullopt;
  return f->type == MetricType::Counter ? m->counter.value : m->gauge.value;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string source_path(const std::string& relative) {
  return std::string(LIFELINE_SOURCE_DIR) + "/" + relative;
}

TEST(MetricFamilies, DaemonWideFacts) {
  const auto d = testing::synthetic_daemon(kNow);
  const auto f = families_of(d);
  EXPECT_EQ(value(f, "lifeline_build_info", {{"version", "0.1.0-test"}}), 1);
  EXPECT_EQ(value(f, "lifeline_snapshot_ok"), 1);
  EXPECT_EQ(value(f, "lifeline_snapshot_failures_total"), 0);
  EXPECT_EQ(value(f, "lifeline_node_info", {{"node", "lab-gw"}}), 1);
  EXPECT_EQ(value(f, "lifeline_start_time_seconds"), epoch_seconds(kNow - 1h));
  EXPECT_EQ(value(f, "lifeline_settled"), 1);
  EXPECT_EQ(value(f, "lifeline_decisions_total"), 42);
  EXPECT_EQ(value(f, "lifeline_netlink_requests_total"), 300);
  EXPECT_EQ(value(f, "lifeline_netlink_errors_total"), 2);
  EXPECT_EQ(value(f, "lifeline_route_errors_total"), 1);
  EXPECT_EQ(value(f, "lifeline_nftables_errors_total"), 0);
  EXPECT_EQ(value(f, "lifeline_conntrack_errors_total"), 3);
  EXPECT_EQ(value(f, "lifeline_drift_repairs_total"), 4);
  EXPECT_EQ(value(f, "lifeline_config_last_reload_successful"), 0);
  EXPECT_EQ(value(f, "lifeline_config_last_reload_timestamp_seconds"), epoch_seconds(kNow - 10min));
  EXPECT_EQ(value(f, "lifeline_config_last_reload_success_timestamp_seconds"),
            epoch_seconds(kNow - 30min));
  EXPECT_EQ(value(f, "lifeline_config_reloads_total", {{"result", "success"}}), 2);
  EXPECT_EQ(value(f, "lifeline_config_reloads_total", {{"result", "failure"}}), 1);
  EXPECT_EQ(value(f, "lifeline_drill_running"), 1);
}

TEST(MetricFamilies, LastDrillReportPerClass) {
  const auto d = testing::synthetic_daemon(kNow);
  const auto f = families_of(d);
  EXPECT_EQ(value(f, "lifeline_drills_total", {{"result", "passed"}}), 3);
  EXPECT_EQ(value(f, "lifeline_drills_total", {{"result", "failed"}}), 1);
  EXPECT_EQ(value(f, "lifeline_drills_total", {{"result", "aborted"}}), 2);
  EXPECT_EQ(value(f, "lifeline_drill_last_passed", {{"link", "5g"}, {"fault", "loss=30%"}}), 0);
  EXPECT_EQ(value(f, "lifeline_drill_last_timestamp_seconds",
                  {{"link", "5g"}, {"fault", "loss=30%"}, {"state", "completed"}}),
            epoch_seconds(kNow - 2h));
  const LabelMap c2 = {{"class", "c2"}, {"link", "5g"}};
  const LabelMap isr = {{"class", "isr"}, {"link", "5g"}};
  EXPECT_EQ(value(f, "lifeline_drill_class_passed", c2), 1);
  EXPECT_EQ(value(f, "lifeline_drill_class_passed", isr), 0);
  EXPECT_EQ(value(f, "lifeline_drill_class_detection_seconds", c2), 0.04);
  EXPECT_EQ(value(f, "lifeline_drill_class_switch_seconds", c2), 0.0005);
  EXPECT_EQ(value(f, "lifeline_drill_class_outage_seconds", isr), 0.0407);
  EXPECT_EQ(value(f, "lifeline_drill_class_failback_seconds", c2), 12.5);
  // isr never came back: no failback figure rather than a made-up one.
  EXPECT_EQ(value(f, "lifeline_drill_class_failback_seconds", isr), std::nullopt);
}

TEST(MetricFamilies, JournalHealth) {
  auto d = testing::synthetic_daemon(kNow);
  auto f = families_of(d);
  EXPECT_EQ(value(f, "lifeline_journal_up"), 1);
  EXPECT_EQ(value(f, "lifeline_journal_rows"), 1234);
  EXPECT_EQ(value(f, "lifeline_journal_errors_total"), 5);
  // Running without a journal is said, not hidden.
  d.journal.reset();
  f = families_of(d);
  EXPECT_EQ(value(f, "lifeline_journal_up"), 0);
  EXPECT_EQ(find_family(f, "lifeline_journal_rows"), nullptr);
}

TEST(MetricFamilies, NoDrillYetMeansNoDrillReportMetrics) {
  auto d = testing::synthetic_daemon(kNow);
  d.last_drill_report.reset();
  const auto f = families_of(d);
  EXPECT_EQ(find_family(f, "lifeline_drill_last_passed"), nullptr);
  EXPECT_EQ(find_family(f, "lifeline_drill_class_outage_seconds"), nullptr);
  EXPECT_NE(find_family(f, "lifeline_drills_total"), nullptr);
}

TEST(MetricFamilies, NoReloadYetMeansNoReloadTimestamp) {
  auto d = testing::synthetic_daemon(kNow);
  d.last_reload.reset();
  d.last_reload_ok = true;
  d.drill.reset();
  const auto f = families_of(d);
  EXPECT_EQ(find_family(f, "lifeline_config_last_reload_timestamp_seconds"), nullptr);
  EXPECT_EQ(value(f, "lifeline_config_last_reload_successful"), 1);
  EXPECT_EQ(value(f, "lifeline_drill_running"), 0);
}

TEST(MetricFamilies, LinkStateIsOneHotWithTimeInState) {
  const auto f = families_of(testing::synthetic_daemon(kNow));
  for (const auto& [link, current] :
       std::map<std::string, std::string>{{"5g", "down"}, {"leo", "up"}, {"geo", "degraded"}}) {
    for (const char* state : {"up", "degraded", "down"}) {
      EXPECT_EQ(value(f, "lifeline_link_state", {{"link", link}, {"state", state}}),
                state == current ? 1 : 0)
          << link << " " << state;
    }
  }
  EXPECT_EQ(value(f, "lifeline_link_info",
                  {{"link", "5g"}, {"interface", "wwan0"}, {"kind", "cellular"}}),
            1);
  EXPECT_EQ(value(f, "lifeline_link_time_in_state_seconds", {{"link", "5g"}}), 60);
  EXPECT_EQ(value(f, "lifeline_link_state_change_timestamp_seconds", {{"link", "5g"}}),
            epoch_seconds(kNow - 60s));
  EXPECT_EQ(value(f, "lifeline_link_state_seconds_total", {{"link", "5g"}, {"state", "up"}}), 3400);
  EXPECT_EQ(value(f, "lifeline_link_state_seconds_total", {{"link", "5g"}, {"state", "down"}}), 60);
  EXPECT_EQ(value(f, "lifeline_link_downs_total", {{"link", "5g"}}), 3);
}

TEST(MetricFamilies, UnknownHealthStateIsShownNotHidden) {
  auto d = testing::synthetic_daemon(kNow);
  d.links[0].health = "probing";
  const auto f = families_of(d);
  EXPECT_EQ(value(f, "lifeline_link_state", {{"link", "5g"}, {"state", "probing"}}), 1);
  EXPECT_EQ(value(f, "lifeline_link_state", {{"link", "5g"}, {"state", "down"}}), 0);
}

TEST(MetricFamilies, LinkQualityInBaseUnitsAndAbsentBeforeTheFirstReply) {
  const auto f = families_of(testing::synthetic_daemon(kNow));
  EXPECT_EQ(value(f, "lifeline_link_rtt_seconds", {{"link", "5g"}}), 0.012);
  EXPECT_EQ(value(f, "lifeline_link_rttvar_seconds", {{"link", "5g"}}), 0.003);
  EXPECT_EQ(value(f, "lifeline_link_jitter_seconds", {{"link", "5g"}}), 0.0015);
  EXPECT_EQ(value(f, "lifeline_link_loss_ratio", {{"link", "5g"}}), 1.0);
  EXPECT_EQ(value(f, "lifeline_link_loss_ratio", {{"link", "leo"}}), 0.01);
  // GEO never answered: an RTT of 0 would be a lie, so there is none.
  EXPECT_FALSE(value(f, "lifeline_link_rtt_seconds", {{"link", "geo"}}));
  EXPECT_FALSE(value(f, "lifeline_link_jitter_seconds", {{"link", "geo"}}));
  EXPECT_EQ(value(f, "lifeline_link_loss_ratio", {{"link", "geo"}}), 0);
}

TEST(MetricFamilies, ProbeCountersPerTarget) {
  const auto f = families_of(testing::synthetic_daemon(kNow));
  const LabelMap udp = {{"link", "5g"}, {"target", "198.19.0.10:7070 (udp-echo)"}};
  const LabelMap icmp = {{"link", "5g"}, {"target", "198.19.0.1 (icmp)"}};
  EXPECT_EQ(value(f, "lifeline_link_probes_sent_total", udp), 1000);
  EXPECT_EQ(value(f, "lifeline_link_probes_answered_total", udp), 900);
  EXPECT_EQ(value(f, "lifeline_link_probes_lost_total", udp), 100);
  EXPECT_EQ(value(f, "lifeline_link_probes_lost_total", icmp), 110);
  EXPECT_EQ(value(f, "lifeline_link_target_up", udp), 0);
  EXPECT_EQ(value(f, "lifeline_link_target_up",
                  {{"link", "leo"}, {"target", "198.19.0.11:7070 (udp-echo)"}}),
            1);
  EXPECT_EQ(value(f, "lifeline_link_targets_alive", {{"link", "leo"}}), 1);
  EXPECT_EQ(value(f, "lifeline_link_targets_alive", {{"link", "5g"}}), 0);
}

TEST(MetricFamilies, IntegrityCountersByReasonAllPresentFromZero) {
  const auto f = families_of(testing::synthetic_daemon(kNow));
  const std::map<std::string, double> auth = {
      {"bad_mac", 5}, {"unknown_key", 1}, {"wrong_session", 2}, {"malformed", 0}};
  for (const auto& [reason, n] : auth) {
    EXPECT_EQ(value(f, "lifeline_link_auth_failures_total", {{"link", "5g"}, {"reason", reason}}),
              n)
        << reason;
    // Present (at 0) on a clean link too, so that increase() sees the first one.
    EXPECT_EQ(value(f, "lifeline_link_auth_failures_total", {{"link", "leo"}, {"reason", reason}}),
              0)
        << reason;
  }
  const std::map<std::string, double> replays = {
      {"duplicate", 7}, {"late", 11}, {"unknown_seq", 13}};
  for (const auto& [reason, n] : replays) {
    EXPECT_EQ(value(f, "lifeline_link_replays_total", {{"link", "5g"}, {"reason", reason}}), n)
        << reason;
  }
}

TEST(MetricFamilies, AdminOverlaysAndTrust) {
  const auto f = families_of(testing::synthetic_daemon(kNow));
  EXPECT_EQ(value(f, "lifeline_link_quarantined", {{"link", "5g"}}), 1);
  EXPECT_EQ(value(f, "lifeline_link_quarantined", {{"link", "leo"}}), 0);
  EXPECT_EQ(value(f, "lifeline_link_drained", {{"link", "geo"}}), 1);
  EXPECT_EQ(value(f, "lifeline_link_drained", {{"link", "5g"}}), 0);
  EXPECT_EQ(value(f, "lifeline_link_suppressed", {{"link", "5g"}}), 1);
  EXPECT_EQ(value(f, "lifeline_link_dampening_penalty", {{"link", "5g"}}), 2500);
  EXPECT_EQ(value(f, "lifeline_link_trust", {{"link", "5g"}, {"trust", "attested"}}), 1);
  EXPECT_EQ(value(f, "lifeline_link_trust", {{"link", "5g"}, {"trust", "unattested"}}), 0);
  EXPECT_EQ(value(f, "lifeline_link_trust", {{"link", "leo"}, {"trust", "unattested"}}), 1);
  EXPECT_EQ(value(f, "lifeline_link_findings_total", {{"link", "5g"}, {"rule", "auth_failure"}, {"verdict", "violation"}}),
            8);
  EXPECT_EQ(value(f, "lifeline_link_findings_total", {{"link", "5g"}, {"rule", "replay"}, {"verdict", "suspicion"}}), 20);
  EXPECT_EQ(value(f, "lifeline_link_radio_readings_total", {{"link", "5g"}, {"result", "accepted"}}), 3600);
  EXPECT_EQ(value(f, "lifeline_link_radio_readings_total", {{"link", "5g"}, {"result", "malformed"}}), 2);
  EXPECT_EQ(value(f, "lifeline_link_radio_readings_total", {{"link", "5g"}, {"result", "other_modem"}}), 1);
  EXPECT_EQ(value(f, "lifeline_link_radio_stale", {{"link", "5g"}}), 0);
  EXPECT_EQ(value(f, "lifeline_link_radio_last_reading_timestamp_seconds", {{"link", "5g"}}), 1'795'000'000);
  EXPECT_EQ(value(f, "lifeline_link_radio_rule_active", {{"link", "5g"}, {"rule", "rat_below_min"}}), 1);
  EXPECT_FALSE(value(f, "lifeline_link_radio_stale", {{"link", "leo"}})) << "leo has no radio";
  EXPECT_EQ(value(f, "lifeline_incidents_received_total", {{"result", "accepted"}}), 4);
  EXPECT_EQ(value(f, "lifeline_incidents_received_total", {{"result", "bad_signature"}}), 1);
  EXPECT_EQ(value(f, "lifeline_incidents_published_total", {{"result", "sent"}}), 6);
  EXPECT_EQ(value(f, "lifeline_incident_quarantines_total", {}), 3);
}

TEST(MetricFamilies, ClassTargetsSwitchesAndPins) {
  const auto f = families_of(testing::synthetic_daemon(kNow));
  EXPECT_EQ(value(f, "lifeline_class_target_info",
                  {{"class", "c2"}, {"target", "leo"}, {"kind", "link"}}),
            1);
  EXPECT_EQ(value(f, "lifeline_class_target_info",
                  {{"class", "isr"}, {"target", "blackhole"}, {"kind", "blackhole"}}),
            1);
  EXPECT_EQ(find_family(f, "lifeline_class_target_info")->metric.size(), 3u)
      << "one target per class";
  EXPECT_EQ(value(f, "lifeline_class_info",
                  {{"class", "c2"}, {"precedence", "flash"}, {"when_none", "blackhole"}}),
            1);
  EXPECT_EQ(value(f, "lifeline_class_on_preferred_link", {{"class", "c2"}}), 0);
  EXPECT_EQ(value(f, "lifeline_class_on_preferred_link", {{"class", "isr"}}), 0);
  EXPECT_EQ(value(f, "lifeline_class_on_preferred_link", {{"class", "logistics"}}), 1);
  EXPECT_EQ(value(f, "lifeline_class_target_since_timestamp_seconds", {{"class", "c2"}}),
            epoch_seconds(kNow - 60s));
  EXPECT_EQ(value(f, "lifeline_class_switches_total",
                  {{"class", "c2"}, {"from", "5g"}, {"to", "leo"}, {"reason", "failover"}}),
            2);
  EXPECT_EQ(value(f, "lifeline_class_switches_total",
                  {{"class", "c2"}, {"from", "leo"}, {"to", "5g"}, {"reason", "failback"}}),
            1);
  EXPECT_EQ(value(f, "lifeline_class_last_switch_timestamp_seconds", {{"class", "c2"}}),
            epoch_seconds(kNow - 60s));
  EXPECT_EQ(value(f, "lifeline_class_last_switch_duration_seconds", {{"class", "c2"}}), 0.0008);
  // Never switched: no "last switch" at all rather than one at 1970.
  EXPECT_FALSE(value(f, "lifeline_class_last_switch_timestamp_seconds", {{"class", "logistics"}}));
  EXPECT_FALSE(value(f, "lifeline_class_last_switch_duration_seconds", {{"class", "logistics"}}));
  EXPECT_EQ(value(f, "lifeline_class_pinned", {{"class", "logistics"}}), 1);
  EXPECT_EQ(value(f, "lifeline_class_pinned", {{"class", "c2"}}), 0);
}

TEST(MetricFamilies, DecisionLatencyHistogramIsCumulativeEndingInInf) {
  const auto f = families_of(testing::synthetic_daemon(kNow));
  const auto* h = find_family(f, "lifeline_decision_duration_seconds");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->type, MetricType::Histogram);
  ASSERT_EQ(h->metric.size(), 1u);
  const auto& hist = h->metric[0].histogram;
  EXPECT_EQ(hist.sample_count, 42u);
  EXPECT_EQ(hist.sample_sum, 0.0375);
  ASSERT_EQ(hist.bucket.size(), 5u);
  const std::vector<double> bounds = {0.0001, 0.001, 0.01, 0.1};
  const std::vector<std::uint64_t> counts = {10, 35, 41, 42};
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    EXPECT_EQ(hist.bucket[i].upper_bound, bounds[i]);
    EXPECT_EQ(hist.bucket[i].cumulative_count, counts[i]);
    if (i > 0) {
      EXPECT_GE(hist.bucket[i].cumulative_count, hist.bucket[i - 1].cumulative_count);
    }
  }
  EXPECT_TRUE(std::isinf(hist.bucket.back().upper_bound));
  EXPECT_EQ(hist.bucket.back().cumulative_count, hist.sample_count);
}

TEST(MetricFamilies, UnavailableSnapshotExposesOnlyWhatStaysTrue) {
  const auto f = build_families(nullptr, kNow, ExporterFacts{"0.1.0-test", 7});
  std::set<std::string> names;
  for (const auto& fam : f) names.insert(fam.name);
  EXPECT_EQ(names, (std::set<std::string>{"lifeline_build_info", "lifeline_snapshot_ok",
                                          "lifeline_snapshot_failures_total"}));
  EXPECT_EQ(value(f, "lifeline_snapshot_ok"), 0);
  EXPECT_EQ(value(f, "lifeline_snapshot_failures_total"), 7);
  EXPECT_EQ(value(f, "lifeline_build_info", {{"version", "0.1.0-test"}}), 1);
}

TEST(MetricFamilies, NamesFollowPrometheusConventions) {
  const auto f = families_of(testing::synthetic_daemon(kNow));
  std::set<std::string> seen;
  const std::regex unit_suffix("_(milliseconds|microseconds|ms|percent|bytes_total)$");
  for (const auto& fam : f) {
    SCOPED_TRACE(fam.name);
    EXPECT_TRUE(seen.insert(fam.name).second) << "family exposed twice";
    EXPECT_TRUE(prometheus::CheckMetricName(fam.name));
    EXPECT_EQ(fam.name.rfind("lifeline_", 0), 0u);
    EXPECT_FALSE(fam.help.empty());
    EXPECT_EQ(fam.help.find('\n'), std::string::npos);
    EXPECT_FALSE(std::regex_search(fam.name, unit_suffix)) << "use base units";
    const bool total = fam.name.size() > 6 && fam.name.ends_with("_total");
    EXPECT_EQ(total, fam.type == MetricType::Counter) << "_total iff counter";
    if (fam.name.ends_with("_info")) {
      EXPECT_EQ(fam.type, MetricType::Gauge);
    }
    for (const auto& m : fam.metric) {
      std::set<std::string> label_names;
      for (const auto& l : m.label) {
        EXPECT_TRUE(prometheus::CheckLabelName(l.name)) << l.name;
        EXPECT_TRUE(label_names.insert(l.name).second) << "label twice: " << l.name;
      }
      // The same label names on every sample of a family.
      EXPECT_EQ(labels_of(m).size(), labels_of(fam.metric.front()).size());
    }
  }
}

// Every lifeline_* name that the docs, the alert rules, their tests and the dashboard use is
// one the exporter really exposes, and every exposed family is documented.
TEST(MetricFamilies, DocsRulesAndDashboardUseOnlyExposedMetrics) {
  const auto f = families_of(testing::synthetic_daemon(kNow));
  std::set<std::string> exposed;
  for (const auto& fam : f) {
    exposed.insert(fam.name);
    if (fam.type == MetricType::Histogram) {
      for (const char* suffix : {"_bucket", "_count", "_sum"}) exposed.insert(fam.name + suffix);
    }
  }
  const std::string docs = read_file(source_path("docs/metrics.md"));
  ASSERT_FALSE(docs.empty()) << "docs/metrics.md";
  for (const auto& fam : f) {
    EXPECT_NE(docs.find("`" + fam.name + "`"), std::string::npos)
        << fam.name << " is not documented in docs/metrics.md";
  }
  const std::regex metric_name("lifeline_[a-z0-9_]*[a-z0-9]");
  for (const char* file :
       {"docs/metrics.md", "deploy/prometheus/lifeline.rules.yml",
        "deploy/prometheus/lifeline.rules.test.yml", "deploy/grafana/lifeline.json"}) {
    const std::string text = read_file(source_path(file));
    ASSERT_FALSE(text.empty()) << file;
    std::set<std::string> used;
    for (std::sregex_iterator it(text.begin(), text.end(), metric_name), end; it != end; ++it) {
      used.insert(it->str());
    }
    EXPECT_FALSE(used.empty()) << file;
    for (const auto& name : used) {
      EXPECT_TRUE(exposed.count(name)) << file << " uses " << name << ", which is not exposed";
    }
  }
}

// ---- the HTTP endpoint ----------------------------------------------------------------

config::MetricsConfig loopback(std::uint16_t port) {
  config::MetricsConfig c;
  c.address = IpAddress::v4({127, 0, 0, 1});
  c.port = port;
  return c;
}

std::string scrape(std::uint16_t port, const std::string& host = "127.0.0.1") {
  const auto r = testing::http_get(host, port, "/metrics");
  if (!r) {
    ADD_FAILURE() << "no HTTP answer on " << host << ":" << port;
    return {};
  }
  EXPECT_EQ(r->status, 200);
  return r->body;
}

bool has_line(const std::string& body, const std::string& line) {
  std::istringstream in(body);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST(MetricsExporter, ServesTheSnapshotOnAFreePort) {
  std::atomic<int> calls{0};
  Exporter exporter(loopback(0), [&]() -> std::optional<snapshot::Daemon> {
    ++calls;
    return testing::synthetic_daemon(std::chrono::system_clock::now());
  });
  ASSERT_NE(exporter.port(), 0);
  const std::string body = scrape(exporter.port());
  EXPECT_EQ(calls.load(), 1) << "one snapshot per scrape";
  EXPECT_TRUE(has_line(body, "lifeline_snapshot_ok 1")) << body;
  EXPECT_TRUE(has_line(body, "lifeline_link_state{link=\"5g\",state=\"down\"} 1")) << body;
  EXPECT_TRUE(
      has_line(body, "lifeline_class_target_info{class=\"c2\",target=\"leo\",kind=\"link\"} 1"))
      << body;
  EXPECT_TRUE(has_line(body, "lifeline_decision_duration_seconds_bucket{le=\"+Inf\"} 42")) << body;
  scrape(exporter.port());
  EXPECT_EQ(calls.load(), 2) << "nothing is cached between scrapes";
}

TEST(MetricsExporter, ScrapePassesPromtoolCheckMetrics) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    // scripts/setup.sh installs it: without it the scrape is not checked, so red.
    GTEST_FAIL() << "promtool is not installed (Debian package prometheus; scripts/setup.sh)";
  }
  Exporter exporter(loopback(0), [] {
    return std::optional(testing::synthetic_daemon(std::chrono::system_clock::now()));
  });
  const std::string body = scrape(exporter.port());
  ASSERT_FALSE(body.empty());
  const auto dir =
      std::filesystem::temp_directory_path() / ("lifeline-metrics-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "scrape.txt") << body;
  const std::string cmd = "promtool check metrics < " + (dir / "scrape.txt").string() + " > " +
                          (dir / "promtool.out").string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  const std::string findings = read_file((dir / "promtool.out").string());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(rc, 0) << findings;
  EXPECT_EQ(findings, "") << "promtool findings:\n" << findings;
}

TEST(MetricsExporter, NoAnswerFromTheLoopIsHonest) {
  bool answer = false;
  Exporter exporter(loopback(0), [&]() -> std::optional<snapshot::Daemon> {
    if (!answer) return std::nullopt;
    return testing::synthetic_daemon(std::chrono::system_clock::now());
  });
  std::string body = scrape(exporter.port());
  EXPECT_TRUE(has_line(body, "lifeline_snapshot_ok 0")) << body;
  EXPECT_TRUE(has_line(body, "lifeline_snapshot_failures_total 1")) << body;
  EXPECT_NE(body.find("lifeline_build_info{version=\""), std::string::npos) << body;
  EXPECT_EQ(body.find("lifeline_link_"), std::string::npos) << "no stale numbers: " << body;
  answer = true;
  body = scrape(exporter.port());
  EXPECT_TRUE(has_line(body, "lifeline_snapshot_ok 1")) << body;
  EXPECT_TRUE(has_line(body, "lifeline_snapshot_failures_total 1")) << body;
}

TEST(MetricsExporter, ASourceThatThrowsCountsAsNoAnswer) {
  Exporter exporter(loopback(0), []() -> std::optional<snapshot::Daemon> {
    throw std::runtime_error("loop gone");
  });
  const std::string body = scrape(exporter.port());
  EXPECT_TRUE(has_line(body, "lifeline_snapshot_ok 0")) << body;
}

TEST(MetricsExporter, OnlyMetricsIsServed) {
  Exporter exporter(loopback(0), [] { return std::optional<snapshot::Daemon>(); });
  const auto r = testing::http_get("127.0.0.1", exporter.port(), "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST(MetricsExporter, ATakenPortIsAClearError) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t length = sizeof a;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length), 0);
  const std::uint16_t port = ntohs(a.sin_port);
  try {
    Exporter exporter(loopback(port), [] { return std::optional<snapshot::Daemon>(); });
    ADD_FAILURE() << "a second listener on a taken port";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "metrics.listen 127.0.0.1:" + std::to_string(port) + ": address already in use");
  }
  ::close(fd);
}

// Debian 12's civetweb is built without IPv6: then an IPv6 metrics.listen must be refused
// with that reason; with an IPv6-capable civetweb it must serve.
TEST(MetricsExporter, Ipv6ListenServesOrSaysWhyNot) {
  config::MetricsConfig c;
  c.address = *IpAddress::parse("::1");
  c.port = 0;
  std::optional<Exporter> exporter;
  try {
    exporter.emplace(c, [] {
      return std::optional(testing::synthetic_daemon(std::chrono::system_clock::now()));
    });
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "metrics.listen [::1]:0: this build's HTTP server (civetweb) has no IPv6 support; "
              "use an IPv4 address, e.g. 127.0.0.1:0");
    return;
  }
  EXPECT_TRUE(has_line(scrape(exporter->port(), "::1"), "lifeline_snapshot_ok 1"));
}

TEST(MetricsExporter, StopsPromptlyAfterScrapes) {
  auto exporter = std::make_unique<Exporter>(loopback(0), [] {
    return std::optional(testing::synthetic_daemon(std::chrono::system_clock::now()));
  });
  scrape(exporter->port());
  scrape(exporter->port());
  const auto start = std::chrono::steady_clock::now();
  exporter.reset();
  // civetweb alone needs 2 s here (its accept loop's poll quantum).
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

}  // namespace
}  // namespace lifeline::metrics
