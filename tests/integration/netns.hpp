// Integration tests that touch routes, rules, nftables or conntrack run in a private network
// namespace: the test process unshares one before doing anything, so nothing it does can
// reach the host's namespace, and the kernel removes everything when the process exits
// (ctest runs each test case in its own process).
#pragma once

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace lifeline::testing {

// Call first in every test (or in SetUp). Skips the test when not root: creating network
// namespaces needs CAP_SYS_ADMIN, and CI runs as root.
#define LIFELINE_ENTER_PRIVATE_NETNS()                                                   \
  do {                                                                                   \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace";    \
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << std::strerror(errno); \
    ASSERT_EQ(std::system("ip link set lo up"), 0);                                      \
  } while (0)

}  // namespace lifeline::testing
