#include "sasl/auth_throttle.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace herald::sasl {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Action = AuthThrottle::Action;

const TimePoint t0{};  // fake steady clock

TEST(AuthThrottle, CleanSlateIsAllowed) {
  AuthThrottle throttle(5, seconds(300));
  const auto d = throttle.check("192.0.2.1", "app@example.org", t0);
  EXPECT_EQ(d.action, Action::allow);
  EXPECT_EQ(d.delay, milliseconds(0));
  EXPECT_EQ(d.retry_after, seconds(0));
}

TEST(AuthThrottle, DelayDoublesPerFailureUpToTheCap) {
  AuthThrottle throttle(10, seconds(300));
  const std::vector<milliseconds> expected = {
      milliseconds(250),  milliseconds(500),  milliseconds(1000),
      milliseconds(2000), milliseconds(4000), milliseconds(4000),
      milliseconds(4000), milliseconds(4000), milliseconds(4000)};
  for (std::size_t n = 1; n <= expected.size(); ++n) {
    throttle.record_failure("192.0.2.1", "app@example.org", t0 + seconds(n));
    const auto d = throttle.check("192.0.2.1", "app@example.org", t0 + seconds(n));
    EXPECT_EQ(d.action, Action::delay) << n;
    EXPECT_EQ(d.delay, expected[n - 1]) << n;
  }
  throttle.record_failure("192.0.2.1", "app@example.org", t0 + seconds(10));
  EXPECT_EQ(throttle.check("192.0.2.1", "app@example.org", t0 + seconds(10)).action,
            Action::refuse);
}

TEST(AuthThrottle, RefusedAtTheLimitUntilLockoutAfterLastFailure) {
  AuthThrottle throttle(3, seconds(300));
  throttle.record_failure("192.0.2.1", "u", t0);
  throttle.record_failure("192.0.2.1", "u", t0 + seconds(10));
  EXPECT_EQ(throttle.check("192.0.2.1", "u", t0 + seconds(10)).action, Action::delay);
  throttle.record_failure("192.0.2.1", "u", t0 + seconds(20));

  auto d = throttle.check("192.0.2.1", "u", t0 + seconds(20));
  EXPECT_EQ(d.action, Action::refuse);
  EXPECT_EQ(d.retry_after, seconds(300));
  EXPECT_EQ(d.delay, milliseconds(0));
  // The first failure is now older than the window, but the lock runs from the last one.
  d = throttle.check("192.0.2.1", "u", t0 + seconds(305));
  EXPECT_EQ(d.action, Action::refuse);
  EXPECT_EQ(d.retry_after, seconds(15));
  EXPECT_EQ(throttle.check("192.0.2.1", "u", t0 + seconds(319)).retry_after, seconds(1));
  // Lock over: everything is forgotten at once, not one failure at a time.
  d = throttle.check("192.0.2.1", "u", t0 + seconds(320));
  EXPECT_EQ(d.action, Action::allow);
  EXPECT_EQ(throttle.tracked(), 0u);
}

TEST(AuthThrottle, RetryAfterRoundsUp) {
  AuthThrottle throttle(1, seconds(60));
  throttle.record_failure("192.0.2.1", "", t0 + milliseconds(500));
  const auto d = throttle.check("192.0.2.1", "", t0 + milliseconds(1200));
  EXPECT_EQ(d.action, Action::refuse);
  EXPECT_EQ(d.retry_after, seconds(60));  // 59.3 s left, rounded up
  EXPECT_EQ(throttle.check("192.0.2.1", "", t0 + milliseconds(60'400)).retry_after, seconds(1));
  EXPECT_EQ(throttle.check("192.0.2.1", "", t0 + milliseconds(60'500)).action, Action::allow);
}

TEST(AuthThrottle, FailuresRecordedWhileLockedExtendTheLock) {
  AuthThrottle throttle(2, seconds(100));
  throttle.record_failure("192.0.2.1", "", t0);
  throttle.record_failure("192.0.2.1", "", t0);
  throttle.record_failure("192.0.2.1", "", t0 + seconds(50));
  const auto d = throttle.check("192.0.2.1", "", t0 + seconds(120));
  EXPECT_EQ(d.action, Action::refuse);
  EXPECT_EQ(d.retry_after, seconds(30));
}

TEST(AuthThrottle, FailuresBelowTheLimitAgeOutOneByOne) {
  AuthThrottle throttle(5, seconds(300));
  for (int i = 0; i < 3; ++i) throttle.record_failure("192.0.2.1", "u", t0 + seconds(100 * i));
  EXPECT_EQ(throttle.check("192.0.2.1", "u", t0 + seconds(299)).delay, milliseconds(1000));
  EXPECT_EQ(throttle.check("192.0.2.1", "u", t0 + seconds(300)).delay, milliseconds(500));
  EXPECT_EQ(throttle.check("192.0.2.1", "u", t0 + seconds(400)).delay, milliseconds(250));
  EXPECT_EQ(throttle.check("192.0.2.1", "u", t0 + seconds(500)).action, Action::allow);
  EXPECT_EQ(throttle.tracked(), 0u);
}

TEST(AuthThrottle, IpAndUserAreCountedIndependently) {
  AuthThrottle throttle(3, seconds(300));
  for (int i = 0; i < 3; ++i) throttle.record_failure("192.0.2.1", "alice", t0);

  // Another IP guessing another user is unaffected.
  EXPECT_EQ(throttle.check("192.0.2.2", "bob", t0).action, Action::allow);
  // The guessing IP is refused for any user, and without a user.
  EXPECT_EQ(throttle.check("192.0.2.1", "bob", t0).action, Action::refuse);
  EXPECT_EQ(throttle.check("192.0.2.1", "", t0).action, Action::refuse);
  // The guessed user is refused from any IP (distributed guessing).
  EXPECT_EQ(throttle.check("198.51.100.7", "alice", t0).action, Action::refuse);
}

TEST(AuthThrottle, DistributedGuessingLocksTheUser) {
  AuthThrottle throttle(3, seconds(300));
  for (int i = 0; i < 3; ++i) {
    throttle.record_failure("192.0.2." + std::to_string(i), "alice", t0);
  }
  EXPECT_EQ(throttle.check("192.0.2.0", "bob", t0).delay, milliseconds(250));  // ip: 1 failure
  EXPECT_EQ(throttle.check("203.0.113.9", "alice", t0).action, Action::refuse);
  EXPECT_EQ(throttle.check("203.0.113.9", "bob", t0).action, Action::allow);
}

TEST(AuthThrottle, WorseOfIpAndUserDecidesTheDelay) {
  AuthThrottle throttle(10, seconds(300));
  throttle.record_failure("192.0.2.1", "alice", t0);
  throttle.record_failure("192.0.2.1", "bob", t0);
  throttle.record_failure("192.0.2.1", "bob", t0);
  throttle.record_failure("192.0.2.2", "bob", t0);
  EXPECT_EQ(throttle.check("192.0.2.1", "alice", t0).delay, milliseconds(1000));  // ip: 3
  EXPECT_EQ(throttle.check("192.0.2.2", "bob", t0).delay, milliseconds(1000));    // user: 3
  EXPECT_EQ(throttle.check("192.0.2.2", "alice", t0).delay, milliseconds(250));   // both: 1
}

TEST(AuthThrottle, SuccessClearsIpAndUser) {
  AuthThrottle throttle(3, seconds(300));
  throttle.record_failure("192.0.2.1", "alice", t0);
  throttle.record_failure("192.0.2.1", "alice", t0);
  throttle.record_failure("192.0.2.9", "bob", t0);
  throttle.record_success("192.0.2.1", "alice", t0 + seconds(1));
  EXPECT_EQ(throttle.check("192.0.2.1", "alice", t0 + seconds(1)).action, Action::allow);
  // Others keep their counters.
  EXPECT_EQ(throttle.check("192.0.2.9", "", t0 + seconds(1)).action, Action::delay);
  EXPECT_EQ(throttle.check("203.0.113.1", "bob", t0 + seconds(1)).action, Action::delay);
  // Counting starts afresh.
  throttle.record_failure("192.0.2.1", "alice", t0 + seconds(2));
  EXPECT_EQ(throttle.check("192.0.2.1", "alice", t0 + seconds(2)).delay, milliseconds(250));
}

TEST(AuthThrottle, EmptyUserCountsTheIpOnly) {
  AuthThrottle throttle(2, seconds(300));
  throttle.record_failure("192.0.2.1", "", t0);
  EXPECT_EQ(throttle.tracked(), 1u);
  throttle.record_failure("192.0.2.1", "", t0);
  EXPECT_EQ(throttle.check("192.0.2.1", "", t0).action, Action::refuse);
  EXPECT_EQ(throttle.check("192.0.2.2", "", t0).action, Action::allow);
}

TEST(AuthThrottle, MemoryIsBoundedOldestKeysGoFirst) {
  AuthThrottle throttle(5, seconds(300), 3);
  for (int i = 0; i < 6; ++i) {
    throttle.record_failure("192.0.2." + std::to_string(i), "u" + std::to_string(i),
                            t0 + seconds(i));
  }
  EXPECT_EQ(throttle.tracked(), 6u);  // 3 IPs + 3 users
  EXPECT_EQ(throttle.check("192.0.2.0", "u0", t0 + seconds(6)).action, Action::allow);
  EXPECT_EQ(throttle.check("192.0.2.5", "u5", t0 + seconds(6)).action, Action::delay);
  // A key that fails again becomes the most recent and survives the next eviction.
  throttle.record_failure("192.0.2.3", "", t0 + seconds(7));
  throttle.record_failure("192.0.2.6", "", t0 + seconds(8));
  EXPECT_EQ(throttle.check("192.0.2.3", "", t0 + seconds(8)).delay, milliseconds(500));
  EXPECT_EQ(throttle.check("192.0.2.4", "", t0 + seconds(8)).action, Action::allow);
}

TEST(AuthThrottle, ExpiredKeysArePrunedOnInsert) {
  AuthThrottle throttle(5, seconds(60));
  for (int i = 0; i < 100; ++i) throttle.record_failure("10.0.0." + std::to_string(i), "", t0);
  EXPECT_EQ(throttle.tracked(), 100u);
  throttle.record_failure("10.0.1.1", "", t0 + seconds(61));
  EXPECT_EQ(throttle.tracked(), 1u);
}

TEST(AuthThrottle, ZeroLimitsDisable) {
  for (auto [max, lockout, cap] :
       {std::tuple{0u, seconds(60), std::size_t{10}}, {3u, seconds(0), 10}, {3u, seconds(60), 0}}) {
    AuthThrottle throttle(max, lockout, cap);
    EXPECT_FALSE(throttle.enabled());
    for (int i = 0; i < 10; ++i) throttle.record_failure("192.0.2.1", "u", t0);
    EXPECT_EQ(throttle.check("192.0.2.1", "u", t0).action, Action::allow);
    EXPECT_EQ(throttle.tracked(), 0u);
  }
}

TEST(AuthThrottle, ConcurrentUseStaysBounded) {
  AuthThrottle throttle(5, seconds(60), 20);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&throttle, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string ip = "10.0." + std::to_string(t) + "." + std::to_string(i % 40);
        const std::string user = "u" + std::to_string(i % 30);
        (void)throttle.check(ip, user, t0 + seconds(i / 50));
        if (i % 7 == 0) {
          throttle.record_success(ip, user, t0 + seconds(i / 50));
        } else {
          throttle.record_failure(ip, user, t0 + seconds(i / 50));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(throttle.tracked(), 40u);
}

}  // namespace
}  // namespace herald::sasl
