// The one durable commit for accepted mail. Sessions hand a finished message to submit();
// a single writer thread takes everything that is waiting and commits it in ONE store
// transaction (group commit: one fsync for many messages, however many sessions wait), then
// calls each completion. A completion with success means the message and its recipient rows
// are on disk; only then may the session answer 250.
//
// Invariants: completions run on the writer thread (callers re-post to their own executor);
// every submitted message gets exactly one completion, including at stop(); a failed batch
// is retried message by message so one bad message cannot fail the others.
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

  explicit Spool(store::Store& store, std::size_t max_batch = 512);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  void submit(store::NewMessage message, Completion done);
  // Events are batched with the same writer but are not awaited by anyone.
  void record(store::Event event);
  // Commits what is queued, then stops the writer. Later submits complete with an error.
  void stop();

  // Unique, roughly time-ordered queue id (16 upper-case hex digits).
  static std::string new_queue_id();

  std::uint64_t batches_committed() const { return batches_.load(); }

 private:
  struct Pending {
    store::NewMessage message;
    Completion done;
  };
  void run();
  void commit(std::vector<Pending>& batch);

  store::Store& store_;
  std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;
  std::vector<store::Event> events_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> batches_{0};
  std::thread writer_;
};

}  // namespace herald::spool
