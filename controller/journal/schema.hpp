// The journal's SQL as plain values: the schema, its migrations and the history queries.
// journal.cpp runs them; tests check the query plans against the schema, so a filter of
// `lifelinectl history` stays an index lookup on a million rows (docs/journal.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline::journal::schema {

// The schema this build writes. A database with a higher version was written by a newer
// lifelined: it is refused, never downgraded.
inline constexpr int kVersion = 1;

// PRAGMA application_id of a lifeline journal ("LFLJ"), so `file` and tools can tell it apart.
inline constexpr std::int32_t kApplicationId = 0x4c464c4a;

// migrations()[v - 1] takes a database from version v - 1 to v. Each runs in the same
// transaction as the schema_version row that records it.
const std::vector<std::string_view>& migrations();

// Which filters a history query has; each combination has its own prepared statement.
struct HistoryFilters {
  bool since = false;
  bool class_name = false;
  bool link_name = false;
  bool kind = false;
  int index() const {
    return (since ? 1 : 0) | (class_name ? 2 : 0) | (link_name ? 4 : 0) | (kind ? 8 : 0);
  }
};
inline constexpr int kHistoryVariants = 16;

// SELECT json ... newest first, with the named parameters :since (microseconds), :class,
// :link, :kind and :limit for the filters present.
std::string history_sql(HistoryFilters filters);

// Retention: one bounded batch each. :cutoff (microseconds), :batch.
inline constexpr std::string_view kDeleteOlderThan =
    "DELETE FROM events WHERE id IN "
    "(SELECT id FROM events WHERE time < :cutoff ORDER BY time, id LIMIT :batch)";
inline constexpr std::string_view kDeleteOldest =
    "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY time, id LIMIT :batch)";

}  // namespace lifeline::journal::schema
