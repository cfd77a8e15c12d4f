// The daemon's worker: one background thread with an ordered queue for the outside effects
// that can take longer than about a millisecond (a conntrack walk, a full route dump, a
// journal commit on a slow disk, a long history query, an NSS look-up), so the event loop
// never waits for them. Jobs run one at a time, in the order they were submitted; a job hands
// its result back to the loop through the `post` function it is given (the loop is handed in,
// the worker knows no Asio). The thread starts in the constructor, in the network namespace of
// the constructing thread, and never inherits a real-time priority set on the loop later.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>

namespace lifeline::daemon {

class Worker {
 public:
  using Job = std::function<void()>;
  // Runs `f` on the event loop's thread (asio::post in the daemon).
  using Post = std::function<void(std::function<void()> f)>;

  // `name` is the thread's name (15 characters at most, as `top -H` shows it).
  explicit Worker(std::string name);
  // Runs the jobs still queued, then joins the thread.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void submit(Job job);

  // Runs `work()` on the worker, then `then(result)` on the loop through `post`. `work` must
  // only touch what it captured (copies, or objects that outlive the worker and may be used
  // from another thread); `then` runs on the loop and may touch the loop's state. `then` is
  // always called: if `work` throws (a bug), it gets a value-initialized result, which every
  // caller reads as a failure, so no flag of the loop's stays set for good.
  template <typename Work, typename Then>
  void run(const Post& post, Work work, Then then) {
    submit([this, post, work = std::move(work), then = std::move(then)]() mutable {
      using Result = std::decay_t<decltype(work())>;
      Result result{};
      try {
        result = work();
      } catch (const std::exception& e) {
        job_failed(e.what());
      }
      post([then = std::move(then), result = std::move(result)]() mutable { then(std::move(result)); });
    });
  }

  // Thread-safe: jobs waiting (not counting the one running), and jobs finished.
  std::size_t queued() const;
  std::uint64_t finished() const;

 private:
  void loop();
  void job_failed(const char* what);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::uint64_t finished_ = 0;
  std::string name_;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace lifeline::daemon
