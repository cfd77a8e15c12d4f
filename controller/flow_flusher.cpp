#include "controller/flow_flusher.hpp"

#include <cstdio>
#include <cstring>
#include <vector>

#include "controller/log.hpp"

namespace lifeline::daemon {

namespace {

std::string milliseconds(std::chrono::nanoseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f ms", std::chrono::duration<double, std::milli>(d).count());
  return text;
}

std::string names_of(const std::map<std::uint32_t, std::string>& marks) {
  std::string out;
  for (const auto& [mark, name] : marks) out += (out.empty() ? "" : ", ") + name;
  return out;
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
    classify::Classifier::Flushed flushed;
    std::chrono::nanoseconds took{};
  };
  classify::Classifier* classifier = &classifier_;
  worker_.run(
      post_,
      [classifier, marks = std::move(marks)] {
        const auto t0 = std::chrono::steady_clock::now();
        Outcome out{classifier->flush_flows(marks), {}};
        out.took = std::chrono::steady_clock::now() - t0;
        return out;
      },
      [this, alive = std::weak_ptr<bool>(alive_), batch = std::move(batch)](Outcome out) {
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

}  // namespace lifeline::daemon
