// lifeline-sim's output: a timeline and a summary for people, or one JSON document for
// scripts (the format is in docs/simulator.md).
#pragma once

#include <string>

#include "sim/simulator.hpp"

namespace lifeline::sim {

std::string render_text(const SimResult& result, const std::string& config_name,
                        const std::string& scenario_name, double wall_seconds);
std::string render_json(const SimResult& result, double wall_seconds);

}  // namespace lifeline::sim
