#include "controller/journal/schema.hpp"

namespace lifeline::journal::schema {

const std::vector<std::string_view>& migrations() {
  static const std::vector<std::string_view> steps = {
      // Version 1. Times are integer microseconds since the epoch, UTC. `class` and `link`
      // are NULL when an event is not about one, which keeps their partial indexes small.
      // Every index ends in `time` (and, implicitly, the rowid), so "newest first" is a walk
      // backwards along the index, never a sort.
      R"sql(
CREATE TABLE schema_version (
  version INTEGER PRIMARY KEY,
  applied INTEGER NOT NULL
);
CREATE TABLE events (
  id    INTEGER PRIMARY KEY,
  time  INTEGER NOT NULL,
  kind  TEXT NOT NULL,
  class TEXT,
  link  TEXT,
  json  TEXT NOT NULL
);
CREATE INDEX events_by_time  ON events(time);
CREATE INDEX events_by_kind  ON events(kind, time);
CREATE INDEX events_by_class ON events(class, time) WHERE class IS NOT NULL;
CREATE TABLE drill_reports (
  id      TEXT PRIMARY KEY,
  started INTEGER NOT NULL,
  json    TEXT NOT NULL
);
CREATE INDEX drill_reports_by_started ON drill_reports(started);
)sql",
  };
  return steps;
}

std::string history_sql(HistoryFilters filters) {
  // Without ANALYZE statistics SQLite may pick the `kind` index (six values) over the
  // `class` one. A unary + keeps a column's index out of the running, so the most selective
  // filter present always drives the query: class, then link, then kind, then time.
  std::string sql = "SELECT json FROM events WHERE 1";
  bool indexed = false;
  auto term = [&](bool present, std::string_view column, std::string_view parameter) {
    if (!present) return;
    sql += " AND ";
    if (indexed) sql += '+';
    sql += column;
    sql += " = ";
    sql += parameter;
    indexed = true;
  };
  if (filters.since) sql += " AND time >= :since";
  term(filters.class_name, "class", ":class");
  // A class switch names the links on both sides, "5g,leo" (ops::Event), so `--link 5g`
  // finds switches away from 5g and onto it. That needs patterns, which no index answers:
  // the link filter never drives the query, it is checked along the walk of another index.
  if (filters.link_name) {
    sql += " AND (+link = :link OR +link GLOB :link_first OR +link GLOB :link_second)";
  }
  term(filters.kind, "kind", ":kind");
  sql += " ORDER BY time DESC, id DESC LIMIT :limit";
  return sql;
}

}  // namespace lifeline::journal::schema
