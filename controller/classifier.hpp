// Traffic classification: the nftables table `inet lifeline`, generated from the classes,
// that gives each new connection its class's fwmark and keeps it for the whole flow through
// the conntrack mark; and the selective conntrack flush that makes a class's NATed flows
// re-establish on its new link after a switch.
#pragma once

#include <cstdint>
#include <memory>
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

  // The same in two halves, for a move off a link that still works (a failback): nothing
  // on the way may be lost, so a class's entries are deleted right before its route is
  // switched, not after. collect_flows() walks the table once (the worker's); delete_flows()
  // deletes one mark's collected entries, each by tuple and id, without a walk (the loop's,
  // microseconds for a class's few flows).
  class Collected {
   public:
    virtual ~Collected() = default;
    int error = 0;  // 0, or the walk's negative errno
    std::size_t walks = 0;
    virtual std::size_t count(std::uint32_t mark) const = 0;
  };
  virtual std::shared_ptr<const Collected> collect_flows(const std::vector<std::uint32_t>& marks) = 0;
  // `again`: the second pass, right after the switch: by tuple only, so an entry that a
  // packet re-created for the old link between the first pass and the switch goes too.
  virtual Flushed delete_flows(const Collected& flows, std::uint32_t mark, bool again = false) = 0;
  // Whether `table inet lifeline` is in the kernel now (someone may have flushed the
  // ruleset: Debian's nftables.conf starts with `flush ruleset`), or nullopt if unknown.
  virtual std::optional<bool> installed() { return std::nullopt; }
};

}  // namespace lifeline::classify
