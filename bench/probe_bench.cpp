// CPU cost of probing: the packet codecs, the reflector's handling of one request, and one
// whole authenticated UDP echo round trip over loopback (prober and reflector in this process,
// one thread: send, kernel, reflector verify + reply, kernel, prober verify), which is what a
// 5 ms probe interval costs 200 times a second per target.
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "links/probes/icmp_codec.hpp"
#include "links/probes/prober.hpp"
#include "links/probes/reflector.hpp"
#include "links/probes/reflector_server.hpp"
#include "links/probes/udp_echo_codec.hpp"

namespace lifeline::probes {
namespace {

ProbeKey bench_key() {
  ProbeKey k;
  k.id = 1;
  k.secret.fill(0x42);
  return k;
}

udp_echo::Message request(std::uint64_t seq) {
  udp_echo::Message m;
  m.key_id = 1;
  m.session = 0x1234;
  m.seq = seq;
  return m;
}

// Prober side, half a round trip: one HMAC to sign the request.
void BM_UdpEchoEncodeRequest(benchmark::State& state) {
  const auto key = bench_key();
  std::uint64_t seq = 0;
  for (auto _ : state) benchmark::DoNotOptimize(udp_echo::encode(request(seq++), key.secret));
}
BENCHMARK(BM_UdpEchoEncodeRequest);

// Prober side, the other half: one HMAC and a constant-time compare to verify the reply.
void BM_UdpEchoClassifyReply(benchmark::State& state) {
  const auto key = bench_key();
  auto m = request(7);
  m.type = udp_echo::MessageType::reply;
  const auto packet = udp_echo::encode(m, key.secret);
  for (auto _ : state) benchmark::DoNotOptimize(udp_echo::classify_reply(packet, key, 0x1234));
}
BENCHMARK(BM_UdpEchoClassifyReply);

// Reflector side: verify, replay window, sign the reply.
void BM_ReflectorHandle(benchmark::State& state) {
  KeyRing keys;
  auto k = bench_key();
  keys.add(k);
  Reflector reflector(std::move(keys), 4096, [] { return std::uint64_t{1}; });
  const Endpoint client{IpAddress::v4({198, 18, 0, 2}), 40000, 0};
  const auto key = bench_key();
  std::uint64_t seq = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto packet = udp_echo::encode(request(seq++), key.secret);
    state.ResumeTiming();
    benchmark::DoNotOptimize(reflector.handle(packet, client, 0));
  }
}
BENCHMARK(BM_ReflectorHandle);

void BM_IcmpEncodeAndClassify(benchmark::State& state) {
  std::uint64_t seq = 0;
  for (auto _ : state) {
    auto m = icmp::encode_echo_request(Family::v6, 0xbeef, 0x1234, seq++);
    m[0] = icmp::kEchoReplyV6;
    benchmark::DoNotOptimize(icmp::classify_reply(Family::v6, m, 0xbeef, 0x1234));
  }
}
BENCHMARK(BM_IcmpEncodeAndClassify);

// The whole round trip through real sockets on 127.0.0.1, both ends in this thread.
void BM_UdpEchoRoundTripLoopback(benchmark::State& state) {
  boost::asio::io_context io(1);
  KeyRing keys;
  auto k = bench_key();
  keys.add(k);
  std::string error;
  ReflectorServer server(io, {*parse_endpoint("127.0.0.1:0", error)}, std::move(keys), 64, nullptr);
  const Endpoint target = server.local_endpoints().at(0);
  ProbeSpec spec;
  spec.target = target.address;
  spec.port = target.port;
  spec.key = bench_key();
  spec.session = 0x1234;
  spec.clock = [] { return TimePoint(std::chrono::steady_clock::now()); };
  std::uint64_t ok = 0;
  auto prober = make_udp_echo_prober(io, spec, [&](const Received& r) {
    if (r.status == ReplyStatus::ok) ++ok;
  });
  std::uint64_t seq = 0;
  for (auto _ : state) {
    const std::uint64_t want = ok + 1;
    prober->send(seq++);
    while (ok < want) io.run_one();
  }
  if (server.counters().replied != seq) state.SkipWithError("a probe went unanswered");
  state.counters["round_trips_per_s"] =
      benchmark::Counter(static_cast<double>(seq), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_UdpEchoRoundTripLoopback)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace lifeline::probes
