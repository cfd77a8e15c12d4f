// Real-time priority and locked memory for the event loop, against the real kernel (root):
// the calling thread takes the policy, threads made afterwards run at normal priority
// (SCHED_RESET_ON_FORK), memory is locked where that is safe, and what cannot be had is a
// warning.
#include "controller/realtime.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace lifeline::daemon {
namespace {

TEST(Realtime, OtherChangesNothing) {
  const auto out = apply_scheduling({});
  EXPECT_TRUE(out.warnings.empty());
  EXPECT_EQ(out.applied, "other");
}

TEST(Realtime, TheLoopThreadTakesFifoAndThreadsItMakesLaterDoNot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (CAP_SYS_NICE)";
  std::string loop, child, after_loop;
  std::thread loop_thread([&] {
    config::SchedulingConfig c;
    c.policy = config::SchedPolicy::fifo;
    c.priority = 10;
    const auto out = apply_scheduling(c);
    EXPECT_TRUE(out.warnings.empty()) << out.warnings.front();
    loop = out.applied;
    std::thread([&] { child = current_scheduling(); }).join();
  });
  loop_thread.join();
  after_loop = current_scheduling();
  EXPECT_EQ(loop, "fifo 10");
  EXPECT_EQ(child, "other");       // the worker, the journal, feeds made later
  EXPECT_EQ(after_loop, "other");  // other threads of the process are untouched
}

TEST(Realtime, RoundRobinToo) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (CAP_SYS_NICE)";
  std::string applied;
  std::thread([&] {
    config::SchedulingConfig c;
    c.policy = config::SchedPolicy::rr;
    c.priority = 5;
    applied = apply_scheduling(c).applied;
  }).join();
  EXPECT_EQ(applied, "rr 5");
}

TEST(Realtime, LocksMemoryWhereThatIsSafe) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (CAP_IPC_LOCK)";
  config::SchedulingConfig c;
  c.lock_memory = true;
  const auto out = apply_scheduling(c);
  EXPECT_TRUE(out.warnings.empty()) << out.warnings.front();
  EXPECT_EQ(out.applied, "other + memory locked");
  ::munlockall();
}

// Without the right to it, the daemon says why and runs on at normal priority: it never
// refuses to start. (A child process drops root first; the test process keeps it.)
TEST(Realtime, WithoutPermissionItWarnsAndCarriesOn) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop privileges in a child";
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    rlimit none{0, 0};
    ::setrlimit(RLIMIT_RTPRIO, &none);
    rlimit small{64 * 1024, 64 * 1024};
    ::setrlimit(RLIMIT_MEMLOCK, &small);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);  // nobody: no capabilities
    config::SchedulingConfig c;
    c.policy = config::SchedPolicy::fifo;
    c.priority = 50;
    c.lock_memory = true;
    const auto out = apply_scheduling(c);
    std::string text = out.applied + "\n";
    for (const auto& w : out.warnings) text += w + "\n";
    if (::write(fds[1], text.data(), text.size()) < 0) ::_exit(4);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(text.substr(0, text.find('\n')), "other");
  EXPECT_NE(text.find("cannot run the event loop at real-time priority fifo 50: Operation not permitted"),
            std::string::npos) << text;
  EXPECT_NE(text.find("LimitRTPRIO="), std::string::npos) << text;
  EXPECT_NE(text.find("memory not locked: RLIMIT_MEMLOCK is 65536 bytes"), std::string::npos) << text;
}

}  // namespace
}  // namespace lifeline::daemon
