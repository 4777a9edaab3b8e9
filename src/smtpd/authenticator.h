// Checks SMTP AUTH credentials for the session layer: the user name is a sender address and the
// password its SMTP password (argon2id). Order of work, cheapest first:
//   1. the throttle (too many failures from this IP or for this user: refuse, or slow down);
//   2. the sender's stored hash, read on a worker thread;
//   3. the verification cache (a keyed hash of user, password and stored hash);
//   4. argon2id verification on the worker pool, never on the I/O threads.
// An unknown user costs the same argon2id work as a wrong password (no user enumeration).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
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

 private:
  smtp::AuthOutcome check(const std::string& user, const std::string& password);

  store::Store& store_;
  sasl::AuthCache& cache_;
  sasl::AuthThrottle& throttle_;
  boost::asio::thread_pool& workers_;
  std::string dummy_hash_;  // verified against for unknown users, to equalize timing
};

}  // namespace herald::smtpd
