// lifelinectl: the operator's command line for lifelined (docs/control-api.md). This file is
// the command line only (CLI11 lives here and nowhere else); ctl.hpp does the work.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/ctl.hpp"
#include "common/units.hpp"

namespace {

using lifeline::cli::Command;
using lifeline::cli::Options;

const char* kDescription =
    R"TEXT(lifelinectl: ask lifelined what it is doing, and tell it what to do.

lifelinectl talks to the lifeline daemon over its control socket: a ZeroMQ unix socket,
/run/lifeline/control.sock, open to root and to the members of the group `lifeline`; or, with
--connect, over TCP, encrypted and authenticated with CURVE keys that the daemon allows
(control.tcp in its config; make a key pair with `lifelinectl keygen`).

It prints tables and sentences for people. With --json it prints the daemon's `result` object
as one line of JSON, unchanged, for scripts (jq); on an error, the `error` object.
Options go before or after the command. `lifelinectl COMMAND --help` tells more.

Examples:
  lifelinectl status
  lifelinectl explain c2
  lifelinectl history --since 1h --class c2
  lifelinectl pin c2 leo --for 30m --reason "5G tower maintenance"
  lifelinectl drain 5g --for 2h --reason "planned outage"
  lifelinectl drill start --link 5g --fault blackhole --for 60s
  lifelinectl events --kind class --kind link
  lifelinectl --json links | jq -r '.links[] | "\(.name) \(.health)"'
  lifelinectl --connect tcp://198.18.0.1:7441 --server-key KEY --key-file ~/.lifeline.key status

Exit codes:
  0  ok
  1  the daemon answered with an error (its code and message are printed)
  2  usage error: unknown command, bad option or value, --connect without keys, a key file
     that cannot be used
  3  the daemon could not be reached: the socket does not exist, permission denied, or no
     reply within --timeout (the message says which)
See docs/control-api.md.)TEXT";

// CLI11 validators built on the config's own parsers, so a duration means the same here, in
// the config file and in the daemon.
CLI::Validator duration_validator() {
  return CLI::Validator(
      [](std::string& value) {
        const auto parsed = lifeline::parse_duration(value);
        if (!parsed.value) return parsed.error;
        if (*parsed.value <= lifeline::Duration::zero()) return std::string("must be more than 0s");
        return std::string();
      },
      "DURATION");
}

CLI::Validator fault_validator() {
  return CLI::Validator(
      [](std::string& value) {
        if (value == "blackhole" || value == "simulate") return std::string();
        if (value.rfind("loss=", 0) == 0) {
          const auto ratio = lifeline::parse_percent(value.substr(5));
          if (ratio.value && *ratio.value > 0 && *ratio.value < 1) return std::string();
          return std::string("loss must be between 1% and 99% (loss=100% is a blackhole)");
        }
        return "'" + value + "' is not a fault; use blackhole, loss=N% or simulate";
      },
      "FAULT");
}

CLI::Validator non_empty() {
  return CLI::Validator(
      [](std::string& value) {
        return value.empty() ? std::string("must not be empty: say why (it is journaled)")
                             : std::string();
      },
      "");
}

const std::vector<std::string> kKinds = {"link", "class", "operator", "drill", "reload", "trust",
                                         "finding", "incident", "daemon"};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "lifelinectl"};
  app.fallthrough();  // global options after the command work too
  app.require_subcommand(1);
  app.get_formatter()->column_width(30);

  Options options;
  std::string timeout = "5s";
  app.add_flag("--json", options.json,
               "print the daemon's result object as JSON (one line), for scripts");
  app.add_option("--socket", options.socket,
                 "the control socket (default /run/lifeline/control.sock; for `events`, the event "
                 "socket, default /run/lifeline/events.sock)");
  app.add_option("--connect", options.connect,
                 "talk to a remote lifelined over TCP with CURVE instead: tcp://HOST:PORT "
                 "(needs --server-key and --key-file)");
  app.add_option("--server-key", options.server_key,
                 "the daemon's CURVE public key (Z85, 40 characters)");
  app.add_option("--key-file", options.key_file,
                 "our CURVE key pair, as `lifelinectl keygen` writes it (mode 0600); its public "
                 "key must be in the daemon's allowed_clients");
  app.add_option("--timeout", timeout, "how long to wait for the daemon's reply")
      ->check(duration_validator())
      ->capture_default_str();

  std::map<std::string, std::string> fields;
  std::int64_t limit = 0;
  std::vector<std::string> kinds;
  std::uint64_t count = 0;
  auto text_option = [&fields](CLI::App* sub, const std::string& flag, const std::string& field,
                               const std::string& help) {
    return sub->add_option_function<std::string>(
        flag, [&fields, field](const std::string& v) { fields[field] = v; }, help);
  };

  app.add_subcommand("status",
                     "the node, its configuration and reloads, the drill, then every link and "
                     "every class in a table");
  app.add_subcommand("links", "every link: health, since when, RTT, jitter, loss, targets, why");
  app.add_subcommand("classes", "every traffic class: its link, why, since when");
  auto* explain = app.add_subcommand("explain", "why CLASS is where it is, link by link");
  text_option(explain, "class", "class", "the traffic class")->required();

  auto* history = app.add_subcommand(
      "history", "what happened, from the journal (oldest first; --json: newest first)");
  text_option(history, "--since", "since", "only the last DURATION (e.g. 1h)")
      ->check(duration_validator());
  text_option(history, "--class", "class", "only events about this class");
  text_option(history, "--link", "link", "only events about this link");
  text_option(history, "--kind", "kind", "only this kind of event")->check(CLI::IsMember(kKinds));
  history->add_option("--limit", limit, "at most N events (default 100)")
      ->check(CLI::Range(1, 10000));

  auto* pin = app.add_subcommand(
      "pin", "put CLASS on LINK for a while, out of preference order (only while LINK fits it)");
  text_option(pin, "class", "class", "the traffic class")->required();
  text_option(pin, "link", "link", "the link to pin it to")->required();
  text_option(pin, "--for", "for", "how long (e.g. 30m)")->required()->check(duration_validator());
  text_option(pin, "--reason", "reason", "why (journaled)")->required()->check(non_empty());
  auto* unpin = app.add_subcommand("unpin", "end CLASS's pin now");
  text_option(unpin, "class", "class", "the traffic class")->required();
  text_option(unpin, "--reason", "reason", "why (journaled)");

  auto* drain = app.add_subcommand(
      "drain", "take LINK out of use for a while (maintenance): its classes move elsewhere");
  text_option(drain, "link", "link", "the link")->required();
  text_option(drain, "--for", "for", "how long (e.g. 2h)")->required()->check(duration_validator());
  text_option(drain, "--reason", "reason", "why (journaled)")->required()->check(non_empty());
  auto* undrain = app.add_subcommand("undrain", "end LINK's drain now");
  text_option(undrain, "link", "link", "the link")->required();
  text_option(undrain, "--reason", "reason", "why (journaled)");

  app.add_subcommand("reload",
                     "re-read the configuration file (a bad one is refused, with its errors, and "
                     "the running one stays)");

  auto* drill = app.add_subcommand("drill", "failover drills: start, status, abort, report");
  drill->require_subcommand(1);
  auto* drill_start =
      drill->add_subcommand("start", "inject a fault on LINK for a while and measure the failover");
  text_option(drill_start, "--link", "link", "the link to fail")->required();
  text_option(drill_start, "--fault", "fault",
              "blackhole (drop everything), loss=N% (1-99), or simulate (decide as if down, "
              "without touching traffic)")
      ->required()
      ->check(fault_validator());
  text_option(drill_start, "--for", "for", "how long the fault lasts (e.g. 60s)")
      ->required()
      ->check(duration_validator());
  drill->add_subcommand("status", "the running or the last drill");
  auto* drill_abort = drill->add_subcommand("abort", "end the running drill now");
  text_option(drill_abort, "--reason", "reason", "why (journaled)");
  auto* drill_report =
      drill->add_subcommand("report", "the report of drill ID (default: the last)");
  text_option(drill_report, "id", "id", "the drill's id");

  app.add_subcommand("keygen",
                     "print a new CURVE key pair (Z85) for control.tcp / events.tcp: save it as a "
                     "key file (umask 077; lifelinectl keygen > client.key), give the public key "
                     "to the other side");
  auto* events = app.add_subcommand(
      "events",
      "follow the event stream as it happens (one line per event; --json: one JSON object per "
      "line) until Ctrl-C");
  events->add_option("--kind", kinds, "only this kind of event (repeat for more)")
      ->check(CLI::IsMember(kKinds));
  events->add_option("--count", count, "stop after N events")->check(CLI::PositiveNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? lifeline::cli::kExitOk : lifeline::cli::kExitUsage;
  }

  options.timeout =
      std::chrono::ceil<std::chrono::milliseconds>(*lifeline::parse_duration(timeout).value);
  Command command;
  command.fields = std::move(fields);
  CLI::App* chosen = app.get_subcommands().front();
  command.name = chosen->get_name();
  if (chosen == drill) command.name = "drill." + drill->get_subcommands().front()->get_name();
  if (chosen == history && limit > 0) command.limit = limit;
  if (chosen == events) {
    command.kinds = kinds;
    if (count > 0) command.count = count;
  }
  try {
    return lifeline::cli::run(options, command, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "lifelinectl: " << e.what() << "\n";
    return lifeline::cli::kExitDaemonError;
  }
}
