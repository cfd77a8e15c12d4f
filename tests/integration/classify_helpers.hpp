// Helpers of the classification integration tests: run commands (inside the test's private
// network namespace, which child processes inherit), read nft's JSON, read the conntrack
// table, and build a client - gateway - server topology out of anonymous network namespaces
// that vanish with the test process (no names under /run/netns, nothing to clean up on the
// host even when a test dies half-way).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/address.hpp"
#include "controller/classify/conntrack.hpp"

namespace lifeline::testing {

struct CommandResult {
  int status = -1;     // exit status, or -1
  std::string output;  // stdout and stderr
};

inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer{};
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) {
    r.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A file under /tmp removed when it goes out of scope.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    std::string pattern = "/tmp/lifeline-classify-XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd >= 0) {
      path_ = pattern;
      const auto written = ::write(fd, content.data(), content.size());
      (void)written;
      ::close(fd);
    }
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// `nft -j list ...` parsed; null on failure.
inline nlohmann::json nft_json(const std::string& what) {
  const auto r = run_command("nft -j list " + what);
  if (r.status != 0) return nullptr;
  return nlohmann::json::parse(r.output, nullptr, false);
}

// The rules of a listed table, as nft's JSON objects.
inline std::vector<nlohmann::json> json_rules(const nlohmann::json& listing) {
  std::vector<nlohmann::json> out;
  if (!listing.is_object() || !listing.contains("nftables")) return out;
  for (const auto& item : listing["nftables"]) {
    if (item.contains("rule")) out.push_back(item["rule"]);
  }
  return out;
}

// Packets counted by the rule whose comment is `comment` in `table` (family inet), or -1.
inline long counter_packets(const std::string& table, const std::string& comment) {
  long total = -1;
  for (const auto& rule : json_rules(nft_json("table inet " + table))) {
    if (rule.value("comment", "") != comment) continue;
    for (const auto& e : rule["expr"]) {
      if (e.contains("counter"))
        total = (total < 0 ? 0 : total) + e["counter"]["packets"].get<long>();
    }
  }
  return total;
}

// The conntrack table of the current network namespace. /proc/net/nf_conntrack (written by
// the kernel, independent of our ctnetlink code) when the kernel has it, else a ctnetlink
// dump.
inline std::vector<classify::conntrack::Flow> conntrack_table() {
  std::ifstream proc("/proc/net/nf_conntrack");
  if (!proc) return classify::conntrack::dump().flows;
  std::vector<classify::conntrack::Flow> out;
  for (std::string line; std::getline(proc, line);) {
    // "ipv4 2 udp 17 29 src=198.18.100.2 dst=198.18.200.2 sport=1 dport=2 [UNREPLIED]
    //  src=... mark=1279655937 zone=0 use=2": the first src/dst/ports are the original
    //  direction.
    std::istringstream words(line);
    std::string family, family_number, protocol_name, protocol_number;
    words >> family >> family_number >> protocol_name >> protocol_number;
    classify::conntrack::Flow f;
    f.family = family == "ipv6" ? Family::v6 : Family::v4;
    f.protocol = static_cast<std::uint8_t>(std::atoi(protocol_number.c_str()));
    bool have_src = false, have_dst = false, have_sport = false, have_dport = false;
    for (std::string word; words >> word;) {
      const auto eq = word.find('=');
      if (eq == std::string::npos) continue;
      const auto key = word.substr(0, eq);
      const auto value = word.substr(eq + 1);
      if (key == "src" && !have_src) {
        f.source = IpAddress::parse(value).value_or(IpAddress{});
        have_src = true;
      } else if (key == "dst" && !have_dst) {
        f.destination = IpAddress::parse(value).value_or(IpAddress{});
        have_dst = true;
      } else if (key == "sport" && !have_sport) {
        f.source_port = static_cast<std::uint16_t>(std::atoi(value.c_str()));
        have_sport = true;
      } else if (key == "dport" && !have_dport) {
        f.destination_port = static_cast<std::uint16_t>(std::atoi(value.c_str()));
        have_dport = true;
      } else if (key == "mark") {
        f.mark = static_cast<std::uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
      }
    }
    out.push_back(f);
  }
  return out;
}

inline std::size_t count_marked(const std::vector<classify::conntrack::Flow>& flows,
                                std::uint32_t mark) {
  std::size_t n = 0;
  for (const auto& f : flows) n += f.mark == mark ? 1 : 0;
  return n;
}

// A UDP socket made inside another network namespace stays there: the test process sends
// and receives for the client and the server without any process of theirs.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

inline sockaddr_storage socket_address(const std::string& address, std::uint16_t port) {
  sockaddr_storage ss{};
  if (address.find(':') == std::string::npos) {
    auto* sin = static_cast<sockaddr_in*>(static_cast<void*>(&ss));
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    ::inet_pton(AF_INET, address.c_str(), &sin->sin_addr);
  } else {
    auto* sin6 = static_cast<sockaddr_in6*>(static_cast<void*>(&ss));
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    ::inet_pton(AF_INET6, address.c_str(), &sin6->sin6_addr);
  }
  return ss;
}

inline socklen_t address_length(const sockaddr_storage& ss) {
  return ss.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
}

inline const sockaddr* as_sockaddr(const sockaddr_storage& ss) {
  return static_cast<const sockaddr*>(static_cast<const void*>(&ss));
}

// Waits up to `timeout_ms` for a datagram; returns its size and fills `from`, or -1.
inline long receive_one(int fd, sockaddr_storage* from, int timeout_ms = 3000) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return -1;
  std::array<char, 2048> buffer{};
  socklen_t length = sizeof(sockaddr_storage);
  return ::recvfrom(fd, buffer.data(), buffer.size(), 0,
                    from != nullptr ? static_cast<sockaddr*>(static_cast<void*>(from)) : nullptr,
                    from != nullptr ? &length : nullptr);
}

// client (cl0) -- (lan0) gateway (up0) -- (sv0) server
// The gateway is the test's own private namespace (where the classifier runs); client and
// server are namespaces of their own, reached by veth pairs and held only by file
// descriptors of this process.
class Topology {
 public:
  static constexpr const char* kClient4 = "198.18.100.2";
  static constexpr const char* kGatewayLan4 = "198.18.100.1";
  static constexpr const char* kServer4 = "198.18.200.2";
  static constexpr const char* kGatewayUp4 = "198.18.200.1";
  static constexpr const char* kClient6 = "2001:db8:100::2";
  static constexpr const char* kGatewayLan6 = "2001:db8:100::1";
  static constexpr const char* kServer6 = "2001:db8:200::2";
  static constexpr const char* kGatewayUp6 = "2001:db8:200::1";

  Topology() = default;
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  // Call from the gateway namespace (after LIFELINE_ENTER_PRIVATE_NETNS). Returns an error
  // message, or empty.
  std::string build() {
    gateway_ = Fd(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!gateway_.valid()) return "open own netns: " + std::string(std::strerror(errno));
    for (Fd* ns : {&client_, &server_}) {
      if (::unshare(CLONE_NEWNET) != 0) return "unshare: " + std::string(std::strerror(errno));
      *ns = Fd(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
      const bool no_dad = no_duplicate_address_detection();
      const auto lo = run_command("ip link set lo up");
      if (::setns(gateway_.get(), CLONE_NEWNET) != 0) return "setns back to the gateway";
      if (!ns->valid() || !no_dad || lo.status != 0) return "new namespace: " + lo.output;
    }
    if (!no_duplicate_address_detection()) return "cannot turn off DAD in the gateway";
    const std::string self = "/proc/" + std::to_string(::getpid()) + "/fd/";
    const std::vector<std::string> gateway_commands = {
        "ip link add lan0 type veth peer name cl0 netns " + self + std::to_string(client_.get()),
        "ip link add up0 type veth peer name sv0 netns " + self + std::to_string(server_.get()),
        "ip addr add " + std::string(kGatewayLan4) + "/24 dev lan0",
        "ip addr add " + std::string(kGatewayLan6) + "/64 dev lan0 nodad",
        "ip addr add " + std::string(kGatewayUp4) + "/24 dev up0",
        "ip addr add " + std::string(kGatewayUp6) + "/64 dev up0 nodad",
        "ip link set lan0 up",
        "ip link set up0 up",
    };
    for (const auto& c : gateway_commands) {
      if (auto r = run_command(c); r.status != 0) return c + ": " + r.output;
    }
    for (const auto* path :
         {"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"}) {
      if (!write_sysctl(path, "1")) return std::string("cannot write ") + path;
    }
    const auto side = [](const char* dev, const char* a4, const char* gw4, const char* a6,
                         const char* gw6) {
      return std::vector<std::string>{
          "ip addr add " + std::string(a4) + "/24 dev " + dev,
          "ip addr add " + std::string(a6) + "/64 dev " + dev + " nodad",
          std::string("ip link set ") + dev + " up",
          "ip route add default via " + std::string(gw4),
          "ip -6 route add default via " + std::string(gw6),
      };
    };
    if (auto e = in(client_, side("cl0", kClient4, kGatewayLan4, kClient6, kGatewayLan6));
        !e.empty()) {
      return e;
    }
    if (auto e = in(server_, side("sv0", kServer4, kGatewayUp4, kServer6, kGatewayUp6));
        !e.empty()) {
      return e;
    }
    // Until neighbours are known (and the links' own addresses usable) a first datagram can
    // be lost: send until one gets through each way, in each family, or give up.
    for (const Family family : {Family::v4, Family::v6}) {
      if (!wait_for_path(family)) {
        return std::string("no path client -> server in ") +
               (family == Family::v4 ? "IPv4" : "IPv6");
      }
    }
    return "";
  }

  // A UDP socket of the client (with this DSCP) or of the server (bound to `port`).
  Fd client_socket(Family family, std::uint8_t dscp) {
    return make_socket(client_, family, dscp, 0);
  }
  Fd server_socket(Family family, std::uint16_t port) {
    return make_socket(server_, family, 0, port);
  }
  Fd gateway_socket(Family family, std::uint8_t dscp) {
    return make_socket(gateway_, family, dscp, 0);
  }

 private:
  // Runs commands inside `ns`, then returns to the gateway.
  std::string in(const Fd& ns, const std::vector<std::string>& commands) {
    if (::setns(ns.get(), CLONE_NEWNET) != 0) return "setns: " + std::string(std::strerror(errno));
    std::string error;
    for (const auto& c : commands) {
      if (auto r = run_command(c); r.status != 0) {
        error = c + ": " + r.output;
        break;
      }
    }
    if (::setns(gateway_.get(), CLONE_NEWNET) != 0) return "setns back to the gateway";
    return error;
  }

  Fd make_socket(const Fd& ns, Family family, std::uint8_t dscp, std::uint16_t port) {
    if (::setns(ns.get(), CLONE_NEWNET) != 0) return Fd();
    const bool v6 = family == Family::v6;
    Fd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    const int tos = dscp << 2;
    if (v6) {
      // Without V6ONLY a socket bound to [::]:port would also hold 0.0.0.0:port.
      const int on = 1;
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
    } else {
      ::setsockopt(fd.get(), IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    }
    if (port != 0) {
      const auto any = socket_address(v6 ? "::" : "0.0.0.0", port);
      if (::bind(fd.get(), as_sockaddr(any), address_length(any)) != 0) fd = Fd();
    }
    if (::setns(gateway_.get(), CLONE_NEWNET) != 0) return Fd();
    return fd;
  }

  static bool write_sysctl(const char* path, const char* value) {
    std::ofstream sysctl(path);
    sysctl << value << "\n";
    sysctl.flush();
    return static_cast<bool>(sysctl);
  }

  // In the current namespace, for interfaces made from now on: addresses usable at once.
  static bool no_duplicate_address_detection() {
    return write_sysctl("/proc/sys/net/ipv6/conf/all/accept_dad", "0") &&
           write_sysctl("/proc/sys/net/ipv6/conf/default/accept_dad", "0");
  }

  bool wait_for_path(Family family) {
    const bool v6 = family == Family::v6;
    constexpr std::uint16_t kPort = 9;  // discard: only this warm-up uses it
    Fd server = make_socket(server_, family, 0, kPort);
    Fd client = make_socket(client_, family, 0, 0);
    const auto to = socket_address(v6 ? kServer6 : kServer4, kPort);
    for (int attempt = 0; attempt < 50; ++attempt) {
      ::sendto(client.get(), "w", 1, 0, as_sockaddr(to), address_length(to));
      sockaddr_storage from{};
      if (receive_one(server.get(), &from, 100) != 1) continue;
      ::sendto(server.get(), "w", 1, 0, as_sockaddr(from), address_length(from));
      if (receive_one(client.get(), nullptr, 100) == 1) return true;
    }
    return false;
  }

  Fd gateway_;
  Fd client_;
  Fd server_;
};

}  // namespace lifeline::testing
