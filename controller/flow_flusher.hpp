// After a switch, the moved classes' conntrack entries are deleted so their NATed flows
// re-establish on the new link. That takes a walk of the kernel's whole conntrack table
// (~9 ms with 262 144 empty buckets, ~250 ms with 100 000 entries: conntrack.hpp says why the
// dump is unfiltered), so it never runs on the event loop: FlowFlusher gathers the marks of the classes that moved, runs ONE flush at a
// time on the worker for all of them (one walk), and takes the result back on the loop. Marks
// that arrive while a flush is running go together into the next one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "controller/classifier.hpp"
#include "controller/worker.hpp"

namespace lifeline::daemon {

class FlowFlusher {
 public:
  struct Stats {
    std::uint64_t flushes = 0;  // flushes finished
    std::uint64_t walks = 0;    // walks of the kernel's conntrack table
    std::uint64_t flows = 0;    // entries deleted
    std::uint64_t errors = 0;   // flushes that failed
    std::chrono::nanoseconds last_took{};
  };

  // `classifier` must outlive the worker's jobs (the daemon destroys its worker first).
  FlowFlusher(classify::Classifier& classifier, Worker& worker, Worker::Post post);
  ~FlowFlusher();
  FlowFlusher(const FlowFlusher&) = delete;
  FlowFlusher& operator=(const FlowFlusher&) = delete;

  // On the loop: delete the entries with these marks (mark -> what to call it in the log)
  // soon. Returns at once.
  void flush(const std::map<std::uint32_t, std::string>& marks);

  // On the loop: collect the entries with these marks on the worker (one walk), and hand
  // them to `then` on the loop (for Classifier::delete_flows right before a switch).
  using Collected = std::shared_ptr<const classify::Classifier::Collected>;
  void collect(const std::vector<std::uint32_t>& marks, std::function<void(Collected)> then);
  // On the loop, right before its class's route is switched: delete one mark's collected
  // entries (no walk); counted like a flush.
  // `again`: the second pass right after the switch (by tuple only; not logged).
  void delete_collected(const classify::Classifier::Collected& flows, std::uint32_t mark, const std::string& name,
                        bool again = false);

  const Stats& stats() const { return stats_; }  // the loop's thread
  bool busy() const { return running_; }

 private:
  void start();

  classify::Classifier& classifier_;
  Worker& worker_;
  Worker::Post post_;
  std::map<std::uint32_t, std::string> waiting_;
  bool running_ = false;
  Stats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeline::daemon
