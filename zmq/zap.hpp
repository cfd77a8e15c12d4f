// The ZAP handler's decision (RFC 27/ZAP) as pure functions, so it is tested without sockets:
// a CURVE server socket without a ZAP handler admits ANY CURVE client, so every CURVE server
// of lifeline (the control socket, the event stream, the incident channel) has a handler that
// admits only the public keys of its allow list, decided here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline::zap {

// A ZAP request (RFC 27), the frames after the envelope and the empty delimiter.
struct Request {
  std::string version;     // "1.0"
  std::string request_id;  // echoed in the reply
  std::string domain;      // ZMQ_ZAP_DOMAIN of the server socket
  std::string address;     // the client's IP address
  std::string routing_id;
  std::string mechanism;                 // "NULL", "PLAIN", "CURVE"
  std::vector<std::string> credentials;  // CURVE: one frame, the client's 32-byte public key
};
std::optional<Request> parse_request(const std::vector<std::string>& frames);

struct Verdict {
  std::string status_code;  // "200" admitted, "400" refused, "500" internal error
  std::string status_text;
  std::string user_id;  // the client's public key in Z85 when admitted (the "User-Id" property)
  bool admitted() const { return status_code == "200"; }
};

// Admits a CURVE client whose public key is in `allowed_clients` (Z85), on `domain`, and
// nothing else: other mechanisms, other domains and unknown keys are refused.
Verdict decide(const Request& request, std::string_view domain,
               const std::vector<std::string>& allowed_clients);

// The frames of the reply to `request` (after the envelope and the empty delimiter).
std::vector<std::string> reply_frames(const Request& request, const Verdict& verdict);

}  // namespace lifeline::zap
