// lifeline-bench-conntrack: fills the conntrack table of the current network namespace with
// entries nobody's traffic owns (UDP, 198.18.128.0/17 -> 198.19.128.0/17, an hour's timeout),
// over ctnetlink (IPCTNL_MSG_CT_NEW, batched), so that a benchmark can measure what a walk of
// a full table costs lifelined. Only inside a namespace the benchmark made; never on a host.
//   lifeline-bench-conntrack COUNT [MARK [FIRST]]   exit 0 when every entry was created
// Entry n (FIRST <= n < FIRST + COUNT) has its own tuple: calls with disjoint ranges add up.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kBatch = 200;

void put_tuple(nlmsghdr* nlh, int type, std::uint32_t src, std::uint32_t dst, std::uint16_t sport,
               std::uint16_t dport) {
  nlattr* tuple = mnl_attr_nest_start(nlh, static_cast<std::uint16_t>(type));
  nlattr* ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
  mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(src));
  mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(dst));
  mnl_attr_nest_end(nlh, ip);
  nlattr* proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
  mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
  mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
  mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
  mnl_attr_nest_end(nlh, proto);
  mnl_attr_nest_end(nlh, tuple);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s COUNT [MARK [FIRST]]\n", argv[0]);
    return 2;
  }
  const long count = std::strtol(argv[1], nullptr, 10);
  const std::uint32_t mark = argc >= 3 ? static_cast<std::uint32_t>(std::strtoul(argv[2], nullptr, 0)) : 0;
  const long first = argc == 4 ? std::strtol(argv[3], nullptr, 10) : 0;
  if (count <= 0 || count > 2'000'000 || first < 0 || first > 1'000'000'000) {
    std::fprintf(stderr, "COUNT must be 1 to 2000000, FIRST 0 to 10^9\n");
    return 2;
  }
  mnl_socket* nl = mnl_socket_open(NETLINK_NETFILTER);
  if (nl == nullptr || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    std::perror("netlink");
    return 1;
  }
  const unsigned portid = mnl_socket_get_portid(nl);
  std::vector<char> batch(kBatch * 256);
  std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE * 4);
  long created = 0, failed = 0;
  int first_error = 0;
  std::uint32_t seq = 0;
  for (long done = first; done < first + count;) {
    std::size_t used = 0, messages = 0;
    for (; messages < kBatch && done < first + count; ++messages, ++done) {
      // Spread over 2^15 sources x 2^15 destinations x ports: all distinct, all in the
      // benchmarking range.
      const auto n = static_cast<std::uint32_t>(done);
      const std::uint32_t src = (198u << 24) | (18u << 16) | 0x8000u | (n & 0x7fffu);
      const std::uint32_t dst = (198u << 24) | (19u << 16) | 0x8000u | ((n >> 15) & 0x7fffu);
      const auto sport = static_cast<std::uint16_t>(20000 + (n % 30000));
      const std::uint16_t dport = 9;
      nlmsghdr* nlh = mnl_nlmsg_put_header(batch.data() + used);
      nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
      nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
      nlh->nlmsg_seq = ++seq;
      auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
      nfg->nfgen_family = AF_INET;
      nfg->version = NFNETLINK_V0;
      nfg->res_id = 0;
      put_tuple(nlh, CTA_TUPLE_ORIG, src, dst, sport, dport);
      put_tuple(nlh, CTA_TUPLE_REPLY, dst, src, dport, sport);
      mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(3600));
      if (mark != 0) mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
      used += NLMSG_ALIGN(nlh->nlmsg_len);
    }
    if (mnl_socket_sendto(nl, batch.data(), used) < 0) {
      std::perror("send");
      return 1;
    }
    for (std::size_t acked = 0; acked < messages;) {
      const ssize_t n = mnl_socket_recvfrom(nl, reply.data(), reply.size());
      if (n < 0) {
        std::perror("receive");
        return 1;
      }
      int left = static_cast<int>(n);
      for (auto* h = reinterpret_cast<const nlmsghdr*>(reply.data()); mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
        if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_pid != portid) continue;
        ++acked;
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
        if (err->error == 0) {
          ++created;
        } else {
          ++failed;
          if (first_error == 0) first_error = -err->error;
        }
      }
    }
  }
  mnl_socket_close(nl);
  std::printf("created %ld conntrack entries (mark 0x%x), %ld failed%s%s\n", created, mark, failed,
              failed ? ": " : "", failed ? std::strerror(first_error) : "");
  return failed == 0 ? 0 : 1;
}
