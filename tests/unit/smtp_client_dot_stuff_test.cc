// smtp::dot_stuff / normalize_line_endings: table-driven, plus a round trip through the
// server's DataDecoder (what a receiving server would reconstruct).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "smtp/data_decoder.h"
#include "smtp/dot_stuff.h"

namespace herald::smtp {
namespace {

struct Case {
  std::string in, stuffed, normalized;
};

TEST(DotStuff, Table) {
  const Case cases[] = {
      {"", ".\r\n", ""},
      {"a\r\n", "a\r\n.\r\n", "a\r\n"},
      {"a", "a\r\n.\r\n", "a\r\n"},  // final CRLF added
      {".", "..\r\n.\r\n", ".\r\n"},
      {".\r\n", "..\r\n.\r\n", ".\r\n"},
      {"..x\r\n", "...x\r\n.\r\n", "..x\r\n"},
      {"a\r\n.b\r\nc.\r\n", "a\r\n..b\r\nc.\r\n.\r\n", "a\r\n.b\r\nc.\r\n"},
      {"a\r\n\r\n.", "a\r\n\r\n..\r\n.\r\n", "a\r\n\r\n.\r\n"},
      {"bare\nlf\n.x", "bare\r\nlf\r\n..x\r\n.\r\n", "bare\r\nlf\r\n.x\r\n"},
      {"bare\rcr\r.x", "bare\r\ncr\r\n..x\r\n.\r\n", "bare\r\ncr\r\n.x\r\n"},
      {"cr\r\r\nlf", "cr\r\n\r\nlf\r\n.\r\n", "cr\r\n\r\nlf\r\n"},
      {"\n\n", "\r\n\r\n.\r\n", "\r\n\r\n"},
      {"x\r", "x\r\n.\r\n", "x\r\n"},
      {"\r\n.\r\n", "\r\n..\r\n.\r\n", "\r\n.\r\n"},  // a message that is itself a terminator
      {" .indented\r\n", " .indented\r\n.\r\n", " .indented\r\n"},
      {"8bit \xc3\xa9\r\n", "8bit \xc3\xa9\r\n.\r\n", "8bit \xc3\xa9\r\n"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(dot_stuff(c.in), c.stuffed) << ::testing::PrintToString(c.in);
    EXPECT_EQ(normalize_line_endings(c.in), c.normalized) << ::testing::PrintToString(c.in);
  }
}

// Whatever the message, a receiver that unstuffs the DATA stream gets back the normalised
// message, and the stream contains no premature terminator.
TEST(DotStuff, RoundTripThroughDecoder) {
  std::mt19937 rng(42);
  const char alphabet[] = {'.', '.', '\r', '\n', 'a', ' '};
  for (int iter = 0; iter < 2000; ++iter) {
    std::string msg;
    std::size_t len = rng() % 40;
    for (std::size_t i = 0; i < len; ++i) msg.push_back(alphabet[rng() % sizeof alphabet]);
    std::string wire = dot_stuff(msg);
    ASSERT_TRUE(wire.ends_with("\r\n.\r\n") || wire == ".\r\n") << msg;
    DataDecoder dec(DataDecoder::Mode::dot_terminated, 1 << 20);
    std::size_t used = dec.feed(wire);
    ASSERT_TRUE(dec.done()) << ::testing::PrintToString(msg);
    EXPECT_EQ(used, wire.size()) << ::testing::PrintToString(msg);
    EXPECT_EQ(dec.problems(), 0u) << ::testing::PrintToString(msg);
    EXPECT_EQ(dec.data(), normalize_line_endings(msg)) << ::testing::PrintToString(msg);
  }
}

}  // namespace
}  // namespace herald::smtp
