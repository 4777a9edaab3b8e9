#include "sasl/sasl_mechanisms.h"

#include <gtest/gtest.h>

namespace herald::sasl {
namespace {

TEST(SaslMechanisms, Base64RoundTripAndStrictness) {
  EXPECT_EQ(encode_base64(std::string("\0a\0b", 4)), "AGEAYg==");
  EXPECT_EQ(encode_base64(""), "");
  auto d = decode_base64("AGEAYg==");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, std::string("\0a\0b", 4));
  d = decode_base64("");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, "");
  for (auto bad : {"AGEAYg=", "AGEAYg", "AGE AYg==", "AGEAYg==\n", "!!!!", "AGEAYg==AAAA",
                   "T\xff\xff\xff", "A===", "AB=A"}) {
    EXPECT_FALSE(decode_base64(bad)) << bad;
  }
}

TEST(SaslMechanisms, PlainMessages) {
  struct Case {
    std::string message;
    bool ok;
    std::string user, password;
  };
  using namespace std::string_literals;
  const Case cases[] = {
      {"\0alice@example.com\0secret"s, true, "alice@example.com", "secret"},
      {"alice@example.com\0alice@example.com\0secret"s, true, "alice@example.com", "secret"},
      {"bob@example.com\0alice@example.com\0secret"s, false, "", ""},
      {"\0\0secret"s, false, "", ""},
      {"alice@example.com\0secret"s, false, "", ""},
      {"\0alice@example.com\0sec\0ret"s, false, "", ""},
      {"\0alice@example.com\0"s, true, "alice@example.com", ""},
  };
  for (const auto& c : cases) {
    auto r = decode_plain_message(c.message);
    ASSERT_EQ(r.has_value(), c.ok);
    if (r) {
      EXPECT_EQ(r->user, c.user);
      EXPECT_EQ(r->password, c.password);
    }
  }
}

TEST(SaslMechanisms, PlainExchange) {
  Exchange e(Mechanism::plain);
  auto s = e.start(std::nullopt);
  ASSERT_TRUE(std::holds_alternative<Exchange::Challenge>(s));
  EXPECT_EQ(std::get<Exchange::Challenge>(s).base64, "");
  s = e.respond(encode_base64(std::string("\0u@example.com\0pw", 17)));
  ASSERT_TRUE(std::holds_alternative<Exchange::Done>(s));
  EXPECT_EQ(std::get<Exchange::Done>(s).credentials.user, "u@example.com");
  EXPECT_EQ(std::get<Exchange::Done>(s).credentials.password, "pw");

  Exchange e2(Mechanism::plain);
  s = e2.start("=");
  ASSERT_TRUE(std::holds_alternative<Exchange::Failed>(s));
  EXPECT_EQ(std::get<Exchange::Failed>(s).failure, Exchange::Failure::malformed);

  Exchange e3(Mechanism::plain);
  s = e3.start("***");
  ASSERT_TRUE(std::holds_alternative<Exchange::Failed>(s));
  EXPECT_EQ(std::get<Exchange::Failed>(s).failure, Exchange::Failure::bad_base64);
}

TEST(SaslMechanisms, LoginExchange) {
  Exchange e(Mechanism::login);
  auto s = e.start(std::nullopt);
  ASSERT_TRUE(std::holds_alternative<Exchange::Challenge>(s));
  EXPECT_EQ(std::get<Exchange::Challenge>(s).base64, "VXNlcm5hbWU6");
  s = e.respond(encode_base64("u@example.com"));
  ASSERT_TRUE(std::holds_alternative<Exchange::Challenge>(s));
  EXPECT_EQ(std::get<Exchange::Challenge>(s).base64, "UGFzc3dvcmQ6");
  s = e.respond(encode_base64("pw"));
  ASSERT_TRUE(std::holds_alternative<Exchange::Done>(s));
  EXPECT_EQ(std::get<Exchange::Done>(s).credentials.user, "u@example.com");
  EXPECT_EQ(std::get<Exchange::Done>(s).credentials.password, "pw");

  Exchange cancel(Mechanism::login);
  cancel.start(encode_base64("u@example.com"));
  s = cancel.respond("*");
  ASSERT_TRUE(std::holds_alternative<Exchange::Failed>(s));
  EXPECT_EQ(std::get<Exchange::Failed>(s).failure, Exchange::Failure::cancelled);

  Exchange empty_user(Mechanism::login);
  s = empty_user.start("=");
  ASSERT_TRUE(std::holds_alternative<Exchange::Failed>(s));
}

TEST(SaslMechanisms, MechanismNames) {
  EXPECT_EQ(parse_mechanism("plain"), Mechanism::plain);
  EXPECT_EQ(parse_mechanism("LOGIN"), Mechanism::login);
  EXPECT_FALSE(parse_mechanism("CRAM-MD5"));
  EXPECT_EQ(mechanism_name(Mechanism::plain), "PLAIN");
}

}  // namespace
}  // namespace herald::sasl
