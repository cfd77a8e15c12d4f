// The control transport's rules as pure functions, so they are tested without sockets: which
// frames of a ROUTER message are the envelope, which requests are refused before the daemon
// sees them, the JSON error reply (docs/control-api.md), how an ipc peer is named, and the
// ZAP decision (RFC 27/ZAP) that admits only allow-listed CURVE client keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline::control {

// `text` as a JSON string literal, quotes included. Control characters, '"' and '\' are
// escaped; bytes that are not valid UTF-8 become U+FFFD, so the result is always valid JSON.
std::string json_string(std::string_view text);

// {"version": 1, "ok": false, "error": {"code": CODE, "message": MESSAGE}}
std::string error_reply(std::string_view code, std::string_view message);

// The routing envelope of a message a ROUTER socket received: the routing id, and the empty
// delimiter frame that REQ clients (and DEALER clients that follow REQ's framing) send.
// Returns how many leading frames are envelope (1 or 2; 0 for an empty message).
std::size_t envelope_frames(const std::vector<std::size_t>& frame_sizes);

// Why the transport refuses a request before the daemon sees it (answered with bad_request),
// or nullopt when it goes to the daemon. `body_frames` counts the frames after the envelope,
// `body_bytes` is the size of the first of them.
std::optional<std::string> request_problem(std::size_t body_frames, std::size_t body_bytes,
                                           std::size_t max_bytes);

// What libzmq tells about the other end of an ipc connection: the "Peer-Address" property of
// a received message is "<address>:<uid>:<gid>:<pid>", the uid/gid/pid coming from
// SO_PEERCRED of the unix socket (libzmq 4.3, Linux). nullopt when it is not of that form.
struct PeerCredentials {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t pid = 0;
};
std::optional<PeerCredentials> parse_ipc_peer_address(std::string_view peer_address);

// ops::Peer::identity for an ipc peer: "uid 1000 (alice)", or "uid 1000" without a name.
std::string ipc_identity(std::uint32_t uid, std::string_view user_name);

// A ZAP request (RFC 27), the frames after the envelope and the empty delimiter.
struct ZapRequest {
  std::string version;     // "1.0"
  std::string request_id;  // echoed in the reply
  std::string domain;      // ZMQ_ZAP_DOMAIN of the server socket
  std::string address;     // the client's IP address
  std::string routing_id;
  std::string mechanism;                 // "NULL", "PLAIN", "CURVE"
  std::vector<std::string> credentials;  // CURVE: one frame, the client's 32-byte public key
};
std::optional<ZapRequest> parse_zap_request(const std::vector<std::string>& frames);

struct ZapVerdict {
  std::string status_code;  // "200" admitted, "400" refused, "500" internal error
  std::string status_text;
  std::string user_id;  // the client's public key in Z85 when admitted (the "User-Id" property)
  bool admitted() const { return status_code == "200"; }
};

// Admits a CURVE client whose public key is in `allowed_clients` (Z85), on `domain`, and
// nothing else: other mechanisms, other domains and unknown keys are refused.
ZapVerdict zap_decide(const ZapRequest& request, std::string_view domain,
                      const std::vector<std::string>& allowed_clients);

// The frames of the reply to `request` (after the envelope and the empty delimiter).
std::vector<std::string> zap_reply_frames(const ZapRequest& request, const ZapVerdict& verdict);

}  // namespace lifeline::control
