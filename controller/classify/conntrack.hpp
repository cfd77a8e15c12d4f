// Conntrack entries by mark over ctnetlink (NETLINK_NETFILTER, libmnl): list them, and delete
// them either with one kernel-filtered flush or one by one. Both address families, always.
// Each call opens its own socket in the calling thread's network namespace.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "config/address.hpp"

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

// The entries whose mark is exactly `mark`, or every entry.
DumpResult dump(std::optional<std::uint32_t> mark = std::nullopt);

// One IPCTNL_MSG_CT_DELETE without a tuple but with CTA_MARK and CTA_MARK_MASK 0xffffffff:
// the kernel deletes every entry with that mark. 0 or a negative errno; the kernel does not
// say how many. Only safe where kernel_filters_flush_by_mark(): older kernels ignore the
// mark and flush the whole table.
int flush_by_mark(std::uint32_t mark);

// dump(mark), then an IPCTNL_MSG_CT_DELETE per entry by its original tuple and CTA_ID, so an
// entry that ended meanwhile (and whatever reused its tuple) is left alone. Returns the
// number deleted, or a negative errno.
long delete_by_mark(std::uint32_t mark);

// Whether the running kernel honours CTA_MARK in a flush. Filtering a flush by mark
// appeared during Linux 4.x; we ask for 5.0 or later to stay on the safe side (the fallback,
// delete_by_mark, is correct on every kernel, only slower).
bool kernel_filters_flush_by_mark();
// The same decision for a `uname -r` release string, e.g. "6.1.0-18-amd64" (pure).
bool kernel_filters_flush_by_mark(const char* release);

}  // namespace lifeline::classify::conntrack
