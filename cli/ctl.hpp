// lifelinectl without its command line: what to ask the daemon (a Command, parsed by main.cpp
// with CLI11), how to reach it (Options), and run(), which sends the request and prints the
// answer. Kept apart so that CLI11 stays in main.cpp and the rest is testable.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lifeline::cli {

// Documented in `lifelinectl --help` and docs/control-api.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitDaemonError = 1;  // the daemon answered with an error
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;  // socket missing, permission denied, no reply

inline constexpr const char* kDefaultControlSocket = "/run/lifeline/control.sock";
inline constexpr const char* kDefaultEventsSocket = "/run/lifeline/events.sock";

struct Options {
  bool json = false;
  std::string socket;      // empty: the default for the command
  std::string connect;     // tcp://HOST:PORT (CURVE); overrides socket
  std::string server_key;  // Z85
  std::string key_file;    // our key pair (lifelinectl keygen)
  std::chrono::milliseconds timeout{5000};
};

struct Command {
  // The control API's command ("status", "pin", "drill.start", ...), or a local one:
  // "keygen", "events".
  std::string name;
  // String fields of the request, by their names in the API ("class", "link", "for", ...).
  std::map<std::string, std::string> fields;
  std::optional<std::int64_t> limit;  // history
  // events
  std::vector<std::string> kinds;
  std::optional<std::uint64_t> count;
};

// The endpoint Options lead to for `command` ("ipc:///run/lifeline/control.sock", "tcp://...").
std::string endpoint_for(const Options& options, const std::string& command);

// The request's JSON text (docs/control-api.md), with `user` set to `user`.
std::string request_json(const Command& command, const std::string& user);

// Does what `command` says and prints the outcome: results on `out`, problems on `err`.
// Returns the exit code.
int run(const Options& options, const Command& command, std::ostream& out, std::ostream& err);

}  // namespace lifeline::cli
