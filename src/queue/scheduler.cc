#include "queue/scheduler.h"

namespace herald::queue {

Scheduler::Destination& Scheduler::destination(const std::string& domain) {
  auto [it, inserted] = destinations_.try_emplace(domain);
  if (inserted) it->second.limit = limits_.initial_concurrency;
  return it->second;
}

void Scheduler::add(const store::PendingRecipient& r) {
  if (by_id_.count(r.id) || in_flight_ids_.count(r.id)) return;
  by_id_.emplace(r.id, r);
  auto& d = destination(r.domain);
  (r.attempts == 0 ? d.fresh : d.retries).insert({r.next_attempt_at, r.id});
  d.by_message[r.queue_id].insert(r.id);
}

void Scheduler::replace(const std::vector<store::PendingRecipient>& all) {
  by_id_.clear();
  for (auto& [name, d] : destinations_) {
    d.fresh.clear();
    d.retries.clear();
    d.by_message.clear();
  }
  for (const auto& r : all) add(r);
}

void Scheduler::erase_waiting(std::int64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto& d = destination(it->second.domain);
  auto key = std::pair{it->second.next_attempt_at, id};
  d.fresh.erase(key);
  d.retries.erase(key);
  if (auto m = d.by_message.find(it->second.queue_id); m != d.by_message.end()) {
    m->second.erase(id);
    if (m->second.empty()) d.by_message.erase(m);
  }
  by_id_.erase(it);
}

std::optional<Job> Scheduler::take(const std::string& domain, Destination& d, UnixMillis now) {
  bool fresh_due = !d.fresh.empty() && d.fresh.begin()->first <= now;
  bool retry_due = !d.retries.empty() && d.retries.begin()->first <= now;
  if (!fresh_due && !retry_due) return std::nullopt;
  bool dead = d.dead_until > now;
  if (!dead && d.active >= d.limit) return std::nullopt;
  bool use_retry = retry_due && (!fresh_due || d.prefer_retry);
  d.prefer_retry = !use_retry;
  auto& set = use_retry ? d.retries : d.fresh;
  const auto first = by_id_.at(set.begin()->second);
  Job job{domain, {}, dead, dead ? d.dead_reason : std::string()};
  // Every due recipient of the same message and destination joins the job.
  std::vector<std::int64_t> ids;
  for (auto id : d.by_message.at(first.queue_id))
    if (by_id_.at(id).next_attempt_at <= now) ids.push_back(id);
  for (auto id : ids) {
    job.recipients.push_back(by_id_.at(id));
    erase_waiting(id);
    in_flight_ids_.insert(id);
  }
  if (!dead) ++d.active;
  return job;
}

std::optional<Job> Scheduler::next(UnixMillis now) {
  if (destinations_.empty()) return std::nullopt;
  // Round-robin: start after the destination served last.
  auto start = destinations_.upper_bound(cursor_);
  for (std::size_t i = 0; i < destinations_.size(); ++i, ++start) {
    if (start == destinations_.end()) start = destinations_.begin();
    if (auto job = take(start->first, start->second, now)) {
      cursor_ = start->first;
      return job;
    }
  }
  return std::nullopt;
}

void Scheduler::finished(const Job& job, bool connected, const std::string& reason,
                         UnixMillis now) {
  attempted(job, connected, reason, now);
  settled(job);
}

void Scheduler::settled(const Job& job) {
  for (const auto& r : job.recipients) in_flight_ids_.erase(r.id);
}

void Scheduler::attempted(const Job& job, bool connected, const std::string& reason,
                          UnixMillis now) {
  if (job.destination_dead) return;  // no connection was attempted: nothing learned
  auto& d = destination(job.domain);
  if (d.active > 0) --d.active;
  if (connected) {
    d.failures = 0;
    d.limit = std::min(d.limit + 1, limits_.max_concurrency);
    // Forget idle, healthy destinations so the map stays as small as the queue.
    if (d.fresh.empty() && d.retries.empty() && d.active == 0) destinations_.erase(job.domain);
    return;
  }
  ++d.failures;
  if (d.limit > 1) {
    --d.limit;
  } else if (d.failures >= limits_.dead_after) {
    d.dead_until = now + limits_.dead_for;
    d.dead_reason = reason;
  }
}

std::optional<UnixMillis> Scheduler::next_due() const {
  std::optional<UnixMillis> best;
  for (const auto& [name, d] : destinations_) {
    for (const auto* s : {&d.fresh, &d.retries}) {
      if (s->empty()) continue;
      auto due = s->begin()->first;
      if (!best || due < *best) best = due;
    }
  }
  return best;
}

std::uint32_t Scheduler::concurrency_limit(const std::string& domain) const {
  auto it = destinations_.find(domain);
  return it == destinations_.end() ? limits_.initial_concurrency : it->second.limit;
}

bool Scheduler::is_dead(const std::string& domain, UnixMillis now) const {
  auto it = destinations_.find(domain);
  return it != destinations_.end() && it->second.dead_until > now;
}

}  // namespace herald::queue
