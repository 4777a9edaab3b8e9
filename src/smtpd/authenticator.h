// Checks SMTP AUTH credentials for the session layer: the user name is a sender address and the
// password its SMTP password (argon2id). Order of work, cheapest first:
//   1. the throttle (too many failures from this IP or for this user: refuse, or slow down);
//   2. the sender's stored hash, read on the session's own strand (Store::find_sender is a
//      cached point read on a connection of its own, microseconds);
//   3. the verification cache (a keyed hash of user, password and stored hash): a hit answers
//      right there, on the strand, with no hop to the worker pool;
//   4. otherwise argon2id verification on the worker pool, never on the I/O threads; the cache
//      is asked once more there, so sessions that missed at the same moment (a cold cache)
//      queue behind one argon2id run instead of each paying for one.
// The stored hash is read for every AUTH, so a password changed or a sender removed by another
// process (`herald sender password`, which only writes the database) takes effect at the next
// AUTH: the new hash misses the cache by construction. No cheaper cross-process signal exists
// without a read (SQLite's data_version changes with every group commit of the server itself).
// An unknown user costs the same argon2id work as a wrong password (no user enumeration).
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "sasl/auth_cache.h"
#include "sasl/auth_throttle.h"
#include "smtp/server_session.h"
#include "store/store.h"

namespace herald::smtpd {

class Authenticator {
 public:
  Authenticator(store::Store& store, sasl::AuthCache& cache, sasl::AuthThrottle& throttle,
                boost::asio::thread_pool& workers);

  boost::asio::awaitable<smtp::AuthOutcome> verify(std::string ip, std::string user,
                                                   std::string password);

  // argon2id verifications of stored hashes so far (cache misses that reached step 4).
  std::uint64_t verifications() const { return verifications_.load(); }

 private:
  using Lookup = Result<std::optional<store::Sender>>;
  // Step 3: the outcome when the cache can answer, without any waiting; nullopt otherwise.
  std::optional<smtp::AuthOutcome> from_cache(const Lookup& sender, const std::string& password);
  // Step 4 (on the worker pool): argon2id, or the dummy work for an unknown user.
  smtp::AuthOutcome check(const Lookup& sender, const std::string& password);

  store::Store& store_;
  sasl::AuthCache& cache_;
  sasl::AuthThrottle& throttle_;
  boost::asio::thread_pool& workers_;
  std::string dummy_hash_;  // verified against for unknown users, to equalize timing
  std::atomic<std::uint64_t> verifications_{0};
};

}  // namespace herald::smtpd
