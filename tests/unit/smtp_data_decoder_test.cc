#include "smtp/data_decoder.h"

#include <gtest/gtest.h>

namespace herald::smtp {
namespace {

struct Decoded {
  bool done;
  std::size_t consumed;
  unsigned problems;
  std::string data;
};

Decoded decode(std::string_view in, DataDecoder::Mode mode = DataDecoder::Mode::dot_terminated,
               std::uint64_t max = 1000000, std::size_t split = 0) {
  DataDecoder d(mode, max);
  std::size_t consumed = 0;
  if (split == 0) {
    consumed = d.feed(in);
  } else {
    for (std::size_t i = 0; i < in.size() && !d.done(); i += split) {
      consumed += d.feed(in.substr(i, split));
    }
  }
  if (mode == DataDecoder::Mode::raw) d.finish();
  return {d.done(), consumed, d.problems(), d.data()};
}

TEST(SmtpDataDecoder, DotTerminatedTable) {
  struct Case {
    std::string_view in;
    bool done;
    std::string_view data;
    unsigned problems;
  };
  const Case cases[] = {
      {".\r\n", true, "", 0},
      {"a\r\n.\r\n", true, "a\r\n", 0},
      {"..a\r\n.\r\n", true, ".a\r\n", 0},
      {"...\r\n.\r\n", true, "..\r\n", 0},
      {"a.\r\n.\r\n", true, "a.\r\n", 0},
      {"a\r\n.", false, "a\r\n", 0},
      // smuggling variants: none ends the data
      {"a\n.\n", false, "a\n.\n", kBareNewline},
      {"a\n.\r\n", false, "a\n.\r\n", kBareNewline},
      {"a\r.\n", false, "a\r.\n", kBareNewline},
      {"a\r\n.\n", false, "a\r\n\n", kBareNewline},
      {"a\r.\r\n", false, "a\r.\r\n", kBareNewline},
      {"a\r\n.\rb", false, "a\r\n\rb", kBareNewline},
      {std::string_view("a\0b\r\n.\r\n", 8), true, std::string_view("a\0b\r\n", 5), kNulByte},
  };
  for (const auto& c : cases) {
    for (std::size_t split : {0, 1, 2, 3}) {
      Decoded d = decode(c.in, DataDecoder::Mode::dot_terminated, 1000000, split);
      EXPECT_EQ(d.done, c.done) << c.in << " split " << split;
      EXPECT_EQ(d.data, c.data) << c.in << " split " << split;
      EXPECT_EQ(d.problems, c.problems) << c.in << " split " << split;
    }
  }
}

TEST(SmtpDataDecoder, StopsRightAfterTheEndMarker) {
  Decoded d = decode("a\r\n.\r\nQUIT\r\n");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.consumed, 6u);
}

TEST(SmtpDataDecoder, LineLengthLimit) {
  std::string ok(998, 'x');
  Decoded d = decode(ok + "\r\n.\r\n");
  EXPECT_EQ(d.problems, 0u);
  d = decode(ok + "x\r\n.\r\n");
  EXPECT_EQ(d.problems, kLineTooLong);
  d = decode(ok + "x\r\n.\r\n", DataDecoder::Mode::dot_terminated, 1000000, 7);
  EXPECT_EQ(d.problems, kLineTooLong);
}

TEST(SmtpDataDecoder, SizeLimitDiscardsExcess) {
  Decoded d = decode("0123456789\r\n.\r\n", DataDecoder::Mode::dot_terminated, 5);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.problems, kTooBig);
  EXPECT_EQ(d.data, "01234");
  d = decode("0123\r\n.\r\n", DataDecoder::Mode::dot_terminated, 6);
  EXPECT_EQ(d.problems, 0u);
}

TEST(SmtpDataDecoder, EightBitIsNoted) {
  DataDecoder d(DataDecoder::Mode::dot_terminated, 100);
  d.feed("caf\xc3\xa9\r\n.\r\n");
  EXPECT_TRUE(d.saw_8bit());
  EXPECT_EQ(d.problems(), 0u);
}

TEST(SmtpDataDecoder, RawModeKeepsDotsAndTerminatesWithCrlf) {
  Decoded d = decode(".\r\n..x\r\n", DataDecoder::Mode::raw);
  EXPECT_EQ(d.data, ".\r\n..x\r\n");
  EXPECT_EQ(d.problems, 0u);
  d = decode("abc", DataDecoder::Mode::raw);
  EXPECT_EQ(d.data, "abc\r\n");
  d = decode("abc\r", DataDecoder::Mode::raw);
  EXPECT_EQ(d.problems, kBareNewline);
  d = decode("a\nb", DataDecoder::Mode::raw, 100, 1);
  EXPECT_EQ(d.problems, kBareNewline);
}

}  // namespace
}  // namespace herald::smtp
