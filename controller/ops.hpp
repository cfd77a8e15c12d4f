// The operations side of lifelined and the interfaces between it and the event loop:
//   - Event: every link-state change, class switch, operator action, drill step and reload,
//     as one JSON object, published on the event stream and written to the journal;
//   - EventSink: where events go (controller/events/ publishes them over ZeroMQ,
//     controller/journal/ stores them in SQLite);
//   - the control API: one JSON request in, one JSON reply out (docs/control-api.md). The
//     transport (controller/control/) only moves bytes; the daemon answers.
// Everything here is called on the event loop's thread unless it says otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lifeline::ops {

struct Event {
  // Topic of the event stream and `kind` of the journal row: "link", "class", "operator",
  // "drill", "reload", "daemon".
  std::string kind;
  std::chrono::system_clock::time_point at{};
  // For `lifelinectl history --class/--link` (empty when not about one). A class switch names
  // the links on both sides, "from,to"; `--link` matches either.
  std::string class_name;
  std::string link_name;
  // The whole event as a JSON object, including "kind" and "time" (docs/events.md).
  std::string json;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Must not block the loop for long; a sink that cannot keep up drops and counts.
  virtual void publish(const Event& event) = 0;
};

// Who sent a control request, as far as the transport can tell.
struct Peer {
  std::string transport;  // "ipc" or "tcp"
  std::string identity;   // ipc: "uid 1000 (alice)"; tcp: the client's CURVE public key (Z85)
};

// Answers one request (a JSON text) with one reply (a JSON text) through `reply`, exactly
// once, now or later on the loop's thread. Never throws.
using ControlHandler = std::function<void(const std::string& request, const Peer& peer,
                                          std::function<void(std::string reply)> reply)>;
// Runs `work` off the event loop (the daemon's worker thread) and then `then` with its result
// on the loop: for the few slow calls a transport needs (an NSS look-up).
using Offload = std::function<void(std::function<std::string()> work, std::function<void(std::string)> then)>;

// A ZeroMQ feed lifelined connects to: a modem's radio telemetry (SUB), the incident
// channel (SUB to its XPUB side, PUB to its XSUB side). CURVE: the server's Z85 public key
// and our key file; an empty server key: no CURVE.
struct FeedSpec {
  std::string what;      // for messages: "links[0].radio.feed"
  std::string endpoint;  // ipc:///... or tcp://host:port
  std::string server_public_key;
  std::string client_key_file;  // our CURVE key pair, as lifelinectl keygen writes it
  std::int64_t max_bytes = 64 * 1024;  // larger messages drop the connection (subscribers)
};
// One whole message: its first frames (a few) and how many it had.
using FeedHandler = std::function<void(const std::vector<std::string>& frames, std::size_t total_frames)>;
// The publishing side: false when the message was not queued.
using FeedSend = std::function<bool(const std::vector<std::string>& frames)>;

// The journal's query side (lifelinectl history).
struct HistoryQuery {
  std::optional<std::chrono::system_clock::time_point> since;
  std::string class_name;  // empty: any
  std::string link_name;   // empty: any
  std::string kind;        // empty: any
  std::size_t limit = 1000;
};

// The journal as the daemon uses it (controller/journal/ is the SQLite one).
class JournalStore : public EventSink {
 public:
  // Event JSON texts matching `query`, newest first.
  virtual std::vector<std::string> history(const HistoryQuery& query) const = 0;
  virtual void store_drill_report(const std::string& id,
                                  std::chrono::system_clock::time_point started,
                                  const std::string& report_json) = 0;
  // The report of drill `id`, or of the latest drill when `id` is empty.
  virtual std::optional<std::string> drill_report(const std::string& id) const = 0;
  virtual std::size_t apply_retention(std::chrono::system_clock::time_point now) = 0;
  // Safe to read from any thread (status, metrics).
  virtual std::uint64_t rows() const = 0;    // events in the journal
  virtual std::uint64_t errors() const = 0;  // events and reports not recorded, failed queries
};

}  // namespace lifeline::ops
