// The real Classifier: installs render_ruleset() through libnftables (one transaction) and
// flushes a class's conntrack entries over ctnetlink (conntrack.hpp). It works in the network
// namespace of the calling thread at the time of each call; it keeps no kernel handles.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "controller/classifier.hpp"

namespace lifeline::classify {

// How flush_flows() deletes entries.
enum class FlushMethod {
  // One IPCTNL_MSG_CT_DELETE filtered by CTA_MARK/CTA_MARK_MASK (the kernel walks its table
  // once) where the kernel honours that filter; dump_and_delete on older kernels, which
  // would ignore the mark and flush everything.
  automatic,
  // Dump the entries with the mark, delete each by tuple and id: every kernel, exact count.
  dump_and_delete,
};

struct NftClassifierOptions {
  FlushMethod flush = FlushMethod::automatic;
};

// flush_flows(mark) refuses (-EINVAL) a mark outside lifelined's range (routing::kMarkBase
// in the upper 16 bits, a class slot below), so it can never flush anyone else's flows.
// It returns the number of entries deleted: exact with dump_and_delete; with the kernel's
// filtered flush, the number that carried the mark just before it (a flow that starts or
// ends in that instant can make it differ by one or two).
std::unique_ptr<Classifier> make_nft_classifier(NftClassifierOptions options = {});

// Runs `nft_text` (nft syntax, several commands) through libnftables as one transaction:
// all of it takes effect, or none. Returns nft's error text, or empty on success. This is
// what apply() does with render_ruleset(); tests use it to show that a failing transaction
// leaves the previous table in place.
std::string run_nft_transaction(std::string_view nft_text);

}  // namespace lifeline::classify
