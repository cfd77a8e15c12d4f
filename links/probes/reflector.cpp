#include "links/probes/reflector.hpp"

namespace lifeline::probes {

std::string to_string(const ReflectorCounters& c) {
  return "received " + std::to_string(c.received) + ", replied " + std::to_string(c.replied) +
         ", malformed " + std::to_string(c.malformed) + ", not a request " +
         std::to_string(c.not_request) + ", unknown key " + std::to_string(c.unknown_key) +
         ", bad MAC " + std::to_string(c.bad_mac) + ", replayed " + std::to_string(c.replayed) +
         ", send errors " + std::to_string(c.send_errors) + ", receive errors " +
         std::to_string(c.receive_errors) + ", clients evicted " +
         std::to_string(c.clients_evicted);
}

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::reply:
      return "reply";
    case Verdict::malformed:
      return "malformed";
    case Verdict::not_request:
      return "not a request";
    case Verdict::unknown_key:
      return "unknown key id";
    case Verdict::bad_mac:
      return "bad MAC";
    case Verdict::duplicate:
      return "replayed (duplicate sequence number)";
    case Verdict::too_old:
      return "replayed (sequence number behind the replay window)";
  }
  return "?";
}

Reflector::Reflector(KeyRing keys, std::size_t max_clients, Clock clock)
    : keys_(std::move(keys)), replay_(max_clients), clock_(std::move(clock)) {}

Reflector::Result Reflector::handle(std::span<const std::uint8_t> bytes, const Endpoint& from,
                                    std::uint64_t received_ns) {
  Result r;
  // Port 0 cannot be answered; such a datagram is not from a prober.
  const auto decoded =
      from.port == 0 ? udp_echo::Decoded{}
                     : udp_echo::decode(bytes, [this](std::uint16_t id) { return keys_.find(id); });
  r.request = decoded.message;
  switch (decoded.status) {
    case udp_echo::DecodeStatus::malformed:
      ++counters_.malformed;
      r.verdict = Verdict::malformed;
      return r;
    case udp_echo::DecodeStatus::unknown_key:
      ++counters_.unknown_key;
      r.verdict = Verdict::unknown_key;
      return r;
    case udp_echo::DecodeStatus::bad_mac:
      ++counters_.bad_mac;
      r.verdict = Verdict::bad_mac;
      return r;
    case udp_echo::DecodeStatus::ok:
      break;
  }
  const udp_echo::Message& request = *decoded.message;
  if (request.type != udp_echo::MessageType::request) {
    ++counters_.not_request;
    r.verdict = Verdict::not_request;
    return r;
  }
  // Only now, authenticated, may the request touch the replay state (RFC 4303 3.4.3).
  const std::uint64_t evicted_before = replay_.evictions();
  const ReplayCheck check = replay_.check_and_accept(
      ReplayKey{from.address, from.port, request.key_id, request.session}, request.seq);
  counters_.clients_evicted += replay_.evictions() - evicted_before;
  if (check != ReplayCheck::fresh) {
    ++counters_.replayed;
    r.verdict = check == ReplayCheck::duplicate ? Verdict::duplicate : Verdict::too_old;
    return r;
  }

  udp_echo::Message reply = request;
  reply.type = udp_echo::MessageType::reply;
  reply.reflector_received = received_ns;
  reply.reflector_sent = clock_();
  r.reply = udp_echo::encode(reply, *keys_.find(request.key_id));
  r.verdict = Verdict::reply;
  return r;
}

}  // namespace lifeline::probes
