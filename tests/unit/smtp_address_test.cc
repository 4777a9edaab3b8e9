#include "smtp/address.h"

#include <gtest/gtest.h>

namespace herald::smtp {
namespace {

TEST(SmtpAddress, ValidDomains) {
  struct Case {
    std::string_view domain;
    bool valid;
  };
  const std::string label63(63, 'a');
  const std::string label64(64, 'a');
  const std::string long_domain = label63 + "." + label63 + "." + label63 + "." + label63 + ".com";
  const std::string ok63 = label63 + ".com";
  const std::string bad64 = label64 + ".com";
  const Case cases[] = {
      {"example.com", true},   {"mail.example.co.uk", true}, {"xn--bcher-kva.example", true},
      {"a-b.example", true},   {"localhost", false},         {"", false},
      {"example.com.", false}, {".example.com", false},      {"exa_mple.com", false},
      {"-a.example", false},   {"a-.example", false},        {"192.0.2.1", false},
      {"a..b", false},         {"bücher.example", false},    {ok63, true},
      {bad64, false},          {long_domain, false},
  };
  for (const auto& c : cases) EXPECT_EQ(is_valid_domain(c.domain), c.valid) << c.domain;
}

TEST(SmtpAddress, ParsesMailboxes) {
  struct Case {
    std::string_view text;
    bool utf8;
    std::optional<std::string> str;  // Mailbox::str(), nullopt when invalid
  };
  const std::string local64(64, 'l');
  const std::string local65(65, 'l');
  const std::string ok64 = local64 + "@example.com";
  const std::string bad65 = local65 + "@example.com";
  const Case cases[] = {
      {"alice@example.com", false, "alice@example.com"},
      {"Alice@EXAMPLE.Com", false, "Alice@example.com"},
      {"first.last+tag@example.com", false, "first.last+tag@example.com"},
      {"\"alice\"@example.com", false, "alice@example.com"},
      {"\"john doe\"@example.com", false, "\"john doe\"@example.com"},
      {"\"a\\\"b\"@example.com", false, "\"a\\\"b\"@example.com"},
      {"a@[192.0.2.1]", false, "a@[192.0.2.1]"},
      {"a@[IPv6:2001:db8::1]", false, "a@[IPv6:2001:db8::1]"},
      {"a@[300.0.0.1]", false, std::nullopt},
      {"a@localhost", false, std::nullopt},
      {"a@", false, std::nullopt},
      {"@example.com", false, std::nullopt},
      {"a..b@example.com", false, std::nullopt},
      {".a@example.com", false, std::nullopt},
      {"a b@example.com", false, std::nullopt},
      {"a@b@example.com", false, std::nullopt},
      {"\"unterminated@example.com", false, std::nullopt},
      {"jörg@example.com", false, std::nullopt},
      {"jörg@example.com", true, "jörg@example.com"},
      {"jörg@bücher.example", true, "jörg@bücher.example"},
      {"j\xc3@example.com", true, std::nullopt},          // truncated UTF-8
      {"j\xc0\xaf@example.com", true, std::nullopt},      // overlong
      {"j\xed\xa0\x80@example.com", true, std::nullopt},  // surrogate
      {ok64, false, ok64},
      {bad65, false, std::nullopt},
  };
  for (const auto& c : cases) {
    auto m = parse_mailbox(c.text, c.utf8);
    ASSERT_EQ(m.has_value(), c.str.has_value()) << c.text;
    if (m) {
      EXPECT_EQ(m->str(), *c.str) << c.text;
    }
  }
}

TEST(SmtpAddress, ParsesPaths) {
  auto p = parse_path("<>", true, false);
  ASSERT_TRUE(p.path);
  EXPECT_TRUE(p.path->null);
  EXPECT_FALSE(parse_path("<>", false, false).path);
  p = parse_path("<@relay.example,@other.example:bob@example.org>", false, false);
  ASSERT_TRUE(p.path);
  EXPECT_EQ(p.path->mailbox.str(), "bob@example.org");
  EXPECT_FALSE(parse_path("bob@example.org", false, false).path);
  EXPECT_FALSE(parse_path("<bob@example.org", false, false).path);
  p = parse_path("<jörg@example.org>", false, false);
  EXPECT_FALSE(p.path);
  EXPECT_EQ(p.error, PathError::non_ascii_without_utf8);
  EXPECT_TRUE(parse_path("<jörg@example.org>", false, true).path);
  std::string long_path = "<" + std::string(64, 'a') + "@" + std::string(60, 'b') + "." +
                          std::string(60, 'c') + "." + std::string(60, 'd') + ".example>";
  p = parse_path(long_path, false, false);
  EXPECT_FALSE(p.path);
  EXPECT_EQ(p.error, PathError::too_long);
}

TEST(SmtpAddress, SameMailboxComparesLocalPartExactly) {
  auto a = *parse_mailbox("alice@example.com", false);
  EXPECT_TRUE(same_mailbox(a, *parse_mailbox("alice@EXAMPLE.COM", false)));
  EXPECT_TRUE(same_mailbox(a, *parse_mailbox("\"alice\"@example.com", false)));
  EXPECT_FALSE(same_mailbox(a, *parse_mailbox("Alice@example.com", false)));
  EXPECT_FALSE(same_mailbox(a, *parse_mailbox("alice@example.org", false)));
}

}  // namespace
}  // namespace herald::smtp
