#include "config/config.hpp"

#include "config/loader.hpp"

namespace lifeline::config {

const char* to_string(LinkKind kind) {
  switch (kind) {
    case LinkKind::cellular:
      return "cellular";
    case LinkKind::satellite:
      return "satellite";
    case LinkKind::cloud:
      return "cloud";
    case LinkKind::wired:
      return "wired";
  }
  return "?";
}

const char* to_string(SchedPolicy policy) {
  switch (policy) {
    case SchedPolicy::other:
      return "other";
    case SchedPolicy::fifo:
      return "fifo";
    case SchedPolicy::rr:
      return "rr";
  }
  return "?";
}

const char* to_string(ProbeType type) {
  return type == ProbeType::udp_echo ? "udp-echo" : "icmp";
}

const char* to_string(Precedence precedence) {
  switch (precedence) {
    case Precedence::routine:
      return "routine";
    case Precedence::priority:
      return "priority";
    case Precedence::immediate:
      return "immediate";
    case Precedence::flash:
      return "flash";
    case Precedence::flash_override:
      return "flash-override";
  }
  return "?";
}

const char* to_string(WhenNone when_none) {
  return when_none == WhenNone::blackhole ? "blackhole" : "main";
}

const char* to_string(Rat rat) {
  switch (rat) {
    case Rat::gsm:
      return "gsm";
    case Rat::umts:
      return "umts";
    case Rat::lte:
      return "lte";
    case Rat::nr:
      return "nr";
  }
  return "?";
}

DetectConfig default_detect(LinkKind kind) {
  // docs/detection.md derives these. Terrestrial links: 8 x 5 ms = 40 ms to detect a black
  // hole, while 2 % random loss needs 8 losses in a row (0.02^8 per probe, one false alarm in
  // ~10^5 years at 200 probes/s). Satellite links probe 4x less often: a GEO carrier pays for
  // every byte and its 600 ms RTT makes a 40 ms detector pointless.
  DetectConfig d;
  d.interval = kind == LinkKind::satellite ? Duration(20ms) : Duration(5ms);
  d.multiplier = 8;
  d.rise = 50;
  d.min_stable = 5s;
  return d;
}

int Config::link_index(std::string_view name) const {
  for (std::size_t i = 0; i < links.size(); ++i) {
    if (links[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int Config::class_index(std::string_view name) const {
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string Diagnostic::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

}  // namespace lifeline::config
