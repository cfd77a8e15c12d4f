#include "channel/admission.hpp"

#include <cstdio>
#include <cstring>
#include <iterator>
#include <zmq_addon.hpp>

#include "zmq/zap.hpp"

namespace lifeline::channel {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr const char* kZapDomainPrefix = "lifeline.channel.";
constexpr auto kRefusalLogInterval = std::chrono::minutes(1);
constexpr std::size_t kMaxRefusalsRemembered = 1024;

std::string hex(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

// Why a handshake failed, as an operator can act on it.
std::string handshake_failure(std::uint16_t event, std::uint32_t value) {
  switch (event) {
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      return std::string("handshake failed: ") + std::strerror(static_cast<int>(value));
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      return "refused by the other side's ZAP handler (status " + std::to_string(value) + ")";
    default:
      break;
  }
  switch (value) {
    case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
      return "it does not use CURVE (a plain/NULL peer)";
    case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
      return "CURVE cryptographic error (a wrong server key?)";
    default:
      return "ZMTP protocol error " + hex(value);
  }
}

}  // namespace

std::string Admission::zap_domain(const std::string& side) {
  return kZapDomainPrefix + side;
}

Admission::Admission(zmq::context_t& context, std::vector<AllowedClient> allowed)
    : context_(context), zap_(context, zmq::socket_type::router) {
  zap_.set(zmq::sockopt::linger, 0);
  zap_.bind(kZapEndpoint);
  set_allowed_clients(std::move(allowed));
}

void Admission::set_allowed_clients(std::vector<AllowedClient> allowed) {
  allowed_ = std::move(allowed);
  allowed_keys_.clear();
  names_.clear();
  for (const auto& client : allowed_) {
    allowed_keys_.push_back(client.public_key);
    names_[client.public_key] = client.name;
  }
}

void Admission::watch_handshakes(zmq::socket_t& socket, const std::string& name, bool server) {
  // A server's own refusals by ZAP are logged by on_zap_request; what only the monitor sees
  // is the handshake that never got that far.
  const int events =
      server ? ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
             : ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                   ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                   ZMQ_EVENT_DISCONNECTED;
  const std::string endpoint = "inproc://lifeline-channel.monitor." + name;
  if (zmq_socket_monitor(socket.handle(), endpoint.c_str(), events) != 0) throw zmq::error_t();
  auto monitor = std::make_unique<Monitor>(
      Monitor{name, server, zmq::socket_t(context_, zmq::socket_type::pair)});
  monitor->events.set(zmq::sockopt::linger, 0);
  monitor->events.connect(endpoint);
  monitors_.push_back(std::move(monitor));
}

std::vector<PollTarget> Admission::poll_targets() {
  std::vector<PollTarget> targets{{&zap_, [this] { on_zap_request(); }}};
  for (auto& m : monitors_) {
    targets.push_back({&m->events, [this, monitor = m.get()] { on_monitor_event(*monitor); }});
  }
  return targets;
}

void Admission::on_zap_request() {
  std::vector<zmq::message_t> frames;
  if (!zmq::recv_multipart(zap_, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
  // [routing id][empty][version][request id][domain][address][identity][mechanism][key]
  if (frames.size() < 3 || frames[1].size() != 0) return;
  std::vector<std::string> body;
  for (auto it = frames.begin() + 2; it != frames.end(); ++it) body.push_back(it->to_string());
  const auto request = zap::parse_request(body);
  if (!request) return;  // not from libzmq: it times the handshake out
  const bool ours = request->domain.rfind(kZapDomainPrefix, 0) == 0;
  const std::string side = ours ? request->domain.substr(std::strlen(kZapDomainPrefix)) : "?";
  const auto verdict =
      zap::decide(*request, ours ? request->domain : zap_domain("xsub"), allowed_keys_);
  if (verdict.admitted()) {
    admitted_log_.write(log::Level::info, side + ": admitted " + names_[verdict.user_id] + " (" +
                                              verdict.user_id + ") from " + request->address);
  } else {
    ++refused_keys_;
    const std::string who = verdict.user_id.empty() ? request->mechanism + " client"
                                                    : "CURVE client " + verdict.user_id;
    log_refusal(side + " " + who, side + ": refused " + who + " from " + request->address + ": " +
                                      verdict.status_text);
  }
  std::vector<zmq::message_t> reply;
  reply.push_back(std::move(frames[0]));
  reply.emplace_back();
  for (const auto& frame : zap::reply_frames(*request, verdict)) {
    reply.emplace_back(frame.data(), frame.size());
  }
  try {
    zmq::send_multipart(zap_, reply, zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    refused_log_.write(log::Level::warning,
                       std::string("cannot answer a ZAP request: ") + e.what());
  }
}

void Admission::log_refusal(const std::string& who, const std::string& message) {
  const auto now = std::chrono::steady_clock::now();
  if (const auto it = refusals_logged_.find(who);
      it != refusals_logged_.end() && now - it->second < kRefusalLogInterval) {
    return;
  }
  if (refusals_logged_.size() >= kMaxRefusalsRemembered) {
    std::erase_if(refusals_logged_,
                  [&](const auto& entry) { return now - entry.second >= kRefusalLogInterval; });
    // Still full: many different keys within a minute; the global rate limit holds them.
    if (refusals_logged_.size() >= kMaxRefusalsRemembered) refusals_logged_.clear();
  }
  refusals_logged_[who] = now;
  refused_log_.write(log::Level::warning, message);
}

void Admission::on_monitor_event(Monitor& monitor) {
  std::vector<zmq::message_t> frames;
  if (!zmq::recv_multipart(monitor.events, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
    return;
  }
  // zmq_socket_monitor(3): [16-bit event, 32-bit value][endpoint], in host byte order.
  if (frames.size() != 2 || frames[0].size() != 6) return;
  std::uint16_t event = 0;
  std::uint32_t value = 0;
  std::memcpy(&event, frames[0].data(), sizeof event);
  std::memcpy(&value, static_cast<const char*>(frames[0].data()) + sizeof event, sizeof value);
  const std::string endpoint = frames[1].to_string();
  if (monitor.server) {
    // libzmq names the bound endpoint here, not the client: the client's address is only in
    // ZAP requests, which these clients never reach.
    ++refused_handshakes_;
    const std::string why = handshake_failure(event, value);
    log_refusal(monitor.name + " " + why,
                monitor.name + ": refused a client on " + endpoint + ": " + why);
    return;
  }
  switch (event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
      upstream_log_.write(log::Level::notice, monitor.name + " " + endpoint + ": connected");
      break;
    case ZMQ_EVENT_DISCONNECTED:
      upstream_log_.write(log::Level::warning,
                          monitor.name + " " + endpoint + ": disconnected; reconnecting");
      break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      upstream_log_.write(log::Level::warning,
                          monitor.name + " " + endpoint + ": " + handshake_failure(event, value) +
                              "; is this channel's public key in the upstream's allowed_clients?");
      break;
    default:
      upstream_log_.write(log::Level::warning,
                          monitor.name + " " + endpoint + ": " + handshake_failure(event, value));
      break;
  }
}

}  // namespace lifeline::channel
