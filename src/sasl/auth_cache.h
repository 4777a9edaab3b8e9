// AuthCache: remembers, for a short time, that a (user, password, stored hash) triple verified
// successfully, so an application that reconnects and AUTHs for every mail (Nextcloud does)
// pays argon2id once per TTL instead of once per message.
//
// Invariants:
// - Only successful verifications are inserted (the caller's duty); failures are never cached,
//   so a cache hit can only ever repeat a "yes" that argon2id gave.
// - The password is never stored. An entry is keyed by keyed BLAKE2b (crypto_generichash) over
//   the length-prefixed fields user, password and stored hash, with a random 32-byte key drawn
//   once per AuthCache. Without that key a memory dump gives nothing to brute-force offline
//   that is cheaper than the argon2id hashes themselves.
// - Binding the stored hash into the key means a password change (a new stored hash) misses
//   automatically; invalidate_user() is for removals the hash does not capture.
// - The TTL is absolute from the successful verification (a hit does not extend it), so a
//   credential is re-checked against the store at least once per TTL.
// - At most max_entries entries; inserting into a full cache drops expired entries first,
//   then the oldest. ttl == 0 or max_entries == 0 disables the cache (never a hit).
// - Thread-safe: one mutex; every operation is O(1) amortised except invalidate_user, which is
//   O(entries of that user).
// Time is passed in (`now`) rather than read, so tests drive a fake steady clock.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald::sasl {

using TimePoint = std::chrono::steady_clock::time_point;

class AuthCache {
 public:
  AuthCache(std::chrono::seconds ttl, std::size_t max_entries);
  ~AuthCache();  // wipes the MAC key

  AuthCache(const AuthCache&) = delete;
  AuthCache& operator=(const AuthCache&) = delete;

  // True iff this exact triple was inserted less than ttl before `now`.
  bool contains(std::string_view user, std::string_view password, std::string_view stored_hash,
                TimePoint now);

  // Records a successful verification at `now` (re-inserting restarts its TTL).
  void insert(std::string_view user, std::string_view password, std::string_view stored_hash,
              TimePoint now);

  // Forgets every entry of `user` (sender deleted or disabled, password reset).
  void invalidate_user(std::string_view user);

  std::size_t size() const;
  bool enabled() const { return ttl_.count() > 0 && max_entries_ > 0; }

 private:
  using Key = std::array<std::uint8_t, 32>;
  struct KeyHash {
    // The key is already a uniformly distributed MAC output: its first bytes are a fine hash.
    std::size_t operator()(const Key& k) const;
  };
  struct Entry {
    Key key;
    std::string user;
    TimePoint expires;
  };
  using Order = std::list<Entry>;  // insertion order: oldest (and first to expire) in front

  Key derive_key(std::string_view user, std::string_view password,
                 std::string_view stored_hash) const;
  void erase(Order::iterator it);  // removes from all three structures; mutex held
  void make_room(TimePoint now);   // mutex held

  const std::chrono::seconds ttl_;
  const std::size_t max_entries_;
  std::array<std::uint8_t, 32> mac_key_{};  // random per instance, never leaves the process

  mutable std::mutex mutex_;
  Order order_;
  std::unordered_map<Key, Order::iterator, KeyHash> by_key_;
  std::unordered_map<std::string, std::vector<Key>> by_user_;
};

}  // namespace herald::sasl
