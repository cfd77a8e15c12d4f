// lifeline-sim: replay a what-if scenario through the real decision core in virtual time.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "config/loader.hpp"
#include "links/attestation.hpp"
#include "sim/report.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

int report_errors(const std::vector<lifeline::config::Diagnostic>& errors) {
  for (const auto& e : errors) std::cerr << e.to_string() << "\n";
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "lifeline-sim: replay a scenario through lifeline's link monitor and policy engine in "
      "virtual time, and print the timeline of link and class changes.\n\n"
      "Exit codes: 0 ok, 1 runtime failure, 2 usage, config or scenario error.",
      "lifeline-sim"};
  std::string config_path;
  std::string scenario_path;
  bool json = false;
  app.add_option("-c,--config", config_path, "lifelined configuration (YAML)")->required();
  app.add_option("-s,--scenario", scenario_path, "scenario (YAML, see docs/simulator.md)")
      ->required();
  app.add_flag("--json", json, "print one JSON document instead of tables");
  app.set_version_flag("--version", std::string("lifeline-sim ") + LIFELINE_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  const auto loaded = lifeline::config::load_config_file(config_path);
  if (!loaded.ok()) return report_errors(loaded.errors);
  const auto scenario = lifeline::sim::load_scenario_file(scenario_path, *loaded.config);
  if (!scenario.scenario) return report_errors(scenario.errors);

  // Trust decisions replay too: each link's attestation judged as lifelined would now
  // (without the daemon's rollback state), said on stderr.
  std::vector<lifeline::links::Trust> trust;
  std::vector<lifeline::links::LinkFacts> attested;  // what an incident report may name
  for (const auto& link : loaded.config->links) {
    lifeline::links::TrustVerdict v;
    if (!link.attestation.empty()) {
      v = lifeline::links::judge_attestation_file(link.attestation, link.name, loaded.config->trust, std::nullopt,
                                                  std::chrono::system_clock::now());
      std::cerr << "lifeline-sim: link " << link.name << ": trust " << lifeline::links::to_string(v.trust) << ": "
                << v.reason << "\n";
    }
    trust.push_back(v.trust);
    lifeline::links::LinkFacts facts;
    if (v.attestation) {
      facts.operator_name = v.attestation->operator_name;
      for (const auto& e : v.attestation->equipment) facts.vendors.push_back(e.vendor);
    }
    attested.push_back(std::move(facts));
  }

  const auto started = std::chrono::steady_clock::now();
  const auto result = lifeline::sim::simulate(*loaded.config, *scenario.scenario, trust, attested);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const std::string out =
      json ? lifeline::sim::render_json(result, wall)
           : lifeline::sim::render_text(result, config_path, scenario_path, wall);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}
