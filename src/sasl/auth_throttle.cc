#include "sasl/auth_throttle.h"

#include <algorithm>

namespace herald::sasl {

// --- Table -----------------------------------------------------------------------------------

AuthThrottle::Table::Slot* AuthThrottle::Table::find(std::string_view key) {
  auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &*it->second;
}

AuthThrottle::Table::Slot& AuthThrottle::Table::find_or_add(std::string_view key) {
  std::string owned(key);
  if (auto it = index_.find(owned); it != index_.end()) {
    order_.splice(order_.end(), order_, it->second);  // iterators stay valid
    return order_.back();
  }
  order_.push_back(Slot{owned, {}});
  index_.emplace(std::move(owned), std::prev(order_.end()));
  return order_.back();
}

void AuthThrottle::Table::remove(std::string_view key) {
  auto it = index_.find(std::string(key));
  if (it == index_.end()) return;
  order_.erase(it->second);
  index_.erase(it);
}

// --- AuthThrottle ----------------------------------------------------------------------------

AuthThrottle::AuthThrottle(unsigned max_failures, std::chrono::seconds lockout,
                           std::size_t max_entries)
    : max_failures_(max_failures), lockout_(lockout), max_entries_(max_entries) {}

bool AuthThrottle::expired(const Failures& f, TimePoint now) const {
  return f.times.empty() || now - f.last() >= lockout_;
}

AuthThrottle::Count AuthThrottle::count(Table& table, std::string_view key, TimePoint now) {
  Table::Slot* slot = table.find(key);
  if (slot == nullptr) return {};
  auto& times = slot->failures.times;
  if (expired(slot->failures, now)) {
    table.remove(key);
    return {};
  }
  // A locked key keeps all its failures until the lock ends (lockout after the last failure);
  // below the limit, each failure is forgotten on its own once it is lockout old.
  if (times.size() < max_failures_) {
    auto first_live =
        std::find_if(times.begin(), times.end(), [&](TimePoint t) { return now - t < lockout_; });
    times.erase(times.begin(), first_live);
  }
  return Count{times.size(), slot->failures.last()};
}

void AuthThrottle::prune_front(Table& table, TimePoint now) {
  // The recency list is ordered by latest failure, so expired keys gather at the front.
  while (table.size() > 0 && expired(table.order().front().failures, now)) {
    std::string key = table.order().front().key;
    table.remove(key);
  }
}

void AuthThrottle::add_failure(Table& table, std::string_view key, TimePoint now) {
  prune_front(table, now);
  count(table, key, now);  // forget what has aged out before adding
  auto& times = table.find_or_add(key).failures.times;
  // Keep the list ascending even if callers' clocks interleave slightly.
  times.push_back(times.empty() ? now : std::max(now, times.back()));
  if (times.size() > max_failures_) times.erase(times.begin());
  while (table.size() > max_entries_) {
    std::string oldest = table.order().front().key;  // never `key`: it was just moved back
    table.remove(oldest);
  }
}

AuthThrottle::Decision AuthThrottle::check(std::string_view ip, std::string_view user,
                                           TimePoint now) {
  if (!enabled()) return {};
  std::lock_guard lock(mutex_);
  const Count by_ip = count(by_ip_, ip, now);
  const Count by_user = user.empty() ? Count{} : count(by_user_, user, now);

  Decision decision;
  for (const Count& c : {by_ip, by_user}) {
    if (c.failures < max_failures_) continue;
    auto remaining = std::chrono::ceil<std::chrono::seconds>(c.last + lockout_ - now);
    decision.action = Action::refuse;
    decision.retry_after = std::max({decision.retry_after, remaining, std::chrono::seconds{1}});
  }
  if (decision.action == Action::refuse) return decision;

  const std::size_t n = std::max(by_ip.failures, by_user.failures);
  if (n == 0) return decision;
  decision.action = Action::delay;
  decision.delay = kBaseDelay;
  for (std::size_t i = 1; i < n && decision.delay < kMaxDelay; ++i) decision.delay *= 2;
  decision.delay = std::min(decision.delay, kMaxDelay);
  return decision;
}

void AuthThrottle::record_failure(std::string_view ip, std::string_view user, TimePoint now) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  add_failure(by_ip_, ip, now);
  if (!user.empty()) add_failure(by_user_, user, now);
}

void AuthThrottle::record_success(std::string_view ip, std::string_view user, TimePoint now) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  by_ip_.remove(ip);
  if (!user.empty()) by_user_.remove(user);
  prune_front(by_ip_, now);
  prune_front(by_user_, now);
}

std::size_t AuthThrottle::tracked() const {
  std::lock_guard lock(mutex_);
  return by_ip_.size() + by_user_.size();
}

}  // namespace herald::sasl
