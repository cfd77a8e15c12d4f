// The real Classifier: installs render_ruleset() through libnftables (one transaction) and
// flushes a class's conntrack entries over ctnetlink (conntrack.hpp). It works in the network
// namespace of the calling thread at the time of each call; it keeps no kernel handles.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "controller/classifier.hpp"

namespace lifeline::classify {

// flush_flows(marks) refuses (-EINVAL, nothing deleted) any mark outside lifelined's range
// (routing::kMarkBase in the upper 16 bits, a class slot below), so it can never flush anyone
// else's flows: one dump of lifelined's entries, then a delete per entry of those marks
// (conntrack::delete_by_marks). The count is exact.
std::unique_ptr<Classifier> make_nft_classifier();

// Runs `nft_text` (nft syntax, several commands) through libnftables as one transaction:
// all of it takes effect, or none. Returns nft's error text, or empty on success. This is
// what apply() does with render_ruleset(); tests use it to show that a failing transaction
// leaves the previous table in place.
std::string run_nft_transaction(std::string_view nft_text);

}  // namespace lifeline::classify
