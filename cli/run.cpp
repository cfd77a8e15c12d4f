// lifelinectl's work once its command line is parsed: the request, the transport, the output.
#include <pwd.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/ctl.hpp"
#include "cli/render.hpp"
#include "controller/control/client.hpp"
#include "zmq/curve_keys.hpp"

namespace lifeline::cli {
namespace {

using json = nlohmann::ordered_json;

std::string login_name() {
  const uid_t uid = ::geteuid();
  if (const passwd* pw = ::getpwuid(uid); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "uid " + std::to_string(uid);
}

// The CURVE identity for --connect, or an error message (a usage error: exit 2).
std::optional<curve::Client> curve_client(const Options& o, std::string& error) {
  if (o.connect.empty()) return std::nullopt;
  if (o.server_key.empty() || o.key_file.empty()) {
    error =
        "--connect needs --server-key (the daemon's public key) and --key-file (ours, "
        "from lifelinectl keygen): TCP control is CURVE only";
    return std::nullopt;
  }
  if (!curve::is_z85_key(o.server_key)) {
    error = "--server-key: not a CURVE public key (40 Z85 characters)";
    return std::nullopt;
  }
  const auto pair = curve::load_key_file(o.key_file, error);
  if (!pair) {
    error = "--key-file " + o.key_file + ": " + error;
    return std::nullopt;
  }
  return curve::Client{o.server_key, pair->public_key, pair->secret_key};
}

// The subject of a confirmation sentence ("c2 pinned to leo ...").
std::string subject_of(const Command& c) {
  for (const char* key : {"class", "link"}) {
    if (auto it = c.fields.find(key); it != c.fields.end()) return it->second;
  }
  return {};
}

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) {
  g_stop = 1;
}

int run_events(const Options& options, const Command& command,
               const std::optional<curve::Client>& curve, std::ostream& out,
               std::ostream& err) {
  const std::string endpoint = endpoint_for(options, command.name);
  // No SA_RESTART: the wait returns with EINTR and the loop ends cleanly.
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  try {
    control::EventSubscriber subscriber(endpoint, command.kinds, curve);
    std::uint64_t received = 0;
    control::EventSubscriber::Message message;
    std::string notice;
    while (g_stop == 0) {
      switch (subscriber.next(std::nullopt, message, notice)) {
        case control::EventSubscriber::Status::message: {
          if (options.json) {
            // One object per line, whatever the daemon's formatting.
            const json e = json::parse(message.json, nullptr, false);
            out << (e.is_discarded() ? message.json : e.dump()) << "\n";
          } else {
            out << render_event_line(message.json) << "\n";
          }
          out.flush();
          if (command.count && ++received >= *command.count) return kExitOk;
          break;
        }
        case control::EventSubscriber::Status::notice:
          err << "lifelinectl: " << notice << "\n";
          if (notice.find("refused our CURVE key") != std::string::npos) return kExitUnreachable;
          break;
        case control::EventSubscriber::Status::timeout:
          break;
        case control::EventSubscriber::Status::interrupted:
          return kExitOk;
      }
    }
    return kExitOk;
  } catch (const std::exception& e) {
    err << "lifelinectl: cannot subscribe to the event stream: " << e.what() << "\n";
    return kExitUnreachable;
  }
}

}  // namespace

std::string endpoint_for(const Options& options, const std::string& command) {
  if (!options.connect.empty()) return options.connect;
  if (!options.socket.empty()) return "ipc://" + options.socket;
  return std::string("ipc://") +
         (command == "events" ? kDefaultEventsSocket : kDefaultControlSocket);
}

std::string request_json(const Command& command, const std::string& user) {
  json r = {{"version", 1}, {"command", command.name}};
  for (const auto& [key, value] : command.fields) r[key] = value;
  if (command.limit) r["limit"] = *command.limit;
  r["user"] = user;
  return r.dump(-1, ' ', false, json::error_handler_t::replace);
}

int run(const Options& options, const Command& command, std::ostream& out, std::ostream& err) {
  if (command.name == "keygen") {
    const auto pair = curve::generate_key_pair();
    if (options.json) {
      out << json{{"public_key", pair.public_key}, {"secret_key", pair.secret_key}}.dump() << "\n";
    } else {
      out << curve::key_file_text(pair);
    }
    return kExitOk;
  }
  std::string error;
  const auto curve = curve_client(options, error);
  if (!error.empty()) {
    err << "lifelinectl: " << error << "\n";
    return kExitUsage;
  }
  if (command.name == "events") return run_events(options, command, curve, out, err);

  const std::string endpoint = endpoint_for(options, command.name);
  const auto reply_text = control::request(endpoint, request_json(command, login_name()),
                                           options.timeout, curve, error);
  if (!reply_text) {
    err << "lifelinectl: cannot reach lifelined: " << error << "\n";
    return kExitUnreachable;
  }
  const json reply = json::parse(*reply_text, nullptr, false);
  if (reply.is_discarded() || !reply.is_object() || !reply.contains("ok") ||
      !reply["ok"].is_boolean()) {
    err << "lifelinectl: the daemon's reply is not a control API reply: "
        << reply_text->substr(0, 200) << "\n";
    return kExitDaemonError;
  }
  if (!reply["ok"].get<bool>()) {
    const json error_object = reply.contains("error") ? reply["error"] : json::object();
    const auto string_of = [&](const char* key) {
      const auto it = error_object.find(key);
      return it != error_object.end() && it->is_string() ? it->get<std::string>()
                                                         : std::string("?");
    };
    if (options.json) out << error_object.dump() << "\n";
    std::string message = string_of("message");
    // Multi-line messages (a refused reload's config errors): one per line, indented.
    for (std::size_t p = message.find('\n'); p != std::string::npos;
         p = message.find('\n', p + 3)) {
      message.replace(p, 1, "\n  ");
    }
    err << "lifelinectl: " << command.name << ": " << string_of("code") << ": " << message << "\n";
    return kExitDaemonError;
  }
  const json result = reply.contains("result") ? reply["result"] : json(nullptr);
  if (options.json) {
    out << result.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    out << render_result(command.name, result.dump(-1, ' ', false, json::error_handler_t::replace),
                         std::chrono::system_clock::now(), subject_of(command));
  }
  return kExitOk;
}

}  // namespace lifeline::cli
