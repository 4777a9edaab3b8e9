#include "queue/backoff.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>

namespace herald::queue {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;

struct Row {
  const char* name;
  std::uint32_t attempt;
  seconds age;
  double jitter_unit;
  bool expired;
  seconds delay;
};

// Default policy: 1m 5m 15m 30m 1h 2h 4h, then 4h; +-10% jitter; 3 days lifetime.
// jitter_unit 0.5 is the unjittered delay; 0 is -10%; 0.999 is just under +10%.
const Row kDefaultRows[] = {
    {"first failure", 1, 0s, 0.5, false, 60s},
    {"second", 2, 60s, 0.5, false, 300s},
    {"third", 3, 6min, 0.5, false, 900s},
    {"fourth", 4, 21min, 0.5, false, 1800s},
    {"fifth", 5, 51min, 0.5, false, 3600s},
    {"sixth", 6, 2h, 0.5, false, 7200s},
    {"seventh", 7, 4h, 0.5, false, 14400s},
    {"beyond the table repeats 4h", 8, 8h, 0.5, false, 14400s},
    {"far beyond the table", 100, 24h, 0.5, false, 14400s},
    {"attempt 0 treated as 1", 0, 0s, 0.5, false, 60s},
    {"jitter edge 0: -10%", 1, 0s, 0.0, false, 54s},
    {"jitter edge 0.999: just under +10%", 1, 0s, 0.999, false, 66s},
    {"jitter 0 on 4h", 7, 4h, 0.0, false, 12960s},
    {"jitter 0.999 on 4h", 9, 10h, 0.999, false, 15837s},  // 14400 * 1.0998
    {"jitter out of range clamps to +10%", 1, 0s, 7.0, false, 66s},
    {"jitter negative clamps to -10%", 1, 0s, -3.0, false, 54s},
    {"negative age counts as 0", 1, -30s, 0.5, false, 60s},
    {"age exactly the lifetime: expired", 20, 72h, 0.5, true, 0s},
    {"age past the lifetime: expired", 20, 80h, 0.5, true, 0s},
    {"one second before the lifetime: last attempt in 1s", 20, 72h - 1s, 0.5, false, 1s},
    {"next attempt would overshoot: clamped to the lifetime", 20, 70h, 0.5, false, 2h},
    {"jitter cannot push past the lifetime", 20, 68h, 0.999, false, 4h},
    {"fits exactly at the lifetime", 20, 68h, 0.5, false, 4h},
};

TEST(Backoff, DefaultPolicyTable) {
  for (const Row& row : kDefaultRows) {
    SCOPED_TRACE(row.name);
    RetryDecision d = backoff(row.attempt, row.age, row.jitter_unit);
    EXPECT_EQ(d.expired, row.expired);
    EXPECT_EQ(d.delay.count(), row.delay.count());
  }
}

// A shortened lifetime (e.g. for a transactional sender that wants bounces within the hour).
TEST(Backoff, ShortenedLifetimeTable) {
  RetryPolicy policy;
  policy.max_lifetime = 1h;
  const Row rows[] = {
      {"early failures follow the schedule", 1, 0s, 0.5, false, 60s},
      {"fifth failure at 51m: 1h clamped to the 9m left", 5, 51min, 0.5, false, 9min},
      {"the clamped attempt fails at the deadline: expired", 6, 1h, 0.5, true, 0s},
      {"well past: expired", 2, 2h, 0.5, true, 0s},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    RetryDecision d = backoff(row.attempt, row.age, row.jitter_unit, policy);
    EXPECT_EQ(d.expired, row.expired);
    EXPECT_EQ(d.delay.count(), row.delay.count());
  }
}

TEST(Backoff, CustomScheduleAndNoJitter) {
  RetryPolicy policy;
  policy.schedule = {10s, 20s};
  policy.jitter = 0;
  EXPECT_EQ(backoff(1, 0s, 0.0, policy).delay, 10s);
  EXPECT_EQ(backoff(2, 0s, 0.999, policy).delay, 20s);
  EXPECT_EQ(backoff(3, 0s, 0.3, policy).delay, 20s);
}

TEST(Backoff, DelayIsAtLeastOneSecond) {
  RetryPolicy policy;
  policy.schedule = {1s};
  policy.jitter = 0.9;  // 1s * 0.1 rounds to 0
  EXPECT_EQ(backoff(1, 0s, 0.0, policy).delay, 1s);
}

TEST(Backoff, JitterStaysWithinTenPercentAcrossDraws) {
  for (int i = 0; i < 1000; ++i) {
    const double u = i / 1000.0;
    const seconds d = backoff(6, 3h, u).delay;  // 2h base
    EXPECT_GE(d.count(), 6480);                 // 7200 * 0.9
    EXPECT_LT(d.count(), 7920);                 // 7200 * 1.1
  }
}

TEST(Backoff, NanJitterMeansNoJitter) {
  EXPECT_EQ(backoff(1, 0s, std::numeric_limits<double>::quiet_NaN()).delay, 60s);
}

}  // namespace
}  // namespace herald::queue
