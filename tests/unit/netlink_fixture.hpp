// Reads the netlink fixtures captured from iproute2 and the kernel
// (tests/fixtures/netlink/*.hex, written by capture.py): '#' header lines, then hex bytes.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace lifeline::testing {

struct NetlinkFixture {
  std::string name;
  std::string command;  // the first header line: what `ip` ran
  std::vector<std::uint8_t> bytes;
  std::map<std::string, std::uint32_t> ifindex;  // from "# ifindex: lo=1 wwan0=3 ..."

  // The sequence number `ip` used (bytes 8..11, little endian): encoders are given the same
  // one, so the whole message compares byte for byte.
  std::uint32_t seq() const {
    return static_cast<std::uint32_t>(bytes.at(8)) | static_cast<std::uint32_t>(bytes.at(9)) << 8 |
           static_cast<std::uint32_t>(bytes.at(10)) << 16 |
           static_cast<std::uint32_t>(bytes.at(11)) << 24;
  }
};

inline NetlinkFixture load_netlink_fixture(const std::string& name) {
  NetlinkFixture fixture;
  fixture.name = name;
  const std::string path =
      std::string(LIFELINE_SOURCE_DIR) + "/tests/fixtures/netlink/" + name + ".hex";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind('#', 0) == 0) {
      if (fixture.command.empty()) fixture.command = line.substr(2);
      if (line.rfind("# ifindex:", 0) == 0) {
        std::istringstream words(line.substr(10));
        std::string pair;
        while (words >> pair) {
          const auto eq = pair.find('=');
          fixture.ifindex[pair.substr(0, eq)] =
              static_cast<std::uint32_t>(std::stoul(pair.substr(eq + 1)));
        }
      }
      continue;
    }
    std::istringstream words(line);
    std::string byte;
    while (words >> byte) {
      fixture.bytes.push_back(static_cast<std::uint8_t>(std::stoul(byte, nullptr, 16)));
    }
  }
  return fixture;
}

inline std::string hex_dump(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  char cell[4];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(cell, sizeof(cell), "%02x", bytes[i]);
    out += cell;
    out += (i % 16 == 15) ? "\n" : " ";
  }
  return out;
}

}  // namespace lifeline::testing
