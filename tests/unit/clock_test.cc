#include "common/clock.h"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(Clock, FormatsRfc3339InUtc) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(1'796'403'069'123), "2026-12-04T16:51:09.123Z");
}

TEST(Clock, ParsesAbsoluteAndRelativeTimes) {
  UnixMillis t = 0;
  ASSERT_TRUE(parse_time("2026-12-04T16:51:09Z", 0, t));
  EXPECT_EQ(t, 1'796'403'069'000);
  ASSERT_TRUE(parse_time("2026-12-04T16:51:09.5+01:00", 0, t));
  EXPECT_EQ(t, 1'796'403'069'500 - 3'600'000);
  ASSERT_TRUE(parse_time("2026-12-04", 0, t));
  EXPECT_EQ(t, 1'796'342'400'000);
  ASSERT_TRUE(parse_time("2h", 10'000'000, t));
  EXPECT_EQ(t, 10'000'000 - 7'200'000);
  EXPECT_FALSE(parse_time("yesterday", 0, t));
  EXPECT_FALSE(parse_time("2026-12-04T16:51", 0, t));
  EXPECT_FALSE(parse_time("5w", 0, t));
}

}  // namespace
}  // namespace herald
