// lifeline-bench-noise: how late this machine wakes a real-time thread that does nothing
// else: a SCHED_FIFO thread sleeps to the next millisecond, SECONDS times a thousand, and
// reports the largest lateness and how often it passed 1 and 2 ms. That is the floor under
// any loop lag lifelined can show on the same machine (a VM's host, interrupts, other
// processes' system calls on a kernel without full preemption), so benchmarks print it beside
// their own figures.
//   lifeline-bench-noise [SECONDS] [PRIORITY]      (defaults: 30, 50; 0 = normal priority)
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {
volatile sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }
}  // namespace

// SIGINT or SIGTERM ends the run early; what was measured is still reported.
int main(int argc, char** argv) {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  const long seconds = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 30;
  const int priority = argc > 2 ? std::atoi(argv[2]) : 50;
  if (seconds <= 0 || seconds > 3600 || priority < 0 || priority > 99) {
    std::fprintf(stderr, "usage: %s [SECONDS 1-3600] [PRIORITY 0-99]\n", argv[0]);
    return 2;
  }
  if (priority > 0) {
    sched_param p{};
    p.sched_priority = priority;
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) != 0) {
      std::perror("SCHED_FIFO");
      return 1;
    }
  }
  std::vector<long> late;
  late.reserve(static_cast<std::size_t>(seconds) * 1000);
  timespec next{};
  clock_gettime(CLOCK_MONOTONIC, &next);
  for (long i = 0; i < seconds * 1000 && !g_stop; ++i) {
    next.tv_nsec += 1'000'000;
    if (next.tv_nsec >= 1'000'000'000) {
      next.tv_nsec -= 1'000'000'000;
      ++next.tv_sec;
    }
    if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr) != 0) break;  // a signal
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    late.push_back((now.tv_sec - next.tv_sec) * 1'000'000'000L + (now.tv_nsec - next.tv_nsec));
  }
  if (late.empty()) late.push_back(0);
  std::sort(late.begin(), late.end());
  const auto at = [&](double q) { return late[static_cast<std::size_t>(q * static_cast<double>(late.size() - 1))] / 1e6; };
  const auto over = [&](long ns) { return late.end() - std::upper_bound(late.begin(), late.end(), ns); };
  std::printf("wakeups %zu median_ms %.3f p99_ms %.3f max_ms %.3f over_1ms %td over_2ms %td\n", late.size(), at(0.5),
              at(0.99), late.back() / 1e6, over(1'000'000), over(2'000'000));
  return 0;
}
