// The one durable commit for accepted mail. Sessions hand a finished message to submit();
// a single writer thread takes everything that is waiting and commits it in ONE store
// transaction (group commit: one fsync for many messages, however many sessions wait), then
// calls each completion. A completion with success means the message and its recipient rows
// are on disk; only then may the session answer 250.
//
// The delivery engine's outcomes (attempt rows, status updates, suppression entries of one
// job) take the same path: record_outcome() queues them, and the writer commits every waiting
// job's outcome in one transaction, then completes each job. So a busy server spends one
// fsync on many deliveries instead of one each (and not on the acceptance lock per job).
//
// Invariants: completions run on the writer thread (callers re-post to their own executor);
// every submitted message and outcome gets exactly one completion, including at stop(); a
// failed batch is retried item by item so one bad message or job cannot fail the others.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace herald::spool {

class Spool {
 public:
  using Completion = std::function<void(Result<void>)>;
  // What one delivery job learned, committed atomically (store::Store::record_outcomes).
  struct Outcome {
    std::vector<store::AttemptRecord> attempts;
    std::vector<store::Suppression> suppressions;
  };

  explicit Spool(store::Store& store, std::size_t max_batch = 512);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  void submit(store::NewMessage message, Completion done);
  // Events are batched with the same writer but are not awaited by anyone.
  void record(store::Event event);
  // Group-commits a delivery job's outcome; `done` runs after it is durable (or failed).
  void record_outcome(Outcome outcome, Completion done);
  // Commits what is queued, then stops the writer. Later submits complete with an error.
  void stop();

  // Unique, roughly time-ordered queue id (16 upper-case hex digits).
  static std::string new_queue_id();

  std::uint64_t batches_committed() const { return batches_.load(); }
  std::uint64_t outcome_batches_committed() const { return outcome_batches_.load(); }

 private:
  struct Pending {
    store::NewMessage message;
    Completion done;
  };
  struct PendingOutcome {
    Outcome outcome;
    Completion done;
  };
  void run();
  void commit(std::vector<Pending>& batch);
  void commit(std::vector<PendingOutcome>& batch);

  store::Store& store_;
  std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;
  std::deque<PendingOutcome> outcomes_;
  std::vector<store::Event> events_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> outcome_batches_{0};
  std::thread writer_;
};

}  // namespace herald::spool
