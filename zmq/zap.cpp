#include "zmq/zap.hpp"

#include <zmq.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace lifeline::zap {
namespace {

// A 32-byte key in Z85 text, or "" when it is not 32 bytes.
std::string z85(const std::string& key32) {
  std::array<char, 41> out{};
  if (key32.size() != 32 ||
      zmq_z85_encode(out.data(), reinterpret_cast<const std::uint8_t*>(key32.data()), 32) ==
          nullptr) {
    return {};
  }
  return std::string(out.data(), 40);
}

}  // namespace

std::optional<Request> parse_request(const std::vector<std::string>& frames) {
  // version, request id, domain, address, identity, mechanism, credentials...
  if (frames.size() < 6) return std::nullopt;
  Request r;
  r.version = frames[0];
  r.request_id = frames[1];
  r.domain = frames[2];
  r.address = frames[3];
  r.routing_id = frames[4];
  r.mechanism = frames[5];
  r.credentials.assign(frames.begin() + 6, frames.end());
  return r;
}

Verdict decide(const Request& request, std::string_view domain,
               const std::vector<std::string>& allowed_clients) {
  if (request.version != "1.0") return {"500", "unsupported ZAP version", ""};
  if (request.domain != domain) return {"400", "unknown domain", ""};
  if (request.mechanism != "CURVE") return {"400", "CURVE required", ""};
  if (request.credentials.size() != 1) return {"400", "malformed CURVE credentials", ""};
  const std::string key = z85(request.credentials[0]);
  if (key.empty()) return {"400", "malformed CURVE credentials", ""};
  if (std::find(allowed_clients.begin(), allowed_clients.end(), key) == allowed_clients.end()) {
    return {"400", "client key not allowed", key};
  }
  return {"200", "OK", key};
}

std::vector<std::string> reply_frames(const Request& request, const Verdict& verdict) {
  // version, request id, status code, status text, user id, metadata (empty).
  return {"1.0",
          request.request_id,
          verdict.status_code,
          verdict.status_text,
          verdict.admitted() ? verdict.user_id : std::string(),
          std::string()};
}

}  // namespace lifeline::zap
