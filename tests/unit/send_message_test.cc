#include "cli/send_message.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace herald::cli::send {
namespace {

using std::chrono::system_clock;

std::vector<std::string> split_crlf(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < s.size()) {
    auto end = s.find("\r\n", pos);
    if (end == std::string::npos) {
      lines.push_back(s.substr(pos));
      break;
    }
    lines.push_back(s.substr(pos, end - pos));
    pos = end + 2;
  }
  return lines;
}

// Every LF is part of a CRLF and every CR is followed by LF.
bool only_crlf(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
  }
  return true;
}

TestMail sample() {
  return TestMail{"app@example.com",
                  {"admin@example.org", "ops@example.net"},
                  "Herald test email",
                  "Hello,\n.\n..leading dots\nlast line",
                  system_clock::from_time_t(1717491903),  // 2024-06-04 09:05:03 UTC
                  "0123456789abcdef@example.com"};
}

TEST(SendMessage, DateIsRfc5322InUtc) {
  EXPECT_EQ(format_date(system_clock::from_time_t(1717491903)), "Tue, 04 Jun 2024 09:05:03 +0000");
  EXPECT_EQ(format_date(system_clock::from_time_t(0)), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(SendMessage, HeadersLikeNextcloudsTestMail) {
  std::string m = build_message(sample());
  auto blank = m.find("\r\n\r\n");
  ASSERT_NE(blank, std::string::npos);
  auto headers = split_crlf(m.substr(0, blank));
  std::vector<std::string> expected = {"From: app@example.com",
                                       "To: admin@example.org, ops@example.net",
                                       "Subject: Herald test email",
                                       "Date: Tue, 04 Jun 2024 09:05:03 +0000",
                                       "Message-ID: <0123456789abcdef@example.com>",
                                       "MIME-Version: 1.0",
                                       "Content-Type: text/plain; charset=utf-8",
                                       "Content-Transfer-Encoding: quoted-printable"};
  EXPECT_EQ(headers, expected);
  EXPECT_TRUE(only_crlf(m));
  EXPECT_EQ(m.substr(blank + 4), "Hello,\r\n.\r\n..leading dots\r\nlast line\r\n");
}

TEST(SendMessage, DotStuffingAndTerminator) {
  // RFC 5321 section 4.5.2.
  EXPECT_EQ(dot_stuff("a\r\n.\r\n..b\r\nc.d\r\n"), "a\r\n..\r\n...b\r\nc.d\r\n.\r\n");
  EXPECT_EQ(dot_stuff(".first\r\nno final line end"), "..first\r\nno final line end\r\n.\r\n");
  EXPECT_EQ(dot_stuff(""), ".\r\n");
  std::string wire = dot_stuff(build_message(sample()));
  EXPECT_TRUE(only_crlf(wire));
  EXPECT_NE(wire.find("\r\n..\r\n...leading dots\r\n"), std::string::npos) << wire;
  ASSERT_GE(wire.size(), 5u);
  EXPECT_EQ(wire.substr(wire.size() - 5), "\r\n.\r\n");
  // The only line that is a lone dot is the terminator.
  auto lines = split_crlf(wire);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "."), 1);
}

TEST(SendMessage, QuotedPrintable) {
  // RFC 2045 section 6.7.
  EXPECT_EQ(quoted_printable("plain text"), "plain text\r\n");
  EXPECT_EQ(quoted_printable("a=b"), "a=3Db\r\n");
  EXPECT_EQ(quoted_printable("Grüße"), "Gr=C3=BC=C3=9Fe\r\n");
  EXPECT_EQ(quoted_printable("trailing space \nand tab\t"), "trailing space=20\r\nand tab=09\r\n");
  EXPECT_EQ(quoted_printable("crlf\r\nlines\r\n"), "crlf\r\nlines\r\n");
  EXPECT_EQ(quoted_printable(""), "");
  EXPECT_EQ(quoted_printable("\n"), "\r\n");

  std::string long_line(200, 'x');
  std::string qp = quoted_printable(long_line + "\n" + std::string(100, '\xe9'));
  for (const auto& line : split_crlf(qp)) EXPECT_LE(line.size(), 76u) << line;
  // Soft breaks removed, the text is back.
  std::string joined;
  for (const auto& line : split_crlf(qp)) {
    if (!line.empty() && line.back() == '=')
      joined += line.substr(0, line.size() - 1);
    else
      joined += line + "\n";
  }
  std::string encoded_e;
  for (int i = 0; i < 100; ++i) encoded_e += "=E9";
  EXPECT_EQ(joined, long_line + "\n" + encoded_e + "\n");
}

TEST(SendMessage, SubjectEncoding) {
  EXPECT_EQ(encode_header_text("Herald test email"), "Herald test email");
  EXPECT_EQ(encode_header_text("Grüße"), "=?UTF-8?B?R3LDvMOfZQ==?=");
  // Long non-ASCII text: several encoded-words of at most 75 characters, folded, and no
  // UTF-8 sequence split between two words.
  std::string s;
  for (int i = 0; i < 40; ++i) s += "ä€";
  std::string enc = encode_header_text(s);
  auto words = split_crlf(enc);
  EXPECT_GT(words.size(), 1u);
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string w = i == 0 ? words[i] : words[i].substr(1);  // folding whitespace
    if (i > 0) {
      EXPECT_EQ(words[i][0], ' ');
    }
    EXPECT_LE(w.size(), 75u) << w;
    EXPECT_EQ(w.rfind("=?UTF-8?B?", 0), 0u) << w;
  }
  // 45 octets per word: "ä€" is 5 octets, so each word holds exactly nine pairs.
  EXPECT_EQ(words.size(), 5u);
}

TEST(SendMessage, MessageIdUsesTheSenderDomain) {
  EXPECT_EQ(make_message_id("abc", "app@example.com"), "abc@example.com");
  EXPECT_EQ(make_message_id("abc", "odd"), "abc@localhost");
  std::string a = random_hex(), b = random_hex();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(SendMessage, BodyNamesTheSettingsButNoSecret) {
  std::string b = test_body("mail.example.com", 587, "starttls", "app@example.com");
  EXPECT_NE(b.find("mail.example.com port 587"), std::string::npos) << b;
  EXPECT_NE(b.find("starttls"), std::string::npos);
  EXPECT_NE(b.find("as app@example.com"), std::string::npos);
  EXPECT_NE(test_body("h", 25, "none", "").find("authentication: none"), std::string::npos);
}

TEST(SendMessage, AddressAndHeaderChecks) {
  for (std::string ok : {"a@b", "app@example.com", "first.last+tag@sub.example.org"})
    EXPECT_TRUE(plausible_address(ok)) << ok;
  for (std::string bad :
       {"", "@example.com", "app@", "noat", "a b@c", "a@b\r\nRCPT TO:<x@y>", "<a@b>", "a@b,c@d"})
    EXPECT_FALSE(plausible_address(bad)) << bad;
  EXPECT_TRUE(header_text_ok("Herald test\temail Grüße"));
  EXPECT_FALSE(header_text_ok("a\r\nBcc: x@y"));
  EXPECT_FALSE(header_text_ok(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace herald::cli::send
