#include "smtpd/authenticator.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "sasl/password_hash.h"

namespace herald::smtpd {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

Authenticator::Authenticator(store::Store& store, sasl::AuthCache& cache,
                             sasl::AuthThrottle& throttle, asio::thread_pool& workers)
    : store_(store), cache_(cache), throttle_(throttle), workers_(workers) {
  dummy_hash_ = sasl::hash_password("herald-dummy-password").value();
}

std::optional<smtp::AuthOutcome> Authenticator::from_cache(const Lookup& sender,
                                                           const std::string& password) {
  if (!sender || !sender->has_value() || (*sender)->password_hash.empty()) return std::nullopt;
  const auto& s = **sender;
  if (!cache_.contains(s.address, password, s.password_hash, Clock::now())) return std::nullopt;
  return smtp::AuthOutcome{smtp::AuthStatus::ok, "", s.address, ""};
}

smtp::AuthOutcome Authenticator::check(const Lookup& sender, const std::string& password) {
  using smtp::AuthStatus;
  if (!sender) return {AuthStatus::temp_fail, "Authentication temporarily unavailable", "", ""};
  if (!sender->has_value() || (*sender)->password_hash.empty()) {
    (void)sasl::verify_password(dummy_hash_, password);
    return {AuthStatus::bad_credentials, "", "",
            sender->has_value() ? "sender has no SMTP password set" : "unknown user"};
  }
  const auto& s = **sender;
  // Again: sessions that missed together (a cold cache, many connections at once) queue here,
  // and all but the first find the entry the first one inserted, instead of each paying argon2id.
  if (cache_.contains(s.address, password, s.password_hash, Clock::now()))
    return {AuthStatus::ok, "", s.address, ""};
  verifications_++;
  if (!sasl::verify_password(s.password_hash, password))
    return {AuthStatus::bad_credentials, "", "", "wrong password"};
  cache_.insert(s.address, password, s.password_hash, Clock::now());
  return {AuthStatus::ok, "", s.address, ""};
}

asio::awaitable<smtp::AuthOutcome> Authenticator::verify(std::string ip, std::string user,
                                                         std::string password) {
  auto decision = throttle_.check(ip, user, Clock::now());
  using Action = sasl::AuthThrottle::Action;
  if (decision.action == Action::refuse) {
    co_return smtp::AuthOutcome{smtp::AuthStatus::throttled,
                                "Too many failed logins; try again in " +
                                    std::to_string(decision.retry_after.count()) + " seconds",
                                "", "refused by the failed-login throttle"};
  }
  if (decision.action == Action::delay) {
    asio::steady_timer timer(co_await asio::this_coro::executor, decision.delay);
    co_await timer.async_wait(asio::use_awaitable);
  }
  const Lookup sender = store_.find_sender(user);
  auto cached = from_cache(sender, password);
  smtp::AuthOutcome outcome;
  if (cached) {
    outcome = std::move(*cached);
  } else {
    outcome = co_await asio::co_spawn(
        workers_,
        [&]() -> asio::awaitable<smtp::AuthOutcome> { co_return check(sender, password); },
        asio::use_awaitable);
  }
  if (outcome.status == smtp::AuthStatus::ok)
    throttle_.record_success(ip, user, Clock::now());
  else if (outcome.status == smtp::AuthStatus::bad_credentials)
    throttle_.record_failure(ip, user, Clock::now());
  co_return outcome;
}

}  // namespace herald::smtpd
