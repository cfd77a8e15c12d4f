// The integrity inputs' hot paths (docs/performance.md): one modem reading parsed and judged
// by every radio rule, one incident report verified (Ed25519) and parsed, and an RTT-floor
// update per probe reply.
#include <benchmark/benchmark.h>

#include "links/incident.hpp"
#include "links/radio.hpp"
#include "links/rtt_floor_watch.hpp"

namespace {

using namespace lifeline;

const char* kReading =
    R"({"modem": "modem0", "time": "2026-11-29T12:00:00Z", "rat": "nr", "plmn": "24001", "tac": 6699,)"
    R"( "cell_id": 19088743, "pci": 123, "arfcn": 632628, "rsrp": -95.0, "rsrq": -10.0, "snr": 12.0,)"
    R"( "neighbours": 5, "registration": "home", "reject_cause": null, "cipher": "nea2"})";

void BM_RadioReadingParseAndRules(benchmark::State& state) {
  config::RadioConfig c;
  c.modem = "modem0";
  c.min_rat = config::Rat::lte;
  c.plmns = {"24001"};
  c.cells = {{6699, 19088743}, {6699, 19088744}};
  links::RadioWatch watch(c, TimePoint{});
  TimePoint at{};
  for (auto _ : state) {
    at += std::chrono::seconds(1);
    auto parsed = links::parse_radio_reading(kReading);
    auto findings = watch.on_reading(std::get<links::RadioReading>(parsed), at);
    benchmark::DoNotOptimize(findings);
  }
}
BENCHMARK(BM_RadioReadingParseAndRules);

void BM_IncidentVerifyAndParse(benchmark::State& state) {
  const auto keys = links::generate_signing_key();
  std::vector<config::IncidentReporter> reporters;
  for (int i = 0; i < state.range(0) - 1; ++i) {
    const auto other = links::generate_signing_key();
    reporters.push_back({"other", other.public_key, *links::decode_public_key(other.public_key)});
  }
  reporters.push_back({"base-bravo-gw1", keys.public_key, *links::decode_public_key(keys.public_key)});
  const std::string report =
      R"({"id":"3f1c","time":"2026-11-29T12:00:00Z","reporter":"base-bravo-gw1","severity":"high",)"
      R"("category":"rogue-base-station","affected":{"operators":["Example Mobile"],"plmns":["24001"],)"
      R"("cells":[{"tac":6699,"cell_id":19088743}],"vendors":[]},"indicators":["RAT downgrade nr->gsm"],)"
      R"("expires":"2026-11-29T18:00:00Z"})";
  const auto sig = links::sign_incident(report, *links::decode_secret_key(keys.secret_key));
  for (auto _ : state) {
    const auto* who = links::verify_incident(report, sig, reporters);
    auto parsed = links::parse_incident(report);
    benchmark::DoNotOptimize(who);
    benchmark::DoNotOptimize(parsed);
  }
}
// Reporters tried before the one that signed (the worst case: it is the last one listed).
BENCHMARK(BM_IncidentVerifyAndParse)->Arg(1)->Arg(16);

void BM_RttFloorPerReply(benchmark::State& state) {
  links::RttFloorWatch w;
  std::int64_t i = 0;
  for (auto _ : state) {
    auto r = w.on_reply(std::chrono::microseconds(25000 + (i++ % 7) * 300));
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_RttFloorPerReply);

}  // namespace
