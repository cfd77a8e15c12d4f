// Real-time priority and locked memory for lifelined's event loop (scheduling: in the config;
// docs/operator-guide.md#real-time-priority), as keepalived offers for VRRP
// (vrrp_rt_priority, vrrp_no_swap). With both cores busy, a loop at normal priority waits its
// turn behind every other runnable task, and 5 ms probes with 40 ms detection stop keeping
// time; SCHED_FIFO/SCHED_RR puts it ahead of them. Off unless configured; failing to get it is
// a warning, never a reason not to start.
#pragma once

#include <sched.h>

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace lifeline::daemon {

struct SchedulingOutcome {
  std::string applied;                // "other", "fifo 50", "rr 10"; " + memory locked"
  std::vector<std::string> warnings;  // what was asked for and could not be had, and why
};

// Applies `config` to the calling thread (the loop): its policy with SCHED_RESET_ON_FORK, so
// every thread it creates afterwards (feeds, the metrics server) runs at normal priority; and
// locks the whole process's memory (mlockall) where that cannot starve a later allocation (an
// unlimited RLIMIT_MEMLOCK, or CAP_IPC_LOCK). Never throws.
SchedulingOutcome apply_scheduling(const config::SchedulingConfig& config);

// With a real-time loop: keeps the loop's CPU for the loop. The calling thread (the loop) is
// pinned to the CPU it runs on, and every other thread of the process (worker, journal,
// ZeroMQ, the metrics server) may run anywhere but there: on a kernel without full
// preemption (Debian's default), a thread of ours in a long system call — a conntrack walk
// runs with softirqs off for tens of milliseconds — would otherwise hold the loop off its CPU
// until it returns. Nothing is done on a process that may use only one CPU. Returns the plan
// (which CPU is the loop's, which are the others'), or nullopt when nothing was done; give it
// back to keep_cpu_for_loop() after creating threads (a reload's feeds), which start on the
// loop's CPU.
struct CpuPlan {
  int loop_cpu = -1;
  cpu_set_t others{};
  std::string text() const { return "cpu " + std::to_string(loop_cpu); }
};
std::optional<CpuPlan> keep_cpu_for_loop();
void keep_cpu_for_loop(const CpuPlan& plan);

// The calling thread's policy and priority as the kernel has it: "other", "fifo 50", ...
std::string current_scheduling();

}  // namespace lifeline::daemon
