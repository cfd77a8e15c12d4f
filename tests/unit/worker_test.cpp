// The daemon's worker: jobs run in order on one thread, results come back through the post
// function, and a job that throws still hands its caller a (value-initialized) result, so no
// caller waits for good.
#include "controller/worker.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lifeline::daemon {
namespace {

// Stands in for the event loop: posted functions run on the test's thread, on drain().
class FakeLoop {
 public:
  Worker::Post post() {
    return [this](std::function<void()> f) {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(f));
      ready_.notify_all();
    };
  }
  // Runs what was posted until `n` functions ran (or 5 s passed).
  void drain(std::size_t n) {
    for (std::size_t done = 0; done < n;) {
      std::function<void()> f;
      {
        std::unique_lock lock(mutex_);
        if (!ready_.wait_for(lock, std::chrono::seconds(5), [this] { return !queue_.empty(); })) return;
        f = std::move(queue_.front());
        queue_.erase(queue_.begin());
      }
      f();
      ++done;
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::function<void()>> queue_;
};

TEST(Worker, RunsJobsInOrderOffTheCallersThread) {
  FakeLoop loop;
  Worker worker("test-worker");
  std::vector<int> results;
  std::optional<std::thread::id> job_thread;
  for (int i = 0; i < 5; ++i) {
    worker.run(
        loop.post(),
        [i, &job_thread] {
          job_thread = std::this_thread::get_id();
          return i * i;
        },
        [&results](int r) { results.push_back(r); });
  }
  loop.drain(5);
  EXPECT_EQ(results, (std::vector<int>{0, 1, 4, 9, 16}));
  ASSERT_TRUE(job_thread);
  EXPECT_NE(*job_thread, std::this_thread::get_id());
}

TEST(Worker, AJobThatThrowsStillAnswersItsCaller) {
  FakeLoop loop;
  Worker worker("test-worker");
  std::optional<std::shared_ptr<int>> got;
  std::optional<std::string> text;
  worker.run(
      loop.post(), []() -> std::shared_ptr<int> { throw std::runtime_error("a bug"); },
      [&got](std::shared_ptr<int> r) { got = r; });
  worker.run(
      loop.post(), []() -> std::string { throw std::logic_error("another"); }, [&text](std::string r) { text = r; });
  loop.drain(2);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, nullptr);  // value-initialized: the caller reads it as a failure
  ASSERT_TRUE(text);
  EXPECT_TRUE(text->empty());
  // And the worker goes on.
  int after = 0;
  worker.run(loop.post(), [] { return 7; }, [&after](int r) { after = r; });
  loop.drain(1);
  EXPECT_EQ(after, 7);
}

TEST(Worker, RunsWhatIsQueuedBeforeItStops) {
  FakeLoop loop;
  std::vector<int> ran;
  std::mutex m;
  {
    Worker worker("test-worker");
    for (int i = 0; i < 3; ++i) {
      worker.submit([i, &ran, &m] {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::lock_guard lock(m);
        ran.push_back(i);
      });
    }
  }
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2}));
}

}  // namespace
}  // namespace lifeline::daemon
