#include "controller/worker.hpp"

#include <pthread.h>
#include <sched.h>

#include <exception>

#include "common/log.hpp"

namespace lifeline::daemon {

Worker::Worker(std::string name) : name_(std::move(name)), thread_([this] { loop(); }) {}

Worker::~Worker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Worker::submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

std::size_t Worker::queued() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

std::uint64_t Worker::finished() const {
  std::lock_guard lock(mutex_);
  return finished_;
}

void Worker::job_failed(const char* what) {
  log::error("worker " + name_ + ": a job failed: " + what + "; its caller is told it failed");
}

void Worker::loop() {
  ::pthread_setname_np(::pthread_self(), name_.substr(0, 15).c_str());
  // Slow work at normal priority, whatever the loop runs at (it may have been created by a
  // thread that later took SCHED_FIFO; SCHED_RESET_ON_FORK covers that too).
  sched_param normal{};
  ::pthread_setschedparam(::pthread_self(), SCHED_OTHER, &normal);
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and everything queued has run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      // A job reports its failures in its result; this is a bug, not a reason to stop.
      log::error("worker " + name_ + ": a job failed: " + e.what());
    }
    std::lock_guard lock(mutex_);
    ++finished_;
  }
}

}  // namespace lifeline::daemon
