#include "controller/flow_flusher.hpp"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "common/log.hpp"

namespace lifeline::daemon {

namespace {

std::string milliseconds(std::chrono::nanoseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f ms", std::chrono::duration<double, std::milli>(d).count());
  return text;
}

// "c2, isr, voice" — or the first eight and how many more (a decision may move hundreds).
std::string names_of(const std::map<std::uint32_t, std::string>& marks) {
  constexpr std::size_t kNamed = 8;
  std::string out;
  std::size_t n = 0;
  for (const auto& [mark, name] : marks) {
    if (n++ == kNamed) break;
    out += (out.empty() ? "" : ", ") + name;
  }
  if (marks.size() > kNamed) out += " and " + std::to_string(marks.size() - kNamed) + " more classes";
  return out;
}

// The kernel answers a conntrack dump with one walk of its hash table under local_bh_disable():
// for its whole length (~9 ms with 262 144 empty buckets, ~30 ms with 100 000 entries) the
// walking thread cannot be preempted, and a real-time loop woken on that CPU waits behind
// it. So, where there is another CPU, the walk runs on another CPU than the loop's, and the
// loop stays where it is meanwhile.
struct CpuSplit {
  int loop_cpu = -1;
  cpu_set_t loop_before{};  // the loop's affinity, restored when the walk is done
  cpu_set_t walker{};       // every CPU the process may use but the loop's
};

std::optional<CpuSplit> split_cpus() {
  CpuSplit split;
  split.loop_cpu = ::sched_getcpu();
  if (split.loop_cpu < 0) return std::nullopt;
  if (::pthread_getaffinity_np(::pthread_self(), sizeof split.loop_before, &split.loop_before) != 0) return std::nullopt;
  split.walker = split.loop_before;
  CPU_CLR(split.loop_cpu, &split.walker);
  if (CPU_COUNT(&split.walker) == 0) return std::nullopt;  // one CPU: nowhere else to walk
  cpu_set_t only{};
  CPU_SET(split.loop_cpu, &only);
  if (::pthread_setaffinity_np(::pthread_self(), sizeof only, &only) != 0) return std::nullopt;
  return split;
}

}  // namespace

FlowFlusher::FlowFlusher(classify::Classifier& classifier, Worker& worker, Worker::Post post)
    : classifier_(classifier), worker_(worker), post_(std::move(post)) {}

FlowFlusher::~FlowFlusher() { *alive_ = false; }

void FlowFlusher::flush(const std::map<std::uint32_t, std::string>& marks) {
  waiting_.insert(marks.begin(), marks.end());
  if (!running_) start();
}

void FlowFlusher::start() {
  if (waiting_.empty()) return;
  running_ = true;
  auto batch = std::move(waiting_);
  waiting_.clear();
  std::vector<std::uint32_t> marks;
  for (const auto& [mark, name] : batch) marks.push_back(mark);
  struct Outcome {
    classify::Classifier::Flushed flushed{-EIO, 0, 0};  // (a job that threw: a failure)
    std::chrono::nanoseconds took{};
  };
  classify::Classifier* classifier = &classifier_;
  const auto split = split_cpus();
  worker_.run(
      post_,
      [classifier, marks = std::move(marks), split] {
        cpu_set_t before{};
        const bool moved = split && ::pthread_getaffinity_np(::pthread_self(), sizeof before, &before) == 0 &&
                           ::pthread_setaffinity_np(::pthread_self(), sizeof split->walker, &split->walker) == 0;
        const auto t0 = std::chrono::steady_clock::now();
        Outcome out{classifier->flush_flows(marks), {}};
        out.took = std::chrono::steady_clock::now() - t0;
        if (moved) ::pthread_setaffinity_np(::pthread_self(), sizeof before, &before);
        return out;
      },
      [this, alive = std::weak_ptr<bool>(alive_), batch = std::move(batch), split](Outcome out) {
        if (split) ::pthread_setaffinity_np(::pthread_self(), sizeof split->loop_before, &split->loop_before);
        if (auto a = alive.lock(); !a || !*a) return;
        running_ = false;
        ++stats_.flushes;
        stats_.walks += out.flushed.walks;
        stats_.last_took = out.took;
        if (out.flushed.error < 0) {
          ++stats_.errors;
          log::warning("conntrack: deleting the flows of " + names_of(batch) + " failed: " +
                       std::strerror(-out.flushed.error) + " (" + milliseconds(out.took) + ")");
        } else {
          stats_.flows += out.flushed.deleted;
          log::info("conntrack: " + std::to_string(out.flushed.deleted) + " flows of " + names_of(batch) +
                    " deleted (" + std::to_string(out.flushed.walks) + " walk of the table, " +
                    milliseconds(out.took) + ")");
        }
        start();  // whatever moved meanwhile
      });
}

void FlowFlusher::collect(const std::vector<std::uint32_t>& marks, std::function<void(Collected)> then) {
  classify::Classifier* classifier = &classifier_;
  const auto split = split_cpus();
  worker_.run(
      post_,
      [classifier, marks, split] {
        cpu_set_t before{};
        const bool moved = split && ::pthread_getaffinity_np(::pthread_self(), sizeof before, &before) == 0 &&
                           ::pthread_setaffinity_np(::pthread_self(), sizeof split->walker, &split->walker) == 0;
        Collected out = classifier->collect_flows(marks);
        if (moved) ::pthread_setaffinity_np(::pthread_self(), sizeof before, &before);
        return out;
      },
      [this, alive = std::weak_ptr<bool>(alive_), split, then = std::move(then)](Collected out) {
        if (split) ::pthread_setaffinity_np(::pthread_self(), sizeof split->loop_before, &split->loop_before);
        if (auto a = alive.lock(); !a || !*a) return;
        stats_.walks += out ? out->walks : 0;
        if (!out || out->error < 0) {
          ++stats_.errors;
          log::warning(std::string("conntrack: collecting the flows of classes failing back failed: ") +
                       std::strerror(out ? -out->error : EIO) + "; they are deleted after the switch instead");
        }
        then(std::move(out));
      });
}

void FlowFlusher::delete_collected(const classify::Classifier::Collected& flows, std::uint32_t mark,
                                   const std::string& name, bool again) {
  const auto r = classifier_.delete_flows(flows, mark, again);
  if (again) {
    stats_.flows += r.deleted;
    return;
  }
  if (r.error < 0) {
    ++stats_.errors;
    log::warning("conntrack: deleting the flows of " + name + " before its failback failed: " + std::strerror(-r.error));
    return;
  }
  ++stats_.flushes;
  stats_.flows += r.deleted;
  if (r.deleted > 0) log::info("conntrack: " + std::to_string(r.deleted) + " flows of " + name + " deleted before its failback");
}

}  // namespace lifeline::daemon
