// Retry timing for deferred deliveries: one pure function, `backoff(attempt, age)`, that says
// when to try a recipient again, or that its message has been queued too long and must bounce.
//
// Schedule (defaults): after the 1st failure wait 1m, then 5m, 15m, 30m, 1h, 2h, 4h, and 4h
// after every further failure, each delay spread by +-10% jitter so that messages deferred
// together (one MX down) do not come back together. A message may stay queued for
// `max_lifetime` (3 days) counted from its acceptance.
//
// Lifetime rule (a decision; Postfix differs): when the next delay would land after the end
// of the lifetime, the last attempt is scheduled exactly at the end of the lifetime instead
// of bouncing early or overshooting; when that attempt (or any attempt at age >= lifetime)
// fails, the decision is `expired`. So no message is bounced before it has been tried at its
// deadline, and none stays queued longer than its lifetime plus one attempt. (Postfix retries
// on its normal schedule and bounces at the first failure past maximal_queue_lifetime, which
// can keep a message up to one backoff interval longer than configured.)
//
// Pure: no clock, no randomness. The caller passes the age and a uniform jitter draw, so
// tests are tables.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace herald::queue {

struct RetryPolicy {
  // Delay after the n-th failed attempt is schedule[n-1]; the last entry repeats forever.
  // Invariant: non-empty, every entry > 0.
  std::vector<std::chrono::seconds> schedule{std::chrono::minutes(1),  std::chrono::minutes(5),
                                             std::chrono::minutes(15), std::chrono::minutes(30),
                                             std::chrono::hours(1),    std::chrono::hours(2),
                                             std::chrono::hours(4)};
  std::chrono::seconds max_lifetime{std::chrono::hours(3 * 24)};
  double jitter = 0.1;  // each delay is scaled by a factor in [1 - jitter, 1 + jitter)
};

struct RetryDecision {
  bool expired = false;           // true: stop retrying, bounce (DSN) with the last status
  std::chrono::seconds delay{0};  // when !expired: wait this long before the next attempt
};

// attempt: number of attempts made so far (1 after the first failure; 0 is treated as 1).
// age: now - accepted_at (negative, i.e. a clock step backwards, counts as 0).
// jitter_unit: a uniform draw in [0, 1) from the caller (clamped into [0, 1]); 0.5 = no jitter.
// The delay is rounded to whole seconds and is at least 1s.
RetryDecision backoff(std::uint32_t attempt, std::chrono::seconds age, double jitter_unit,
                      const RetryPolicy& policy = {});

}  // namespace herald::queue
