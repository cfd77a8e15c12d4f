// lifeline-channel: the incident-sharing channel between bases (docs/incidents.md).
#include <pthread.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include "channel/channel_config.hpp"
#include "channel/forwarder.hpp"
#include "common/log.hpp"

namespace {

namespace channel = lifeline::channel;
namespace log = lifeline::log;
namespace curve = lifeline::curve;

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

const char* kDescription = R"(lifeline-channel: shares signed cyber-incident reports between bases.

Each base (lifelined) publishes its reports to the channel's xsub endpoint and receives
everyone's from its xpub endpoint. Both are CURVE servers: only the public keys listed in
allowed_clients get in; unknown keys and clients without CURVE are refused, counted and
logged. The channel forwards messages as they are (a report is 3 frames: "incident", the
JSON, its Ed25519 signature, which lifelined checks), drops messages above
max_message_size, and never forwards the same message twice within 10 minutes.

With `upstream:` in the configuration, the channel is also a client of another channel: what
its bases publish goes up, what the rest of the fleet publishes comes down. Messages that
come back are dropped, so chained channels do not echo.

  lifeline-channel --config /etc/lifeline/channel.yaml
  lifeline-channel --check-config /etc/lifeline/channel.yaml
  (umask 077; lifelinectl keygen > /etc/lifeline/keys/channel.curve)

Signals: SIGHUP reloads allowed_clients (a bad file is refused and the running list stays;
clients already connected stay connected, restart to cut them off; other changes need a
restart). SIGTERM/SIGINT stop it (exit 0); the counters are logged on the way out. Under
systemd (Type=notify) it reports READY once both endpoints are bound.

Logs go to stderr with syslog priority prefixes ("<4>...") for the journal.

Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
(1: e.g. an endpoint cannot be bound; 2: also a key file that cannot be used.
 See docs/incidents.md.))";

void print_errors(const std::string& path,
                  const std::vector<lifeline::config::Diagnostic>& errors) {
  for (const auto& e : errors) std::cerr << e.to_string() << "\n";
  std::cerr << path << ": " << errors.size() << (errors.size() == 1 ? " error" : " errors") << "\n";
}

std::string describe(const channel::ChannelConfig& c) {
  std::string text = "xsub " + c.xsub.uri() + " (bases publish), xpub " + c.xpub.uri() +
                     " (bases subscribe), " + std::to_string(c.allowed_clients.size()) +
                     (c.allowed_clients.size() == 1 ? " allowed client" : " allowed clients") +
                     ", max_message_size " + std::to_string(c.max_message_size) + " bytes";
  if (c.upstream) {
    text += ", upstream xsub " + c.upstream->xsub.uri() + " xpub " + c.upstream->xpub.uri();
  } else {
    text += ", no upstream";
  }
  return text;
}

// Only allowed_clients takes effect without a restart: the sockets are bound once.
void reload(const std::string& path, channel::ChannelConfig& running,
            channel::Forwarder& forwarder) {
  ::sd_notify(0, "RELOADING=1");
  auto loaded = channel::load_channel_config_file(path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) log::error(e.to_string());
    log::warning("reload refused (" + std::to_string(loaded.errors.size()) + " errors in " + path +
                 "); the allow list of " + std::to_string(running.allowed_clients.size()) +
                 " clients stays");
  } else {
    auto others = *loaded.config;
    others.allowed_clients = running.allowed_clients;
    if (!(others == running)) {
      log::warning(
          "reload: only allowed_clients changes without a restart; restart "
          "lifeline-channel for the other changes in " +
          path);
    }
    running.allowed_clients = loaded.config->allowed_clients;
    forwarder.set_allowed_clients(running.allowed_clients);
    log::notice("reloaded allowed_clients: " + std::to_string(running.allowed_clients.size()) +
                " clients (connected clients stay connected until they reconnect)");
  }
  ::sd_notify(0, "READY=1");
}

std::optional<curve::KeyPair> load_keys(const std::string& what,
                                                         const std::string& path) {
  std::string error;
  auto keys = curve::load_key_file(path, error);
  if (!keys) log::error(what + " " + path + ": " + error);
  return keys;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "lifeline-channel"};
  std::string config_path = "/etc/lifeline/channel.yaml";
  std::string check_path;
  bool verbose = false;
  auto* config_option = app.add_option("-c,--config", config_path, "configuration file")
                            ->type_name("FILE")
                            ->capture_default_str();
  app.add_option("--check-config", check_path,
                 "validate FILE and exit: 0 valid, 2 not (with FILE:LINE:COLUMN: what is wrong). "
                 "Key files are checked when the channel starts")
      ->type_name("FILE")
      ->excludes(config_option);
  app.add_flag("-v,--verbose", verbose, "log debug messages too");
  app.set_version_flag("--version", std::string("lifeline-channel ") + LIFELINE_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (verbose) log::set_max_level(log::Level::debug);

  if (!check_path.empty()) {
    const auto loaded = channel::load_channel_config_file(check_path);
    if (!loaded.ok()) {
      print_errors(check_path, loaded.errors);
      return kExitUsage;
    }
    std::cout << check_path << ": ok (" << describe(*loaded.config) << ")\n";
    return kExitOk;
  }

  auto loaded = channel::load_channel_config_file(config_path);
  if (!loaded.ok()) {
    print_errors(config_path, loaded.errors);
    return kExitUsage;
  }
  channel::ChannelConfig config = std::move(*loaded.config);
  const auto own = load_keys("curve_key_file", config.curve_key_file);
  if (!own) return kExitUsage;
  std::optional<curve::KeyPair> upstream_client;
  if (config.upstream) {
    upstream_client = config.upstream->curve_key_file == config.curve_key_file
                          ? own
                          : load_keys("upstream.curve_key_file", config.upstream->curve_key_file);
    if (!upstream_client) return kExitUsage;
  }

  // Blocked before libzmq starts its threads, which inherit the mask: a SIGTERM delivered to
  // one of them would otherwise kill the process instead of reaching the signalfd.
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  if (::pthread_sigmask(SIG_BLOCK, &signals, nullptr) != 0) {
    log::error("cannot block signals");
    return kExitRuntime;
  }
  const int signal_fd = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd < 0) {
    log::error(std::string("signalfd: ") + std::strerror(errno));
    return kExitRuntime;
  }

  try {
    channel::Forwarder forwarder(config, *own, upstream_client);
    log::info(std::string("lifeline-channel ") + LIFELINE_VERSION +
              " listening: " + describe(config) + "; public key " + own->public_key);
    ::sd_notify(0, "READY=1\nSTATUS=forwarding");
    int stopped_by = 0;
    forwarder.run(signal_fd, [&](int signal) {
      if (signal == SIGHUP) {
        reload(config_path, config, forwarder);
        return true;
      }
      stopped_by = signal;
      return false;
    });
    ::sd_notify(0, "STOPPING=1");
    log::info(std::string("stopping (") + (stopped_by == SIGINT ? "SIGINT" : "SIGTERM") +
              "): " + to_string(forwarder.counters()));
  } catch (const std::exception& e) {
    log::error(std::string("lifeline-channel: ") + e.what());
    ::close(signal_fd);
    return kExitRuntime;
  }
  ::close(signal_fd);
  return kExitOk;
}
