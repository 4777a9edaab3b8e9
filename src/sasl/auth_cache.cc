#include "sasl/auth_cache.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "sasl/password_hash.h"

namespace herald::sasl {
namespace {

// Unambiguous framing: an 8-byte little-endian length before each field, so that
// ("ab", "c") and ("a", "bc") can never produce the same MAC input.
void absorb_field(crypto_generichash_state& state, std::string_view field) {
  std::array<unsigned char, 8> len{};
  auto n = static_cast<std::uint64_t>(field.size());
  for (auto& byte : len) {
    byte = static_cast<unsigned char>(n & 0xFF);
    n >>= 8;
  }
  crypto_generichash_update(&state, len.data(), len.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(field.data()),
                            field.size());
}

}  // namespace

std::size_t AuthCache::KeyHash::operator()(const Key& k) const {
  std::size_t h = 0;
  std::memcpy(&h, k.data(), sizeof h);
  return h;
}

AuthCache::AuthCache(std::chrono::seconds ttl, std::size_t max_entries)
    : ttl_(ttl), max_entries_(max_entries) {
  ensure_sodium_initialized();
  randombytes_buf(mac_key_.data(), mac_key_.size());
}

AuthCache::~AuthCache() {
  sodium_memzero(mac_key_.data(), mac_key_.size());
}

AuthCache::Key AuthCache::derive_key(std::string_view user, std::string_view password,
                                     std::string_view stored_hash) const {
  static_assert(sizeof(Key) >= crypto_generichash_BYTES_MIN &&
                sizeof(Key) <= crypto_generichash_BYTES_MAX);
  crypto_generichash_state state;
  crypto_generichash_init(&state, mac_key_.data(), mac_key_.size(), sizeof(Key));
  absorb_field(state, user);
  absorb_field(state, password);
  absorb_field(state, stored_hash);
  Key key{};
  crypto_generichash_final(&state, key.data(), key.size());
  // The state has absorbed the password; do not leave it on the stack.
  sodium_memzero(&state, sizeof state);
  return key;
}

bool AuthCache::contains(std::string_view user, std::string_view password,
                         std::string_view stored_hash, TimePoint now) {
  if (!enabled()) return false;
  const Key key = derive_key(user, password, stored_hash);
  std::lock_guard lock(mutex_);
  auto found = by_key_.find(key);
  if (found == by_key_.end()) return false;
  if (now >= found->second->expires) {
    erase(found->second);
    return false;
  }
  return true;
}

void AuthCache::insert(std::string_view user, std::string_view password,
                       std::string_view stored_hash, TimePoint now) {
  if (!enabled()) return;
  const Key key = derive_key(user, password, stored_hash);
  std::lock_guard lock(mutex_);
  if (auto found = by_key_.find(key); found != by_key_.end()) erase(found->second);
  make_room(now);
  order_.push_back(Entry{key, std::string(user), now + ttl_});
  by_key_.emplace(key, std::prev(order_.end()));
  by_user_[std::string(user)].push_back(key);
}

void AuthCache::invalidate_user(std::string_view user) {
  std::lock_guard lock(mutex_);
  auto found = by_user_.find(std::string(user));
  if (found == by_user_.end()) return;
  // Copy: erase() edits this very vector and drops it when it becomes empty.
  const std::vector<Key> keys = found->second;
  for (const Key& key : keys) {
    if (auto entry = by_key_.find(key); entry != by_key_.end()) erase(entry->second);
  }
}

std::size_t AuthCache::size() const {
  std::lock_guard lock(mutex_);
  return order_.size();
}

void AuthCache::erase(Order::iterator it) {
  if (auto user = by_user_.find(it->user); user != by_user_.end()) {
    auto& keys = user->second;
    keys.erase(std::remove(keys.begin(), keys.end(), it->key), keys.end());
    if (keys.empty()) by_user_.erase(user);
  }
  by_key_.erase(it->key);
  order_.erase(it);
}

void AuthCache::make_room(TimePoint now) {
  // Entries are in insertion order and share one TTL, so the expired ones are at the front;
  // once those are gone, the front is the oldest live entry.
  while (!order_.empty() && now >= order_.front().expires) erase(order_.begin());
  while (order_.size() >= max_entries_) erase(order_.begin());
}

}  // namespace herald::sasl
