#include "controller/classify/conntrack.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace lifeline::classify::conntrack {
namespace {

// A dump sends at most 32 KiB per datagram (netlink_dump caps its buffer there).
constexpr std::size_t kReceiveBuffer = std::size_t{64} * 1024;
// Deletes per datagram in delete_by_marks: few syscalls, and the acks fit the socket buffer.
constexpr std::size_t kDeletesPerBatch = 64;

class Socket {
 public:
  Socket() = default;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (nl_ != nullptr) mnl_socket_close(nl_);
  }

  int open() {
    nl_ = mnl_socket_open(NETLINK_NETFILTER);
    if (nl_ == nullptr) return -errno;
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) return -errno;
    portid_ = mnl_socket_get_portid(nl_);
    return 0;
  }
  mnl_socket* get() const { return nl_; }
  unsigned portid() const { return portid_; }

  int send(const void* data, std::size_t size) const {
    return mnl_socket_sendto(nl_, data, size) < 0 ? -errno : 0;
  }
  // Bytes received, or a negative errno.
  long receive(std::vector<char>& buffer) const {
    const ssize_t n = mnl_socket_recvfrom(nl_, buffer.data(), buffer.size());
    return n < 0 ? -errno : static_cast<long>(n);
  }

 private:
  mnl_socket* nl_ = nullptr;
  unsigned portid_ = 0;
};

nlmsghdr* put_request(char* buffer, std::uint8_t type, std::uint16_t flags, std::uint8_t family,
                      std::uint32_t seq) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer);
  nlh->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | type);
  nlh->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
  nlh->nlmsg_seq = seq;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  // AF_UNSPEC with version 0: every family (the kernel's flush and dump filters read it so).
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  return nlh;
}

void put_mark_filter(nlmsghdr* nlh, MarkFilter filter) {
  mnl_attr_put_u32(nlh, CTA_MARK, htonl(filter.value & filter.mask));
  mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(filter.mask));
}

template <std::size_t N>
int collect_attribute(const nlattr* attr, void* data) {
  auto& table = *static_cast<std::array<const nlattr*, N>*>(data);
  const auto type = mnl_attr_get_type(attr);
  if (type < N) table[type] = attr;
  return MNL_CB_OK;
}

template <std::size_t N>
std::array<const nlattr*, N> nested(const nlattr* attr) {
  std::array<const nlattr*, N> table{};
  if (attr != nullptr) mnl_attr_parse_nested(attr, collect_attribute<N>, &table);
  return table;
}

IpAddress address_of(const nlattr* attr, Family family) {
  if (attr == nullptr) return {};
  const auto* bytes = static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr));
  if (family == Family::v4 && mnl_attr_get_payload_len(attr) >= 4) {
    return IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]});
  }
  if (family == Family::v6 && mnl_attr_get_payload_len(attr) >= 16) {
    std::array<std::uint8_t, 16> a{};
    std::memcpy(a.data(), bytes, a.size());
    return IpAddress::v6(a);
  }
  return {};
}

std::uint16_t port_of(const nlattr* attr) {
  return attr == nullptr ? 0 : ntohs(mnl_attr_get_u16(attr));
}

// A dumped entry with what deleting exactly it takes.
struct Entry {
  Flow flow;
  std::uint8_t nfgen_family = AF_UNSPEC;
  std::vector<std::uint8_t> tuple_orig;  // payload of CTA_TUPLE_ORIG, sent back as it came
  std::optional<std::uint16_t> zone;     // CTA_ZONE, network byte order
};

struct DumpContext {
  std::optional<MarkFilter> filter;
  std::vector<Entry> entries;
  const std::vector<std::uint32_t>* keep = nullptr;  // only these marks (empty: all)
};

int on_entry(const nlmsghdr* nlh, void* data) {
  auto& context = *static_cast<DumpContext*>(data);
  const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  std::array<const nlattr*, CTA_MAX + 1> tb{};
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), collect_attribute<CTA_MAX + 1>, &tb) < 0) {
    return MNL_CB_OK;  // a message we cannot read is not one we may delete
  }
  if (tb[CTA_TUPLE_ORIG] == nullptr) return MNL_CB_OK;
  Entry e;
  e.nfgen_family = nfg->nfgen_family;
  e.flow.family = nfg->nfgen_family == AF_INET6 ? Family::v6 : Family::v4;
  e.flow.mark = tb[CTA_MARK] != nullptr ? ntohl(mnl_attr_get_u32(tb[CTA_MARK])) : 0;
  e.flow.id = tb[CTA_ID] != nullptr ? ntohl(mnl_attr_get_u32(tb[CTA_ID])) : 0;
  // The kernel filters the dump by mark too, but a kernel that ignores the filter must not
  // make us delete other flows: check every entry here.
  if (context.filter && (e.flow.mark & context.filter->mask) != (context.filter->value & context.filter->mask)) {
    return MNL_CB_OK;
  }
  if (context.keep != nullptr && !context.keep->empty() &&
      std::find(context.keep->begin(), context.keep->end(), e.flow.mark) == context.keep->end()) {
    return MNL_CB_OK;
  }
  const auto tuple = nested<CTA_TUPLE_MAX + 1>(tb[CTA_TUPLE_ORIG]);
  const auto ip = nested<CTA_IP_MAX + 1>(tuple[CTA_TUPLE_IP]);
  const auto proto = nested<CTA_PROTO_MAX + 1>(tuple[CTA_TUPLE_PROTO]);
  const bool v6 = e.flow.family == Family::v6;
  e.flow.source = address_of(ip[v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC], e.flow.family);
  e.flow.destination = address_of(ip[v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST], e.flow.family);
  if (proto[CTA_PROTO_NUM] != nullptr) e.flow.protocol = mnl_attr_get_u8(proto[CTA_PROTO_NUM]);
  e.flow.source_port = port_of(proto[CTA_PROTO_SRC_PORT]);
  e.flow.destination_port = port_of(proto[CTA_PROTO_DST_PORT]);
  const auto* payload = static_cast<const std::uint8_t*>(mnl_attr_get_payload(tb[CTA_TUPLE_ORIG]));
  e.tuple_orig.assign(payload, payload + mnl_attr_get_payload_len(tb[CTA_TUPLE_ORIG]));
  if (tb[CTA_ZONE] != nullptr) e.zone = mnl_attr_get_u16(tb[CTA_ZONE]);
  context.entries.push_back(std::move(e));
  return MNL_CB_OK;
}

// Fills `out` with the entries matching `filter` (or all), and of those only the ones whose
// mark is in `keep` when it is not empty (the others are not even stored). 0 or a negative
// errno.
int dump_entries(std::optional<MarkFilter> filter, std::vector<Entry>& out,
                 const std::vector<std::uint32_t>& keep = {}) {
  Socket socket;
  if (const int error = socket.open(); error < 0) return error;
  std::vector<char> buffer(kReceiveBuffer);
  const std::uint32_t seq = 1;
  nlmsghdr* nlh = put_request(buffer.data(), IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC, seq);
  if (filter) put_mark_filter(nlh, *filter);
  if (const int error = socket.send(nlh, nlh->nlmsg_len); error < 0) return error;
  DumpContext context{filter, {}, &keep};
  while (true) {
    const long n = socket.receive(buffer);
    if (n < 0) return static_cast<int>(n);
    const int rc = mnl_cb_run(buffer.data(), static_cast<std::size_t>(n), seq, socket.portid(),
                              on_entry, &context);
    if (rc == MNL_CB_ERROR) return -errno;
    if (rc == MNL_CB_STOP) break;
  }
  out = std::move(context.entries);
  return 0;
}

// Sends the prepared deletes in one datagram and reads one ack per message. Returns how many
// the kernel deleted; an entry already gone (ENOENT: ended, or its tuple now belongs to a
// new entry with another id) is not an error.
long send_deletes(const Socket& socket, std::vector<char>& batch, std::size_t used,
                  std::size_t messages, std::vector<char>& buffer) {
  if (const int error = socket.send(batch.data(), used); error < 0) return error;
  long deleted = 0;
  int first_error = 0;
  std::size_t acked = 0;
  while (acked < messages) {
    const long n = socket.receive(buffer);
    if (n < 0) return n;
    int remaining = static_cast<int>(n);
    for (auto* nlh = static_cast<const nlmsghdr*>(static_cast<const void*>(buffer.data()));
         mnl_nlmsg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
      if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != socket.portid()) continue;
      const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      ++acked;
      if (err->error == 0) {
        ++deleted;
      } else if (err->error != -ENOENT && first_error == 0) {
        first_error = err->error;
      }
    }
  }
  return first_error != 0 ? first_error : deleted;
}

}  // namespace

DumpResult dump(std::optional<MarkFilter> filter) {
  DumpResult result;
  std::vector<Entry> entries;
  result.error = dump_entries(filter, entries);
  for (auto& e : entries) result.flows.push_back(e.flow);
  return result;
}

struct Collected::Entry {
  conntrack::Entry entry;
};

std::size_t Collected::count(std::uint32_t mark) const {
  const auto it = by_mark.find(mark);
  return it == by_mark.end() ? 0 : it->second.size();
}

std::size_t Collected::total() const {
  std::size_t n = 0;
  for (const auto& [mark, entries] : by_mark) n += entries.size();
  return n;
}

namespace {

bool marks_in_range(const std::vector<std::uint32_t>& marks, MarkFilter range) {
  return std::all_of(marks.begin(), marks.end(),
                     [&](std::uint32_t m) { return (m & range.mask) == (range.value & range.mask); });
}

// Deletes `entries` by tuple and id (or by tuple only), in batches; adds to `result`.
void delete_entries(const std::vector<const Entry*>& entries, DeleteResult& result, bool by_tuple_only = false) {
  if (entries.empty()) return;
  Socket socket;
  if (const int error = socket.open(); error < 0) {
    result.error = error;
    return;
  }
  std::vector<char> buffer(kReceiveBuffer);
  std::vector<char> batch(kReceiveBuffer);
  std::uint32_t seq = 0;
  std::size_t used = 0;
  std::size_t messages = 0;
  auto flush_batch = [&]() -> bool {
    const long n = send_deletes(socket, batch, used, messages, buffer);
    used = 0;
    messages = 0;
    if (n < 0) {
      result.error = static_cast<int>(n);
      return false;
    }
    result.deleted += static_cast<std::size_t>(n);
    return true;
  };
  for (const Entry* e : entries) {
    // An entry takes well under 256 bytes; start a new datagram before one could overflow.
    if ((messages == kDeletesPerBatch || used + 512 > batch.size()) && !flush_batch()) return;
    nlmsghdr* nlh =
        put_request(batch.data() + used, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, e->nfgen_family, ++seq);
    mnl_attr_put(nlh, CTA_TUPLE_ORIG | NLA_F_NESTED, e->tuple_orig.size(), e->tuple_orig.data());
    if (e->zone) mnl_attr_put_u16(nlh, CTA_ZONE, *e->zone);
    if (!by_tuple_only) mnl_attr_put_u32(nlh, CTA_ID, htonl(e->flow.id));
    used += NLMSG_ALIGN(nlh->nlmsg_len);
    ++messages;
  }
  if (messages > 0) flush_batch();
}

}  // namespace

Collected collect(const std::vector<std::uint32_t>& marks, MarkFilter range) {
  Collected out;
  if (!marks_in_range(marks, range)) {
    out.error = -EINVAL;
    return out;
  }
  if (marks.empty()) return out;
  std::vector<Entry> entries;
  ++out.walks;
  // Unfiltered in the kernel (see delete_by_marks in the header): the walk yields as it goes.
  if (const int error = dump_entries(std::nullopt, entries, marks); error < 0) {
    out.error = error;
    return out;
  }
  for (auto& e : entries) {
    if ((e.flow.mark & range.mask) != (range.value & range.mask)) continue;
    if (std::find(marks.begin(), marks.end(), e.flow.mark) == marks.end()) continue;
    const auto mark = e.flow.mark;
    out.by_mark[mark].push_back(std::make_shared<const Collected::Entry>(Collected::Entry{std::move(e)}));
  }
  return out;
}

DeleteResult delete_collected(const Collected& collected, std::uint32_t mark, bool by_tuple_only) {
  DeleteResult result;
  std::vector<const Entry*> mine;
  if (const auto it = collected.by_mark.find(mark); it != collected.by_mark.end()) {
    for (const auto& e : it->second) mine.push_back(&e->entry);
  }
  result.matched = mine.size();
  delete_entries(mine, result, by_tuple_only);
  return result;
}

DeleteResult delete_by_marks(const std::vector<std::uint32_t>& marks, MarkFilter range) {
  DeleteResult result;
  const Collected found = collect(marks, range);
  result.walks = found.walks;
  result.error = found.error;
  if (found.error < 0) return result;
  std::vector<const Entry*> all;
  for (const auto& [mark, entries] : found.by_mark) {
    for (const auto& e : entries) all.push_back(&e->entry);
  }
  result.matched = all.size();
  delete_entries(all, result);
  return result;
}

}  // namespace lifeline::classify::conntrack
