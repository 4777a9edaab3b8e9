#include "spool/spool.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace herald::spool {

Spool::Spool(store::Store& store, std::size_t max_batch)
    : store_(store), max_batch_(max_batch), writer_([this] { run(); }) {}

Spool::~Spool() {
  stop();
}

void Spool::submit(store::NewMessage message, Completion done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      pending_.push_back(Pending{std::move(message), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(make_error("server is shutting down"));
}

void Spool::record(store::Event event) {
  std::lock_guard lock(mutex_);
  if (events_.size() < 100000) events_.push_back(std::move(event));  // bounded under attack
  wake_.notify_one();
}

void Spool::record_outcome(Outcome outcome, Completion done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      outcomes_.push_back(PendingOutcome{std::move(outcome), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(make_error("server is shutting down"));
}

void Spool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
    wake_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
}

std::string Spool::new_queue_id() {
  static std::atomic<std::uint32_t> counter{0};
  std::uint32_t salt = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&salt), sizeof salt);
  // 11 hex digits of milliseconds (good until year 2527), a 12-bit counter, 8 random bits.
  char buf[32];
  std::snprintf(buf, sizeof buf, "%011llX%03X%02X", static_cast<unsigned long long>(now_millis()),
                (counter++) & 0xfffu, salt & 0xffu);
  return buf;
}

void Spool::run() {
  for (;;) {
    std::vector<Pending> batch;
    std::vector<PendingOutcome> outcomes;
    std::vector<store::Event> events;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] {
        return stopping_ || !pending_.empty() || !outcomes_.empty() || !events_.empty();
      });
      if (pending_.empty() && outcomes_.empty() && events_.empty()) return;  // stopping, drained
      while (!pending_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
      while (!outcomes_.empty() && outcomes.size() < max_batch_) {
        outcomes.push_back(std::move(outcomes_.front()));
        outcomes_.pop_front();
      }
      events.swap(events_);
    }
    if (!batch.empty()) commit(batch);
    if (!outcomes.empty()) commit(outcomes);
    if (!events.empty()) {
      if (auto r = store_.record_events(events); !r)
        spdlog::warn("could not record {} events: {}", events.size(), r.error().message);
    }
  }
}

void Spool::commit(std::vector<Pending>& batch) {
  std::vector<store::NewMessage> messages;
  messages.reserve(batch.size());
  for (auto& p : batch) messages.push_back(std::move(p.message));
  auto r = store_.accept_messages(messages);
  batches_++;
  if (r || batch.size() == 1) {
    if (!r) spdlog::error("commit of {} failed: {}", messages[0].queue_id, r.error().message);
    for (auto& p : batch) p.done(r);
    return;
  }
  // Isolate the culprit: commit one by one.
  spdlog::warn("group commit of {} messages failed ({}); retrying one by one", batch.size(),
               r.error().message);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto one = store_.accept_messages(std::span(&messages[i], 1));
    if (!one) spdlog::error("commit of {} failed: {}", messages[i].queue_id, one.error().message);
    batch[i].done(one);
  }
}

void Spool::commit(std::vector<PendingOutcome>& batch) {
  std::vector<store::AttemptRecord> attempts;
  std::vector<store::Suppression> suppressions;
  for (const auto& p : batch) {
    attempts.insert(attempts.end(), p.outcome.attempts.begin(), p.outcome.attempts.end());
    suppressions.insert(suppressions.end(), p.outcome.suppressions.begin(),
                        p.outcome.suppressions.end());
  }
  auto r = store_.record_outcomes(attempts, suppressions);
  outcome_batches_++;
  if (r || batch.size() == 1) {
    if (!r) spdlog::error("recording a delivery outcome failed: {}", r.error().message);
    for (auto& p : batch) p.done(r);
    return;
  }
  spdlog::warn("group commit of {} delivery outcomes failed ({}); retrying one by one",
               batch.size(), r.error().message);
  for (auto& p : batch) {
    auto one = store_.record_outcomes(p.outcome.attempts, p.outcome.suppressions);
    if (!one) spdlog::error("recording a delivery outcome failed: {}", one.error().message);
    p.done(one);
  }
}

}  // namespace herald::spool
