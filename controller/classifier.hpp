// Traffic classification: the nftables table `inet lifeline`, generated from the classes,
// that gives each new connection its class's fwmark and keeps it for the whole flow through
// the conntrack mark; and the selective conntrack flush that makes a class's NATed flows
// re-establish on its new link after a switch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace lifeline::classify {

// The complete nftables ruleset (nft syntax) for `config`: deletes and recreates
// `table inet lifeline` in one transaction. Pure. Class slot s marks routing::class_mark(s).
std::string render_ruleset(const config::Config& config);

class Classifier {
 public:
  virtual ~Classifier() = default;
  // Replaces `table inet lifeline` atomically (one nftables transaction). Returns an error
  // message, or empty on success; on error the previous table stays as it was.
  virtual std::string apply(const config::Config& config) = 0;
  struct Flushed {
    int error = 0;            // 0, or a negative errno (-EINVAL: a mark not lifelined's)
    std::size_t deleted = 0;  // entries deleted
    std::size_t walks = 0;    // walks of the kernel's conntrack table it took
  };
  // Deletes the conntrack entries whose mark is one of `marks` (both families), with one
  // walk of the kernel's conntrack table however many marks there are. Slow by nature (the
  // walk visits every hash bucket): the daemon calls it from its worker thread, never from
  // the event loop; apply() and installed() may run on another thread at the same time.
  virtual Flushed flush_flows(const std::vector<std::uint32_t>& marks) = 0;
  // Whether `table inet lifeline` is in the kernel now (someone may have flushed the
  // ruleset: Debian's nftables.conf starts with `flush ruleset`), or nullopt if unknown.
  virtual std::optional<bool> installed() { return std::nullopt; }
};

}  // namespace lifeline::classify
