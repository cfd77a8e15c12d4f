// Incident reports (docs/incidents.md): the JSON contract, Ed25519 signatures made and checked
// with libsodium, and which links a report names.
#include <gtest/gtest.h>

#include "common/utc_time.hpp"
#include "links/attestation.hpp"
#include "links/incident.hpp"

namespace lifeline::links {
namespace {

constexpr const char* kExample = R"({"id": "3f1c", "time": "2026-11-29T12:00:00Z", "reporter": "base-bravo-gw1",
  "severity": "high", "category": "rogue-base-station",
  "affected": {"operators": ["Example Mobile"], "plmns": ["24001"],
               "cells": [{"tac": 6699, "cell_id": 19088743}], "vendors": []},
  "indicators": ["RAT downgrade nr->gsm", "cell not surveyed"],
  "expires": "2026-11-29T18:00:00Z"})";

TEST(Incident, ParsesTheContractExampleAndFormatsItBack) {
  const auto parsed = parse_incident(kExample);
  ASSERT_TRUE(std::holds_alternative<IncidentReport>(parsed)) << std::get<std::string>(parsed);
  const auto& r = std::get<IncidentReport>(parsed);
  EXPECT_EQ(r.id, "3f1c");
  EXPECT_EQ(r.reporter, "base-bravo-gw1");
  EXPECT_EQ(r.severity, "high");
  EXPECT_EQ(r.category, "rogue-base-station");
  EXPECT_EQ(r.operators, std::vector<std::string>{"Example Mobile"});
  EXPECT_EQ(r.plmns, std::vector<std::string>{"24001"});
  ASSERT_EQ(r.cells.size(), 1u);
  EXPECT_EQ(r.cells[0].cell_id, 19088743u);
  EXPECT_EQ(utc::format(r.expires), "2026-11-29T18:00:00Z");
  const auto again = parse_incident(format_incident(r));
  ASSERT_TRUE(std::holds_alternative<IncidentReport>(again));
  EXPECT_EQ(std::get<IncidentReport>(again).cells, r.cells);
}

TEST(Incident, RefusesWhatIsNotAReport) {
  const std::pair<std::string, const char*> cases[] = {
      {"nope", "not JSON"},
      {R"({"id": "1"})", "reporter: required"},
      {std::string(kExample).replace(std::string(kExample).find("high"), 4, "urgent"),
       "severity: 'urgent' is not one of low, medium, high, critical"},
      {std::string(kExample).replace(std::string(kExample).find("rogue-base-station"), 18, "aliens"),
       "category: 'aliens' is not one of"},
      {std::string(kExample).replace(std::string(kExample).find("2026-11-29T18"), 13, "2026-11-29T11"),
       "expires: must be after time"},
      {R"({"id":"1","time":"2026-11-29T12:00:00Z","reporter":"r","severity":"low","category":"other",
          "expires":"2026-11-29T13:00:00Z","affected":{}})",
       "affected: names nothing"},
      {R"({"id":"1","time":"2026-11-29T12:00:00Z","reporter":"r","severity":"low","category":"other",
          "expires":"2026-11-29T13:00:00Z","affected":{"cells":[{"tac":1}]}})",
       "affected.cells: each must be"},
  };
  for (const auto& [text, why] : cases) {
    const auto parsed = parse_incident(text);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << text;
    EXPECT_NE(std::get<std::string>(parsed).find(why), std::string::npos) << std::get<std::string>(parsed);
  }
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_incident(std::string(kMaxIncidentBytes + 1, ' '))));
}

TEST(Incident, OnlyAnAllowedReportersSignatureOverTheExactBytesVerifies) {
  const auto bravo = generate_signing_key();
  const auto stranger = generate_signing_key();
  const auto bravo_secret = decode_secret_key(bravo.secret_key);
  const auto stranger_secret = decode_secret_key(stranger.secret_key);
  ASSERT_TRUE(bravo_secret && stranger_secret);
  config::IncidentReporter allowed{"base-bravo-gw1", bravo.public_key, *decode_public_key(bravo.public_key)};
  const std::vector<config::IncidentReporter> reporters{allowed};

  const std::string text = kExample;
  const auto sig = sign_incident(text, *bravo_secret);
  EXPECT_EQ(sig.size(), 64u);
  const auto* who = verify_incident(text, sig, reporters);
  ASSERT_NE(who, nullptr);
  EXPECT_EQ(who->name, "base-bravo-gw1");
  // One byte changed, another signer, a truncated signature: nothing verifies.
  std::string changed = text;
  changed[changed.find("24001")] = '3';
  EXPECT_EQ(verify_incident(changed, sig, reporters), nullptr);
  EXPECT_EQ(verify_incident(text, sign_incident(text, *stranger_secret), reporters), nullptr);
  EXPECT_EQ(verify_incident(text, sig.substr(0, 63), reporters), nullptr);
  // A report that claims another reporter is not checked against bravo's key at all.
  std::string other = text;
  other.replace(other.find("base-bravo-gw1"), 14, "base-charlie-1");
  EXPECT_EQ(verify_incident(other, sign_incident(other, *bravo_secret), reporters), nullptr);
  EXPECT_EQ(claimed_reporter(R"({"reporter" :  "x-1", "id": "2"})"), "x-1");
  EXPECT_FALSE(claimed_reporter(R"({"id": "2"})"));
  EXPECT_FALSE(decode_public_key("not base64"));
  EXPECT_FALSE(decode_secret_key(bravo.public_key)) << "a public key is not a secret key";
}

TEST(Incident, MatchesALinkByOperatorPlmnCellOrVendor) {
  auto r = std::get<IncidentReport>(parse_incident(kExample));
  LinkFacts link;
  EXPECT_FALSE(incident_matches(r, link));
  link.operator_name = "example mobile";
  EXPECT_EQ(incident_matches(r, link), "operator example mobile");
  link = {};
  link.plmns = {"24001"};
  EXPECT_EQ(incident_matches(r, link), "PLMN 24001");
  link = {};
  link.cells = {{6699, 19088743}};
  EXPECT_EQ(incident_matches(r, link), "cell 19088743 (TAC 6699)");
  link = {};
  link.vendors = {"Huawei"};
  EXPECT_FALSE(incident_matches(r, link));
  r.vendors = {"HUAWEI"};
  EXPECT_EQ(incident_matches(r, link), "vendor Huawei");
}

}  // namespace
}  // namespace lifeline::links
