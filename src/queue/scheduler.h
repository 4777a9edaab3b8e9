// The delivery scheduler: an in-memory index of recipients waiting for delivery, and the
// strategies of Postfix's SCHEDULER_README in small form. Pure: no I/O, no threads, no clock
// of its own (callers pass `now`), so every strategy is unit-tested with fake times.
//
//  - Jobs: recipients of one message to one destination domain travel together (one SMTP
//    transaction with several RCPT).
//  - Fairness across destinations: due destinations are served round-robin, so one busy
//    domain cannot starve the others; within a destination, new mail (never attempted) and
//    retries alternate when both are due.
//  - Per-destination concurrency with slow start: a destination starts at `initial`
//    concurrent deliveries, gains one per successful job up to `max`, and loses one per
//    failed connection (never below 1).
//  - Dead-destination cache: after `dead_after` consecutive connection failures at
//    concurrency 1 the destination is dead for `dead_for`; its due jobs are handed out marked
//    `suppressed_by_dead` so they are deferred without a connection attempt.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "store/queue_types.h"

namespace herald::queue {

struct SchedulerLimits {
  std::uint32_t initial_concurrency = 5;
  std::uint32_t max_concurrency = 20;
  std::uint32_t dead_after = 3;         // consecutive connection failures at concurrency 1
  UnixMillis dead_for = 5 * 60 * 1000;  // how long a dead destination stays dead
};

struct Job {
  std::string domain;
  std::vector<store::PendingRecipient> recipients;  // one message, one domain
  bool destination_dead = false;  // defer without connecting (dead-destination cache)
  std::string dead_reason;
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerLimits limits = {}) : limits_(limits) {}

  // Adds (or re-adds after an attempt) a recipient. Ignores ids already in the index or
  // in flight.
  void add(const store::PendingRecipient& r);
  // Drops everything not in flight and indexes `all` (a queue-control reload).
  void replace(const std::vector<store::PendingRecipient>& all);

  // The next job that may start now, or nullopt. Marks it in flight.
  std::optional<Job> next(UnixMillis now);
  // A job started by next() has ended its SMTP transaction: its slot of the destination's
  // concurrency is free. `connected` is false when no server of the destination could be
  // reached (what slow start and the dead cache react to). Its recipients stay in flight.
  void attempted(const Job& job, bool connected, const std::string& reason, UnixMillis now);
  // The job's outcome is durable: its recipients may be added again (deferred ones).
  void settled(const Job& job);
  // Both at once.
  void finished(const Job& job, bool connected, const std::string& reason, UnixMillis now);

  // When the earliest waiting recipient becomes due (for the caller's timer).
  std::optional<UnixMillis> next_due() const;
  std::size_t waiting() const { return by_id_.size(); }
  std::size_t in_flight() const { return in_flight_ids_.size(); }
  std::uint32_t concurrency_limit(const std::string& domain) const;
  bool is_dead(const std::string& domain, UnixMillis now) const;

 private:
  struct Destination {
    // Waiting recipient ids by due time (ties by id), split by never-attempted vs retry.
    std::set<std::pair<UnixMillis, std::int64_t>> fresh, retries;
    // Waiting ids by message: a job gathers its message's recipients without scanning the
    // destination's whole backlog (which made each job O(queue) with a deep queue).
    std::map<std::string, std::set<std::int64_t>> by_message;
    std::uint32_t active = 0;
    std::uint32_t limit = 0;
    std::uint32_t failures = 0;
    UnixMillis dead_until = 0;
    std::string dead_reason;
    bool prefer_retry = false;
  };

  std::optional<Job> take(const std::string& domain, Destination& d, UnixMillis now);
  void erase_waiting(std::int64_t id);
  Destination& destination(const std::string& domain);

  SchedulerLimits limits_;
  std::map<std::string, Destination> destinations_;
  std::map<std::int64_t, store::PendingRecipient> by_id_;  // waiting (not in flight)
  std::set<std::int64_t> in_flight_ids_;
  std::string cursor_;  // round-robin position: the last destination served
};

}  // namespace herald::queue
