// lifelined: the lifeline daemon. In this build it validates configurations; the data
// plane (probes, routes, classification) is assembled in controller/ by the data-plane work.
#include <CLI/CLI.hpp>
#include <iostream>

#include "config/loader.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "lifelined: keeps each traffic class of a base gateway on a link that is fit for it.\n\n"
      "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.",
      "lifelined"};
  std::string config_path = "/etc/lifeline/lifeline.yaml";
  std::string positional;
  bool check_only = false;
  app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.add_flag("--check-config", check_only,
               "validate the configuration (--config FILE, or FILE) and exit: 0 valid, 2 not");
  app.add_option("file", positional, "configuration file (same as --config)");
  app.set_version_flag("--version", std::string("lifelined ") + LIFELINE_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!positional.empty()) config_path = positional;

  const auto loaded = lifeline::config::load_config_file(config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
    std::cerr << config_path << ": " << loaded.errors.size()
              << (loaded.errors.size() == 1 ? " error" : " errors") << "\n";
    return kExitUsage;
  }
  const auto& config = *loaded.config;
  if (check_only) {
    std::cout << config_path << ": ok (node " << config.node << ", " << config.links.size()
              << " links, " << config.classes.size() << " classes)\n";
    return kExitOk;
  }
  std::cerr << "lifelined: this build has no data plane yet; only --check-config is available\n";
  return kExitRuntime;
}
