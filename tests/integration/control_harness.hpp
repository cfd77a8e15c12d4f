// Helpers of the control transport's integration tests: an Asio loop on its own thread (the
// daemon's loop stands in), a temporary directory for ipc sockets, a scripted fake of the
// daemon's request handler, and running programs (lifelinectl, python3) with a deadline.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "controller/control/control_server.hpp"
#include "controller/control/protocol.hpp"
#include "controller/ops.hpp"

extern char** environ;

namespace lifeline::testing {

// The daemon's loop: one thread running an io_context. Servers are made and destroyed on it.
class LoopThread {
 public:
  LoopThread() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~LoopThread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }

  // Runs `f` on the loop's thread and returns its result (exceptions travel back).
  template <typename F>
  auto run(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

// A directory for sockets and key files, open to everyone (tests run clients as nobody),
// removed at the end.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/lifeline-control-XXXXXX";
    if (::mkdtemp(pattern) != nullptr) {
      path_ = pattern;
      ::chmod(path_.c_str(), 0755);
    }
  }
  ~TempDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A scripted fake of the daemon's handler (the real one is lifelined's control_api.cpp):
// answers from a table of canned results by command, `bad_request` for what is not a JSON
// object, and records every request with its peer. Called on the loop thread; read from the
// test's thread.
class FakeDaemon {
 public:
  using json = nlohmann::ordered_json;

  // `command` answers with {"version":1,"ok":true,"result":RESULT}.
  void answer(const std::string& command, const std::string& result_json) {
    std::lock_guard lock(mutex_);
    results_[command] = result_json;
  }
  // `command` answers with an error.
  void fail(const std::string& command, const std::string& code, const std::string& message) {
    std::lock_guard lock(mutex_);
    errors_[command] = {code, message};
  }

  ops::ControlHandler handler() {
    return [this](const std::string& request, const ops::Peer& peer, std::function<void(std::string)> reply) {
      reply(handle(request, peer));
    };
  }

  struct Seen {
    std::string request;
    ops::Peer peer;
  };
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  std::optional<Seen> last() const {
    std::lock_guard lock(mutex_);
    if (seen_.empty()) return std::nullopt;
    return seen_.back();
  }

 private:
  std::string handle(const std::string& request, const ops::Peer& peer) {
    std::lock_guard lock(mutex_);
    seen_.push_back({request, peer});
    const json r = json::parse(request, nullptr, false);
    if (r.is_discarded()) return control::error_reply("bad_request", "the request is not JSON");
    if (!r.is_object()) {
      return control::error_reply("bad_request", "the request must be a JSON object");
    }
    const std::string command = r.value("command", "");
    if (auto it = errors_.find(command); it != errors_.end()) {
      return control::error_reply(it->second.first, it->second.second);
    }
    if (auto it = results_.find(command); it != results_.end()) {
      return R"({"version":1,"ok":true,"result":)" + it->second + "}";
    }
    if (command == "echo") {
      const json reply = {
          {"version", 1},
          {"ok", true},
          {"result", {{"request", r}, {"transport", peer.transport}, {"identity", peer.identity}}}};
      return reply.dump();
    }
    return control::error_reply("unknown_command", "'" + command + "' is not a command");
  }

  mutable std::mutex mutex_;
  std::map<std::string, std::string> results_;
  std::map<std::string, std::pair<std::string, std::string>> errors_;
  std::vector<Seen> seen_;
};

struct ProgramResult {
  int exit_code = -1;  // -1: killed at the deadline
  std::string out;
  std::string err;
};

// A program running in the background, its output going to files.
class Program {
 public:
  Program(const std::vector<std::string>& argv, const std::string& dir) {
    static int counter = 0;
    const std::string base =
        dir + "/program-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    out_path_ = base + ".out";
    err_path_ = base + ".err";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Program() {
    if (pid_ > 0 && !done_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool started() const { return pid_ > 0; }

  // True once the program has ended (result() then tells how).
  bool finished() {
    if (done_ || pid_ <= 0) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      done_ = true;
      result_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return done_;
  }
  // Waits until it ends, at most `deadline`; kills it then.
  ProgramResult wait(std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!finished() && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!finished()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      done_ = true;
      result_.exit_code = -1;
    }
    result_.out = read_file(out_path_);
    result_.err = read_file(err_path_);
    return result_;
  }
  std::string output_so_far() const { return read_file(out_path_); }

 private:
  pid_t pid_ = -1;
  bool done_ = false;
  ProgramResult result_;
  std::string out_path_;
  std::string err_path_;
};

inline ProgramResult run_program(const std::vector<std::string>& argv, const std::string& dir,
                                 std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
  Program p(argv, dir);
  return p.wait(deadline);
}

inline std::string lifelinectl_path() {
  return std::string(LIFELINE_BUILD_DIR) + "/cli/lifelinectl";
}

}  // namespace lifeline::testing
