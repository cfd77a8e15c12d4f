// Pins and drains survive a restart: which of the journaled operator actions are still in
// force (the newest per class or link decides; expired ones and undone ones are not), and the
// RFC 3339 times they carry read back to the millisecond.
#include <gtest/gtest.h>

#include "common/utc_time.hpp"
#include "controller/event_json.hpp"

namespace lifeline::events {
namespace {

using namespace std::chrono_literals;

const Time kNow = utc::parse("2026-11-29T12:00:00.000Z").value();

std::string action(const std::string& what, const std::string& cls, const std::string& link,
                   std::optional<Time> until, const std::string& reason = "why",
                   const std::string& user = "alice") {
  return operator_action("gw", what, cls, link, until, reason, api::Actor{user, {"ipc", "uid 1000 (alice)"}},
                         kNow - 1h)
      .json;
}

TEST(StandingOrders, PinsAndDrainsStillInForceWithWhoAndWhy) {
  const auto orders = standing_orders(
      {action("pin", "c2", "leo", kNow + 30min, "tower maintenance"), action("drain", "", "5g", kNow + 2h, "modem swap", "bob")},
      kNow);
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[0].action, "pin");
  EXPECT_EQ(orders[0].cls, "c2");
  EXPECT_EQ(orders[0].link, "leo");
  EXPECT_EQ(orders[0].until, kNow + 30min);
  EXPECT_EQ(orders[0].reason, "tower maintenance");
  EXPECT_EQ(orders[0].by.user, "alice");
  EXPECT_EQ(orders[0].by.peer.identity, "uid 1000 (alice)");
  EXPECT_EQ(orders[1].action, "drain");
  EXPECT_EQ(orders[1].link, "5g");
  EXPECT_EQ(orders[1].by.user, "bob");
}

TEST(StandingOrders, TheNewestActionPerClassOrLinkDecides) {
  // Newest first, as the journal answers: an unpin after a pin ends it; a pin after an older
  // unpin holds; a second pin replaces the first.
  const auto orders = standing_orders({action("unpin", "c2", "leo", std::nullopt),
                                       action("pin", "c2", "leo", kNow + 1h),
                                       action("pin", "isr", "geo", kNow + 1h),
                                       action("pin", "isr", "leo", kNow + 2h),
                                       action("undrain", "", "5g", std::nullopt),
                                       action("drain", "", "5g", kNow + 1h),
                                       action("drain", "", "leo", kNow + 1h),
                                       action("undrain", "", "leo", std::nullopt)},
                                      kNow);
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[0].cls, "isr");
  EXPECT_EQ(orders[0].link, "geo");
  EXPECT_EQ(orders[1].action, "drain");
  EXPECT_EQ(orders[1].link, "leo");
}

TEST(StandingOrders, ExpiredAndUnreadableOnesAreNotRestored) {
  const auto orders = standing_orders({action("pin", "c2", "leo", kNow - 1ms), action("drain", "", "5g", kNow),
                                       "not json", R"({"kind":"operator","action":"pin","class":"c2"})",
                                       R"({"kind":"operator","action":"drain","link":"leo","until":"soon"})",
                                       action("drill.start", "", "5g", kNow + 1h)},
                                      kNow);
  EXPECT_TRUE(orders.empty());
}

}  // namespace
}  // namespace lifeline::events
