#include "smtp/command.h"

#include <gtest/gtest.h>

#include "smtp/reply.h"

namespace herald::smtp {
namespace {

TEST(SmtpCommand, ParsesVerbsCaseInsensitively) {
  struct Case {
    std::string_view line;
    std::optional<Verb> verb;
    std::string_view args;
  };
  const Case cases[] = {
      {"EHLO client.example", Verb::ehlo, "client.example"},
      {"ehlo client.example  ", Verb::ehlo, "client.example"},
      {"MAIL FROM:<a@b.example>", Verb::mail, "FROM:<a@b.example>"},
      {"Rcpt TO:<a@b.example>", Verb::rcpt, "TO:<a@b.example>"},
      {"DATA", Verb::data, ""},
      {"BDAT 10 LAST", Verb::bdat, "10 LAST"},
      {"QUIT", Verb::quit, ""},
      {"TURN", Verb::not_implemented, ""},
      {"GET / HTTP/1.1", Verb::forbidden, "/ HTTP/1.1"},
      {"MAILX FROM:<a@b>", std::nullopt, "FROM:<a@b>"},
      {"", std::nullopt, ""},
  };
  for (const auto& c : cases) {
    Command cmd = parse_command(c.line);
    ASSERT_EQ(cmd.spec != nullptr, c.verb.has_value()) << c.line;
    if (cmd.spec) {
      EXPECT_EQ(cmd.spec->verb, *c.verb) << c.line;
    }
    EXPECT_EQ(cmd.args, c.args) << c.line;
  }
}

TEST(SmtpCommand, TableFlagsFollowTheRfcs) {
  auto flags = [](std::string_view verb) { return parse_command(verb).spec->flags; };
  // RFC 2920 §3.1 group enders, plus STARTTLS (RFC 3207) and AUTH (RFC 4954).
  for (auto v : {"EHLO", "DATA", "VRFY", "EXPN", "TURN", "QUIT", "NOOP", "STARTTLS", "AUTH"}) {
    EXPECT_TRUE(flags(v) & kEndsGroup) << v;
  }
  for (auto v : {"MAIL", "RCPT", "RSET", "BDAT"}) EXPECT_FALSE(flags(v) & kEndsGroup) << v;
  for (auto v : {"MAIL", "RCPT", "DATA", "BDAT"}) {
    EXPECT_TRUE(flags(v) & kNeedsAuth) << v;
    EXPECT_TRUE(flags(v) & kNeedsTls) << v;
  }
  EXPECT_TRUE(flags("AUTH") & kNeedsTls);
  EXPECT_FALSE(flags("AUTH") & kNeedsAuth);
  for (auto v : {"EHLO", "HELO", "STARTTLS", "NOOP", "RSET", "QUIT", "HELP", "VRFY"}) {
    EXPECT_FALSE(flags(v) & (kNeedsTls | kNeedsAuth)) << v;
  }
}

TEST(SmtpCommand, ParsesPathArguments) {
  auto a = parse_path_args("FROM:<alice@example.com> SIZE=100 BODY=8BITMIME smtputf8", "FROM");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->path, "<alice@example.com>");
  ASSERT_EQ(a->params.size(), 3u);
  EXPECT_EQ(a->params[0].keyword, "SIZE");
  EXPECT_EQ(a->params[0].value, "100");
  EXPECT_EQ(a->params[2].keyword, "SMTPUTF8");
  EXPECT_FALSE(a->params[2].has_value);

  a = parse_path_args("from: <\"a> b\"@example.com>", "FROM");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->path, "<\"a> b\"@example.com>");

  const std::string_view bad[] = {
      "FROM:alice@example.com",     "FROM<alice@example.com>",    "TO:<a@example.com>",
      "FROM:<a@example.com",        "FROM:<a@example.com>SIZE=1", "FROM:<a@example.com> =1",
      "FROM:<a@example.com> SIZE=", "FROM:<a@example.com> -X=1",  "FROM:<a@example.com> A=b=c",
  };
  for (auto b : bad) EXPECT_FALSE(parse_path_args(b, "FROM")) << b;
}

TEST(SmtpCommand, ParsesBdatArguments) {
  auto b = parse_bdat_args("1024");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->size, 1024u);
  EXPECT_FALSE(b->last);
  b = parse_bdat_args("0 last");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->size, 0u);
  EXPECT_TRUE(b->last);
  for (auto bad : {"", "x", "-1", "10 LASTX", "10 FIRST", "99999999999999999999", "1 2"}) {
    EXPECT_FALSE(parse_bdat_args(bad)) << bad;
  }
}

TEST(SmtpReply, FormatsSingleAndMultiLineReplies) {
  EXPECT_EQ((Reply{250, "2.0.0", "Ok"}.wire()), "250 2.0.0 Ok\r\n");
  EXPECT_EQ((Reply{250, "", "a\nb\nc"}.wire()), "250-a\r\n250-b\r\n250 c\r\n");
  EXPECT_EQ((Reply{214, "2.0.0", "x\ny"}.wire()), "214-2.0.0 x\r\n214 2.0.0 y\r\n");
  EXPECT_EQ((Reply{334, "", ""}.wire()), "334 \r\n");
}

}  // namespace
}  // namespace herald::smtp
