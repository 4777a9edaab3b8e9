// smtp::ClientSession SMTP AUTH towards a relay (RFC 4954): PLAIN with an initial response
// (RFC 4616) when offered, else LOGIN; credentials only after STARTTLS; every failure is a
// deferral (4.x.x) that quotes the relay, and no result ever contains the password (the script
// driver checks every MessageDone). Transcript syntax: tests/support/smtp_client_script.h.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "smtp/reply_parser.h"
#include "support/smtp_client_script.h"
#include "support/smtp_client_transcript.h"

namespace herald::smtp::testing {
namespace {

const ClientAuth kAuth{"relayuser", "s3cret-Pw!"};
// base64("\0relayuser\0s3cret-Pw!"), base64("relayuser"), base64("s3cret-Pw!").
constexpr std::string_view kPlainBlob = "AHJlbGF5dXNlcgBzM2NyZXQtUHch";
constexpr std::string_view kLoginUser = "cmVsYXl1c2Vy";
constexpr std::string_view kLoginPassword = "czNjcmV0LVB3IQ==";

// Greeting, EHLO, STARTTLS, handshake and the EHLO over TLS answered with `caps` (S: lines).
std::string tls_then(std::string_view caps) {
  return R"(
    S: 220 relay ESMTP
    C: EHLO client.herald.test
    S: 250-relay
    S: 250 STARTTLS
    C: STARTTLS
    S: 220 2.0.0 go ahead
    tls
    C: EHLO client.herald.test
    S: 250-relay
)" + std::string(caps);
}

std::string auth_plain() {
  return "C: AUTH PLAIN " + std::string(kPlainBlob) + "\n";
}

// AUTH LOGIN up to the password line.
std::string auth_login() {
  return "C: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: " + std::string(kLoginUser) +
         "\nS: 334 UGFzc3dvcmQ6\nC: " + std::string(kLoginPassword) + "\n";
}

const std::string kSendMessage = R"(
    C: MAIL FROM:<a@herald.test>
    C+ RCPT TO:<x@example.com>
    C+ DATA
    S: 250 Ok
    S: 250 Ok
    S: 354 go
    C: Subject: hi
    C:
    C: Hello
    C: .
    S: 250 2.0.0 queued
    done 0 250/2.0.0
    ready
)";

const std::string kQuit = "C: QUIT\nS: 221 Bye\nclose\n";

const std::vector<Case>& cases() {
  Options auth;
  auth.auth = kAuth;
  Options no_tls = auth;
  no_tls.tls_available = false;
  const std::vector<OutgoingMessage> one{msg({"x@example.com"}, kBody)};  // as "submit 0"
  const std::vector<OutgoingMessage> none;
  static const std::vector<Case> all = {
      {"plain_preferred", auth, one,
       "submit 0\n" + tls_then("S: 250-PIPELINING\nS: 250 AUTH LOGIN PLAIN\n") + auth_plain() +
           "S: 235 2.7.0 Authentication successful\n" + kSendMessage},
      {"login_when_no_plain", auth, one,
       "submit 0\n" + tls_then("S: 250-PIPELINING\nS: 250 AUTH LOGIN CRAM-MD5\n") + auth_login() +
           "S: 235 2.7.0 ok\n" + kSendMessage},
      {"old_style_auth_equals", auth, none,
       tls_then("S: 250 AUTH=LOGIN\n") + auth_login() + "S: 235 2.7.0 ok\nready\n"},
      {"no_auth_without_credentials",
       {},
       none,
       tls_then("S: 250 AUTH PLAIN LOGIN\n") + "ready\nsilent\n"},
      {"wrong_password_defers_with_the_relays_words", auth, one,
       "submit 0\n" + tls_then("S: 250 AUTH PLAIN\n") + auth_plain() + R"(
        S: 535 5.7.8 Authentication credentials invalid
        done 0 451/4.7.8
        local 0
        stage 0 AUTH
        reason 0 535 5.7.8 Authentication credentials invalid
        reason 0 check the credentials
)" + kQuit},
      {"auth_5xx_without_enhanced_code", auth, one,
       "submit 0\n" + tls_then("S: 250 AUTH PLAIN\n") + auth_plain() + R"(
        S: 504 unrecognized authentication type
        done 0 451/4.7.0
        reason 0 504 unrecognized authentication type
)" + kQuit},
      {"auth_4xx_defers_as_the_server_said", auth, one,
       "submit 0\n" + tls_then("S: 250 AUTH LOGIN\n") + auth_login() + R"(
        S: 454 4.7.0 Temporary authentication failure
        done 0 454/4.7.0
        remote 0
        stage 0 AUTH
)" + kQuit},
      {"no_starttls_no_credentials_sent", auth, one, R"(
        submit 0
        S: 220 relay ESMTP
        C: EHLO client.herald.test
        S: 250-relay
        S: 250 AUTH PLAIN LOGIN
        done 0 451/4.7.11
        local 0
        stage 0 AUTH
        reason 0 AUTH but the connection is not encrypted (the server does not offer STARTTLS)
)" + kQuit},
      {"starttls_refused_no_credentials_sent", auth, one, R"(
        submit 0
        S: 220 relay ESMTP
        C: EHLO client.herald.test
        S: 250-relay
        S: 250-STARTTLS
        S: 250 AUTH PLAIN
        C: STARTTLS
        S: 454 4.7.0 TLS not available now
        done 0 451/4.7.11
        reason 0 STARTTLS was refused
)" + kQuit},
      {"tls_unavailable_no_credentials_sent", no_tls, one, R"(
        submit 0
        S: 220 relay ESMTP
        C: EHLO client.herald.test
        S: 250-relay
        S: 250-STARTTLS
        S: 250 AUTH PLAIN
        done 0 451/4.7.11
        reason 0 TLS is not available
)" + kQuit},
      {"auth_not_offered", auth, one,
       "submit 0\n" + tls_then("S: 250 AUTH CRAM-MD5 XOAUTH2\n") + R"(
        done 0 451/4.7.0
        reason 0 relay requires AUTH but the server does not offer AUTH PLAIN or LOGIN
)" + kQuit},
      {"no_auth_keyword_at_all", auth, one, "submit 0\n" + tls_then("S: 250 PIPELINING\n") + R"(
        done 0 451/4.7.0
        stage 0 AUTH
)" + kQuit},
      {"unexpected_challenge_to_plain", auth, one,
       "submit 0\n" + tls_then("S: 250 AUTH PLAIN\n") + auth_plain() + R"(
        S: 334 
        done 0 451/4.5.0
        reason 0 unexpected 334 challenge to AUTH PLAIN
        close
)"},
      {"third_login_prompt", auth, one,
       "submit 0\n" + tls_then("S: 250 AUTH LOGIN\n") + auth_login() + R"(
        S: 334 czNjcmV0LVB3IQ==
        done 0 451/4.5.0
        reason 0 unexpected 334 challenge to AUTH LOGIN
        close
)"},
      {"reply_before_auth_was_sent_is_desync", auth, one,
       "submit 0\n" + tls_then("S: 250 AUTH PLAIN\nS: 235 2.7.0 too early\n") + auth_plain() +
           R"(
        done 0 451/4.5.0
        close
)"},
      {"connection_lost_during_auth", auth, one,
       "submit 0\n" + tls_then("S: 250 AUTH PLAIN\n") + auth_plain() + R"(
        closed
        done 0 421/4.4.2
        reason 0 waiting for the reply to AUTH
        close
)"},
      {"timeout_during_auth", auth, one,
       "submit 0\n" + tls_then("S: 250 AUTH PLAIN\n") + auth_plain() + R"(
        timeout-is 300
        timeout
        done 0 421/4.4.2
        reason 0 timed out waiting for the reply to AUTH
        close
)"},
  };
  return all;
}

HERALD_CLIENT_SCRIPT_TESTS(Transcripts, ClientAuthTest, cases());

// A relay whose 535 text echoes what it was sent must still not make Herald's result carry
// the secret: the driver's leak check catches it; here the expectation is made explicit.
TEST(ClientAuth, ResultsNeverContainThePassword) {
  ClientSettings settings;
  settings.auth = kAuth;
  ClientTranscript t(settings);
  t.submit(msg({"x@example.com"}, kBody));
  t.connect();
  t.server("220 relay\r\n");
  t.server("250-relay\r\n250 STARTTLS\r\n");
  t.server("220 go\r\n");
  t.tls_started();
  t.server("250-relay\r\n250 AUTH PLAIN\r\n");
  EXPECT_NE(t.written().find("AUTH PLAIN " + std::string(kPlainBlob) + "\r\n"), std::string::npos);
  EXPECT_TRUE(t.take_dones().empty());
  t.server("535 5.7.8 bad credentials\r\n");
  std::vector<client::MessageDone> dones = t.take_dones();
  ASSERT_EQ(dones.size(), 1u);
  const std::vector<RecipientResult>& results = dones[0].results;
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].code, 451);
  EXPECT_FALSE(results[0].permanent());
  for (std::string_view secret : {std::string_view("s3cret-Pw!"), kLoginPassword, kPlainBlob})
    EXPECT_EQ(results[0].text.find(secret), std::string::npos) << results[0].text;
}

TEST(ClientAuth, CapabilitiesParseMechanisms) {
  struct Row {
    const char* line;
    bool plain, login;
  } rows[] = {{"AUTH PLAIN LOGIN", true, true},
              {"auth login", false, true},
              {"AUTH=PLAIN", true, false},
              {"AUTH CRAM-MD5", false, false},
              {"AUTH", false, false},
              {"AUTHX PLAIN", false, false},
              {"AUTH XPLAIN LOGINX", false, false}};
  for (const Row& r : rows) {
    ServerReply reply;
    reply.code = 250;
    reply.lines = {"relay", r.line};
    Capabilities caps = parse_capabilities(reply);
    EXPECT_EQ(caps.auth_plain, r.plain) << r.line;
    EXPECT_EQ(caps.auth_login, r.login) << r.line;
  }
}

}  // namespace
}  // namespace herald::smtp::testing
