// Radio integrity in the running daemon (docs/integrity.md), with the modem's telemetry feed
// played by the test: a downgrade to GSM on an unsurveyed cell quarantines 5G for the class
// that requires integrity (C2 leaves, bulk stays), with the evidence in the quarantine reason,
// in `explain` and in `finding` events; the quarantine holds while the rogue cell does and
// ends after it; malformed messages and other modems' readings are dropped and counted; a
// silent feed is a suspicion by default and a violation when configured so.
#include <atomic>
#include <mutex>

#include "daemon_harness.hpp"
#include "links/radio.hpp"

namespace lifeline::daemon {
namespace {

using namespace testing;

constexpr const char* kFeed = "ipc:///run/lifeline/test-modem0.sock";

std::string radio_config(const std::string& rules = "") {
  std::string yaml = kConfig;
  const std::string radio = std::string("    radio:\n      feed: ") + kFeed +
                            "\n      modem: modem0\n      min_rat: lte\n      plmns: [\"24001\"]\n"
                            "      cells: [{ tac: 6699, cell_id: 19088743 }]\n      stale_after: 1s\n" +
                            (rules.empty() ? "" : "      rules: " + rules + "\n");
  yaml.insert(yaml.find("  - name: leo"), radio);
  yaml.replace(yaml.find("when_none: blackhole"), 20, "when_none: blackhole, require: { integrity: true }");
  return yaml + "integrity: { quarantine: 1s }\n";
}

links::RadioReading good() {
  links::RadioReading r;
  r.modem = "modem0";
  r.rat = config::Rat::nr;
  r.plmn = "24001";
  r.tac = 6699;
  r.cell_id = 19088743;
  r.rsrp = -95;
  r.neighbours = 5;
  r.registration = "home";
  r.cipher = "nea2";
  return r;
}

links::RadioReading rogue() {
  auto r = good();
  r.rat = config::Rat::gsm;
  r.cell_id = 999;
  return r;
}

// Publishes the current reading every 100 ms, as a bridge does once a second.
class ModemPump {
 public:
  explicit ModemPump(DaemonHarness& h) : h_(h), thread_([this] { run(); }) {}
  ~ModemPump() {
    stop_ = true;
    thread_.join();
  }
  void set(const links::RadioReading& r) {
    std::lock_guard lock(mutex_);
    message_ = links::format_radio_reading(r);
  }
  void pause(bool paused) { paused_ = paused; }

 private:
  void run() {
    while (!stop_) {
      std::string message;
      {
        std::lock_guard lock(mutex_);
        message = message_;
      }
      if (!paused_) h_.feeds.send(kFeed, {message});
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  DaemonHarness& h_;
  std::mutex mutex_;
  std::string message_ = links::format_radio_reading(good());
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  std::thread thread_;
};

std::uint64_t findings(const snapshot::Link& l, const std::string& rule, const std::string& verdict) {
  for (const auto& f : l.findings) {
    if (f.rule == rule && f.verdict == verdict) return f.count;
  }
  return 0;
}

bool settled(DaemonHarness& h) { return h.class_on(0, "wwan0") && h.class_on(1, "wwan0"); }

TEST(DaemonRadio, ARogueBaseStationMovesC2AtOnceAndBulkStays) {
  DaemonHarness h(radio_config(), std::nullopt, {.faults = false, .journal = true, .events = true});
  ModemPump modem(h);
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  ASSERT_TRUE(h.eventually([&] { return h.snapshot()->links[0].radio->readings >= 3; }));

  modem.set(rogue());
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  EXPECT_TRUE(h.class_on(1, "wwan0")) << "bulk does not require integrity: it stays on 5G";
  auto s = h.snapshot();
  ASSERT_TRUE(s && s->links[0].quarantined_until);
  const auto& reason = s->links[0].quarantine_reason;
  EXPECT_NE(reason.find("radio: RAT dropped nr -> gsm (below min_rat lte); cell 999 (TAC 6699) not surveyed at "),
            std::string::npos)
      << reason;
  EXPECT_EQ(s->links[0].health, "up") << "the link carries packets: it is untrustworthy, not down";
  EXPECT_EQ(findings(s->links[0], "rat_below_min", "violation"), 1u);
  EXPECT_EQ(findings(s->links[0], "cell_not_surveyed", "violation"), 1u);
  EXPECT_TRUE(h.events_->has("finding", "\"rule\":\"rat_below_min\""));
  EXPECT_TRUE(h.events_->has("finding", "\"rule\":\"cell_not_surveyed\""));
  const auto explain = h.control(R"({"version":1,"command":"explain","class":"c2"})");
  EXPECT_NE(explain.find("RAT dropped nr -> gsm"), std::string::npos) << explain;
  const auto status = h.control(R"({"version":1,"command":"links"})");
  EXPECT_NE(status.find("\"active\":[\"cell_not_surveyed\",\"rat_below_min\"]"), std::string::npos) << status;

  // The rogue cell stays for longer than the quarantine (1 s): the quarantine holds, and the
  // findings are not counted again (one condition, one finding).
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_TRUE(h.class_on(0, "sat0"));
  s = h.snapshot();
  EXPECT_EQ(findings(s->links[0], "rat_below_min", "violation"), 1u);

  // Back on the genuine cell: the quarantine runs out and C2 returns after its failback.
  modem.set(good());
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }, std::chrono::seconds(8)));
  EXPECT_FALSE(h.snapshot()->links[0].quarantined_until);
}

TEST(DaemonRadio, BadMessagesAndOtherModemsAreDroppedAndCounted) {
  DaemonHarness h(radio_config(), std::nullopt, {.faults = false, .journal = false, .events = true});
  ModemPump modem(h);
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  h.feeds.send(kFeed, {"{not json"});
  h.feeds.send(kFeed, {R"({"modem":"modem0","rat":"6g"})"});
  h.feeds.send(kFeed, {"one", "two"});
  h.feeds.send(kFeed, {std::string(100000, '{')});
  auto other = rogue();
  other.modem = "modem1";
  h.feeds.send(kFeed, {links::format_radio_reading(other)});
  ASSERT_TRUE(h.eventually([&] {
    const auto s = h.snapshot();
    return s->links[0].radio->malformed == 4 && s->links[0].radio->other_modem == 1;
  }));
  EXPECT_TRUE(h.class_on(0, "wwan0")) << "another modem's rogue cell is not this link's";
  EXPECT_FALSE(h.snapshot()->links[0].quarantined_until);
}

TEST(DaemonRadio, ASilentFeedIsASuspicionByDefault) {
  DaemonHarness h(radio_config(), std::nullopt, {.faults = false, .journal = false, .events = true});
  ModemPump modem(h);
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  ASSERT_TRUE(h.eventually([&] { return h.snapshot()->links[0].radio->readings >= 2; }));
  modem.pause(true);
  ASSERT_TRUE(h.eventually([&] { return h.events_->has("finding", "\"rule\":\"feed_stale\""); }));
  EXPECT_TRUE(h.events_->has("finding", "no reading from modem modem0 for 1 s")) << [&] {
    std::string all;
    for (const auto& e : h.events_->events()) all += e.json + "\n";
    return all;
  }();
  EXPECT_TRUE(h.snapshot()->links[0].radio->stale);
  EXPECT_TRUE(h.class_on(0, "wwan0"));
  modem.pause(false);
  ASSERT_TRUE(h.eventually([&] { return !h.snapshot()->links[0].radio->stale; }));
}

TEST(DaemonRadio, ASilentFeedConfiguredAsAViolationFailsC2Over) {
  DaemonHarness h(radio_config("{ feed_stale: violation }"), std::nullopt,
                  {.faults = false, .journal = false, .events = true});
  ModemPump modem(h);
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  ASSERT_TRUE(h.eventually([&] { return h.snapshot()->links[0].radio->readings >= 2; }));
  modem.pause(true);
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  EXPECT_NE(h.snapshot()->links[0].quarantine_reason.find("radio: no reading from modem modem0"), std::string::npos);
}

TEST(DaemonRadio, AReloadKeepsTheRadioAndANewRuleTakesEffect) {
  DaemonHarness h(radio_config(), std::nullopt, {.faults = false, .journal = false, .events = true});
  ModemPump modem(h);
  ASSERT_TRUE(h.eventually([&] { return settled(h); }));
  auto r = good();
  r.cipher = "nea0";
  r.plmn = "24002";
  modem.set(r);
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "sat0"); }));
  // Null ciphering and a foreign PLMN allowed as suspicions from now on: no new violation;
  // the running quarantine (1 s) ends, and C2 goes back.
  h.write_config(radio_config("{ null_cipher: suspicion, plmn_not_allowed: suspicion }"));
  h.reload();
  ASSERT_TRUE(h.eventually([&] { return h.class_on(0, "wwan0"); }, std::chrono::seconds(8)));
  ASSERT_TRUE(h.eventually([&] { return findings(h.snapshot()->links[0], "null_cipher", "suspicion") == 1; }));
}

}  // namespace
}  // namespace lifeline::daemon
