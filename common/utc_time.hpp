// UTC times as lifeline writes and reads them: RFC 3339 with a "Z", never a local time zone.
//   format(t)         "2026-11-29T12:00:30Z"       attestations, incident reports, radio readings
//   format_millis(t)  "2026-11-29T12:00:30.039Z"   the control API, events, the journal
//   format_clock(t)   "2026-11-29 12:00:30Z"       for people (lifelinectl's tables)
//   format_compact(t) "20261129T120030Z"           in names (a drill's id)
//   parse(text)       any of the first two; fractions of a second to the nanosecond
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace lifeline::utc {

using SystemTime = std::chrono::system_clock::time_point;

std::string format(SystemTime t);
std::string format_millis(SystemTime t);
std::string format_clock(SystemTime t);
std::string format_compact(SystemTime t);

// "YYYY-MM-DDTHH:MM:SS[.fraction]Z", UTC only, years 1970 to 2200 (a 64-bit nanosecond clock
// holds about 292 years either side of 1970); nullopt for anything else.
std::optional<SystemTime> parse(std::string_view text);

}  // namespace lifeline::utc
