// Sampling of session-limit refusals into events (smtpd/session_refusals.h): the first ones of
// each window are recorded, the rest counted into the next recorded one, none lost.
#include "smtpd/session_refusals.h"

#include <gtest/gtest.h>

#include <vector>

namespace herald::smtpd {
namespace {

using namespace std::chrono_literals;

TEST(RefusalSampler, FirstOnesPerWindowRecordedTheRestCountedIntoTheNext) {
  RefusalSampler sampler(60s, 3);
  const auto t0 = RefusalSampler::Clock::now();
  struct Step {
    std::chrono::milliseconds at;
    std::uint64_t stands_for;  // 0: only counted
  };
  const std::vector<Step> steps = {
      {0ms, 1},      {1ms, 1},     {2ms, 1},      // three recorded one by one
      {3ms, 0},      {4ms, 0},     {59999ms, 0},  // the window is full: counted
      {60000ms, 4},  // a new window: recorded, standing for itself and the 3 held back
      {60001ms, 1},  {60002ms, 1}, {60003ms, 0},
      {200000ms, 2},  // much later: the one held back comes with the next refusal
      {200001ms, 1},
  };
  std::uint64_t total = 0;
  for (const auto& s : steps) {
    auto got = sampler.on_refusal(t0 + s.at);
    EXPECT_EQ(got, s.stands_for) << "at " << s.at.count() << " ms";
    total += got;
  }
  EXPECT_EQ(total, steps.size());  // every refusal counted exactly once
}

TEST(RefusalSampler, AFloodRecordsABoundedNumberOfEvents) {
  RefusalSampler sampler(60s, 20);
  const auto t0 = RefusalSampler::Clock::now();
  std::uint64_t events = 0, counted = 0;
  for (int i = 0; i < 100000; ++i) {  // 100,000 refusals in 10 minutes
    auto n = sampler.on_refusal(t0 + std::chrono::milliseconds(i * 6));
    if (n > 0) ++events;
    counted += n;
  }
  EXPECT_EQ(events, 10u * 20u);
  EXPECT_LE(counted, 100000u);
  EXPECT_GT(counted, 100000u - 100000u / 10u);  // at most the last window's held back
}

TEST(RefusalSampler, ClockGoingBackStartsANewWindow) {
  RefusalSampler sampler(60s, 1);
  const auto t0 = RefusalSampler::Clock::now();
  EXPECT_EQ(sampler.on_refusal(t0), 1u);
  EXPECT_EQ(sampler.on_refusal(t0 + 1s), 0u);
  EXPECT_EQ(sampler.on_refusal(t0 - 1s), 2u);
}

}  // namespace
}  // namespace herald::smtpd
