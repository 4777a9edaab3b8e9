// smtp::ReplyParser, enhanced codes, text sanitizing and EHLO capabilities: table-driven.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smtp/reply_parser.h"

namespace herald::smtp {
namespace {

struct ParseCase {
  const char* name;
  std::string input;
  // Expected replies as "code|enhanced|line1/line2..." in order; "!" + substring for an error.
  std::vector<std::string> want;
};

std::string render(const ServerReply& r) {
  std::string out = std::to_string(r.code) + "|" + r.enhanced + "|";
  for (std::size_t i = 0; i < r.lines.size(); ++i) out += (i ? "/" : "") + r.lines[i];
  return out;
}

// Feeds `input` in chunks of `chunk` octets and renders everything that comes out.
std::vector<std::string> parse_all(const std::string& input, std::size_t chunk) {
  ReplyParser p;
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    std::string_view piece = std::string_view(input).substr(pos, chunk);
    while (!piece.empty()) {
      auto r = p.parse(piece);
      if (!r) {
        out.push_back("!" + r.error().message);
        return out;
      }
      if (!r->has_value()) break;
      out.push_back(render(**r));
    }
  }
  if (!p.idle()) out.push_back("(partial)");
  return out;
}

const std::vector<ParseCase>& parse_cases() {
  static const std::vector<ParseCase> all = {
      {"single", "250 2.1.0 Ok\r\n", {"250|2.1.0|Ok"}},
      {"no_enhanced", "220 mx.example.com ESMTP\r\n", {"220||mx.example.com ESMTP"}},
      {"code_only", "250\r\n", {"250||"}},
      {"code_and_space", "250 \r\n", {"250||"}},
      {"enhanced_only", "250 2.0.0\r\n", {"250|2.0.0|"}},
      {"bare_lf", "250 Ok\n354 go\n", {"250||Ok", "354||go"}},
      {"multi_line",
       "250-mx.example.com\r\n250-PIPELINING\r\n250 SIZE 100\r\n",
       {"250||mx.example.com/PIPELINING/SIZE 100"}},
      {"multi_line_enhanced",
       "550-5.1.1 first\r\n550-5.1.1 second\r\n550 5.1.1 third\r\n",
       {"550|5.1.1|first/second/third"}},
      {"empty_continuation", "250-\r\n250 end\r\n", {"250||/end"}},
      {"several", "250 a\r\n250 b\r\n354 c\r\n", {"250||a", "250||b", "354||c"}},
      {"class_mismatch_kept_as_text", "550 4.1.1 odd\r\n", {"550||4.1.1 odd"}},
      {"enhanced_needs_space", "250 2.0.0Ok\r\n", {"250||2.0.0Ok"}},
      {"enhanced_too_many_digits", "250 2.0000.0 x\r\n", {"250||2.0000.0 x"}},
      {"enhanced_three_digit_parts", "550 5.123.456 x\r\n", {"550|5.123.456|x"}},
      {"control_octets_sanitized",
       "250 a\tb\x01"
       "c\x7f\r\n",
       {"250||a b?c?"}},
      {"utf8_kept", "250 d\xc3\xa9j\xc3\xa0 vu\r\n", {"250||d\xc3\xa9j\xc3\xa0 vu"}},
      {"invalid_utf8_replaced", "250 \xff\xc3x\xed\xa0\x80\r\n", {"250||??x???"}},
      {"partial_kept", "250-one\r\n250 tw", {"(partial)"}},
      {"garbage", "HTTP/1.1 200 OK\r\n", {"!malformed reply line \"HTTP/1.1 200 OK\""}},
      {"short_line", "25\r\n", {"!malformed reply line"}},
      {"bad_separator", "250+x\r\n", {"!malformed reply line"}},
      {"code_1xx", "100 continue\r\n", {"!malformed reply line"}},
      {"code_6xx", "600 x\r\n", {"!malformed reply line"}},
      {"second_digit_6", "260 x\r\n", {"!malformed reply line"}},
      {"empty_line", "\r\n", {"!malformed reply line"}},
      {"nul_in_code",
       std::string("2\0"
                   "0 x\r\n",
                   7),
       {"!malformed reply line"}},
      {"code_change", "250-a\r\n251 b\r\n", {"!changes its code from 250 to 251"}},
      {"after_good_reply", "250 ok\r\nxyz\r\n", {"250||ok", "!malformed"}},
      {"line_limit_exact",
       "250 " + std::string(kMaxReplyLine - 6, 'x') + "\r\n",
       {"250||" + std::string(kMaxReplyLine - 6, 'x')}},
      {"line_limit_exceeded",
       "250 " + std::string(kMaxReplyLine - 5, 'x') + "\r\n",
       {"!reply line longer than 2048 octets"}},
      {"line_limit_without_lf",
       "250 " + std::string(10000, 'x'),
       {"!reply line longer than 2048 octets"}},
      {"lines_limit_exact",
       [] {
         std::string s;
         for (std::size_t i = 1; i < kMaxReplyLines; ++i) s += "250-x\r\n";
         return s + "250 y\r\n";
       }(),
       {"250||" +
        [] {
          std::string s;
          for (std::size_t i = 1; i < kMaxReplyLines; ++i) s += "x/";
          return s + "y";
        }()}},
      {"lines_limit_exceeded",
       [] {
         std::string s;
         for (std::size_t i = 0; i < kMaxReplyLines; ++i) s += "250-x\r\n";
         return s + "250 y\r\n";
       }(),
       {"!reply longer than 100 lines"}},
  };
  return all;
}

class ReplyParse : public ::testing::TestWithParam<ParseCase> {};

void PrintTo(const ParseCase& c, std::ostream* os) {
  *os << c.name;
}

// The same result whether the input arrives at once, octet by octet or in odd chunks.
TEST_P(ReplyParse, AnyChunking) {
  const ParseCase& c = GetParam();
  for (std::size_t chunk : {c.input.size() + 1, std::size_t{1}, std::size_t{3}, std::size_t{7}}) {
    std::vector<std::string> got = parse_all(c.input, chunk);
    ASSERT_EQ(got.size(), c.want.size())
        << "chunk " << chunk << ": " << ::testing::PrintToString(got);
    for (std::size_t i = 0; i < got.size(); ++i) {
      if (c.want[i].starts_with("!")) {
        EXPECT_TRUE(got[i].starts_with("!")) << got[i];
        EXPECT_NE(got[i].find(c.want[i].substr(1)), std::string::npos) << got[i];
      } else {
        EXPECT_EQ(got[i], c.want[i]) << "chunk " << chunk;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ReplyParse, ::testing::ValuesIn(parse_cases()),
                         [](const ::testing::TestParamInfo<ParseCase>& param) {
                           return std::string(param.param.name);
                         });

TEST(ReplyParser, StaysFailed) {
  ReplyParser p;
  std::string_view in = "garbage\r\n250 ok\r\n";
  EXPECT_FALSE(p.parse(in));
  EXPECT_TRUE(p.failed());
  std::string_view more = "250 ok\r\n";
  EXPECT_FALSE(p.parse(more));
}

TEST(ReplyParser, StopsAfterEachReply) {
  ReplyParser p;
  std::string_view in = "250 a\r\n354 b\r\n";
  auto r = p.parse(in);
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ(in, "354 b\r\n");  // the rest is left for the next call
  EXPECT_TRUE(p.idle());
}

TEST(ServerReplyText, JoinsAndCaps) {
  ServerReply r{550, "5.1.1", {"first", "", "second"}};
  EXPECT_EQ(r.text(), "first second");
  EXPECT_EQ(r.summary(), "550 5.1.1 first second");
  EXPECT_EQ(r.text(8), "first se...");
  ServerReply utf{250, "", {"\xc3\xa9\xc3\xa9\xc3\xa9"}};
  EXPECT_EQ(utf.text(3), "\xc3\xa9...");  // never cuts inside a UTF-8 sequence
  EXPECT_EQ((ServerReply{421, "", {}}).summary(), "421");
  std::vector<std::string> many(100, std::string(100, 'x'));
  EXPECT_EQ(ServerReply({250, "", many}).text().size(), kMaxReplyText + 3);
}

TEST(EnhancedCode, Length) {
  struct {
    const char* text;
    std::size_t len;
  } cases[] = {
      {"2.0.0", 5}, {"5.1.1 user", 5}, {"4.7.1", 5},   {"5.123.456 x", 9}, {"3.0.0", 0},
      {"2.0", 0},   {"2.0.", 0},       {"2..0", 0},    {"2.0.0x", 0},      {"2.1234.0", 0},
      {"x.0.0", 0}, {"", 0},           {"2.0.0\t", 0}, {"25.0.0", 0},
  };
  for (const auto& c : cases) EXPECT_EQ(enhanced_code_length(c.text), c.len) << c.text;
}

TEST(Capabilities, Parsed) {
  ServerReply ehlo{250,
                   "",
                   {"mx.example.com Hello", "pipelining", "SIZE 35882577", "8BITMIME", "SMTPUTF8",
                    "CHUNKING", "STARTTLS", "ENHANCEDSTATUSCODES", "AUTH PLAIN LOGIN", "DSN"}};
  Capabilities c = parse_capabilities(ehlo);
  EXPECT_TRUE(c.esmtp);
  EXPECT_TRUE(c.pipelining);
  EXPECT_TRUE(c.size);
  EXPECT_EQ(c.size_limit, 35882577u);
  EXPECT_TRUE(c.eightbitmime);
  EXPECT_TRUE(c.smtputf8);
  EXPECT_TRUE(c.chunking);
  EXPECT_TRUE(c.starttls);
  EXPECT_TRUE(c.enhanced_status_codes);
}

TEST(Capabilities, FirstLineIsNotAKeyword) {
  Capabilities c = parse_capabilities(ServerReply{250, "", {"PIPELINING"}});
  EXPECT_TRUE(c.esmtp);
  EXPECT_FALSE(c.pipelining);
}

TEST(Capabilities, SizeVariants) {
  struct {
    const char* line;
    std::uint64_t limit;
  } cases[] = {{"SIZE", 0},     {"SIZE 0", 0},   {"SIZE 1000", 1000},
               {"SIZE abc", 0}, {"SIZE 12x", 0}, {"SIZE 99999999999999999999999", 0},
               {"size 5", 5}};
  for (const auto& c : cases) {
    Capabilities caps = parse_capabilities(ServerReply{250, "", {"mx", c.line}});
    EXPECT_TRUE(caps.size) << c.line;
    EXPECT_EQ(caps.size_limit, c.limit) << c.line;
  }
}

TEST(Capabilities, NoneFromRefusal) {
  Capabilities c = parse_capabilities(ServerReply{502, "5.5.2", {"mx", "PIPELINING"}});
  EXPECT_FALSE(c.esmtp);
  EXPECT_FALSE(c.pipelining);
}

TEST(SanitizeReplyText, Table) {
  struct {
    std::string in, out;
  } cases[] = {
      {"plain text", "plain text"},
      {"tab\there", "tab here"},
      {std::string("nul\0x", 5), "nul?x"},
      {"\xe2\x82\xac euro", "\xe2\x82\xac euro"},
      {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
      {"\xc0\xaf", "??"},            // overlong
      {"\xe0\x80\xaf", "???"},       // overlong
      {"\xed\xa0\x80", "???"},       // surrogate
      {"\xf4\x90\x80\x80", "????"},  // beyond U+10FFFF
      {"\xe2\x82", "??"},            // truncated
  };
  for (const auto& c : cases) EXPECT_EQ(sanitize_reply_text(c.in), c.out) << c.in;
}

}  // namespace
}  // namespace herald::smtp
