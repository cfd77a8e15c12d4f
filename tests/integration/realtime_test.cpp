// Real-time priority and locked memory for the event loop, against the real kernel (root):
// the calling thread takes the policy, threads made afterwards run at normal priority
// (SCHED_RESET_ON_FORK), memory is locked where that is safe, and what cannot be had is a
// warning.
#include "controller/realtime.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
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

// The loop keeps its CPU: pinned there, every other thread of the process elsewhere.
TEST(Realtime, TheLoopKeepsItsCpuAndTheOtherThreadsGoElsewhere) {
  cpu_set_t allowed{};
  ASSERT_EQ(::sched_getaffinity(0, sizeof allowed, &allowed), 0);
  if (CPU_COUNT(&allowed) < 2) GTEST_SKIP() << "one CPU: nothing to keep";
  std::atomic<bool> done{false};
  std::atomic<pid_t> other_tid{0};
  std::thread other([&] {
    other_tid = static_cast<pid_t>(::syscall(SYS_gettid));
    while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (other_tid == 0) std::this_thread::yield();
  std::string kept;
  int loop_cpus = 0;
  cpu_set_t loop_set{};
  pid_t later_tid = 0;
  cpu_set_t later{};
  std::thread loop([&] {
    const auto plan = keep_cpu_for_loop();
    ASSERT_TRUE(plan);
    kept = plan->text();
    ::sched_getaffinity(0, sizeof loop_set, &loop_set);
    loop_cpus = CPU_COUNT(&loop_set);
    // A thread the loop makes later starts on the loop's CPU; the plan moves it off again.
    std::atomic<bool> stop_later{false};
    std::thread made_later([&] {
      later_tid = static_cast<pid_t>(::syscall(SYS_gettid));
      while (!stop_later) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    while (later_tid == 0) std::this_thread::yield();
    keep_cpu_for_loop(*plan);
    ::sched_getaffinity(later_tid, sizeof later, &later);
    stop_later = true;
    made_later.join();
  });
  loop.join();
  cpu_set_t others{};
  ASSERT_EQ(::sched_getaffinity(other_tid, sizeof others, &others), 0);
  cpu_set_t main_thread{};
  ASSERT_EQ(::sched_getaffinity(0, sizeof main_thread, &main_thread), 0);
  done = true;
  other.join();
  ASSERT_EQ(kept.rfind("cpu ", 0), 0u) << kept;
  const int cpu = std::stoi(kept.substr(4));
  EXPECT_EQ(loop_cpus, 1);
  EXPECT_TRUE(CPU_ISSET(cpu, &loop_set));
  EXPECT_FALSE(CPU_ISSET(cpu, &others));
  EXPECT_EQ(CPU_COUNT(&others), CPU_COUNT(&allowed) - 1);
  EXPECT_FALSE(CPU_ISSET(cpu, &main_thread));  // every thread but the loop
  EXPECT_FALSE(CPU_ISSET(cpu, &later));
  EXPECT_EQ(CPU_COUNT(&later), CPU_COUNT(&allowed) - 1);
  ::sched_setaffinity(0, sizeof allowed, &allowed);
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
