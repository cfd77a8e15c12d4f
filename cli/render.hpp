// What lifelinectl prints for people: the daemon's result objects (docs/control-api.md) as
// tables and sentences. Pure: JSON text and the current time in, text out. Fields that are
// missing or of another type print as "-", never throw: a newer daemon may send more, an
// older one less.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace lifeline::cli {

using SystemTime = std::chrono::system_clock::time_point;

// `result_json` is the reply's `result` object for `command` ("status", "links", ...);
// `subject` is the class or link the request named (pin, drain, ...), for the sentence.
std::string render_result(const std::string& command, const std::string& result_json,
                          SystemTime now, const std::string& subject = "");

// One line for an event of the stream or of `history` (no newline):
// "2026-11-29 12:00:30.039Z  link      5g        up -> down: no valid reply ..."
std::string render_event_line(const std::string& event_json);

// "4s", "5m12s", "3h04m", "2d03h": a duration for people, rounded down.
std::string human_duration(std::chrono::seconds d);

}  // namespace lifeline::cli
