// Traffic classification: the nftables table `inet lifeline`, generated from the classes,
// that gives each new connection its class's fwmark and keeps it for the whole flow through
// the conntrack mark; and the selective conntrack flush that makes a class's NATed flows
// re-establish on its new link after a switch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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
  // Deletes the conntrack entries whose mark is `mark` (both families). Returns the number
  // deleted, or a negative errno.
  virtual long flush_flows(std::uint32_t mark) = 0;
  // Whether `table inet lifeline` is in the kernel now (someone may have flushed the
  // ruleset: Debian's nftables.conf starts with `flush ruleset`), or nullopt if unknown.
  virtual std::optional<bool> installed() { return std::nullopt; }
};

}  // namespace lifeline::classify
