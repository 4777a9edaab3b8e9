#include "store/sqlite/sqlite_checkpointer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace herald::store::sqlite {

bool writer_backstop_due(int frames, const CheckpointPolicy& policy) {
  const std::uint64_t page = policy.page_size > 0 ? policy.page_size : 4096;
  const std::uint64_t backstop = 2 * policy.wal_limit_bytes / page;
  return frames > 0 && static_cast<std::uint64_t>(frames) >= backstop;
}

std::chrono::milliseconds locked_checkpoint_backoff(int busy_in_a_row,
                                                    const CheckpointPolicy& policy) {
  if (busy_in_a_row <= 0) return std::chrono::milliseconds(0);
  auto wait = std::max(policy.busy_backoff_first, std::chrono::milliseconds(1));
  // Doubling by a loop, not a shift: no overflow whatever the count.
  for (int i = 1; i < busy_in_a_row && wait < policy.busy_backoff_max; ++i) wait *= 2;
  return std::min(wait, policy.busy_backoff_max);
}

Checkpointer::Checkpointer(Connection connection, std::filesystem::path wal_file,
                           std::mutex& writer_mutex, CheckpointPolicy policy)
    : connection_(std::move(connection)),
      wal_file_(std::move(wal_file)),
      writer_mutex_(writer_mutex),
      policy_(policy) {
  connection_.set_busy_timeout(policy_.truncate_busy_ms);
}

Checkpointer::~Checkpointer() {
  if (auto r = stop(); !r) spdlog::warn("final store checkpoint failed: {}", r.error().message);
}

void Checkpointer::start() {
  std::lock_guard lock(state_mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

bool Checkpointer::on_commit(int frames) {
  // Runs inside the writer's COMMIT: an atomic or two, and a notify at most once per round.
  int base = frames_at_checkpoint_.load(std::memory_order_relaxed);
  int fresh = frames >= base ? frames - base : frames;  // fewer: the WAL restarted
  if (fresh >= policy_.wake_frames && !wake_pending_.exchange(true)) {
    std::lock_guard lock(state_mutex_);
    wake_.notify_one();
  }
  return writer_backstop_due(frames, policy_);
}

void Checkpointer::run() {
  std::unique_lock lock(state_mutex_);
  for (;;) {
    wake_.wait_for(lock, policy_.interval, [&] { return stopping_ || wake_pending_.load(); });
    if (stopping_) return;
    wake_pending_ = false;
    lock.unlock();
    if (auto r = run_once(); !r) spdlog::warn("store checkpoint failed: {}", r.error().message);
    lock.lock();
  }
}

Result<Checkpointer::Round> Checkpointer::run_once(std::chrono::steady_clock::time_point now) {
  std::lock_guard run(run_mutex_);
  auto passive = connection_.checkpoint(CheckpointMode::passive);
  if (!passive) return passive.error();
  passive_runs_++;
  if (passive->wal_frames >= 0) frames_at_checkpoint_ = passive->wal_frames;
  Round round{*passive, false, false};
  std::error_code ec;
  auto size = std::filesystem::file_size(wal_file_, ec);
  CheckpointMode mode = CheckpointMode::passive;
  if (!ec && size > policy_.wal_limit_bytes)
    mode = CheckpointMode::truncate;
  else if (passive->wal_frames >= policy_.restart_frames)
    mode = CheckpointMode::restart;
  if (mode == CheckpointMode::passive) return round;
  if (now < locked_after_) {
    round.backed_off = true;
    return round;
  }
  auto done = locked_checkpoint(mode);
  if (!done) return done.error();
  (mode == CheckpointMode::truncate ? round.truncated : round.restarted) = *done;
  busy_in_a_row_ = *done ? 0 : busy_in_a_row_ + 1;
  locked_after_ = now + locked_checkpoint_backoff(busy_in_a_row_, policy_);
  return round;
}

Result<bool> Checkpointer::locked_checkpoint(CheckpointMode mode) {
  // The in-process writer waits here, on the mutex, for the few milliseconds this takes (the
  // PASSIVE round just before copied most of the WAL already).
  std::lock_guard writer(writer_mutex_);
  auto r = connection_.checkpoint(mode);
  if (!r) return r.error();
  if (r->busy) {  // a reader or another process in the way: a later round, after a backoff
    busy_runs_++;
    return false;
  }
  (mode == CheckpointMode::truncate ? truncate_runs_ : restart_runs_)++;
  frames_at_checkpoint_ = 0;
  return true;
}

Result<void> Checkpointer::stop() {
  {
    std::lock_guard lock(state_mutex_);
    if (stopped_) return {};
    stopped_ = stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard run(run_mutex_);
  auto t = locked_checkpoint(CheckpointMode::truncate);
  if (!t) return t.error();
  if (!*t) return make_error("store checkpoint at shutdown was busy; the WAL is kept");
  return {};
}

}  // namespace herald::store::sqlite
