// lifelinectl as an operator runs it, against a real ControlServer whose handler is a scripted
// fake of the daemon (canned results in the shapes of docs/control-api.md): the request it
// sends, tables for people, --json for scripts, exit codes 0/1/2/3, CURVE over TCP in a
// private network namespace, and the event stream.
#include <sys/socket.h>
#include <sys/un.h>

#include <zmq.hpp>

#include "tests/integration/control_harness.hpp"
#include "tests/integration/netns.hpp"
#include "zmq/curve_keys.hpp"

namespace lifeline::testing {
namespace {

using json = nlohmann::ordered_json;
using namespace std::chrono_literals;

// Times relative to now, in the API's format, so "since" columns read naturally.
std::string api_time(std::chrono::seconds from_now) {
  const auto t = std::chrono::system_clock::now() + from_now;
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buffer;
}

std::string link_5g() {
  return R"J({"name":"5g","interface":"wwan0","kind":"cellular","health":"down","since":")J" +
         api_time(-312s) +
         R"J(","reason":"no valid reply for 40ms (8 x 5ms) from 198.19.0.10:7070 (udp-echo)",)J"
         R"J("rtt_seconds":null,"rttvar_seconds":null,"jitter_seconds":null,"loss_ratio":1.0,)J"
         R"J("targets":[{"name":"198.19.0.10:7070 (udp-echo)","alive":false,"sent":100,)J"
         R"J("answered":50,"lost":50},{"name":"198.19.0.11 (icmp)","alive":false,"sent":100,)J"
         R"J("answered":50,"lost":50}],)J"
         R"J("downs":1,"integrity":{"bad_mac":0,"unknown_key":0,"wrong_session":0,"malformed":0,)J"
         R"J("duplicate":0,"late":0,"unknown_seq":0},"drained":null,"quarantined":null,)J"
         R"J("trust":"unattested","dampening":{"suppressed":false,"penalty":0.0}})J";
}

std::string link_leo() {
  return R"J({"name":"leo","interface":"sat0","kind":"satellite","health":"up","since":")J" +
         api_time(-3700s) +
         R"J(","reason":"1 of 1 targets answering","rtt_seconds":0.0402,"rttvar_seconds":0.001,)J"
         R"J("jitter_seconds":0.0003,"loss_ratio":0.0,)J"
         R"J("targets":[{"name":"198.19.1.10:7070 (udp-echo)",)J"
         R"J("alive":true,"sent":100,"answered":100,"lost":0}],"downs":0,"integrity":{},)J"
         R"J("drained":{"until":")J" +
         api_time(7200s) +
         R"J(","reason":"dish realignment","by":"alice"},"quarantined":null,)J"
         R"J("trust":"attested","dampening":{"suppressed":false,"penalty":0.0}})J";
}

std::string class_c2() {
  return R"({"name":"c2","precedence":"flash","when_none":"blackhole","links":["5g","leo","geo"],)"
         R"("target":"leo","target_kind":"link","since":")" +
         api_time(-312s) +
         R"(","why":"failover","reason":"5g down; leo is the next fit link",)"
         R"("explain":["c2 -> leo (failover): 5g down; leo is the next fit link",)"
         R"J("1st 5g: rejected, 5g down (no valid reply for 40ms ...)","2nd leo: chosen",)J"
         R"J("3rd geo: fit"],)J"
         R"("pin":null,"hold_until":null,"switches":[{"from":"5g","to":"leo","reason":"failover","count":1}],)"
         R"("last_switch":")" +
         api_time(-312s) + R"(","last_switch_seconds":0.000412})";
}

std::string status_result() {
  // The short forms of docs/control-api.md.
  return R"({"daemon":{"node":"base-alpha-gw1","version":"0.1.0","started":")" + api_time(-3700s) +
         R"(","uptime_seconds":3700.2,"config":{"path":"/etc/lifeline/lifeline.yaml","loaded":")" +
         api_time(-600s) + R"(","reloads_ok":2,"reloads_failed":1,"last_reload":")" +
         api_time(-600s) +
         R"(","last_reload_ok":false},"settled":true,"decisions":42,"route_errors":0,"drill":null},)"
         R"("links":[{"name":"5g","health":"down","since":")" +
         api_time(-312s) +
         R"(","reason":"no valid reply for 40ms","rtt_seconds":null,"jitter_seconds":null,)"
         R"("loss_ratio":1.0,"targets_alive":0,"targets_total":2,"drained":null},)"
         R"({"name":"leo","health":"up","since":")" +
         api_time(-3700s) +
         R"(","reason":"1 of 1 targets answering","rtt_seconds":0.0402,"jitter_seconds":0.0003,)"
         R"("loss_ratio":0.0,"targets_alive":1,"targets_total":1,"drained":null}],)"
         R"("classes":[{"name":"c2","precedence":"flash","target":"leo","target_kind":"link",)"
         R"("why":"failover","since":")" +
         api_time(-312s) +
         R"(","reason":"5g down; leo is the next fit link","pin":null},)"
         R"({"name":"voice","precedence":"immediate","target":"blackhole","target_kind":"blackhole",)"
         R"("why":"none-fit","since":")" +
         api_time(-312s) + R"(","reason":"no listed link fits","pin":null}]})";
}

class LifelinectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    loop_ = std::make_unique<LoopThread>();
    daemon_.answer("status", status_result());
    daemon_.answer("links", "{\"links\":[" + link_5g() + "," + link_leo() + "]}");
    daemon_.answer("classes", "{\"classes\":[" + class_c2() + "]}");
    daemon_.answer("explain", class_c2());
    daemon_.answer("pin", R"({"link":"leo","until":")" + api_time(1800s) +
                              R"(","reason":"tower maintenance","by":"root"})");
    daemon_.answer("drill.start", R"({"id":"20261129T120000Z-5g","link":"5g","fault":"blackhole",)"
                                  R"("state":"running","started":")" +
                                      api_time(0s) + R"(","ends":")" + api_time(60s) +
                                      R"(","abort_reason":""})");
    daemon_.answer(
        "history",
        R"({"events":[{"kind":"class","time":"2026-11-29T12:00:30.041Z","node":"gw1","class":"c2",)"
        R"("from":"5g","to":"leo","why":"failover","reason":"5g down","switch_seconds":0.000412},)"
        R"({"kind":"link","time":"2026-11-29T12:00:30.039Z","node":"gw1","link":"5g","from":"up",)"
        R"("to":"down","reason":"no valid reply for 40ms"}]})");
    daemon_.fail("reload", "failed",
                 "lifeline.yaml:3:5: unknown key 'linx'\nlifeline.yaml:9:1: 'classes' is required");
  }
  void start(const std::optional<config::CurveEndpoint>& tcp = {}) {
    config::ControlConfig c;
    c.socket = dir_ / "control.sock";
    c.group = "root";
    c.tcp = tcp;
    server_ = loop_->run([&] {
      return std::make_unique<control::ControlServer>(loop_->io(), c, daemon_.handler());
    });
  }
  void TearDown() override {
    if (!loop_) return;
    loop_->run([this] {
      server_.reset();
      publisher_.reset();
      return 0;
    });
  }
  ProgramResult ctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {lifelinectl_path(), "--socket", dir_ / "control.sock"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, dir_.path());
  }
  json last_request() {
    const auto seen = daemon_.last();
    EXPECT_TRUE(seen);
    return seen ? json::parse(seen->request) : json();
  }

  TempDir dir_;
  FakeDaemon daemon_;
  std::unique_ptr<LoopThread> loop_;
  std::unique_ptr<control::ControlServer> server_;
  std::unique_ptr<control::EventPublisher> publisher_;
};

TEST_F(LifelinectlTest, StatusPrintsTheSummaryAndTables) {
  start();
  const auto r = ctl({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_request(), json::parse(R"({"version":1,"command":"status","user":"root"})"));
  const std::string& out = r.out;
  EXPECT_NE(
      out.find("node base-alpha-gw1: lifelined 0.1.0, up 1h01m; 42 decisions, 0 route errors"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("reloads 2 ok, 1 refused; the last 10m00s ago was REFUSED"), std::string::npos)
      << out;
  EXPECT_NE(out.find("no drill"), std::string::npos) << out;
  EXPECT_NE(out.find("LINK  HEALTH  SINCE"), std::string::npos) << out;
  EXPECT_NE(out.find("RTT ms  JITTER ms  LOSS %  TARGETS  REASON"), std::string::npos) << out;
  // 5g: down, no RTT, 100 % loss, no target alive of 2.
  EXPECT_NE(out.find("5g    down    5m12s ago"), std::string::npos) << out;
  EXPECT_NE(out.find("100.0      0/2  no valid reply for 40ms"), std::string::npos) << out;
  EXPECT_NE(out.find("40.2        0.3     0.0      1/1"), std::string::npos) << out;
  EXPECT_NE(out.find("CLASS  PRECEDENCE  TARGET     WHY"), std::string::npos) << out;
  EXPECT_NE(out.find("c2     flash       leo        failover  5m12s ago  5g down; leo is the next"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("voice  immediate   blackhole  none-fit"), std::string::npos) << out;
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(LifelinectlTest, JsonPrintsTheResultExactlyAsSent) {
  start();
  for (const std::string command : {"status", "links", "classes"}) {
    const auto r = ctl({"--json", command});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Same keys in the same order, same values; one line.
    const std::string expected =
        json::parse(command == "status"  ? status_result()
                    : command == "links" ? "{\"links\":[" + link_5g() + "," + link_leo() + "]}"
                                         : "{\"classes\":[" + class_c2() + "]}")
            .dump();
    EXPECT_EQ(r.out, expected + "\n");
  }
  // Options after the command work too.
  const auto r = ctl({"links", "--json"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(json::parse(r.out)["links"][0]["name"], "5g");
}

TEST_F(LifelinectlTest, LinksShowsDrainsAndTargetsFromTheFullObjects) {
  start();
  const auto r = ctl({"links"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("leo   up drained"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("drained until"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("by alice: dish realignment"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0/2"), std::string::npos) << r.out;
}

TEST_F(LifelinectlTest, ExplainPrintsTheLines) {
  start();
  const auto r = ctl({"explain", "c2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_request()["class"], "c2");
  EXPECT_EQ(r.out.rfind("c2 -> leo (failover): 5g down; leo is the next fit link\n"
                        "  1st 5g: rejected, 5g down (no valid reply for 40ms ...)\n"
                        "  2nd leo: chosen\n"
                        "  3rd geo: fit\n",
                        0),
            0u)
      << r.out;
  EXPECT_NE(r.out.find("preference: 5g, leo, geo"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("switches since lifelined started: 5g -> leo (failover) x1"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("routes replaced in 0.4 ms"), std::string::npos) << r.out;
}

TEST_F(LifelinectlTest, HistoryAsksWithFiltersAndPrintsOldestFirst) {
  start();
  const auto r =
      ctl({"history", "--since", "1h", "--class", "c2", "--kind", "class", "--limit", "50"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_request(),
            json::parse(R"({"version":1,"command":"history","class":"c2","kind":"class",)"
                        R"("since":"1h","limit":50,"user":"root"})"));
  const auto link_line = r.out.find("2026-11-29 12:00:30.039Z  link   5g       up -> down");
  const auto class_line =
      r.out.find("2026-11-29 12:00:30.041Z  class  c2       5g -> leo (failover): 5g down");
  ASSERT_NE(link_line, std::string::npos) << r.out;
  ASSERT_NE(class_line, std::string::npos) << r.out;
  EXPECT_LT(link_line, class_line);
}

TEST_F(LifelinectlTest, OperatorCommandsSendTheDocumentedRequests) {
  start();
  auto r = ctl({"pin", "c2", "leo", "--for", "30m", "--reason", "tower maintenance"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_request(),
            json::parse(R"({"version":1,"command":"pin","class":"c2","for":"30m","link":"leo",)"
                        R"("reason":"tower maintenance","user":"root"})"));
  EXPECT_NE(r.out.find("c2 pinned to leo until "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(in 29m"), std::string::npos) << r.out;

  daemon_.answer("unpin", R"({"class":"c2","was":null})");
  r = ctl({"unpin", "c2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_request(),
            json::parse(R"({"version":1,"command":"unpin","class":"c2","user":"root"})"));
  EXPECT_EQ(r.out, "c2 was not pinned\n");

  daemon_.answer("drain", R"({"link":"5g","until":")" + api_time(7200s) +
                              R"(","reason":"planned","by":"root"})");
  r = ctl({"drain", "5g", "--for", "2h", "--reason", "planned"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_request()["command"], "drain");
  EXPECT_EQ(last_request()["for"], "2h");
  EXPECT_NE(r.out.find("5g drained until"), std::string::npos) << r.out;

  daemon_.answer("undrain", R"({"link":"5g","was_until":null})");
  r = ctl({"undrain", "5g", "--reason", "done early"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_request()["reason"], "done early");

  r = ctl({"drill", "start", "--link", "5g", "--fault", "blackhole", "--for", "60s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_request(),
            json::parse(R"({"version":1,"command":"drill.start","fault":"blackhole","for":"60s",)"
                        R"("link":"5g","user":"root"})"));
  EXPECT_NE(r.out.find("drill 20261129T120000Z-5g: blackhole on 5g, running, ends"),
            std::string::npos)
      << r.out;

  daemon_.answer("drill.status", R"({"drill":null})");
  r = ctl({"drill", "status"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_request()["command"], "drill.status");
  daemon_.answer("drill.report", R"({"id":"d1","passed":true,"detection_seconds":0.041})");
  r = ctl({"drill", "report", "d1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_request()["id"], "d1");
  EXPECT_NE(r.out.find("passed: yes"), std::string::npos) << r.out;
  daemon_.answer("drill.abort",
                 R"({"id":"d1","link":"5g","fault":"blackhole","state":"aborted",)"
                 R"("started":"2026-11-29T12:00:00.000Z","ends":"2026-11-29T12:01:00.000Z",)"
                 R"("abort_reason":"real outage"})");
  r = ctl({"drill", "abort", "--reason", "real outage"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_request()["command"], "drill.abort");
  EXPECT_NE(r.out.find("aborted"), std::string::npos) << r.out;
}

TEST_F(LifelinectlTest, DaemonErrorsExitOneWithCodeAndMessage) {
  start();
  auto r = ctl({"reload"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "lifelinectl: reload: failed: lifeline.yaml:3:5: unknown key 'linx'\n"
            "  lifeline.yaml:9:1: 'classes' is required\n");
  EXPECT_TRUE(r.out.empty());
  daemon_.fail("explain", "unknown_class", "no class 'c3'; the classes are c2");
  r = ctl({"--json", "explain", "c3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(
      json::parse(r.out),
      json::parse(R"({"code":"unknown_class","message":"no class 'c3'; the classes are c2"})"));
  EXPECT_NE(r.err.find("unknown_class: no class 'c3'"), std::string::npos) << r.err;
}

TEST_F(LifelinectlTest, UsageErrorsExitTwoWithoutAsking) {
  start();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"explain"},
           {"pin", "c2", "leo", "--for", "30", "--reason", "x"},
           {"pin", "c2", "leo", "--for", "30m"},
           {"pin", "c2", "leo", "--for", "30m", "--reason", ""},
           {"drill", "start", "--link", "5g", "--fault", "loss=100%", "--for", "1m"},
           {"drill", "start", "--link", "5g", "--fault", "earthquake", "--for", "1m"},
           {"drill"},
           {"history", "--limit", "0"},
           {"history", "--kind", "weather"},
           {"--timeout", "5", "status"},
           {"--connect", "tcp://198.18.0.1:7441", "status"},
       }) {
    const auto r = ctl(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.out << r.err;
    EXPECT_FALSE(r.err.empty()) << joined;
  }
  EXPECT_TRUE(daemon_.seen().empty());
  // --help is not an error, for the top and for every command.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"pin", "--help"}, {"drill", "start", "--help"}, {"events", "--help"}}) {
    const auto r = ctl(args);
    EXPECT_EQ(r.exit_code, 0) << args.front();
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  }
  EXPECT_NE(ctl({"--help"}).out.find("3  the daemon could not be reached"), std::string::npos);
}

TEST_F(LifelinectlTest, UnreachableDaemonExitsThreeAndSaysWhy) {
  // No socket at all.
  auto r = ctl({"status"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find(dir_ / "control.sock" + " does not exist"), std::string::npos) << r.err;

  // A socket left by a daemon that died.
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = dir_ / "control.sock";
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  r = ctl({"status"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("nobody is listening"), std::string::npos) << r.err;
  std::filesystem::remove(dir_ / "control.sock");

  // Something that accepts and never answers.
  {
    zmq::context_t context;
    zmq::socket_t mute(context, zmq::socket_type::router);
    mute.set(zmq::sockopt::linger, 0);
    mute.bind("ipc://" + dir_ / "control.sock");
    const auto before = std::chrono::steady_clock::now();
    r = ctl({"--timeout", "300ms", "status"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("no reply from ipc://" + dir_ / "control.sock" + " within 300ms"),
              std::string::npos)
        << r.err;
    EXPECT_LT(std::chrono::steady_clock::now() - before, 10s);
  }  // the context's end closes the socket and removes its file

  // Permission denied: the socket's group is not ours.
  start();
  r = run_program({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                   lifelinectl_path(), "--socket", dir_ / "control.sock", "status"},
                  dir_.path());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("permission denied on " + dir_ / "control.sock"), std::string::npos)
      << r.err;
}

TEST_F(LifelinectlTest, KeygenPrintsAUsableKeyPair) {
  const auto r = run_program({lifelinectl_path(), "keygen"}, dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string error;
  const auto pair = curve::parse_key_file(r.out, error);
  ASSERT_TRUE(pair) << error << "\n" << r.out;
  EXPECT_NE(r.out.find("public-key: " + pair->public_key), std::string::npos);
  const auto j = run_program({lifelinectl_path(), "--json", "keygen"}, dir_.path());
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const json keys = json::parse(j.out);
  EXPECT_EQ(curve::public_key_of(keys["secret_key"].get<std::string>()), keys["public_key"]);
}

TEST_F(LifelinectlTest, RemoteControlOverCurve) {
  LIFELINE_ENTER_PRIVATE_NETNS();
  ASSERT_EQ(std::system("ip addr add 198.18.0.1/32 dev lo"), 0);
  // The loop thread (and the server's ZeroMQ threads) must live in the namespace too.
  loop_ = std::make_unique<LoopThread>();
  const auto server = curve::generate_key_pair();
  write_file(dir_ / "server.key", curve::key_file_text(server), 0600);
  // The operator's key pair, made by lifelinectl itself.
  auto keygen = run_program({lifelinectl_path(), "keygen"}, dir_.path());
  ASSERT_EQ(keygen.exit_code, 0);
  write_file(dir_ / "client.key", keygen.out, 0600);
  std::string error;
  const auto client = curve::parse_key_file(keygen.out, error);
  ASSERT_TRUE(client) << error;
  const auto stranger = curve::generate_key_pair();
  write_file(dir_ / "stranger.key", curve::key_file_text(stranger), 0600);

  config::CurveEndpoint tcp;
  tcp.address = *IpAddress::parse("198.18.0.1");
  tcp.port = 7441;
  tcp.server_key_file = dir_ / "server.key";
  tcp.allowed_clients = {client->public_key};
  start(tcp);

  auto remote = [&](const std::string& key_file, std::vector<std::string> args) {
    std::vector<std::string> argv = {lifelinectl_path(), "--connect",       "tcp://198.18.0.1:7441",
                                     "--server-key",     server.public_key, "--key-file",
                                     key_file,           "--timeout",       "2s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, dir_.path());
  };
  auto r = remote(dir_ / "client.key", {"--json", "status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["daemon"]["node"], "base-alpha-gw1");
  const auto seen = daemon_.last();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->peer.transport, "tcp");
  EXPECT_EQ(seen->peer.identity, client->public_key);

  r = remote(dir_ / "stranger.key", {"status"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("refused our CURVE key"), std::string::npos) << r.err;

  ::chmod((dir_ / "client.key").c_str(), 0644);
  r = remote(dir_ / "client.key", {"status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
}

ops::Event event(const std::string& kind, const std::string& json_text) {
  ops::Event e;
  e.kind = kind;
  e.json = json_text;
  return e;
}

TEST_F(LifelinectlTest, EventsFollowsTheStream) {
  config::EventsConfig c;
  c.socket = dir_ / "events.sock";
  publisher_ =
      loop_->run([&] { return std::make_unique<control::EventPublisher>(loop_->io(), c); });
  const auto link = event("link", R"({"kind":"link","time":"2026-11-29T12:00:30.039Z",)"
                                  R"("node":"gw1","link":"5g","from":"up","to":"down",)"
                                  R"("reason":"no valid reply for 40ms"})");
  const auto cls =
      event("class", R"({"kind":"class","time":"2026-11-29T12:00:30.041Z",)"
                     R"("node":"gw1","class":"c2","from":"5g","to":"leo",)"
                     R"("why":"failover","reason":"5g down","switch_seconds":0.0004})");
  for (const bool as_json : {false, true}) {
    std::vector<std::string> argv = {lifelinectl_path(), "--socket", dir_ / "events.sock",
                                     "events",           "--kind",   "class",
                                     "--count",          "2"};
    if (as_json) argv.push_back("--json");
    Program ctl(argv, dir_.path());
    ASSERT_TRUE(ctl.started());
    // Publish until it has seen two (its subscription takes a moment to arrive).
    const auto end = std::chrono::steady_clock::now() + 20s;
    while (!ctl.finished() && std::chrono::steady_clock::now() < end) {
      loop_->run([&] {
        publisher_->publish(link);
        publisher_->publish(cls);
        return 0;
      });
      std::this_thread::sleep_for(20ms);
    }
    const auto r = ctl.wait(1s);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(r.out);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
      ++n;
      if (as_json) {
        EXPECT_EQ(json::parse(line)["kind"], "class") << line;
      } else {
        EXPECT_EQ(line,
                  "2026-11-29 12:00:30.041Z  class     c2          5g -> leo (failover): 5g "
                  "down [routes replaced in 0.40 ms]");
      }
    }
    EXPECT_EQ(n, 2) << r.out;
  }
  // No event socket: exit 3 at once.
  const auto r = run_program({lifelinectl_path(), "--socket", dir_ / "nothing.sock", "events"},
                             dir_.path(), 10s);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lifeline::testing
