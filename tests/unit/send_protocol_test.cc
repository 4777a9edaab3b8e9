#include "cli/send_protocol.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

namespace herald::cli::send {
namespace {

std::string base64_decode(const std::string& b64) {
  std::string out(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  EXPECT_GE(n, 0);
  out.resize(static_cast<std::size_t>(n));
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (auto it = b64.rbegin(); it != b64.rend() && *it == '='; ++it) out.pop_back();
  return out;
}

Reply assemble(const std::vector<std::string>& lines) {
  ReplyAssembler a;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto done = a.add_line(lines[i]);
    EXPECT_TRUE(done.has_value()) << lines[i];
    if (!done) return {};
    EXPECT_EQ(*done, i + 1 == lines.size()) << lines[i];
  }
  return a.take();
}

TEST(SendReply, SingleAndMultiLine) {
  Reply r = assemble({"250 2.0.0 Ok: queued as 42"});
  EXPECT_EQ(r.code, 250);
  EXPECT_EQ(r.klass(), 2);
  EXPECT_EQ(r.summary(), "250 2.0.0 Ok: queued as 42");

  Reply m = assemble({"535-5.7.8 first", "535 5.7.8 second"});
  EXPECT_EQ(m.code, 535);
  EXPECT_EQ(m.summary(), "535 5.7.8 first 5.7.8 second");

  Reply bare = assemble({"354"});  // RFC 5321 section 4.2: text is optional
  EXPECT_EQ(bare.code, 354);
  EXPECT_EQ(bare.summary(), "354");
}

TEST(SendReply, RejectsWhatIsNotAReplyLine) {
  for (std::string bad : {"", "25", "2500 x", "ok", "650 x", "25a x", "220_x", "\x16\x03\x01"}) {
    ReplyAssembler a;
    EXPECT_FALSE(a.add_line(bad).has_value()) << bad;
  }
  ReplyAssembler mixed;
  ASSERT_TRUE(mixed.add_line("250-a").has_value());
  EXPECT_FALSE(mixed.add_line("251 b").has_value());
}

TEST(SendReply, AssemblerStartsFreshAfterTake) {
  ReplyAssembler a;
  ASSERT_TRUE(*a.add_line("220 hi"));
  EXPECT_EQ(a.take().code, 220);
  ASSERT_TRUE(*a.add_line("250 ok"));
  Reply r = a.take();
  EXPECT_EQ(r.code, 250);
  EXPECT_EQ(r.lines.size(), 1u);
}

TEST(SendEhlo, ParsesKeywordsAndAuthMechanisms) {
  Reply r =
      assemble({"250-mx.example.com Hello [192.0.2.1]", "250-PIPELINING", "250-SIZE 10240000",
                "250-starttls", "250-AUTH PLAIN LOGIN cram-md5", "250-AUTH=LOGIN", "250 8BITMIME"});
  Capabilities c = parse_ehlo(r);
  EXPECT_TRUE(c.starttls);
  EXPECT_TRUE(c.auth);
  EXPECT_TRUE(c.has("size"));
  EXPECT_TRUE(c.has("8BITMIME"));
  EXPECT_FALSE(c.has("MX.EXAMPLE.COM"));  // the first line is the greeting, not a keyword
  EXPECT_EQ(c.auth_mechanisms, (std::vector<std::string>{"PLAIN", "LOGIN", "CRAM-MD5"}));
  EXPECT_EQ(choose_auth_mechanism(c), AuthMechanism::plain);
}

TEST(SendEhlo, OldAuthEqualsFormAndAbsentExtensions) {
  Capabilities old = parse_ehlo(assemble({"250-mx", "250 AUTH=LOGIN"}));
  EXPECT_TRUE(old.auth);
  EXPECT_EQ(old.auth_mechanisms, std::vector<std::string>{"LOGIN"});
  EXPECT_EQ(choose_auth_mechanism(old), AuthMechanism::login);

  Capabilities none = parse_ehlo(assemble({"250 mx.example.com"}));
  EXPECT_FALSE(none.starttls);
  EXPECT_FALSE(none.auth);
  EXPECT_TRUE(none.keywords.empty());
  EXPECT_EQ(choose_auth_mechanism(none), std::nullopt);

  Capabilities cram = parse_ehlo(assemble({"250-mx", "250 AUTH CRAM-MD5 XOAUTH2"}));
  EXPECT_TRUE(cram.auth);
  EXPECT_EQ(choose_auth_mechanism(cram), std::nullopt);
}

TEST(SendAuth, Base64KnownAnswers) {
  // RFC 4648 section 10.
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(SendAuth, PlainEncodesNulUserNulPasswordAndShowsAMask) {
  Command c = auth_plain("app@example.com", "pässword 1");
  // RFC 4954 section 4 / RFC 4616 section 2: empty authzid.
  ASSERT_EQ(c.wire.rfind("AUTH PLAIN ", 0), 0u);
  EXPECT_EQ(base64_decode(c.wire.substr(11)),
            std::string("\0app@example.com\0", 17) + "pässword 1");
  EXPECT_EQ(c.shown, "AUTH PLAIN ********");
  EXPECT_EQ(auth_plain("tim", "tanstaaftanstaaf").wire, "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
}

TEST(SendAuth, LoginShowsUserButMasksPassword) {
  Command u = auth_login_user("app@example.com");
  EXPECT_EQ(base64_decode(u.wire), "app@example.com");
  EXPECT_EQ(u.shown, u.wire);
  Command p = auth_login_password("hunter2hunter2");
  EXPECT_EQ(base64_decode(p.wire), "hunter2hunter2");
  EXPECT_EQ(p.shown, "********");
}

TEST(SendRedactor, MasksPasswordAndItsEncodings) {
  Redactor r;
  r.add_password("app@example.com", "hunter2hunter2");
  std::string plain_blob = auth_plain("app@example.com", "hunter2hunter2").wire.substr(11);
  EXPECT_EQ(r.redact("535 wrong password hunter2hunter2 for you"),
            "535 wrong password ******** for you");
  EXPECT_EQ(r.redact("AUTH PLAIN " + plain_blob), "AUTH PLAIN ********");
  EXPECT_EQ(r.redact(base64_encode("hunter2hunter2") + " " + base64_encode("hunter2hunter2")),
            "******** ********");
  EXPECT_EQ(r.redact("250 nothing secret here"), "250 nothing secret here");
}

TEST(SendRedactor, ShortPasswordsDoNotMaskOrdinaryText) {
  Redactor r;
  r.add_password("u", "e");
  EXPECT_EQ(r.redact("250 here we go"), "250 here we go");
  EXPECT_EQ(r.redact("334 " + base64_encode("e")), "334 ********");
  Redactor empty;
  empty.add_password("u", "");
  EXPECT_EQ(empty.redact("250 ok"), "250 ok");
}

}  // namespace
}  // namespace herald::cli::send
