// AuthThrottle: slows, then refuses, SMTP AUTH after repeated failures from one client IP or
// for one user name, so that online password guessing is impractical while a misconfigured
// application that keeps retrying does not lock out a sender for ever.
//
// Model (failures are counted separately per IP and per user; the worse of the two decides):
// - A failure is remembered for `lockout`; older failures are forgotten.
// - With n remembered failures (0 < n < max_failures), check() says `delay`: the session
//   should wait 250 ms * 2^(n-1) (capped at 4 s) before answering, which throttles guessing
//   without any state on the client side.
// - When n reaches max_failures the key is locked: check() says `refuse` until `lockout` has
//   passed since its most recent failure; then all its failures are forgotten at once.
// - record_success() clears the counters of both the IP and the user (the user proved the
//   password; the IP is one the user legitimately sends from).
// - user may be empty (AUTH not yet attempted, or mechanism without a user): IP only.
//
// Invariants: thread-safe (one mutex); memory bounded by max_entries keys per table (IPs,
// users), each holding at most max_failures time stamps; when a table is full, the key with
// the oldest latest failure is dropped (expired ones are always the oldest). max_failures == 0,
// lockout == 0 or max_entries == 0 disables throttling (always allow). Time is passed in, never
// read. Callers should pass IPv6 clients as their /64 prefix if they want per-network counting.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald::sasl {

using TimePoint = std::chrono::steady_clock::time_point;

class AuthThrottle {
 public:
  enum class Action { allow, delay, refuse };

  struct Decision {
    Action action = Action::allow;
    std::chrono::milliseconds delay{0};   // only for Action::delay: wait this long, then answer
    std::chrono::seconds retry_after{0};  // only for Action::refuse: rounded up, at least 1 s
  };

  static constexpr std::chrono::milliseconds kBaseDelay{250};
  static constexpr std::chrono::milliseconds kMaxDelay{4000};
  static constexpr std::size_t kDefaultMaxEntries = 10000;

  AuthThrottle(unsigned max_failures, std::chrono::seconds lockout,
               std::size_t max_entries = kDefaultMaxEntries);

  AuthThrottle(const AuthThrottle&) = delete;
  AuthThrottle& operator=(const AuthThrottle&) = delete;

  Decision check(std::string_view ip, std::string_view user, TimePoint now);
  void record_failure(std::string_view ip, std::string_view user, TimePoint now);
  void record_success(std::string_view ip, std::string_view user, TimePoint now);

  // Keys currently tracked (IPs + users), for tests and metrics.
  std::size_t tracked() const;

  bool enabled() const { return max_failures_ > 0 && lockout_.count() > 0 && max_entries_ > 0; }

 private:
  struct Failures {
    std::vector<TimePoint> times;  // ascending, at most max_failures_ entries
    TimePoint last() const { return times.back(); }
  };

  // One table (IPs or users): a map plus a recency list, least recently failed in front.
  class Table {
   public:
    struct Slot {
      std::string key;
      Failures failures;
    };
    using Order = std::list<Slot>;

    Slot* find(std::string_view key);
    Slot& find_or_add(std::string_view key);  // moves the slot to the back (most recent)
    void remove(std::string_view key);
    std::size_t size() const { return order_.size(); }
    Order& order() { return order_; }

   private:
    Order order_;
    std::unordered_map<std::string, Order::iterator> index_;
  };

  struct Count {
    std::size_t failures = 0;
    TimePoint last{};
  };

  Count count(Table& table, std::string_view key, TimePoint now);  // prunes; mutex held
  void add_failure(Table& table, std::string_view key, TimePoint now);
  void prune_front(Table& table, TimePoint now);
  bool expired(const Failures& f, TimePoint now) const;

  const unsigned max_failures_;
  const std::chrono::seconds lockout_;
  const std::size_t max_entries_;

  mutable std::mutex mutex_;
  Table by_ip_;
  Table by_user_;
};

}  // namespace herald::sasl
