// lifeline-reflector: answers lifelined's authenticated UDP echo probes (docs/protocol.md).
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "links/probes/key_ring.hpp"
#include "links/probes/keys.hpp"
#include "links/probes/reflector_server.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

const char* kDescription =
    R"(lifeline-reflector: the far end of lifelined's authenticated UDP echo probes.

It answers each request that carries a valid HMAC-SHA-256 made with one of its keys, and
drops (and counts) forged, malformed and replayed requests: a sliding window of 1024 sequence
numbers per client address, port, key id and session, for at most --max-clients clients
(the least recently heard is forgotten first). A reply is the request, marked as a reply,
with the reflector's receive and send times, MAC'd with the same key; it is never larger
than the request. The protocol is in docs/protocol.md.

  lifeline-reflector --listen 198.18.0.10:7070 --listen [2001:db8::10]:7070 \
                     --key-file /etc/lifeline/keys/hq.key
  (umask 077; lifeline-reflector --generate-key 1 > /etc/lifeline/keys/hq.key)

A key file holds one line "<key id> <64 hex digits>" (and # comments), and must be
private to its owner (mode 0600 or 0400). Give several --key-file to rotate keys without a gap.

Logs go to stderr with syslog priority prefixes ("<4>...") for the journal. SIGTERM or
SIGINT stops it; the counters are logged on the way out.

Exit codes: 0 ok, 1 runtime failure (e.g. cannot bind a listen address), 2 usage or
configuration error (bad arguments, a key file that cannot be used).)";

void log_line(int priority, const std::string& message) {
  std::cerr << "<" << priority << ">" << message << std::endl;
}

// Prints a fresh key line to stdout. When stdout is a file, it is made private first, so
// that `lifeline-reflector --generate-key 1 > key` never leaves the secret readable by others.
int generate_key(unsigned id) {
  struct stat st {};
  if (::fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
      ::fchmod(STDOUT_FILENO, S_IRUSR | S_IWUSR) != 0) {
    log_line(3, "cannot make the output file private (chmod 600); not writing the key");
    return kExitRuntime;
  }
  std::string line = lifeline::probes::generate_key_line(static_cast<std::uint16_t>(id));
  std::cout << "# lifeline UDP echo key " << id << " (lifeline-reflector --generate-key)\n"
            << line << std::flush;
  ::sodium_memzero(line.data(), line.size());
  return std::cout ? kExitOk : kExitRuntime;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "lifeline-reflector"};
  std::vector<std::string> listen_texts;
  std::vector<std::string> key_files;
  std::size_t max_clients = lifeline::probes::Reflector::kDefaultMaxClients;
  unsigned generate_id = 0;
  auto* generate =
      app.add_option("--generate-key", generate_id,
                     "print a new key with this id (1-65535) in key-file form, and exit")
          ->check(CLI::Range(1, 65535))
          ->type_name("ID");
  app.add_option("--listen", listen_texts,
                 "ADDRESS:PORT or [IPV6-ADDRESS]:PORT to answer on (repeatable)")
      ->type_name("ADDR:PORT")
      ->excludes(generate);
  app.add_option("--key-file", key_files, "a key file (repeatable; key ids must differ)")
      ->type_name("FILE")
      ->excludes(generate);
  app.add_option("--max-clients", max_clients,
                 "replay windows kept at most (one per client address, port, key and session)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->type_name("N")
      ->capture_default_str();
  app.set_version_flag("--version", std::string("lifeline-reflector ") + LIFELINE_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (*generate) {
    try {
      return generate_key(generate_id);
    } catch (const std::exception& e) {
      log_line(3, e.what());
      return kExitRuntime;
    }
  }

  if (listen_texts.empty() || key_files.empty()) {
    std::cerr << "lifeline-reflector: --listen and --key-file are required (see --help)\n";
    return kExitUsage;
  }
  std::vector<lifeline::probes::Endpoint> listen;
  for (const auto& text : listen_texts) {
    std::string error;
    const auto endpoint = lifeline::probes::parse_endpoint(text, error);
    if (!endpoint) {
      std::cerr << "lifeline-reflector: --listen " << error << "\n";
      return kExitUsage;
    }
    listen.push_back(*endpoint);
  }
  lifeline::probes::KeyRing keys;
  std::string key_ids;
  for (const auto& file : key_files) {
    std::string error;
    auto key = lifeline::probes::load_key_file(file, error);
    if (!key) {
      log_line(3, file + ": " + error);
      return kExitUsage;
    }
    const std::uint16_t id = key->id;
    if (!keys.add(*key)) {
      log_line(3, file + ": key id " + std::to_string(id) +
                      " is also in an earlier --key-file; key ids must differ");
      return kExitUsage;
    }
    key_ids += (key_ids.empty() ? "" : ", ") + std::to_string(id);
  }

  try {
    boost::asio::io_context io(1);
    lifeline::probes::ReflectorServer server(io, listen, std::move(keys), max_clients, log_line);
    std::string where;
    for (const auto& e : server.local_endpoints()) {
      where += (where.empty() ? "" : ", ") + lifeline::probes::to_string(e);
    }
    log_line(6, "listening on " + where + " (key ids " + key_ids + "; replay state for at most " +
                    std::to_string(max_clients) + " clients)");

    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    int stopped_by = 0;
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      stopped_by = signal;
      io.stop();
    });
    io.run();
    log_line(6, std::string("stopping (") + (stopped_by == SIGINT ? "SIGINT" : "SIGTERM") +
                    "): " + lifeline::probes::to_string(server.counters()));
  } catch (const std::system_error& e) {
    log_line(3, std::string("cannot serve: ") + e.what());
    return kExitRuntime;
  } catch (const std::exception& e) {
    log_line(3, std::string("failed: ") + e.what());
    return kExitRuntime;
  }
  return kExitOk;
}
