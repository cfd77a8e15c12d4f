// libFuzzer target: what lifelined reads from its ZeroMQ feeds must take any bytes without
// crashing: the modem's telemetry readings (links/radio) fed through the radio rules, and the
// incident reports (links/incident) parsed, signature-checked and matched. The first byte
// picks the parser; the rest is the message.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "links/incident.hpp"
#include "links/radio.hpp"

namespace {

using namespace lifeline;

config::RadioConfig radio_config() {
  config::RadioConfig c;
  c.feed = "ipc:///run/lifeline/fuzz.sock";
  c.modem = "modem0";
  c.min_rat = config::Rat::lte;
  c.plmns = {"24001"};
  c.cells = {{6699, 19088743}};
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    static links::RadioWatch watch(radio_config(), TimePoint{});
    static TimePoint at{};
    at += std::chrono::seconds(1);
    const auto parsed = links::parse_radio_reading(text);
    if (const auto* r = std::get_if<links::RadioReading>(&parsed)) {
      (void)watch.on_reading(*r, at);
      (void)links::format_radio_reading(*r);
    }
    (void)watch.on_timer(at);
  } else {
    const auto parsed = links::parse_incident(text);
    if (const auto* r = std::get_if<links::IncidentReport>(&parsed)) {
      links::LinkFacts facts;
      facts.operator_name = "Example Mobile";
      facts.plmns = {"24001"};
      facts.cells = {{6699, 19088743}};
      facts.vendors = {"Ericsson"};
      (void)links::incident_matches(*r, facts);
      (void)links::parse_incident(links::format_incident(*r));
    }
    static const std::vector<config::IncidentReporter> none;
    (void)links::verify_incident(text, text.substr(0, std::min<std::size_t>(64, text.size())), none);
  }
  return 0;
}
