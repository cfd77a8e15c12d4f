// Conntrack entries by mark over ctnetlink (NETLINK_NETFILTER, libmnl): list them, and delete
// those of several marks with one walk of the kernel's table. Both address families, always.
// Each call opens its own socket in the calling thread's network namespace.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "common/address.hpp"

namespace lifeline::classify::conntrack {

// One entry as the original direction saw it (ports are 0 for protocols without ports).
struct Flow {
  Family family = Family::v4;
  std::uint8_t protocol = 0;
  IpAddress source;
  IpAddress destination;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t mark = 0;
  std::uint32_t id = 0;  // the kernel's id of the entry (CTA_ID)
};

struct DumpResult {
  int error = 0;  // 0, or a negative errno
  std::vector<Flow> flows;
};

// Which marks a dump asks the kernel for: (entry mark & mask) == value. The kernel filters
// by it (CTA_MARK / CTA_MARK_MASK) and every entry is checked again here, so a kernel that
// ignores the filter can never make us report or delete another entry.
struct MarkFilter {
  std::uint32_t value = 0;
  std::uint32_t mask = 0xffffffff;
};

// The entries matching `filter`, or every entry. One walk of the kernel's table.
DumpResult dump(std::optional<MarkFilter> filter = std::nullopt);

struct DeleteResult {
  int error = 0;            // 0, or the first negative errno
  std::size_t matched = 0;  // entries found with one of the marks
  std::size_t deleted = 0;  // of which the kernel deleted (gone meanwhile is not an error)
  std::size_t walks = 0;    // dumps sent: walks of the kernel's whole table (1)
};

// Deletes every entry whose mark is one of `marks`, with ONE walk of the kernel's table
// however many marks there are: a dump of the whole table (the kernel visits every hash
// bucket for it, ~9 ms with 262 144 empty buckets), the marks picked out here, then one
// IPCTNL_MSG_CT_DELETE per entry by its original tuple and CTA_ID, in batches (a hash lookup
// each, no walk), so an entry that ended meanwhile, and whatever reused its tuple, is left
// alone. Every mark must lie in `range`.
//
// The dump is deliberately NOT filtered by mark in the kernel. The kernel walks a dump with
// softirqs off until its reply buffer is full; filtered, few entries fill it, so the whole
// walk runs with softirqs off — ~30 ms with 100 000 entries during which the packets that CPU
// should forward wait (measured: a failover's outage grew from 62 to 95 ms). Unfiltered,
// every entry fills the buffer and the walk yields every ~150 entries: more CPU (~300 ms per
// 100 000 entries, on the worker), no stall of the data plane. Slow by nature: call it from
// a worker, never from the event loop.
DeleteResult delete_by_marks(const std::vector<std::uint32_t>& marks, MarkFilter range);

// The same in two halves, so that entries can be deleted right before their class's route
// is switched (a failback: nothing on the way may be lost): collect() walks the table once
// (the worker's), delete_collected() deletes one mark's entries from what was collected, by
// tuple and id, without a walk (a hash lookup each: microseconds). The id does not always tell
// a re-created entry from the one collected: the kernel's id is a hash of the entry's address
// and tuple, and a new entry for the same tuple often reuses the freed one's memory.
class Collected {
 public:
  int error = 0;  // the walk's, or 0
  std::size_t walks = 0;
  std::size_t count(std::uint32_t mark) const;
  std::size_t total() const;

  struct Entry;  // conntrack.cpp
  std::map<std::uint32_t, std::vector<std::shared_ptr<const Entry>>> by_mark;
};
Collected collect(const std::vector<std::uint32_t>& marks, MarkFilter range);
// `by_tuple_only`: without CTA_ID, so an entry re-created with the same tuple since the walk
// goes too (right after a failback's switch: a packet that slipped in between the first
// delete and the switch re-created it for the old link, and the next would be dropped).
DeleteResult delete_collected(const Collected& collected, std::uint32_t mark, bool by_tuple_only = false);

}  // namespace lifeline::classify::conntrack
