// Background WAL checkpoints, so that no commit pays for one (docs/performance.md, finding 4).
//
// SQLite's default is to checkpoint inside the COMMIT that pushes the WAL past 1,000 pages: that
// commit copies the WAL into the database file and fsyncs it while every message of the next
// group commit waits. Instead, the writer connection's automatic checkpoint is replaced by a WAL
// hook that only wakes this thread, which checkpoints from its own connection:
//   - PASSIVE, every `interval` and whenever `wake_frames` new frames were committed since the
//     last one. PASSIVE never takes the writer lock and never waits, so commits run alongside.
//   - RESTART, when the WAL holds `restart_frames` or more after the PASSIVE one. The writer
//     reuses the WAL from its start only when a checkpoint finished with no commit in between,
//     which back-to-back group commits rarely allow; without a restart the -wal file keeps
//     growing, and appending to a growing file makes every commit's fdatasync also write file
//     metadata. The RESTART copies only what was committed since the PASSIVE round, then the
//     next commit overwrites the WAL from its start.
//   - TRUNCATE, when the -wal file is larger than `wal_limit_bytes` (a RESTART kept failing,
//     e.g. a long reader, or a huge batch).
//   RESTART and TRUNCATE need the writer lock: they take the in-process writer's mutex first (so
//   the writer waits on a mutex, not in SQLite's polling busy handler) and this connection's
//   short busy timeout bounds the wait for readers. Those are the only checkpoint costs a commit
//   can still wait for: a short copy and a database fdatasync every `restart_frames`.
//   A RESTART or TRUNCATE that stays busy (a long reader) is not retried at once: each busy
//   one in a row doubles the wait before the next, from `busy_backoff_first` up to
//   `busy_backoff_max` (each attempt holds the writer mutex for up to `truncate_busy_ms`, so
//   back-to-back retries would stall commits for as long as the reader lives). PASSIVE rounds
//   go on meanwhile, and the writer backstop below still bounds the WAL.
//   - TRUNCATE once more at stop() (graceful shutdown leaves an empty WAL).
// Writer backstop: when the thread falls behind (starved of CPU, a burst of large batches) and
// the WAL passes twice `wal_limit_bytes`, on_commit() tells the writer to run a PASSIVE
// checkpoint itself, as SQLite's auto-checkpoint would, so the WAL stays bounded whatever the
// scheduling.
// Durability is untouched: commits stay synchronous=FULL on the writer, and a checkpoint syncs
// the database file before it lets the WAL be reused.
// Invariants: on_commit() is cheap and never blocks on a checkpoint; the writer mutex is held
// only around a TRUNCATE; lock order is writer mutex, then SQLite locks, never the reverse.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>

#include "store/sqlite/sqlite_db.h"

namespace herald::store::sqlite {

struct CheckpointPolicy {
  std::chrono::milliseconds interval{1000};
  int wake_frames = 1000;                             // SQLite's own auto-checkpoint threshold
  int restart_frames = 4096;                          // ~16 MiB of 4 KiB pages
  std::uint64_t wal_limit_bytes = 64ull << 20;        // 64 MiB
  std::uint32_t truncate_busy_ms = 100;               // longest wait for readers in a TRUNCATE
  std::uint32_t page_size = 4096;                     // the database's, to turn bytes into frames
  std::chrono::milliseconds busy_backoff_first{200};  // after one busy RESTART/TRUNCATE
  std::chrono::milliseconds busy_backoff_max{5000};   // the bound, however many in a row
};

// The writer backstop above: true when a commit left `frames` frames in the WAL, twice the
// limit or more. Pure.
bool writer_backstop_due(int frames, const CheckpointPolicy& policy);

// How long to hold off RESTART/TRUNCATE after `busy_in_a_row` busy ones: 0 for none, then
// busy_backoff_first doubling per busy one, capped at busy_backoff_max. Pure.
std::chrono::milliseconds locked_checkpoint_backoff(int busy_in_a_row,
                                                    const CheckpointPolicy& policy);

class Checkpointer {
 public:
  struct Round {
    CheckpointResult passive;
    bool restarted = false;   // a RESTART ran and finished (the WAL is reused from its start)
    bool truncated = false;   // a TRUNCATE ran and finished (the -wal file is now empty)
    bool backed_off = false;  // a RESTART/TRUNCATE was due but held off after busy ones
  };

  // `connection` is this thread's own; `writer_mutex` serializes the process's writes.
  Checkpointer(Connection connection, std::filesystem::path wal_file, std::mutex& writer_mutex,
               CheckpointPolicy policy);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void start();
  // The writer's WAL hook: `frames` is the WAL's size in frames after a commit. Wakes the
  // thread when due; returns writer_backstop_due(), i.e. whether the writer must checkpoint
  // (PASSIVE) right now.
  [[nodiscard]] bool on_commit(int frames);
  // One round of the policy above; what the thread runs. Public for tests (which pass `now`).
  Result<Round> run_once(
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  // Stops the thread, then checkpoints everything and truncates the WAL. Idempotent.
  Result<void> stop();

  std::uint64_t passive_runs() const { return passive_runs_.load(); }
  std::uint64_t restart_runs() const { return restart_runs_.load(); }
  std::uint64_t truncate_runs() const { return truncate_runs_.load(); }
  std::uint64_t busy_runs() const { return busy_runs_.load(); }  // RESTART/TRUNCATE found busy

 private:
  void run();
  // RESTART or TRUNCATE under the writer mutex; false when busy (retried next round).
  Result<bool> locked_checkpoint(CheckpointMode mode);

  Connection connection_;
  const std::filesystem::path wal_file_;
  std::mutex& writer_mutex_;
  const CheckpointPolicy policy_;

  std::atomic<int> frames_at_checkpoint_{0};
  std::atomic<bool> wake_pending_{false};
  std::atomic<std::uint64_t> passive_runs_{0};
  std::atomic<std::uint64_t> restart_runs_{0};
  std::atomic<std::uint64_t> truncate_runs_{0};
  std::atomic<std::uint64_t> busy_runs_{0};
  // Under run_mutex_: busy RESTART/TRUNCATE in a row, and no new one before `locked_after_`.
  int busy_in_a_row_ = 0;
  std::chrono::steady_clock::time_point locked_after_{};
  std::mutex run_mutex_;    // one round at a time on connection_ (the thread, or stop())
  std::mutex state_mutex_;  // guards stopping_/stopped_; held only briefly, never around SQLite
  std::condition_variable wake_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace herald::store::sqlite
