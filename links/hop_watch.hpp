// The hop count of a probe target's replies (their IP TTL / IPv6 hop limit as they arrive):
// the length of the path as the gateway sees it. A reply that suddenly comes from fewer or
// more hops away is a path-integrity signal (docs/integrity.md): a rerouted path, or a box
// answering in the target's name from somewhere else. Pure; one per probe target.
#pragma once

#include <optional>
#include <string>

namespace lifeline::links {

class HopWatch {
 public:
  // The first replies teach the baseline; a new value that then holds for kConfirm replies in
  // a row is a change (a single odd reply, e.g. a packet on a transient route, is not).
  static constexpr int kLearn = 10;
  static constexpr int kConfirm = 5;

  // One valid reply's TTL or hop limit (negative: the kernel did not say; ignored). Returns
  // the evidence when a change is confirmed ("hop limit 60 -> 57"); the new value becomes the
  // baseline.
  std::optional<std::string> on_reply(int ttl);

  int baseline() const { return baseline_; }

 private:
  int baseline_ = -1;
  int seen_ = 0;  // replies since the baseline was set (capped at kLearn)
  int candidate_ = -1;
  int run_ = 0;
};

}  // namespace lifeline::links
