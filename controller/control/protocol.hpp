// The control transport's rules as pure functions, so they are tested without sockets: which
// frames of a ROUTER message are the envelope, which requests are refused before the daemon
// sees them, the JSON error reply (docs/control-api.md), how an ipc peer is named.
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

}  // namespace lifeline::control
