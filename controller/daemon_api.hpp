// What the control API can ask of the daemon, as typed calls. The event loop implements it
// (controller/daemon.cpp); controller/control_api.cpp maps JSON requests onto it and its
// answers back to JSON (docs/control-api.md). Every call runs on the loop's thread. Calls that
// need slow work (the journal's disk, a reload's files and nftables, a drill's fault) answer
// later through `then`, on the loop's thread, exactly once: the loop does not wait for them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/units.hpp"
#include "controller/ops.hpp"
#include "controller/snapshot.hpp"

namespace lifeline::api {

// Who asked: what the client says (user) and what the transport knows (peer).
struct Actor {
  std::string user;
  ops::Peer peer;
};

struct Error {
  std::string code;  // docs/control-api.md: unknown_class, invalid_argument, conflict, ...
  std::string message;
};

template <typename T>
using Result = std::variant<T, Error>;
// The answer to a call that completes later.
template <typename T>
using Then = std::function<void(Result<T>)>;

struct Done {};

struct DrainInfo {
  std::string link;
  snapshot::SystemTime until{};
  std::string reason;
  std::string by;
};

struct ReloadInfo {
  std::size_t links = 0;
  std::size_t classes = 0;
};

enum class FaultKind { blackhole, loss, simulate };
struct Fault {
  FaultKind kind = FaultKind::blackhole;
  int loss_percent = 100;  // loss: 1..99
  std::string text() const;  // "blackhole", "loss=30%", "simulate"
};

class DaemonApi {
 public:
  virtual ~DaemonApi() = default;
  virtual snapshot::Daemon state() = 0;
  virtual Result<snapshot::Pin> pin(const std::string& cls, const std::string& link, Duration hold,
                                    const std::string& reason, const Actor& by) = 0;
  virtual Result<std::optional<snapshot::Pin>> unpin(const std::string& cls,
                                                     const std::string& reason, const Actor& by) = 0;
  virtual Result<DrainInfo> drain(const std::string& link, Duration hold, const std::string& reason,
                                  const Actor& by) = 0;
  virtual Result<std::optional<snapshot::SystemTime>> undrain(const std::string& link,
                                                              const std::string& reason,
                                                              const Actor& by) = 0;
  virtual void reload(const Actor& by, Then<ReloadInfo> then) = 0;
  virtual void history(const ops::HistoryQuery& query, Then<std::vector<std::string>> then) = 0;
  virtual void drill_start(const std::string& link, const Fault& fault, Duration hold, const Actor& by,
                           Then<snapshot::Drill> then) = 0;
  virtual std::optional<snapshot::Drill> drill_status() = 0;
  virtual Result<snapshot::Drill> drill_abort(const std::string& reason, const Actor& by) = 0;
  // The stored report (JSON text) of drill `id`, or of the latest when `id` is empty.
  virtual void drill_report(const std::string& id, Then<std::string> then) = 0;
};

// Answers one JSON request by calling `api` (docs/control-api.md): `reply` gets the reply
// text exactly once, at once for most commands, later (on the loop) for those that wait for
// slow work. Never throws: malformed input gets a bad_request reply.
void handle_request(DaemonApi& api, const std::string& request, const ops::Peer& peer,
                    std::function<void(std::string)> reply);

// The queries (status, links, classes, explain, drill.status) need nothing but a snapshot of
// the state: the daemon takes it on its loop and renders the reply (JSON of hundreds of
// classes takes milliseconds) on its worker with answer_from_snapshot(), which answers as
// handle_request() would.
bool is_query(const std::string& request);
std::string answer_from_snapshot(const snapshot::Daemon& state, const std::string& request, const ops::Peer& peer);


}  // namespace lifeline::api
