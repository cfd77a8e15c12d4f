// Decisions in words: the one-line reason printed on a timeline or in an event, and the
// full explanation of one class (every listed link and why it was or was not taken).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "policies/policy_engine.hpp"

namespace lifeline::policy {

// "5g", "blackhole", "main", "none"
std::string target_name(const PolicyModel& model, Target target);

// "5g down", "5g suppressed by flap dampening (penalty 2150 > reuse 750)"; with `detail`,
// a down link also says why its monitor declared it down.
std::string rejection_text(const PolicyModel& model, std::span<const LinkInput> links,
                           const Decision& decision, const Rejection& rejection,
                           bool detail = false);

// One line: why class `ci` has its target, e.g. "5g down; leo is the next fit link".
std::string reason_text(const PolicyModel& model, std::span<const LinkInput> links,
                        const Decision& decision, std::size_t ci);

// Several lines: the reason, then each listed link in preference order with its verdict.
std::vector<std::string> explain(const PolicyModel& model, std::span<const LinkInput> links,
                                 const Decision& decision, std::size_t ci);

}  // namespace lifeline::policy
