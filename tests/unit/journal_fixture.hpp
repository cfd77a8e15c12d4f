// Shared by the journal tests: a private temporary directory, events, a raw SQLite connection
// to look at the file as an operator's `sqlite3` would, and a way to run a piece of a test in
// a child process (as an unprivileged user, or with a file size limit) without touching the
// test process itself.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

#include "config/config.hpp"
#include "controller/ops.hpp"

namespace lifeline::journal::testing {

using std::chrono::system_clock;

// 2026-11-29T12:00:00Z, a whole second: times below are offsets from it.
inline const system_clock::time_point kT0 =
    system_clock::time_point(std::chrono::seconds(1795953600));

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lifeline-journal-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline config::JournalConfig journal_config(const std::string& path) {
  config::JournalConfig c;
  c.path = path;
  return c;
}

inline ops::Event event(std::string kind, system_clock::time_point at, std::string class_name,
                        std::string link_name, std::string json) {
  ops::Event e;
  e.kind = std::move(kind);
  e.at = at;
  e.class_name = std::move(class_name);
  e.link_name = std::move(link_name);
  e.json = std::move(json);
  return e;
}

// A connection of our own to the journal's file.
class RawDb {
 public:
  explicit RawDb(const std::string& path, int flags = SQLITE_OPEN_READWRITE) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      std::string message = sqlite3_errmsg(db_);
      sqlite3_close(db_);
      throw std::runtime_error("sqlite3_open " + path + ": " + message);
    }
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error(sql + ": " + message);
    }
  }
  // Every row's column `index`, as text.
  std::vector<std::string> column(const std::string& sql, int index = 0) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    }
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(s, index);
      out.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text),
                       static_cast<std::size_t>(sqlite3_column_bytes(s, index)));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    return out;
  }
  std::string value(const std::string& sql) {
    auto rows = column(sql);
    return rows.empty() ? std::string("<no row>") : rows.front();
  }

 private:
  sqlite3* db_ = nullptr;
};

// Runs `body` in a forked child and returns what it returned: "" for success, else what went
// wrong. The child may change what it likes about itself (user, resource limits); the test
// process stays as it was. The child never returns into the test framework.
inline std::string in_child(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(fds[0]);
    std::string result;
    try {
      result = body();
    } catch (const std::exception& e) {
      result = std::string("exception: ") + e.what();
    } catch (...) {
      result = "unknown exception";
    }
    std::size_t off = 0;
    while (off < result.size()) {
      const ssize_t n = ::write(fds[1], result.data() + off, result.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "child died: status " + std::to_string(status) + "; " + out;
  return out;
}

// Root ignores file modes; a test about a file that lifelined may not write drops to this
// user in its child. Returns "" or why it could not.
inline std::string become_nobody() {
  if (::geteuid() != 0) return "";
  const passwd* pw = ::getpwnam("nobody");
  const uid_t uid = pw != nullptr ? pw->pw_uid : 65534;
  const gid_t gid = pw != nullptr ? pw->pw_gid : 65534;
  if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
      ::setresuid(uid, uid, uid) != 0) {
    return "cannot drop privileges to nobody";
  }
  return "";
}

inline uid_t nobody_uid() {
  const passwd* pw = ::getpwnam("nobody");
  return pw != nullptr ? pw->pw_uid : 65534;
}

}  // namespace lifeline::journal::testing
