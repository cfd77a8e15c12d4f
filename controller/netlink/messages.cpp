#include "controller/netlink/messages.hpp"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <utility>

namespace lifeline::netlink {
namespace {

constexpr std::size_t kMaxRequest = 512;  // our largest request is ~150 bytes
constexpr std::uint32_t kMarkMaskAll = 0xffffffff;

std::uint8_t address_family(Family family) {
  return family == Family::v4 ? static_cast<std::uint8_t>(AF_INET)
                              : static_cast<std::uint8_t>(AF_INET6);
}

std::optional<Family> family_of(std::uint8_t af) {
  if (af == AF_INET) return Family::v4;
  if (af == AF_INET6) return Family::v6;
  return std::nullopt;
}

IpAddress zero_address(Family family) {
  return family == Family::v4 ? IpAddress::v4({}) : IpAddress::v6({});
}

// A message under construction in its own buffer (zeroed, aligned by operator new).
class Builder {
 public:
  Builder(std::uint16_t type, std::uint16_t flags, std::uint32_t seq) : buf_(kMaxRequest, 0) {
    nlh_ = mnl_nlmsg_put_header(buf_.data());
    nlh_->nlmsg_type = type;
    nlh_->nlmsg_flags = flags;
    nlh_->nlmsg_seq = seq;
  }
  template <typename Header>
  Header* extra_header() {
    return static_cast<Header*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(Header)));
  }
  void u8(std::uint16_t type, std::uint8_t value) { mnl_attr_put_u8(nlh_, type, value); }
  void u32(std::uint16_t type, std::uint32_t value) { mnl_attr_put_u32(nlh_, type, value); }
  void address(std::uint16_t type, const IpAddress& address) {
    mnl_attr_put(nlh_, type, address.size(), address.bytes().data());
  }
  void string(std::uint16_t type, const std::string& text) {
    mnl_attr_put_strz(nlh_, type, text.c_str());
  }
  Bytes finish() && {
    assert(nlh_->nlmsg_len <= kMaxRequest);
    buf_.resize(nlh_->nlmsg_len);
    return std::move(buf_);
  }

 private:
  Bytes buf_;
  nlmsghdr* nlh_;
};

// iproute2's convention: a table id fits rtm_table / frh.table when it is below 256, and
// travels in RTA_TABLE / FRA_TABLE (with RT_TABLE_UNSPEC in the header) otherwise.
bool table_fits_header(std::uint32_t table) {
  return table < 256;
}
std::uint8_t header_table(std::uint32_t table) {
  return table_fits_header(table) ? static_cast<std::uint8_t>(table)
                                  : static_cast<std::uint8_t>(RT_TABLE_UNSPEC);
}

Bytes route_message(std::uint16_t type, std::uint16_t flags, std::uint32_t seq, const RouteKey& key,
                    std::uint8_t scope, std::uint8_t route_type,
                    const std::optional<IpAddress>& gateway, std::uint32_t oif,
                    std::uint32_t route_flags = 0) {
  Builder b(type, flags, seq);
  auto* rtm = b.extra_header<rtmsg>();
  rtm->rtm_family = address_family(key.family);
  rtm->rtm_dst_len = key.dst.length();
  rtm->rtm_src_len = key.src ? key.src->length() : 0;
  rtm->rtm_tos = key.tos;
  rtm->rtm_table = header_table(key.table);
  rtm->rtm_protocol = routing::kRouteProtocol;
  rtm->rtm_scope = scope;
  rtm->rtm_type = route_type;
  rtm->rtm_flags = route_flags;
  // Attribute order as iproute2 adds them: destination, source, gateway, table, metric, oif.
  b.address(RTA_DST, mask_address(key.dst.network(), key.dst.length()));
  if (key.src && key.src->length() > 0) b.address(RTA_SRC, key.src->network());
  if (gateway) b.address(RTA_GATEWAY, *gateway);
  if (!table_fits_header(key.table)) b.u32(RTA_TABLE, key.table);
  if (key.metric) b.u32(RTA_PRIORITY, *key.metric);
  if (oif != 0) b.u32(RTA_OIF, oif);
  return std::move(b).finish();
}

Bytes rule_message(std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                   const KernelRule& rule) {
  Builder b(type, flags, seq);
  auto* frh = b.extra_header<fib_rule_hdr>();
  frh->family = address_family(rule.family);
  frh->src_len = rule.src ? rule.src->length() : 0;
  frh->dst_len = rule.dst ? rule.dst->length() : 0;
  frh->tos = rule.tos;
  frh->table = header_table(rule.table);
  frh->action = rule.action;
  // Attribute order as iproute2 adds them for `ip rule add|del priority P [from S] [to D]
  // [fwmark M/K] [iif I] [oif O] table T protocol 76`.
  b.u32(FRA_PRIORITY, rule.priority);
  if (rule.src && rule.src->length() > 0) b.address(FRA_SRC, rule.src->network());
  if (rule.dst && rule.dst->length() > 0) b.address(FRA_DST, rule.dst->network());
  if (rule.fwmark) b.u32(FRA_FWMARK, *rule.fwmark);
  if (rule.fwmark || rule.fwmask != 0) b.u32(FRA_FWMASK, rule.fwmask);
  if (!rule.iif.empty()) b.string(FRA_IIFNAME, rule.iif);
  if (!rule.oif.empty()) b.string(FRA_OIFNAME, rule.oif);
  if (!table_fits_header(rule.table)) b.u32(FRA_TABLE, rule.table);
  b.u8(FRA_PROTOCOL, routing::kRouteProtocol);
  return std::move(b).finish();
}

KernelRule from_spec(const routing::RuleSpec& spec, std::uint8_t action) {
  KernelRule rule;
  rule.family = spec.family;
  rule.priority = spec.priority;
  rule.table = spec.table;
  rule.action = action;
  rule.protocol = routing::kRouteProtocol;
  rule.fwmark = spec.fwmark;
  rule.fwmask = spec.fwmark ? kMarkMaskAll : 0;
  rule.oif = spec.oif;
  return rule;
}

void set_family(rtmsg& header, Family family) {
  header.rtm_family = address_family(family);
}
void set_family(fib_rule_hdr& header, Family family) {
  header.family = address_family(family);
}

template <typename FamilyHeader>
Bytes dump_request(std::uint16_t type, Family family, std::uint32_t seq) {
  Builder b(type, NLM_F_REQUEST | NLM_F_DUMP, seq);
  // Only the family is set: NETLINK_GET_STRICT_CHK reads any other non-zero header field
  // as a filter (or rejects it), and we want every table.
  set_family(*b.extra_header<FamilyHeader>(), family);
  return std::move(b).finish();
}

// ---- decoding ---------------------------------------------------------------------------

// A message copied to 4-byte aligned storage when it is not already aligned (libmnl reads
// headers and attributes in place).
class AlignedMessage {
 public:
  explicit AlignedMessage(std::span<const std::uint8_t> message) {
    if (reinterpret_cast<std::uintptr_t>(message.data()) % alignof(nlmsghdr) == 0) {
      data_ = message.data();
    } else {
      copy_.resize((message.size() + 3) / 4);
      std::memcpy(copy_.data(), message.data(), message.size());
      data_ = static_cast<const std::uint8_t*>(static_cast<const void*>(copy_.data()));
    }
    size_ = message.size();
  }
  // The message's header when the buffer holds all of it and at least `payload` bytes of
  // fixed header after it; nullptr otherwise.
  const nlmsghdr* header(std::size_t payload) const {
    if (size_ < sizeof(nlmsghdr)) return nullptr;
    const auto* nlh = static_cast<const nlmsghdr*>(static_cast<const void*>(data_));
    if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(payload) || nlh->nlmsg_len > size_) {
      return nullptr;
    }
    return nlh;
  }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::vector<std::uint32_t> copy_;
};

// Attributes of one message by type; types beyond the table (newer than our headers) are
// ignored.
struct Attributes {
  explicit Attributes(std::size_t max_type) : by_type(max_type + 1, nullptr) {}
  std::vector<const nlattr*> by_type;
  const nlattr* operator[](std::size_t type) const {
    return type < by_type.size() ? by_type[type] : nullptr;
  }
};

int collect_attribute(const nlattr* attr, void* data) {
  auto* attrs = static_cast<Attributes*>(data);
  const std::uint16_t type = mnl_attr_get_type(attr);
  if (type < attrs->by_type.size()) attrs->by_type[type] = attr;
  return MNL_CB_OK;
}

Attributes parse_attributes(const nlmsghdr* nlh, std::size_t header_size, std::size_t max_type) {
  Attributes attrs(max_type);
  mnl_attr_parse(nlh, static_cast<unsigned>(header_size), collect_attribute, &attrs);
  return attrs;
}

std::optional<std::uint32_t> get_u32(const nlattr* attr) {
  if (attr == nullptr || mnl_attr_validate(attr, MNL_TYPE_U32) < 0) return std::nullopt;
  return mnl_attr_get_u32(attr);
}

std::optional<std::uint8_t> get_u8(const nlattr* attr) {
  if (attr == nullptr || mnl_attr_validate(attr, MNL_TYPE_U8) < 0) return std::nullopt;
  return mnl_attr_get_u8(attr);
}

std::optional<IpAddress> get_address(const nlattr* attr, Family family) {
  if (attr == nullptr) return std::nullopt;
  const auto* bytes = static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr));
  const std::size_t length = mnl_attr_get_payload_len(attr);
  if (family == Family::v4 && length == 4) {
    std::array<std::uint8_t, 4> a{};
    std::copy_n(bytes, 4, a.begin());
    return IpAddress::v4(a);
  }
  if (family == Family::v6 && length == 16) {
    std::array<std::uint8_t, 16> a{};
    std::copy_n(bytes, 16, a.begin());
    return IpAddress::v6(a);
  }
  return std::nullopt;
}

std::string get_string(const nlattr* attr) {
  if (attr == nullptr) return {};
  const auto* text = static_cast<const char*>(mnl_attr_get_payload(attr));
  return std::string(text, strnlen(text, mnl_attr_get_payload_len(attr)));
}

std::optional<Prefix> get_prefix(const nlattr* attr, Family family, std::uint8_t length) {
  const std::size_t max_length = family == Family::v4 ? 32 : 128;
  if (length > max_length) return std::nullopt;
  if (attr == nullptr) {
    if (length != 0) return std::nullopt;  // a prefix length needs its address
    return Prefix(zero_address(family), 0);
  }
  auto address = get_address(attr, family);
  if (!address) return std::nullopt;
  return Prefix(mask_address(*address, length), length);
}

// The kernel reports errors as -errno. Anything else in that field (a positive value, or
// INT_MIN, whose negation overflows) is not an errno: report a protocol error instead.
int errno_of(int negative) {
  if (negative == 0) return 0;
  if (negative < 0 && negative > -4096) return -negative;
  return EPROTO;
}

}  // namespace

RouteKey default_slot(Family family, std::uint32_t table) {
  RouteKey key;
  key.family = family;
  key.table = table;
  key.dst = Prefix(zero_address(family), 0);
  return key;
}

bool in_default_slot(const KernelRoute& route) {
  const RouteKey& key = route.key;
  return key.dst.length() == 0 && (!key.src || key.src->length() == 0) && key.tos == 0 &&
         key.metric.value_or(default_metric(key.family)) == default_metric(key.family);
}

std::optional<routing::RouteSpec> as_route_spec(const KernelRoute& route) {
  if (!in_default_slot(route) || route.exotic) return std::nullopt;
  routing::RouteSpec spec;
  spec.table = route.key.table;
  spec.family = route.key.family;
  if (route.type == RTN_BLACKHOLE) {
    spec.kind = routing::RouteSpec::Kind::blackhole;
    return spec;  // the kernel reports IPv6 blackholes on lo; that is not part of the spec
  }
  if (route.type != RTN_UNICAST) return std::nullopt;
  spec.kind = routing::RouteSpec::Kind::unicast;
  spec.gateway = route.gateway;
  spec.interface = route.interface;
  return spec;
}

std::optional<routing::RuleSpec> as_rule_spec(const KernelRule& rule) {
  if (rule.action != FR_ACT_TO_TBL || rule.other_selectors || !rule.iif.empty() || rule.src ||
      rule.dst || rule.tos != 0) {
    return std::nullopt;
  }
  if (rule.fwmark ? rule.fwmask != kMarkMaskAll : rule.fwmask != 0) return std::nullopt;
  routing::RuleSpec spec;
  spec.priority = rule.priority;
  spec.family = rule.family;
  spec.table = rule.table;
  spec.fwmark = rule.fwmark;
  spec.oif = rule.oif;
  return spec;
}

Bytes encode_new_route(const routing::RouteSpec& route, std::uint32_t oif_index, WriteMode mode,
                       std::uint32_t seq) {
  const std::uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
                              (mode == WriteMode::replace ? NLM_F_REPLACE : NLM_F_EXCL);
  const RouteKey key = default_slot(route.family, route.table);
  if (route.kind == routing::RouteSpec::Kind::blackhole) {
    return route_message(RTM_NEWROUTE, flags, seq, key, RT_SCOPE_UNIVERSE, RTN_BLACKHOLE,
                         std::nullopt, 0);
  }
  // Without a next hop the route is on-link: IPv4 gives it link scope (as `ip` does), so the
  // kernel picks a source address of that interface; IPv6 has no such scopes for routes.
  const std::uint8_t scope = route.gateway || route.family == Family::v6
                                 ? static_cast<std::uint8_t>(RT_SCOPE_UNIVERSE)
                                 : static_cast<std::uint8_t>(RT_SCOPE_LINK);
  // RTNH_F_ONLINK: the gateway is the link's next hop, on that interface. Without it the
  // kernel validates the gateway with a lookup - in this table first (where the current
  // default route via another gateway makes IPv6 answer EHOSTUNREACH), then through the
  // policy rules, where lifelined's own "oif <link> lookup <probe table>" rule leads to a
  // default route via a gateway again. A failover must not depend on that lookup.
  const std::uint32_t route_flags = route.gateway && oif_index != 0 ? RTNH_F_ONLINK : 0;
  return route_message(RTM_NEWROUTE, flags, seq, key, scope, RTN_UNICAST, route.gateway, oif_index,
                       route_flags);
}

Bytes encode_del_route(const RouteKey& key, std::uint32_t seq) {
  // Type unspecified and (IPv4) scope NOWHERE match a route of any type and scope; the
  // protocol restricts the match to routes lifelined made.
  const std::uint8_t scope = key.family == Family::v4
                                 ? static_cast<std::uint8_t>(RT_SCOPE_NOWHERE)
                                 : static_cast<std::uint8_t>(RT_SCOPE_UNIVERSE);
  return route_message(RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK, seq, key, scope, RTN_UNSPEC,
                       std::nullopt, 0);
}

Bytes encode_del_route(const KernelRoute& route, std::uint32_t seq) {
  const std::uint8_t scope = route.key.family == Family::v4
                                 ? static_cast<std::uint8_t>(RT_SCOPE_NOWHERE)
                                 : static_cast<std::uint8_t>(RT_SCOPE_UNIVERSE);
  return route_message(RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK, seq, route.key, scope, route.type,
                       route.gateway, route.oif);
}

Bytes encode_new_rule(const routing::RuleSpec& rule, std::uint32_t seq) {
  // NLM_F_EXCL: the kernel happily stores identical rules twice otherwise.
  return rule_message(RTM_NEWRULE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq,
                      from_spec(rule, FR_ACT_TO_TBL));
}

Bytes encode_del_rule(const routing::RuleSpec& rule, std::uint32_t seq) {
  // Action left unspecified, as `ip rule del` does: the selectors identify the rule.
  return rule_message(RTM_DELRULE, NLM_F_REQUEST | NLM_F_ACK, seq, from_spec(rule, FR_ACT_UNSPEC));
}

Bytes encode_del_rule(const KernelRule& rule, std::uint32_t seq) {
  KernelRule ours = rule;
  ours.protocol = routing::kRouteProtocol;
  return rule_message(RTM_DELRULE, NLM_F_REQUEST | NLM_F_ACK, seq, ours);
}

Bytes encode_route_dump(Family family, std::uint32_t seq) {
  return dump_request<rtmsg>(RTM_GETROUTE, family, seq);
}

Bytes encode_rule_dump(Family family, std::uint32_t seq) {
  return dump_request<fib_rule_hdr>(RTM_GETRULE, family, seq);
}

std::vector<std::span<const std::uint8_t>> split_messages(std::span<const std::uint8_t> buffer) {
  std::vector<std::span<const std::uint8_t>> out;
  std::size_t offset = 0;
  while (buffer.size() - offset >= sizeof(nlmsghdr)) {
    std::uint32_t length = 0;
    std::memcpy(&length, buffer.data() + offset, sizeof(length));
    if (length < sizeof(nlmsghdr) || length > buffer.size() - offset) break;
    out.push_back(buffer.subspan(offset, length));
    offset += std::min<std::size_t>(MNL_ALIGN(length), buffer.size() - offset);
  }
  return out;
}

std::optional<MessageHeader> decode_header(std::span<const std::uint8_t> message) {
  if (message.size() < sizeof(nlmsghdr)) return std::nullopt;
  nlmsghdr nlh{};
  std::memcpy(&nlh, message.data(), sizeof(nlh));
  if (nlh.nlmsg_len < sizeof(nlmsghdr) || nlh.nlmsg_len > message.size()) return std::nullopt;
  return MessageHeader{nlh.nlmsg_len, nlh.nlmsg_type, nlh.nlmsg_flags, nlh.nlmsg_seq,
                       nlh.nlmsg_pid};
}

std::optional<KernelRoute> decode_route(std::span<const std::uint8_t> message) {
  const AlignedMessage aligned(message);
  const nlmsghdr* nlh = aligned.header(sizeof(rtmsg));
  if (nlh == nullptr || nlh->nlmsg_type != RTM_NEWROUTE) return std::nullopt;
  rtmsg rtm{};
  std::memcpy(&rtm, mnl_nlmsg_get_payload(nlh), sizeof(rtm));
  const auto family = family_of(rtm.rtm_family);
  if (!family) return std::nullopt;
  const Attributes attrs = parse_attributes(nlh, sizeof(rtmsg), RTA_MAX);

  KernelRoute route;
  route.key.family = *family;
  route.key.table = get_u32(attrs[RTA_TABLE]).value_or(rtm.rtm_table);
  const auto dst = get_prefix(attrs[RTA_DST], *family, rtm.rtm_dst_len);
  if (!dst) return std::nullopt;
  route.key.dst = *dst;
  if (rtm.rtm_src_len > 0) {
    route.key.src = get_prefix(attrs[RTA_SRC], *family, rtm.rtm_src_len);
    if (!route.key.src) return std::nullopt;
  }
  route.key.tos = rtm.rtm_tos;
  route.key.metric = get_u32(attrs[RTA_PRIORITY]);
  route.protocol = rtm.rtm_protocol;
  route.type = rtm.rtm_type;
  route.scope = rtm.rtm_scope;
  if (attrs[RTA_GATEWAY] != nullptr) {
    route.gateway = get_address(attrs[RTA_GATEWAY], *family);
    if (!route.gateway) return std::nullopt;
  }
  route.oif = get_u32(attrs[RTA_OIF]).value_or(0);
  // Next hops lifelined never writes; such a route in our slot is rewritten, never trusted.
  for (const std::uint16_t type :
       {RTA_MULTIPATH, RTA_VIA, RTA_ENCAP, RTA_NH_ID, RTA_PREFSRC, RTA_FLOW}) {
    if (attrs[type] != nullptr) route.exotic = true;
  }
  return route;
}

std::optional<KernelRule> decode_rule(std::span<const std::uint8_t> message) {
  const AlignedMessage aligned(message);
  const nlmsghdr* nlh = aligned.header(sizeof(fib_rule_hdr));
  if (nlh == nullptr || nlh->nlmsg_type != RTM_NEWRULE) return std::nullopt;
  fib_rule_hdr frh{};
  std::memcpy(&frh, mnl_nlmsg_get_payload(nlh), sizeof(frh));
  const auto family = family_of(frh.family);
  if (!family) return std::nullopt;
  const Attributes attrs = parse_attributes(nlh, sizeof(fib_rule_hdr), FRA_MAX);

  KernelRule rule;
  rule.family = *family;
  rule.priority = get_u32(attrs[FRA_PRIORITY]).value_or(0);
  rule.table = get_u32(attrs[FRA_TABLE]).value_or(frh.table);
  rule.action = frh.action;
  rule.protocol = get_u8(attrs[FRA_PROTOCOL]).value_or(RTPROT_UNSPEC);
  rule.fwmark = get_u32(attrs[FRA_FWMARK]);
  rule.fwmask = get_u32(attrs[FRA_FWMASK]).value_or(rule.fwmark ? kMarkMaskAll : 0);
  rule.oif = get_string(attrs[FRA_OIFNAME]);
  rule.iif = get_string(attrs[FRA_IIFNAME]);
  if (frh.src_len > 0) {
    rule.src = get_prefix(attrs[FRA_SRC], *family, frh.src_len);
    if (!rule.src) return std::nullopt;
  }
  if (frh.dst_len > 0) {
    rule.dst = get_prefix(attrs[FRA_DST], *family, frh.dst_len);
    if (!rule.dst) return std::nullopt;
  }
  rule.tos = frh.tos;
  // Selectors lifelined never sets make the rule one it did not create. The kernel reports
  // them only when set, except suppress_* which it always reports, as -1 when unset.
  // Attribute types newer than our headers are ignored: were a future kernel to report one
  // on every rule, all our rules would otherwise look foreign-shaped and be removed.
  rule.other_selectors = (frh.flags & FIB_RULE_INVERT) != 0;
  constexpr std::uint32_t kUnset = 0xffffffff;
  for (const std::uint16_t type : {FRA_GOTO, FRA_FLOW, FRA_TUN_ID, FRA_L3MDEV, FRA_UID_RANGE,
                                   FRA_IP_PROTO, FRA_SPORT_RANGE, FRA_DPORT_RANGE}) {
    if (attrs[type] != nullptr) rule.other_selectors = true;
  }
  for (const std::uint16_t type : {FRA_SUPPRESS_PREFIXLEN, FRA_SUPPRESS_IFGROUP}) {
    if (attrs[type] != nullptr && get_u32(attrs[type]).value_or(0) != kUnset) {
      rule.other_selectors = true;
    }
  }
  return rule;
}

std::optional<Ack> decode_ack(std::span<const std::uint8_t> message) {
  const AlignedMessage aligned(message);
  const nlmsghdr* nlh = aligned.header(sizeof(nlmsgerr));
  if (nlh == nullptr || nlh->nlmsg_type != NLMSG_ERROR) return std::nullopt;
  nlmsgerr err{};
  std::memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
  Ack ack;
  ack.error = errno_of(err.error);
  if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) != 0) {
    // The TLVs follow the echoed request: its header only when the ACK was capped.
    const std::size_t echoed =
        (nlh->nlmsg_flags & NLM_F_CAPPED) != 0 ? sizeof(nlmsghdr) : err.msg.nlmsg_len;
    const std::size_t offset = sizeof(err.error) + MNL_ALIGN(echoed);
    if (offset <= mnl_nlmsg_get_payload_len(nlh)) {
      const Attributes attrs = parse_attributes(nlh, offset, NLMSGERR_ATTR_MAX);
      ack.message = get_string(attrs[NLMSGERR_ATTR_MSG]);
    }
  }
  return ack;
}

std::optional<int> decode_done(std::span<const std::uint8_t> message) {
  const AlignedMessage aligned(message);
  const nlmsghdr* nlh = aligned.header(0);
  if (nlh == nullptr || nlh->nlmsg_type != NLMSG_DONE) return std::nullopt;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int)) return 0;
  int error = 0;
  std::memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
  return errno_of(error);
}

}  // namespace lifeline::netlink
