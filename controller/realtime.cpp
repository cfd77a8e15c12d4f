#include "controller/realtime.hpp"

#include <linux/capability.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <dirent.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace lifeline::daemon {

namespace {

bool has_capability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  return (data[cap / 32].effective & (1U << (cap % 32))) != 0;
}

std::string policy_name(int policy) {
  switch (policy & ~SCHED_RESET_ON_FORK) {
    case SCHED_FIFO:
      return "fifo";
    case SCHED_RR:
      return "rr";
    case SCHED_OTHER:
      return "other";
    case SCHED_BATCH:
      return "batch";
    case SCHED_IDLE:
      return "idle";
    default:
      return "policy " + std::to_string(policy);
  }
}

}  // namespace

std::optional<CpuPlan> keep_cpu_for_loop() {
  cpu_set_t allowed{};
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2) return std::nullopt;
  const int cpu = ::sched_getcpu();
  if (cpu < 0 || !CPU_ISSET(cpu, &allowed)) return std::nullopt;
  cpu_set_t loop{};
  CPU_SET(cpu, &loop);
  if (::sched_setaffinity(0, sizeof loop, &loop) != 0) return std::nullopt;  // pid 0: this thread
  CpuPlan plan;
  plan.loop_cpu = cpu;
  plan.others = allowed;
  CPU_CLR(cpu, &plan.others);
  keep_cpu_for_loop(plan);
  return plan;
}

void keep_cpu_for_loop(const CpuPlan& plan) {
  const pid_t self = static_cast<pid_t>(::syscall(SYS_gettid));
  if (DIR* tasks = ::opendir("/proc/self/task")) {
    while (const dirent* e = ::readdir(tasks)) {
      const pid_t tid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
      if (tid <= 0 || tid == self) continue;
      ::sched_setaffinity(tid, sizeof plan.others, &plan.others);  // one that ended meanwhile: ESRCH
    }
    ::closedir(tasks);
  }
}

std::string current_scheduling() {
  const int policy = ::sched_getscheduler(0);
  if (policy < 0) return "unknown";
  sched_param param{};
  ::sched_getparam(0, &param);
  const auto name = policy_name(policy);
  return param.sched_priority > 0 ? name + " " + std::to_string(param.sched_priority) : name;
}

SchedulingOutcome apply_scheduling(const config::SchedulingConfig& config) {
  SchedulingOutcome out;
  if (config.policy != config::SchedPolicy::other) {
    const int policy = config.policy == config::SchedPolicy::fifo ? SCHED_FIFO : SCHED_RR;
    sched_param param{};
    param.sched_priority = config.priority;
    // pid 0: this thread only (the loop). RESET_ON_FORK: threads made later start normal.
    if (::sched_setscheduler(0, policy | SCHED_RESET_ON_FORK, &param) != 0) {
      const int error = errno;
      out.warnings.push_back(std::string("cannot run the event loop at real-time priority ") +
                             config::to_string(config.policy) + " " + std::to_string(config.priority) +
                             ": " + std::strerror(error) +
                             (error == EPERM ? " (it needs CAP_SYS_NICE, or LimitRTPRIO= at least the priority "
                                               "and RestrictRealtime=no in the unit: docs/operator-guide.md)"
                                             : ""));
    }
  }
  out.applied = current_scheduling();
  if (config.lock_memory) {
    rlimit limit{};
    ::getrlimit(RLIMIT_MEMLOCK, &limit);
    // With a finite limit, MCL_FUTURE would make a later allocation (a thread stack, a burst
    // of events) fail once the limit is reached: worse than swapping. Then nothing is locked.
    if (limit.rlim_cur != RLIM_INFINITY && !has_capability(CAP_IPC_LOCK)) {
      out.warnings.push_back("memory not locked: RLIMIT_MEMLOCK is " + std::to_string(limit.rlim_cur) +
                             " bytes; locking it all needs LimitMEMLOCK=infinity in the unit (or CAP_IPC_LOCK)");
    } else if (::mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
      out.warnings.push_back(std::string("memory not locked: mlockall: ") + std::strerror(errno));
    } else {
      out.applied += " + memory locked";
    }
  }
  return out;
}

}  // namespace lifeline::daemon
