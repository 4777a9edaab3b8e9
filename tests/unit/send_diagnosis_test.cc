#include "cli/send_diagnosis.h"

#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <ostream>
#include <string>
#include <vector>

namespace herald::cli::send {
namespace {

using std::chrono::seconds;

TEST(SendEncryption, ParsesTheThreeModesOnly) {
  EXPECT_EQ(parse_encryption("none"), Encryption::none);
  EXPECT_EQ(parse_encryption("starttls"), Encryption::starttls);
  EXPECT_EQ(parse_encryption("ssl"), Encryption::ssl);
  EXPECT_EQ(parse_encryption("tls"), std::nullopt);
  EXPECT_EQ(parse_encryption("SSL"), std::nullopt);
  EXPECT_EQ(parse_encryption(""), std::nullopt);
  for (auto e : {Encryption::none, Encryption::starttls, Encryption::ssl})
    EXPECT_EQ(parse_encryption(to_string(e)), e);
}

TEST(SendEncryption, DefaultPorts) {
  EXPECT_EQ(default_port(Encryption::none), 25);
  EXPECT_EQ(default_port(Encryption::starttls), 587);
  EXPECT_EQ(default_port(Encryption::ssl), 465);
}

struct AdviceCase {
  const char* name;
  Encryption encryption;
  std::uint16_t port;
  bool warns;
  std::string must_contain;  // when warns
};

void PrintTo(const AdviceCase& c, std::ostream* os) {
  *os << c.name;
}

class PortAdvice : public ::testing::TestWithParam<AdviceCase> {};

TEST_P(PortAdvice, WarnsOnlyOnUnconventionalCombinations) {
  const auto& c = GetParam();
  auto advice = port_advice(c.encryption, c.port);
  ASSERT_EQ(advice.has_value(), c.warns);
  if (c.warns) {
    EXPECT_NE(advice->find(c.must_contain), std::string::npos) << *advice;
    EXPECT_NE(advice->find(std::to_string(c.port)), std::string::npos) << *advice;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, PortAdvice,
    ::testing::Values(AdviceCase{"ssl_465", Encryption::ssl, 465, false, ""},
                      AdviceCase{"ssl_587", Encryption::ssl, 587, true, "--encryption starttls"},
                      AdviceCase{"ssl_25", Encryption::ssl, 25, true, "--encryption starttls"},
                      AdviceCase{"ssl_80", Encryption::ssl, 80, true, "--encryption starttls"},
                      AdviceCase{"ssl_2465", Encryption::ssl, 2465, true, "normally runs on"},
                      AdviceCase{"starttls_587", Encryption::starttls, 587, false, ""},
                      AdviceCase{"starttls_25", Encryption::starttls, 25, false, ""},
                      AdviceCase{"starttls_80", Encryption::starttls, 80, false, ""},
                      AdviceCase{"starttls_2525", Encryption::starttls, 2525, false, ""},
                      AdviceCase{"starttls_465", Encryption::starttls, 465, true,
                                 "--encryption ssl"},
                      AdviceCase{"none_25", Encryption::none, 25, false, ""},
                      AdviceCase{"none_465", Encryption::none, 465, true, "--encryption ssl"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(SendClassify, FirstBytes) {
  EXPECT_EQ(classify_first_bytes(""), Speaks::nothing);
  EXPECT_EQ(classify_first_bytes("220 mx.example.com ESMTP"), Speaks::smtp);
  EXPECT_EQ(classify_first_bytes("220-mx.example.com"), Speaks::smtp);
  EXPECT_EQ(classify_first_bytes("220\r\n"), Speaks::smtp);
  EXPECT_EQ(classify_first_bytes("22"), Speaks::smtp);  // partial, still plausible
  EXPECT_EQ(classify_first_bytes("554 5.7.1 go away"), Speaks::smtp);
  EXPECT_EQ(classify_first_bytes(std::string("\x16\x03\x03\x00\x7a", 5)), Speaks::tls);
  EXPECT_EQ(classify_first_bytes(std::string("\x15\x03\x01\x00\x02", 5)), Speaks::tls);
  EXPECT_EQ(classify_first_bytes(std::string("\x16", 1)), Speaks::tls);
  EXPECT_EQ(classify_first_bytes(std::string("\x16\x01", 2)), Speaks::something_else);
  EXPECT_EQ(classify_first_bytes("SSH-2.0-OpenSSH_9.2"), Speaks::something_else);
  EXPECT_EQ(classify_first_bytes("HTTP/1.1 400 Bad Request"), Speaks::something_else);
  EXPECT_EQ(classify_first_bytes("2200 nope"), Speaks::something_else);
  EXPECT_EQ(classify_first_bytes("120 not a final class"), Speaks::something_else);
  EXPECT_EQ(classify_first_bytes("* OK IMAP4rev1"), Speaks::something_else);
}

struct DiagCase {
  const char* name;
  ConnectObservation obs;
  std::vector<std::string> must_contain;  // empty: no diagnosis expected
};

void PrintTo(const DiagCase& c, std::ostream* os) {
  *os << c.name;
}

ConnectObservation obs(Encryption e, std::uint16_t port, std::string first, bool timed_out,
                       bool probe, std::string tls_error) {
  ConnectObservation o;
  o.encryption = e;
  o.port = port;
  o.first_bytes = std::move(first);
  o.greeting_timed_out = timed_out;
  o.greeting_wait = seconds(5);
  o.tls_probe_sent = probe;
  o.tls_error = std::move(tls_error);
  return o;
}

const std::string kTlsHello("\x16\x03\x03\x00\x7a\x02", 6);

class Diagnose : public ::testing::TestWithParam<DiagCase> {};

TEST_P(Diagnose, ExplainsMismatchesInPlainWords) {
  const auto& c = GetParam();
  auto d = diagnose_connection(c.obs);
  if (c.must_contain.empty()) {
    EXPECT_FALSE(d.has_value()) << *d;
    return;
  }
  ASSERT_TRUE(d.has_value());
  for (const auto& s : c.must_contain) EXPECT_NE(d->find(s), std::string::npos) << *d;
}

INSTANTIATE_TEST_SUITE_P(
    Table, Diagnose,
    ::testing::Values(
        // (a) --encryption ssl, the port talks plain SMTP.
        DiagCase{
            "ssl_on_plain_port_seen_greeting",
            obs(Encryption::ssl, 587, "220 mx.example.com", false, false, "wrong version number"),
            {"port 587 answers in plain text", "\"220 mx.example.com\"",
             "expects STARTTLS (or no encryption), not SSL/TLS", "Use --encryption starttls."}},
        DiagCase{"ssl_on_plain_port_only_openssl_error",
                 obs(Encryption::ssl, 25, "", false, false, "packet length too long"),
                 {"port 25 did not answer with TLS (packet length too long)",
                  "Use --encryption starttls."}},
        DiagCase{"ssl_other_tls_error_is_not_a_mismatch",
                 obs(Encryption::ssl, 465, kTlsHello, false, false, "unsupported protocol"),
                 {}},
        DiagCase{"ssl_closed_without_bytes_is_unknown",
                 obs(Encryption::ssl, 465, "", false, false, "the server closed the connection"),
                 {}},
        DiagCase{"ssl_handshake_ok_means_nothing_to_say",
                 obs(Encryption::ssl, 465, kTlsHello, false, false, ""),
                 {}},
        DiagCase{"ssl_on_ssh_port",
                 obs(Encryption::ssl, 22, "SSH-2.0-OpenSSH", false, false, "wrong version number"),
                 {"port 22 does not answer like an SMTP server", "SSH-2.0-OpenSSH",
                  "check --host and --port"}},
        // (b) --encryption starttls|none, the port expects implicit TLS.
        DiagCase{
            "starttls_silent_then_tls_answer",
            obs(Encryption::starttls, 465, kTlsHello, true, true, ""),
            {"port 465 sent no SMTP greeting but answers a TLS handshake",
             "implicit TLS (SSL/TLS, usually port 465), not STARTTLS", "Use --encryption ssl."}},
        DiagCase{"none_silent_then_tls_answer",
                 obs(Encryption::none, 10465, kTlsHello, true, true, ""),
                 {"port 10465", "not plain text", "Use --encryption ssl."}},
        DiagCase{
            "starttls_silent_no_probe",
            obs(Encryption::starttls, 465, "", true, false, ""),
            {"port 465 sent no SMTP greeting within 5 s", "Use --encryption ssl.", "--timeout"}},
        DiagCase{"starttls_silent_probe_unanswered",
                 obs(Encryption::starttls, 465, "", true, true, ""),
                 {"sent no SMTP greeting within 5 s", "did not answer a TLS handshake either",
                  "--encryption ssl"}},
        DiagCase{"starttls_spontaneous_tls_bytes",
                 obs(Encryption::starttls, 465, kTlsHello, false, false, ""),
                 {"answered with TLS data instead of an SMTP greeting", "Use --encryption ssl."}},
        DiagCase{"starttls_greeting_after_probe_is_slowness",
                 obs(Encryption::starttls, 587, "220 slow.example", true, true, ""),
                 {"only after more than 5 s", "larger --timeout"}},
        DiagCase{"starttls_normal_greeting",
                 obs(Encryption::starttls, 587, "220 ok", false, false, ""),
                 {}},
        DiagCase{
            "starttls_eof_without_bytes", obs(Encryption::starttls, 587, "", false, false, ""), {}},
        DiagCase{"none_http_server",
                 obs(Encryption::none, 80, "HTTP/1.1 400 Bad\r\n", false, false, ""),
                 {"port 80 does not answer like an SMTP server", "\"HTTP/1.1 400 Bad\""}}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(SendPrintable, EscapesAndCuts) {
  EXPECT_EQ(printable_prefix("220 ok\r\nmore"), "220 ok");
  EXPECT_EQ(printable_prefix(std::string("\x16\x03\x01", 3)), "\\x16\\x03\\x01");
  EXPECT_EQ(printable_prefix("abcdef", 3), "abc...");
  EXPECT_EQ(printable_prefix(""), "");
}

TEST(SendVerify, NamesTheWayOut) {
  auto mismatch = describe_verify_failure(X509_V_ERR_HOSTNAME_MISMATCH, "mail.example.com");
  EXPECT_NE(mismatch.find("not valid for mail.example.com"), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("--insecure"), std::string::npos);
  auto self = describe_verify_failure(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "h");
  EXPECT_NE(self.find("self-signed"), std::string::npos) << self;
  EXPECT_NE(self.find("--cafile FILE"), std::string::npos) << self;
  auto expired = describe_verify_failure(X509_V_ERR_CERT_HAS_EXPIRED, "h");
  EXPECT_NE(expired.find("expired"), std::string::npos) << expired;
  auto other = describe_verify_failure(X509_V_ERR_CERT_REVOKED, "h");
  EXPECT_NE(other.find("revoked"), std::string::npos) << other;
}

}  // namespace
}  // namespace herald::cli::send
