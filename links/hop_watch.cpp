#include "links/hop_watch.hpp"

namespace lifeline::links {

std::optional<std::string> HopWatch::on_reply(int ttl) {
  if (ttl < 0) return std::nullopt;
  if (baseline_ < 0) {
    baseline_ = ttl;
    seen_ = 1;
    return std::nullopt;
  }
  if (ttl == baseline_) {
    if (seen_ < kLearn) ++seen_;
    run_ = 0;
    candidate_ = -1;
    return std::nullopt;
  }
  if (ttl != candidate_) {
    candidate_ = ttl;
    run_ = 0;
  }
  if (++run_ < kConfirm) return std::nullopt;
  const int was = baseline_;
  const bool learning = seen_ < kLearn;
  baseline_ = ttl;
  // Confirmed by kConfirm replies in a row: established, unless the first baseline was still
  // being learnt (then the new one is learnt on).
  seen_ = learning ? kConfirm : kLearn;
  run_ = 0;
  candidate_ = -1;
  // While the baseline is still being learnt, a change only corrects it.
  if (learning) return std::nullopt;
  return "hop limit " + std::to_string(was) + " -> " + std::to_string(ttl);
}

}  // namespace lifeline::links
