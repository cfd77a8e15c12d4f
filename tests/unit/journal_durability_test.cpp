// "An event acknowledged to an operator is committed before the reply. A kill -9 loses no
// committed row." A child process publishes events as fast as it can and reports each one on
// a pipe the moment publish() returns, which is when lifelined would send the operator's
// reply. The test kills it with SIGKILL at a random moment, round after round on the same
// file (in the middle of opening it, of a commit, of a WAL checkpoint), and then checks that
// every event the child reported is in the database and that the database is intact.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "controller/journal/journal.hpp"
#include "journal_fixture.hpp"

namespace lifeline::journal {
namespace {

using namespace std::chrono_literals;
using testing::event;
using testing::journal_config;
using testing::kT0;
using testing::RawDb;
using testing::TempDir;

constexpr int kRounds = 40;
// Kill somewhere in the first 150 ms after fork: while the child opens the file (creating the
// schema, in round 0), publishes, or checkpoints the WAL (apply_retention(), which the child
// calls every 500 events as the daemon does every minute).
constexpr auto kMaxLifetime = 150ms;
constexpr std::uint32_t kMaintenanceEvery = 500;
const std::string kPadding(200, 'p');

std::string event_json(int round, std::uint32_t seq) {
  return R"({"kind":"class","round":)" + std::to_string(round) + R"(,"seq":)" +
         std::to_string(seq) + R"(,"pad":")" + kPadding + "\"}";
}

[[noreturn]] void publish_until_killed(const config::JournalConfig& config, int round, int fd) {
  auto journal = Journal::open(config);
  for (std::uint32_t seq = 0;; ++seq) {
    journal->publish(event("class", kT0 + std::chrono::microseconds(seq),
                           "round-" + std::to_string(round), "leo", event_json(round, seq)));
    if (journal->errors() != 0) ::_exit(3);  // not acknowledged: the test would prove nothing
    // The acknowledgement. 4 bytes: one atomic pipe write.
    if (::write(fd, &seq, sizeof seq) != sizeof seq) ::_exit(4);
    if (seq % kMaintenanceEvery == kMaintenanceEvery - 1) journal->apply_retention(kT0);
  }
}

// Reads what the child acknowledged until `deadline`, kills it, reads the rest.
std::vector<std::uint32_t> acknowledged_until_killed(pid_t pid, int fd,
                                                     std::chrono::steady_clock::time_point deadline,
                                                     std::string& failure) {
  std::string bytes;
  char buffer[65536];
  auto drain = [&](int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    bytes.append(buffer, static_cast<std::size_t>(n));
    return true;
  };
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    drain(static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  while (drain(0)) {
  }
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
    failure = "the child ended before the kill: status " + std::to_string(status);
  }
  std::vector<std::uint32_t> seqs(bytes.size() / sizeof(std::uint32_t));
  if (!seqs.empty()) std::memcpy(seqs.data(), bytes.data(), seqs.size() * sizeof(std::uint32_t));
  return seqs;
}

TEST(JournalDurability, KillNineLosesNoAcknowledgedEvent) {
  TempDir dir;
  const auto config = journal_config(dir.file("journal.db"));
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> lifetime_us(0, static_cast<int>(kMaxLifetime / 1us));

  std::uint64_t total_acknowledged = 0;
  int rounds_with_events = 0;
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    const auto started = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      publish_until_killed(config, round, fds[1]);
    }
    ::close(fds[1]);
    std::string failure;
    const auto acknowledged = acknowledged_until_killed(
        pid, fds[0], started + std::chrono::microseconds(lifetime_us(rng)), failure);
    ::close(fds[0]);
    ASSERT_EQ(failure, "") << "round " << round;

    // Reopening recovers the WAL the dead process left behind. A child killed before it
    // created the file or committed the schema leaves no events table.
    std::vector<std::string> stored;
    if (std::filesystem::exists(config.path)) {
      RawDb raw(config.path);
      ASSERT_EQ(raw.value("PRAGMA integrity_check"), "ok") << "round " << round;
      if (raw.value("SELECT count(*) FROM sqlite_schema WHERE name = 'events'") == "1") {
        stored = raw.column("SELECT json FROM events WHERE class = 'round-" +
                            std::to_string(round) + "'");
      }
    }
    const std::set<std::string> present(stored.begin(), stored.end());
    std::size_t missing = 0;
    for (auto seq : acknowledged) {
      if (!present.contains(event_json(round, seq))) {
        if (++missing <= 5) ADD_FAILURE() << "round " << round << ": event " << seq << " lost";
      }
    }
    EXPECT_EQ(missing, 0u) << "round " << round << ": of " << acknowledged.size();
    // At most one more: committed, killed before it could say so.
    EXPECT_LE(stored.size(), acknowledged.size() + 1) << "round " << round;
    total_acknowledged += acknowledged.size();
    if (!acknowledged.empty()) ++rounds_with_events;
  }
  // The kills landed while events were being written, in most rounds.
  EXPECT_GE(rounds_with_events, kRounds / 2);
  EXPECT_GE(total_acknowledged, 1000u);
  std::printf(
      "[ journal  ] %d rounds, %d killed while publishing, %llu acknowledged events, "
      "none lost\n",
      kRounds, rounds_with_events, static_cast<unsigned long long>(total_acknowledged));

  // And the journal itself opens the survivor and serves all of it.
  auto journal = Journal::open(config);
  EXPECT_GE(journal->rows(), total_acknowledged);
  EXPECT_EQ(journal->errors(), 0u);
}

}  // namespace
}  // namespace lifeline::journal
