// smtp::ClientSession connection handling against a scripted server: greeting, EHLO/HELO,
// STARTTLS (opportunistic and required), and every way a server can misbehave: garbage,
// overlong replies, silence, 421, disconnects, desynchronisation.
// Transcript syntax: tests/support/smtp_client_script.h.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/smtp_client_script.h"
#include "support/smtp_client_transcript.h"

namespace herald::smtp::testing {
namespace {

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"helo_fallback", {}, {flags(msg({"x@example.com"}, kBody), false, true)}, R"(
        S: 220 old.example.com SMTP
        C: EHLO client.herald.test
        S: 502 5.5.2 Command not recognized
        C: HELO client.herald.test
        S: 250 old.example.com
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        C: RCPT TO:<x@example.com>
        S: 250 Ok
        C: DATA
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        S: 250 Ok
        done 0 250/2.0.0
        ready
      )"},
      {"helo_refused", {}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        S: 220 old.example.com SMTP
        C: EHLO client.herald.test
        S: 500 what
        C: HELO client.herald.test
        S: 550 5.7.1 go away
        done 0 550/5.7.1
        stage 0 HELO
        C: QUIT
        S: 221 Bye
        close
      )"},
      {"starttls_opportunistic", {}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250-PIPELINING
        S: 250 STARTTLS
        C: STARTTLS
        S: 220 2.0.0 Ready to start TLS
        tls-active no
        timeout-is 300
        tls
        tls-active yes
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 PIPELINING
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
        S: 250 Ok
        done 0 250/2.0.0
        ready
      )"},
      {"starttls_refused_opportunistic", {}, {}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 STARTTLS
        C: STARTTLS
        S: 454 4.7.0 TLS not available
        ready
        tls-active no
      )"},
      {"starttls_not_usable_by_client", {.tls_available = false}, {}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 STARTTLS
        ready
        silent
      )"},
      {"require_tls_not_offered",
       {.require_tls = true},
       {msg({"x@example.com", "y@example.com"}, kBody)},
       R"(
        submit 0
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 PIPELINING
        done 0 451/4.7.4 451/4.7.4
        local 1
        reason 0 does not offer STARTTLS
        C: QUIT
        S: 221 Bye
        close
      )"},
      {"require_tls_after_helo", {.require_tls = true}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 502 no
        C: HELO client.herald.test
        S: 250 mx
        done 0 451/4.7.4
        C: QUIT
        timeout
        close
      )"},
      {"require_tls_refused", {.require_tls = true}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 STARTTLS
        C: STARTTLS
        S: 454 4.7.0 TLS not available due to temporary reason
        done 0 451/4.7.4
        reason 0 STARTTLS was refused: 454 4.7.0 TLS not available
        C: QUIT
        S: 221 Bye
        close
      )"},
      {"require_tls_ok", {.require_tls = true}, {}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 STARTTLS
        C: STARTTLS
        S: 220 Go ahead
        tls
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 STARTTLS
        ready
        silent
        tls-active yes
      )"},
      {"tls_handshake_fails",
       {},
       {msg({"x@example.com"}, kBody), msg({"z@example.com"}, kBody)},
       R"(
        submit 0
        submit 1
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 STARTTLS
        C: STARTTLS
        S: 220 Go ahead
        tls-fail certificate verify failed
        done 0 451/4.7.5
        reason 0 TLS handshake failed: certificate verify failed
        stage 0 TLS handshake
        done 1 451/4.7.5
        silent
        close
      )"},
      {"starttls_response_injection", {}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 STARTTLS
        C: STARTTLS
        S: 220 Go ahead
        S: 250-mx
        S: 250 PIPELINING
        done 0 451/4.7.0
        reason 0 after its 220 reply to STARTTLS
        close
      )"},
      {"plaintext_during_handshake", {}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 STARTTLS
        C: STARTTLS
        S: 220 Go ahead
        silent
        starttls
        S: 250 surprise
        done 0 451/4.7.0
        close
      )"},
      {"garbage_greeting", {}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        S: HTTP/1.1 400 Bad Request
        done 0 451/4.5.0
        reason 0 malformed reply line "HTTP/1.1 400 Bad Request"
        stage 0 greeting
        local 0
        silent
        close
        S: 220 too late
        silent
      )"},
      {"binary_garbage_mid_transaction", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        S~ 25\x00\xff\x1b[0m\r\n
        done 0 451/4.5.0
        stage 0 MAIL FROM
        close
      )"},
      {"multi_line_code_change", {}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        S: 220-mx ESMTP
        S: 250 wrong
        done 0 451/4.5.0
        reason 0 changes its code
        close
      )"},
      {"overlong_reply_line", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        S~ 250\x20
        S% 5000 x
        done 0 451/4.5.0
        reason 0 reply line longer than 2048 octets
        close
      )"},
      {"too_many_reply_lines", {}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S% 150 250-KEYWORD\r\n
        done 0 451/4.5.0
        reason 0 reply longer than 100 lines
        stage 0 EHLO
        close
      )"},
      {"unexpected_code", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        C: RCPT TO:<x@example.com>
        S: 250 Ok
        C: DATA
        S: 250 Ok
        done 0 451/4.5.0
        reason 0 unexpected reply 250 Ok to DATA
        close
      )"},
      {"extra_replies_out_of_sync", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        S: 354 go
        C: RCPT TO:<x@example.com>
        done 0 451/4.5.0
        reason 0 more replies than commands
        close
      )"},
      {"unsolicited_reply_while_idle", {}, {}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        S: 250 hello?
        close
      )"},
      {"server_idle_timeout_421", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        S: 421 4.4.2 mx Error: timeout exceeded
        close
        submit 0
        done 0 421/4.4.2
        reason 0 connection already closed
      )"},
      {"no_banner", {}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        timeout-is 300
        timeout
        done 0 421/4.4.2
        reason 0 timed out waiting for the server greeting
        stage 0 greeting
        close
        timeout
        closed
      )"},
      {"banner_554", {}, {msg({"x@example.com", "y@example.com"}, kBody)}, R"(
        submit 0
        S: 554 mx.example.com no SMTP service here
        done 0 554/5.0.0 554/5.0.0
        stage 0 greeting
        remote 0
        C: QUIT
        S: 221 Bye
        close
      )"},
      {"banner_421", {}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        S: 421 4.3.2 too busy
        done 0 421/4.3.2
        silent
        close
      )"},
      {"banner_not_220", {}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        S: 250 hello
        done 0 451/4.5.0
        reason 0 unexpected reply 250 hello to greeting
        close
      )"},
      {"ehlo_421", {}, {msg({"x@example.com"}, kBody)}, R"(
        submit 0
        S: 220 mx
        C: EHLO client.herald.test
        S: 421 4.7.0 too many connections
        done 0 421/4.7.0
        close
      )"},
      {"never_answers_end_of_data", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        C: RCPT TO:<x@example.com>
        timeout-is 300
        S: 250 Ok
        C: DATA
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        timeout-is 600
        timeout
        done 0 421/4.4.2
        reason 0 timed out waiting for the reply to the message data
        close
      )"},
      {"dropped_mid_data",
       {},
       {msg({"x@example.com", "y@example.com"}, kBody), msg({"z@e.com"}, kBody)},
       R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        submit 1
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        C: RCPT TO:<x@example.com>
        S: 550 5.1.1 no
        C: RCPT TO:<y@example.com>
        S: 250 Ok
        C: DATA
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        closed Connection reset by peer
        done 0 550/5.1.1 421/4.4.2
        reason 1 connection lost while sending the message data or awaiting the reply to it: Connection reset by peer
        stage 1 end of data
        done 1 421/4.4.2
        close
        closed
      )"},
      {"dropped_while_waiting_rcpt", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        C: RCPT TO:<x@example.com>
        closed
        done 0 421/4.4.2
        reason 0 connection lost while waiting for the reply to RCPT TO
        close
      )"},
      {"connect_failed", {}, {msg({"x@example.com"}, kBody)}, R"(
        unconnected
        submit 0
        timeout-is 30
        closed Connection refused
        done 0 421/4.4.1
        reason 0 cannot connect: Connection refused
        stage 0 connect
        close
      )"},
      {"connect_timeout", {}, {msg({"x@example.com"}, kBody)}, R"(
        unconnected
        submit 0
        timeout
        done 0 421/4.4.1
        close
      )"},
      {"receive_implies_connected", {}, {}, R"(
        unconnected
        S: 220 mx
        C: EHLO client.herald.test
      )"},
      {"closed_while_idle", {}, {}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        closed
        close
      )"},
      {"idle_timeout_quits", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        timeout-is 300
        timeout
        C: QUIT
        submit 0
        done 0 421/4.4.2
        S: 221 Bye
        close
      )"},
      {"quit_before_anything", {}, {}, R"(
        quit
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        C: QUIT
        S: garbage
        close
      )"},
      {"rcpt_421_defers_everything",
       {},
       {msg({"x@example.com", "y@example.com"}, kBody), msg({"z@example.com"}, kBody)},
       R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 PIPELINING
        ready
        submit 0
        submit 1
        C: MAIL FROM:<a@herald.test>
        C+ RCPT TO:<x@example.com>
        C+ RCPT TO:<y@example.com>
        C+ DATA
        S: 250 Ok
        S: 550 5.1.1 unknown
        S: 421 4.7.0 closing
        done 0 550/5.1.1 421/4.7.0
        done 1 421/4.7.0
        silent
        close
      )"},
      {"submit_while_quitting", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        quit
        C: QUIT
        submit 0
        done 0 421/4.4.2
        S: 221 Bye
        close
      )"},
  };
  return all;
}

HERALD_CLIENT_SCRIPT_TESTS(Cases, SmtpClientSession, cases());

// Capabilities learnt before STARTTLS are forgotten (RFC 3207 §4.2).
TEST(SmtpClientSessionCaps, ForgottenAfterTls) {
  ClientTranscript t;
  const ClientSession& s = t.session();
  t.connect();
  t.server("220 mx\r\n");
  t.server("250-mx\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 STARTTLS\r\n");
  EXPECT_TRUE(s.capabilities().pipelining);
  EXPECT_EQ(s.capabilities().size_limit, 1000u);
  EXPECT_EQ(t.take_start_tls(), 0);  // not before the 220 to STARTTLS
  t.server("220 go\r\n");
  EXPECT_EQ(t.take_start_tls(), 1);
  t.tls_started();
  EXPECT_FALSE(s.capabilities().pipelining);
  EXPECT_FALSE(s.capabilities().esmtp);
  t.server("250-mx\r\n250 SMTPUTF8\r\n");
  EXPECT_TRUE(s.capabilities().smtputf8);
  EXPECT_FALSE(s.capabilities().starttls);
  EXPECT_TRUE(s.idle());
  EXPECT_EQ(t.written(), "EHLO localhost\r\nSTARTTLS\r\nEHLO localhost\r\n");
}

// Every stage's timeout is the RFC 5321 §4.5.3.2 value, and configurable.
TEST(SmtpClientSessionTimeouts, FollowSettings) {
  ClientSettings settings;
  settings.timeouts.greeting = std::chrono::seconds(11);
  settings.timeouts.mail = std::chrono::seconds(12);
  settings.timeouts.rcpt = std::chrono::seconds(13);
  settings.timeouts.data_init = std::chrono::seconds(14);
  settings.timeouts.data_end = std::chrono::seconds(15);
  settings.timeouts.command = std::chrono::seconds(16);
  settings.use_pipelining = false;
  ClientTranscript t(settings);
  t.submit(msg({"c@d.example"}, "x\r\n", "a@b.example"));
  t.connect();
  // The stage's timeout after each server line, in the order of the dialog.
  const struct {
    const char* server;
    long timeout;
  } steps[] = {{nullptr, 11},      {"220 mx\r\n", 16}, {"250 mx\r\n", 12}, {"250 ok\r\n", 13},
               {"250 ok\r\n", 14}, {"354 go\r\n", 15}, {"250 ok\r\n", 16}};  // last: idle
  for (const auto& step : steps) {
    if (step.server) t.server(step.server);
    EXPECT_EQ(t.session().current_timeout().count(), step.timeout)
        << "after " << (step.server ? step.server : "connect");
  }
}

}  // namespace
}  // namespace herald::smtp::testing
