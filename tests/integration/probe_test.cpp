// The probers on a real wire: a veth pair between this test's private network namespace (the
// "gateway", where the probers run, bound to lp0) and a second namespace (the "far end", with
// the reflector and the kernel's own ICMP echo responder on lr0). The second namespace belongs
// to a thread of this process: unshare(CLONE_NEWNET) moves only the calling thread, so nothing
// is named, mounted or left behind, and both go away with the process.
//
//   gateway (test process)                      far end (peer thread)
//   lp0 198.18.0.2/24 2001:db8::2/64  <-veth->  lr0 198.18.0.1/24 2001:db8::1/64
//
// Addresses: 198.18.0.0/15 and 2001:db8::/32 only, inside these namespaces only.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "links/probes/datagram_socket.hpp"
#include "links/probes/key_ring.hpp"
#include "links/probes/prober.hpp"
#include "links/probes/reflector_server.hpp"
#include "netns.hpp"

namespace lifeline::probes {
namespace {

using namespace std::chrono_literals;

const IpAddress kFar4 = IpAddress::v4({198, 18, 0, 1});
const IpAddress kFar6 = *IpAddress::parse("2001:db8::1");
constexpr std::uint16_t kReflectorPort = 7070;
constexpr std::uint16_t kRoguePort = 7071;
constexpr std::uint64_t kSession = 0x1111222233334444;

ProbeKey test_key(std::uint8_t fill = 0x5a, std::uint16_t id = 9) {
  ProbeKey k;
  k.id = id;
  k.secret.fill(fill);
  return k;
}

int sh(const std::string& command) {
  return std::system(command.c_str());
}

// A thread living in a network namespace of its own, running an io_context there: everything
// it creates (sockets, interfaces configured by the commands it runs) belongs to that namespace.
class PeerNamespace {
 public:
  PeerNamespace() : work_(boost::asio::make_work_guard(io_)) {
    std::promise<pid_t> ready;
    auto tid = ready.get_future();
    thread_ = std::thread([this, &ready] {
      if (::unshare(CLONE_NEWNET) != 0) {
        ready.set_value(-1);
        return;
      }
      ready.set_value(::gettid());
      io_.run();
    });
    tid_ = tid.get();
  }
  ~PeerNamespace() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  bool ok() const { return tid_ > 0; }
  pid_t tid() const { return tid_; }
  boost::asio::io_context& io() { return io_; }

  // Runs `f` on the peer's thread, inside its namespace, and returns its result.
  template <typename F>
  auto run(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }
  int sh(const std::string& command) {
    return run([&] { return std::system(command.c_str()); });
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  pid_t tid_ = -1;
};

class ProbeNetwork : public ::testing::Test {
 protected:
  void SetUp() override {
    LIFELINE_ENTER_PRIVATE_NETNS();
    peer_ = std::make_unique<PeerNamespace>();
    ASSERT_TRUE(peer_->ok()) << "unshare in the peer thread failed";
    ASSERT_NO_FATAL_FAILURE(create_link());
  }

  void TearDown() override {
    if (peer_ && peer_->ok()) {
      peer_->run([this] {
        server_.reset();
        rogue_.reset();
        return 0;
      });
    }
    peer_.reset();
    if (!key_dir_.empty()) std::filesystem::remove_all(key_dir_);
  }

  void create_link() {
    ASSERT_EQ(sh("ip link add lp0 type veth peer name lr0 netns " + std::to_string(peer_->tid())),
              0);
    ASSERT_EQ(peer_->sh("ip link set lo up && ip addr add 198.18.0.1/24 dev lr0 && "
                        "ip -6 addr add 2001:db8::1/64 dev lr0 nodad && ip link set lr0 up"),
              0);
    ASSERT_EQ(sh("ip addr add 198.18.0.2/24 dev lp0 && ip -6 addr add 2001:db8::2/64 dev lp0 "
                 "nodad && ip link set lp0 up"),
              0);
  }

  void start_reflector() {
    peer_->run([this] {
      KeyRing keys;
      auto k = test_key();
      keys.add(k);
      server_ = std::make_unique<ReflectorServer>(
          peer_->io(),
          std::vector<Endpoint>{{kFar4, kReflectorPort, 0}, {kFar6, kReflectorPort, 0}},
          std::move(keys), 64, nullptr);
      return 0;
    });
  }

  ReflectorCounters reflector_counters() {
    return peer_->run([this] { return server_->counters(); });
  }

  // A fake reflector on kRoguePort that answers every request with answer(request).
  void start_rogue(std::function<udp_echo::Packet(const udp_echo::Message&)> answer) {
    peer_->run([this, answer] {
      DatagramOptions options;
      options.bind = Endpoint{kFar4, kRoguePort, 0};
      rogue_ = std::make_unique<DatagramSocket>(
          peer_->io(), options,
          [this, answer](const Datagram& d) {
            // Parsed without the key: a rogue does not have it.
            const auto parsed = udp_echo::decode(d.bytes, test_key(0, 1));
            if (parsed.message) rogue_->send_to(answer(*parsed.message), d.from);
          },
          [](std::error_code) {});
      return 0;
    });
  }

  ProbeSpec spec(const IpAddress& target, std::uint16_t port = kReflectorPort) {
    ProbeSpec s;
    s.interface = "lp0";
    s.target = target;
    s.port = port;
    s.key = test_key();
    s.session = kSession;
    s.clock = [] { return TimePoint(std::chrono::steady_clock::now()); };
    return s;
  }

  struct Probe {
    std::unique_ptr<Prober> prober;
    std::vector<Received> replies;
    std::uint64_t next_seq = 0;
    std::size_t ok() const {
      return static_cast<std::size_t>(std::count_if(
          replies.begin(), replies.end(), [](auto& r) { return r.status == ReplyStatus::ok; }));
    }
  };

  std::unique_ptr<Probe> udp_probe(const IpAddress& target, std::uint16_t port = kReflectorPort) {
    auto p = std::make_unique<Probe>();
    p->prober = make_udp_echo_prober(io_, spec(target, port),
                                     [q = p.get()](const Received& r) { q->replies.push_back(r); });
    return p;
  }
  std::unique_ptr<Probe> icmp_probe(const IpAddress& target) {
    auto p = std::make_unique<Probe>();
    p->prober = make_icmp_prober(io_, spec(target, 0),
                                 [q = p.get()](const Received& r) { q->replies.push_back(r); });
    return p;
  }

  // Sends a probe on each of `probes` every 10 ms until `done` or `timeout`; true when done.
  bool probe_until(std::vector<Probe*> probes, const std::function<bool()>& done,
                   std::chrono::milliseconds timeout = 3000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      for (auto* p : probes) p->prober->send(p->next_seq++);
      io_.run_for(10ms);
    }
    return done();
  }

  std::string write_key_file() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lifeline-probe-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) return {};
    key_dir_ = pattern;
    const auto path = key_dir_ / "reflector.key";
    std::ofstream(path) << "# test key\n9 " << std::string(64, 'a') << "\n";
    ::chmod(path.c_str(), 0600);
    return path;
  }

  boost::asio::io_context io_;  // the gateway's loop (this thread)
  std::unique_ptr<PeerNamespace> peer_;
  std::unique_ptr<ReflectorServer> server_;  // lives on the peer thread
  std::unique_ptr<DatagramSocket> rogue_;    // lives on the peer thread
  std::filesystem::path key_dir_;
};

TEST_F(ProbeNetwork, UdpEchoV4AgainstTheReflector) {
  start_reflector();
  auto p = udp_probe(kFar4);
  ASSERT_TRUE(probe_until({p.get()}, [&] { return p->ok() >= 20; }));
  for (const auto& r : p->replies) {
    EXPECT_EQ(r.status, ReplyStatus::ok);
    EXPECT_EQ(r.ttl, 64) << "one hop, Linux's default TTL";
  }
  EXPECT_GE(reflector_counters().replied, 20u);
  EXPECT_EQ(reflector_counters().bad_mac, 0u);
  EXPECT_EQ(p->prober->stats().send_errors, 0u);
}

// A reply read late (the loop was busy elsewhere) carries the instant the kernel received
// it, not the instant it was read: a stalled loop does not turn replies into silence.
TEST_F(ProbeNetwork, ARepliesArrivalIsTheKernelsNotTheRead) {
  start_reflector();
  auto p = udp_probe(kFar4);
  ASSERT_TRUE(probe_until({p.get()}, [&] { return p->ok() >= 3; }));
  const std::size_t before = p->replies.size();
  const auto sent = std::chrono::steady_clock::now();
  p->prober->send(p->next_seq++);
  std::this_thread::sleep_for(100ms);  // the reply lands while nobody reads
  const auto read_from = std::chrono::steady_clock::now();
  p->prober->poll();
  ASSERT_GT(p->replies.size(), before) << "poll() reads what is queued";
  const auto& r = p->replies.back();
  EXPECT_EQ(r.status, ReplyStatus::ok);
  EXPECT_LT(r.at, read_from - 50ms) << "stamped at arrival, not when read";
  EXPECT_GE(r.at, sent);
}

TEST_F(ProbeNetwork, UdpEchoV6AgainstTheReflector) {
  start_reflector();
  auto p = udp_probe(kFar6);
  ASSERT_TRUE(probe_until({p.get()}, [&] { return p->ok() >= 20; }));
  for (const auto& r : p->replies) {
    EXPECT_EQ(r.status, ReplyStatus::ok);
    EXPECT_EQ(r.ttl, 64) << "hop limit";
  }
}

TEST_F(ProbeNetwork, ReplyFromARogueWithAnotherSecretIsBadMac) {
  start_rogue([](const udp_echo::Message& request) {
    udp_echo::Message reply = request;
    reply.type = udp_echo::MessageType::reply;
    return udp_echo::encode(reply, test_key(0x77).secret);  // right key id, wrong secret
  });
  auto p = udp_probe(kFar4, kRoguePort);
  ASSERT_TRUE(probe_until({p.get()}, [&] { return p->replies.size() >= 5; }));
  EXPECT_EQ(p->ok(), 0u);
  for (const auto& r : p->replies) EXPECT_EQ(r.status, ReplyStatus::bad_mac);
  EXPECT_EQ(p->prober->stats().bad_mac, p->replies.size());
}

TEST_F(ProbeNetwork, ReplyWithAKeyIdWeDoNotHoldIsUnknownKey) {
  start_rogue([](const udp_echo::Message& request) {
    udp_echo::Message reply = request;
    reply.type = udp_echo::MessageType::reply;
    reply.key_id = 10;
    return udp_echo::encode(reply, test_key(0x5a, 10).secret);
  });
  auto p = udp_probe(kFar4, kRoguePort);
  ASSERT_TRUE(probe_until({p.get()}, [&] { return p->replies.size() >= 5; }));
  for (const auto& r : p->replies) EXPECT_EQ(r.status, ReplyStatus::unknown_key);
}

TEST_F(ProbeNetwork, ReplayOfAReplyFromAnotherSessionIsWrongSession) {
  // A reply the real reflector code made for an earlier run of the daemon (another session),
  // as an attacker on the path would have recorded it. Replayed to every probe of this run.
  udp_echo::Packet recorded;
  {
    KeyRing keys;
    auto k = test_key();
    keys.add(k);
    Reflector earlier(std::move(keys), 4, [] { return std::uint64_t{1'700'000'000'000'000'000}; });
    udp_echo::Message old_request;
    old_request.key_id = test_key().id;
    old_request.session = kSession ^ 0xffff;
    old_request.seq = 0;
    const auto result = earlier.handle(udp_echo::encode(old_request, test_key().secret),
                                       Endpoint{IpAddress::v4({198, 18, 0, 2}), 40000, 0}, 1);
    ASSERT_TRUE(result.reply);
    recorded = *result.reply;
  }
  start_rogue([recorded](const udp_echo::Message&) { return recorded; });
  auto p = udp_probe(kFar4, kRoguePort);
  ASSERT_TRUE(probe_until({p.get()}, [&] { return p->replies.size() >= 5; }));
  for (const auto& r : p->replies) {
    EXPECT_EQ(r.status, ReplyStatus::wrong_session);
    EXPECT_EQ(r.seq, 0u);
  }
  EXPECT_EQ(p->prober->stats().wrong_session, p->replies.size());
}

TEST_F(ProbeNetwork, TheReflectorDropsARequestSentTwice) {
  start_reflector();
  udp_echo::Message m;
  m.key_id = test_key().id;
  m.session = kSession;
  m.seq = 1234;
  const auto request = udp_echo::encode(m, test_key().secret);
  int replies = 0;
  DatagramOptions options;
  options.device = "lp0";
  DatagramSocket attacker(
      io_, options, [&](const Datagram&) { ++replies; }, [](std::error_code) {});
  const Endpoint reflector{kFar4, kReflectorPort, 0};
  ASSERT_FALSE(attacker.send_to(request, reflector));
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (replies == 0 && std::chrono::steady_clock::now() < deadline) io_.run_for(10ms);
  ASSERT_EQ(replies, 1);
  ASSERT_FALSE(attacker.send_to(request, reflector));  // the replay, from the same socket
  while (reflector_counters().replayed == 0 && std::chrono::steady_clock::now() < deadline) {
    io_.run_for(10ms);
  }
  io_.run_for(50ms);
  EXPECT_EQ(replies, 1);
  EXPECT_EQ(reflector_counters().replayed, 1u);
  EXPECT_EQ(reflector_counters().replied, 1u);
}

TEST_F(ProbeNetwork, IcmpV4FromTheKernelsEchoResponder) {
  auto p = icmp_probe(kFar4);
  ASSERT_TRUE(probe_until({p.get()}, [&] { return p->ok() >= 20; }));
  std::set<std::uint64_t> seqs;
  for (const auto& r : p->replies) {
    EXPECT_EQ(r.status, ReplyStatus::ok);
    EXPECT_EQ(r.ttl, 64);
    EXPECT_LT(r.seq, p->next_seq);
    EXPECT_TRUE(seqs.insert(r.seq).second) << "each probe answered once";
  }
}

TEST_F(ProbeNetwork, IcmpV6FromTheKernelsEchoResponder) {
  auto p = icmp_probe(kFar6);
  ASSERT_TRUE(probe_until({p.get()}, [&] { return p->ok() >= 20; }));
  for (const auto& r : p->replies) {
    EXPECT_EQ(r.status, ReplyStatus::ok);
    EXPECT_EQ(r.ttl, 64) << "hop limit";
  }
}

TEST_F(ProbeNetwork, IcmpProbersOnlySeeTheirOwnReplies) {
  // Every raw ICMP socket sees every echo reply; the identifier and session keep them apart.
  auto a = icmp_probe(kFar4);
  auto b = icmp_probe(kFar4);
  b->next_seq = 1'000'000;
  ASSERT_TRUE(probe_until({a.get(), b.get()}, [&] { return a->ok() >= 20 && b->ok() >= 20; }));
  for (const auto& r : a->replies) EXPECT_LT(r.seq, 1'000'000u);
  for (const auto& r : b->replies) EXPECT_GE(r.seq, 1'000'000u);
  EXPECT_EQ(a->prober->stats().received, a->replies.size());
}

TEST_F(ProbeNetwork, AnNftablesDropRuleStopsTheReplies) {
  start_reflector();
  auto udp = udp_probe(kFar4);
  auto icmp = icmp_probe(kFar4);
  ASSERT_TRUE(
      probe_until({udp.get(), icmp.get()}, [&] { return udp->ok() >= 5 && icmp->ok() >= 5; }));

  ASSERT_EQ(sh("nft add table inet lifeline_probe_test && "
               "nft add chain inet lifeline_probe_test input "
               "'{ type filter hook input priority 0; policy accept; }' && "
               "nft add rule inet lifeline_probe_test input ip saddr 198.18.0.1 drop"),
            0);
  io_.run_for(50ms);  // let replies already in flight land
  const auto udp_before = udp->ok();
  const auto icmp_before = icmp->ok();
  const auto sent_before = udp->prober->stats().sent;
  probe_until(
      {udp.get(), icmp.get()}, [] { return false; }, 300ms);
  EXPECT_EQ(udp->ok(), udp_before) << "no UDP echo reply gets through";
  EXPECT_EQ(icmp->ok(), icmp_before) << "no ICMP echo reply gets through";
  EXPECT_GT(udp->prober->stats().sent, sent_before + 10) << "the probes still leave";
  EXPECT_GT(reflector_counters().replied, udp_before) << "and are answered, in vain";

  ASSERT_EQ(sh("nft delete table inet lifeline_probe_test"), 0);
  ASSERT_TRUE(probe_until({udp.get(), icmp.get()},
                          [&] { return udp->ok() > udp_before && icmp->ok() > icmp_before; }));
}

TEST_F(ProbeNetwork, ProbersSurviveTheInterfaceGoingDownAndUp) {
  start_reflector();
  auto udp = udp_probe(kFar4);
  auto icmp = icmp_probe(kFar4);
  ASSERT_TRUE(
      probe_until({udp.get(), icmp.get()}, [&] { return udp->ok() >= 5 && icmp->ok() >= 5; }));

  ASSERT_EQ(sh("ip link set lp0 down"), 0);
  probe_until(
      {udp.get(), icmp.get()}, [] { return false; }, 100ms);
  EXPECT_GT(udp->prober->stats().send_errors, 0u) << "counted, not thrown";
  EXPECT_GT(icmp->prober->stats().send_errors, 0u);

  ASSERT_EQ(sh("ip link set lp0 up"), 0);
  const auto udp_before = udp->ok();
  const auto icmp_before = icmp->ok();
  ASSERT_TRUE(probe_until({udp.get(), icmp.get()}, [&] {
    return udp->ok() >= udp_before + 5 && icmp->ok() >= icmp_before + 5;
  }));
}

TEST_F(ProbeNetwork, ProbersFollowAnInterfaceThatIsRecreated) {
  start_reflector();
  auto udp = udp_probe(kFar4);
  auto icmp = icmp_probe(kFar4);
  ASSERT_TRUE(
      probe_until({udp.get(), icmp.get()}, [&] { return udp->ok() >= 5 && icmp->ok() >= 5; }));

  // Deleting one end of a veth pair deletes both; the new lp0 has another interface index.
  ASSERT_EQ(sh("ip link del lp0"), 0);
  probe_until(
      {udp.get(), icmp.get()}, [] { return false; }, 50ms);
  const auto errors = udp->prober->stats().send_errors;
  EXPECT_GT(errors, 0u);
  ASSERT_NO_FATAL_FAILURE(create_link());
  const auto udp_before = udp->ok();
  const auto icmp_before = icmp->ok();
  ASSERT_TRUE(probe_until({udp.get(), icmp.get()}, [&] {
    return udp->ok() >= udp_before + 5 && icmp->ok() >= icmp_before + 5;
  }));
}

// The shipped binary, as systemd would run it, in the far end's namespace.
TEST_F(ProbeNetwork, TheReflectorBinaryAnswersAndReportsOnSigterm) {
  const std::string binary = std::string(LIFELINE_BUILD_DIR) + "/reflector/lifeline-reflector";
  ASSERT_EQ(::access(binary.c_str(), X_OK), 0)
      << binary << " is not built (make lifeline-reflector)";
  const std::string key_file = write_key_file();
  const std::string log = key_dir_ / "stderr";
  const pid_t pid = peer_->run([&] {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> args = {binary,     "--listen",           "198.18.0.1:7070",
                                     "--listen", "[2001:db8::1]:7070", "--key-file",
                                     key_file};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t child = -1;
    const int rc = ::posix_spawn(&child, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? child : -1;
  });
  ASSERT_GT(pid, 0);

  auto spec4 = spec(kFar4);
  auto spec6 = spec(kFar6);
  spec4.key->secret.fill(0xaa);
  spec6.key->secret.fill(0xaa);
  Probe v4, v6;
  v4.prober = make_udp_echo_prober(io_, spec4, [&](const Received& r) { v4.replies.push_back(r); });
  v6.prober = make_udp_echo_prober(io_, spec6, [&](const Received& r) { v6.replies.push_back(r); });
  const bool answered = probe_until({&v4, &v6}, [&] { return v4.ok() >= 10 && v6.ok() >= 10; });

  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  std::stringstream err;
  err << std::ifstream(log).rdbuf();
  ASSERT_TRUE(answered) << err.str();
  ASSERT_TRUE(WIFEXITED(status)) << err.str();
  EXPECT_EQ(WEXITSTATUS(status), 0) << err.str();
  EXPECT_NE(err.str().find("<6>listening on 198.18.0.1:7070, [2001:db8::1]:7070 (key ids 9;"),
            std::string::npos)
      << err.str();
  EXPECT_NE(err.str().find("<6>stopping (SIGTERM): received "), std::string::npos) << err.str();
}

TEST_F(ProbeNetwork, TheReflectorBinaryRefusesBadUsage) {
  const std::string binary = std::string(LIFELINE_BUILD_DIR) + "/reflector/lifeline-reflector";
  ASSERT_EQ(::access(binary.c_str(), X_OK), 0)
      << binary << " is not built (make lifeline-reflector)";
  const std::string key_file = write_key_file();
  auto exit_code = [](const std::string& command) {
    const int status = sh(command + " 2>/dev/null");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_EQ(exit_code(binary + " --listen 198.18.0.2:7070"), 2) << "no key";
  EXPECT_EQ(exit_code(binary + " --listen 2001:db8::2:7070 --key-file " + key_file), 2);
  EXPECT_EQ(exit_code(binary + " --listen 198.18.0.2:7070 --key-file " + key_file + " --key-file " +
                      key_file),
            2)
      << "the same key id twice";
  ::chmod(key_file.c_str(), 0644);
  EXPECT_EQ(exit_code(binary + " --listen 198.18.0.2:7070 --key-file " + key_file), 2);
  ::chmod(key_file.c_str(), 0600);
  EXPECT_EQ(exit_code(binary + " --listen 198.18.0.99:7070 --key-file " + key_file), 1)
      << "an address this host does not have: a runtime failure";
  EXPECT_EQ(exit_code(binary + " --help >/dev/null"), 0);
}

}  // namespace
}  // namespace lifeline::probes
