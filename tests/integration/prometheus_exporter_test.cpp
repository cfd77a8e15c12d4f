// The metrics exporter against a real Prometheus server (the Debian package), both inside this
// test's private network namespace: Prometheus scrapes the Exporter every second, its HTTP API
// shows the link states and class targets, a class that moves is seen moving (the old target's
// series goes stale), the alert rules of deploy/ load, and the PromQL that docs/metrics.md
// gives for "is any class black-holed?" and "how long has C2 been on a backup?" answers right.
// The snapshot is synthetic; tests/integration/prometheus_test.sh does the same with the real
// lifelined in the lab.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controller/metrics/exporter.hpp"
#include "netns.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/metrics_snapshot.hpp"

extern char** environ;

namespace lifeline::metrics {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr std::uint16_t kPrometheusPort = 19090;  // free: the namespace is ours alone

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The result vector of an instant query, or nullopt when Prometheus does not answer (yet).
std::optional<json> query(const std::string& promql) {
  const auto r =
      testing::http_get("127.0.0.1", kPrometheusPort, "/api/v1/query?query=" + url_encode(promql));
  if (!r || r->status != 200) return std::nullopt;
  const auto doc = json::parse(r->body, nullptr, false);
  if (doc.is_discarded() || doc.value("status", "") != "success") return std::nullopt;
  return doc["data"]["result"];
}

// Polls `promql` until `accept` holds for its result (a deadline, not a sleep).
template <typename Accept>
json poll(const std::string& promql, Accept accept, std::chrono::seconds budget = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  json last;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto result = query(promql)) {
      last = *result;
      if (accept(last)) return last;
    }
    std::this_thread::sleep_for(200ms);
  }
  ADD_FAILURE() << "Prometheus never gave the expected answer to " << promql
                << "; last: " << last.dump();
  return last;
}

class PrometheusServer {
 public:
  PrometheusServer(const std::filesystem::path& dir, std::uint16_t target_port) : dir_(dir) {
    std::filesystem::copy_file(
        std::string(LIFELINE_SOURCE_DIR) + "/deploy/prometheus/lifeline.rules.yml",
        dir / "lifeline.rules.yml");
    std::ofstream(dir / "prometheus.yml")
        << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "rule_files:\n  - lifeline.rules.yml\n"
        << "scrape_configs:\n  - job_name: lifeline\n    static_configs:\n"
        << "      - targets: ['127.0.0.1:" << target_port << "']\n";
    const std::vector<std::string> args = {
        "prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
        "--storage.tsdb.path=" + (dir / "tsdb").string(),
        "--web.listen-address=127.0.0.1:" + std::to_string(kPrometheusPort), "--log.level=warn"};
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, (dir / "prometheus.log").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawnp(&pid_, "prometheus", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid_ = -1;
  }
  ~PrometheusServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  bool started() const { return pid_ > 0; }
  std::string log() const {
    std::ifstream in(dir_ / "prometheus.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

bool has_series(const json& result, const std::string& label, const std::string& value) {
  for (const auto& s : result) {
    if (s["metric"].value(label, "") == value) return true;
  }
  return false;
}

TEST(PrometheusExporter, ARealPrometheusScrapesAndSeesAClassMove) {
  LIFELINE_ENTER_PRIVATE_NETNS();
  ASSERT_EQ(std::system("command -v prometheus >/dev/null"), 0)
      << "the prometheus server is missing: install the Debian package prometheus "
         "(scripts/setup.sh)";

  std::mutex mutex;
  snapshot::Daemon state = testing::synthetic_daemon(std::chrono::system_clock::now());
  config::MetricsConfig listen;
  listen.address = IpAddress::v4({127, 0, 0, 1});
  listen.port = 0;
  Exporter exporter(listen, [&]() -> std::optional<snapshot::Daemon> {
    std::lock_guard lock(mutex);
    return state;
  });

  const auto dir = std::filesystem::temp_directory_path() /
                   ("lifeline-prometheus-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    PrometheusServer prometheus(dir, exporter.port());
    ASSERT_TRUE(prometheus.started());

    // Scraped: link states and class targets are there.
    poll(
        "lifeline_link_state", [](const json& r) { return r.size() == 9; }, 60s);
    auto result = poll(R"(lifeline_link_state{link="5g",state="down"} == 1)",
                       [](const json& r) { return r.size() == 1; });
    EXPECT_EQ(result[0]["metric"].value("job", ""), "lifeline");
    result = poll(R"(lifeline_class_target_info{class="c2"})",
                  [](const json& r) { return r.size() == 1; });
    EXPECT_EQ(result[0]["metric"].value("target", ""), "leo");
    poll("up{job=\"lifeline\"} == 1", [](const json& r) { return r.size() == 1; });

    // docs/metrics.md: is any class black-holed? how long has C2 been on a backup?
    result = poll(R"(lifeline_class_target_info{kind="blackhole"} == 1)",
                  [](const json& r) { return r.size() == 1; });
    EXPECT_EQ(result[0]["metric"].value("class", ""), "isr");
    result = poll(
        R"((time() - lifeline_class_target_since_timestamp_seconds{class="c2"}) and on (instance, class) (lifeline_class_on_preferred_link{class="c2"} == 0))",
        [](const json& r) { return r.size() == 1; });
    const double on_backup = std::stod(result[0]["value"][1].get<std::string>());
    EXPECT_GE(on_backup, 59);
    EXPECT_LT(on_backup, 120);

    // C2 fails back to 5G: Prometheus sees the new target, and the old series goes stale.
    {
      std::lock_guard lock(mutex);
      auto& c2 = state.classes[0];
      c2.target = {"5g", "link"};
      c2.since = std::chrono::system_clock::now();
      c2.switches.push_back({"leo", "5g", "failback", 1});
    }
    poll(R"(lifeline_class_target_info{class="c2"})",
         [](const json& r) { return r.size() == 1 && r[0]["metric"].value("target", "") == "5g"; });
    poll(
        R"((time() - lifeline_class_target_since_timestamp_seconds{class="c2"}) and on (instance, class) (lifeline_class_on_preferred_link{class="c2"} == 0))",
        [](const json& r) { return r.empty(); });
    result = poll(R"(lifeline_class_switches_total{class="c2",to="5g"})",
                  [](const json& r) { return !r.empty(); });
    EXPECT_TRUE(has_series(result, "reason", "failback"));

    // The shipped alert rules load in a real server.
    const auto rules = testing::http_get("127.0.0.1", kPrometheusPort, "/api/v1/rules");
    ASSERT_TRUE(rules);
    const auto doc = json::parse(rules->body, nullptr, false);
    ASSERT_FALSE(doc.is_discarded());
    std::size_t alerts = 0;
    for (const auto& g : doc["data"]["groups"]) alerts += g["rules"].size();
    // Every alert of the file, as many as `- alert:` lines in it.
    std::ifstream rules_file(std::string(LIFELINE_SOURCE_DIR) + "/deploy/prometheus/lifeline.rules.yml");
    std::size_t in_file = 0;
    for (std::string line; std::getline(rules_file, line);) {
      if (line.find("- alert: ") != std::string::npos) ++in_file;
    }
    EXPECT_GE(in_file, 15u);
    EXPECT_EQ(alerts, in_file) << rules->body;
    if (HasFailure()) std::cerr << "---- prometheus log\n" << prometheus.log();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lifeline::metrics
