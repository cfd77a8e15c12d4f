#include "controller/journal_thread.hpp"

#include <exception>
#include <future>

namespace lifeline::daemon {

JournalThread::JournalThread(std::unique_ptr<ops::JournalStore> store, Worker::Post post)
    : store_(std::move(store)), post_(std::move(post)) {}

JournalThread::~JournalThread() = default;  // worker_ goes first: it writes its queue out

void JournalThread::publish(const ops::Event& event) {
  ++writes_;
  worker_.submit([store = store_.get(), event] { store->publish(event); });
}

void JournalThread::store_drill_report(const std::string& id, std::chrono::system_clock::time_point started,
                                       const std::string& report_json) {
  ++writes_;
  worker_.submit([store = store_.get(), id, started, report_json] { store->store_drill_report(id, started, report_json); });
}

void JournalThread::apply_retention(std::chrono::system_clock::time_point now) {
  worker_.submit([store = store_.get(), now] { store->apply_retention(now); });
}

void JournalThread::after_writes(std::function<void()> done) {
  worker_.run(post_, [] { return 0; }, [done = std::move(done)](int) { done(); });
}

namespace {

// A query's answer: its value, or why the journal could not be read.
template <typename T, typename Query>
JournalThread::Answer<T> ask(Query query) {
  JournalThread::Answer<T> a;
  try {
    a.value = query();
  } catch (const std::exception& e) {
    a.error = e.what();
  }
  return a;
}

}  // namespace

void JournalThread::history(const ops::HistoryQuery& query,
                            std::function<void(Answer<std::vector<std::string>>)> done) {
  worker_.run(
      post_, [store = store_.get(), query] { return ask<std::vector<std::string>>([&] { return store->history(query); }); },
      std::move(done));
}

void JournalThread::drill_report(const std::string& id,
                                 std::function<void(Answer<std::optional<std::string>>)> done) {
  worker_.run(
      post_,
      [store = store_.get(), id] { return ask<std::optional<std::string>>([&] { return store->drill_report(id); }); },
      std::move(done));
}

JournalThread::Answer<std::vector<std::string>> JournalThread::history_now(const ops::HistoryQuery& query) {
  auto promise = std::make_shared<std::promise<Answer<std::vector<std::string>>>>();
  auto future = promise->get_future();
  worker_.submit([store = store_.get(), query, promise] {
    promise->set_value(ask<std::vector<std::string>>([&] { return store->history(query); }));
  });
  return future.get();
}

}  // namespace lifeline::daemon
