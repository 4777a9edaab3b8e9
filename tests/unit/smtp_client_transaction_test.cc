// smtp::ClientSession mail transactions against a scripted server: lock-step and pipelined
// MAIL/RCPT/DATA, BDAT, per-recipient results, RSET, dot-stuffing, SIZE, SMTPUTF8, 8BITMIME,
// several messages over one connection.
// Transcript syntax: tests/support/smtp_client_script.h.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/smtp_client_script.h"

namespace herald::smtp::testing {
namespace {

// A message over the SIZE limit of the "size_limit" case (limit 100).
const std::string kBigBody = std::string(150, 'x') + "\r\n";

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"lock_step", {}, {msg({"x@example.com"}, kBody)}, R"(
        timeout-is 300
        S: 220 mx.example.com ESMTP
        C: EHLO client.herald.test
        S: 250-mx.example.com
        S: 250 8BITMIME
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        silent
        timeout-is 300
        S: 250 2.1.0 Ok
        C: RCPT TO:<x@example.com>
        silent
        S: 250 2.1.5 Ok
        C: DATA
        timeout-is 120
        S: 354 End data with <CR><LF>.<CR><LF>
        C: Subject: hi
        C+
        C+ Hello
        C+ .
        timeout-is 600
        S: 250 2.0.0 Ok: queued as 123
        done 0 250/2.0.0
        remote 0
        stage 0 end of data
        reason 0 queued as 123
        ready
        quit
        C: QUIT
        S: 221 2.0.0 Bye
        close
      )"},
      {"pipelining", {}, {msg({"x@example.com", "y@example.com"}, kBody)}, R"(
        submit 0
        S: 220 mx.example.com ESMTP
        C: EHLO client.herald.test
        S: 250-mx.example.com
        S: 250-PIPELINING
        S: 250-SIZE 1000
        S: 250 ENHANCEDSTATUSCODES
        C: MAIL FROM:<a@herald.test> SIZE=22
        C+ RCPT TO:<x@example.com>
        C+ RCPT TO:<y@example.com>
        C+ DATA
        S: 250 2.1.0 Ok
        S: 250 2.1.5 Ok
        S: 550 5.1.1 <y@example.com>: no such user
        S: 354 go ahead
        C: Subject: hi
        C+
        C+ Hello
        C+ .
        S: 250 2.0.0 Ok
        done 0 250/2.0.0 550/5.1.1
        stage 1 RCPT TO
        reason 1 no such user
        ready
      )"},
      {"pipelining_replies_one_by_one", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 PIPELINING
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        C+ RCPT TO:<x@example.com>
        C+ DATA
        S: 250 Ok
        timeout-is 300
        S~ 250 O
        silent
        S~ k\r\n
        timeout-is 120
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        S: 250 Ok
        done 0 250/2.0.0
        ready
      )"},
      {"pipelining_disabled_by_setting",
       {.pipelining = false},
       {msg({"x@example.com"}, kBody)},
       R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 PIPELINING
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        silent
        S: 250 Ok
        C: RCPT TO:<x@example.com>
        silent
        S: 421 4.3.2 shutting down
        done 0 421/4.3.2
        remote 0
        close
      )"},
      {"rcpt_rejections_lock_step",
       {},
       {msg({"x@example.com", "y@example.com", "z@example.com"}, kBody)},
       R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        C: RCPT TO:<x@example.com>
        S: 550 5.1.1 unknown
        C: RCPT TO:<y@example.com>
        S: 452 4.2.2 mailbox full
        C: RCPT TO:<z@example.com>
        S: 250 Ok
        C: DATA
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        S: 250 2.0.0 Ok
        done 0 550/5.1.1 452/4.2.2 250/2.0.0
        ready
      )"},
      {"all_rejected_lock_step_then_rset",
       {},
       {msg({"x@example.com", "y@example.com"}, kBody), msg({"z@example.com"}, kBody)},
       R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        C: RCPT TO:<x@example.com>
        S: 550 5.1.1 unknown
        C: RCPT TO:<y@example.com>
        S: 550 5.1.1 unknown
        done 0 550/5.1.1 550/5.1.1
        ready
        silent
        submit 1
        C: RSET
        silent
        S: 250 2.0.0 Ok
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        C: RCPT TO:<z@example.com>
        S: 250 Ok
        C: DATA
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        S: 250 Ok
        done 1 250/2.0.0
        ready
        quit
        C: QUIT
        S: 221 Bye
        close
      )"},
      {"all_rejected_pipelined_data_refused",
       {},
       {msg({"x@example.com"}, kBody), msg({"z@example.com"}, kBody)},
       R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 PIPELINING
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        C+ RCPT TO:<x@example.com>
        C+ DATA
        S: 250 Ok
        S: 550 5.1.1 unknown
        S: 554 5.5.1 Error: no valid recipients
        done 0 550/5.1.1
        ready
        submit 1
        C: RSET
        C+ MAIL FROM:<a@herald.test>
        C+ RCPT TO:<z@example.com>
        C+ DATA
        S: 250 Ok
        S: 250 Ok
        S: 250 Ok
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        S: 250 Ok
        done 1 250/2.0.0
        ready
      )"},
      {"all_rejected_pipelined_data_accepted", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 PIPELINING
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        C+ RCPT TO:<x@example.com>
        C+ DATA
        S: 250 Ok
        S: 550 5.1.1 unknown
        S: 354 go ahead anyway
        C: .
        silent
        S: 554 5.5.1 no valid recipients
        done 0 550/5.1.1
        reason 0 unknown
        ready
      )"},
      {"mail_refused_lock_step",
       {},
       {msg({"x@example.com", "y@example.com"}, kBody)},
       R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        S: 553 5.7.1 sender rejected
        done 0 553/5.7.1 553/5.7.1
        stage 1 MAIL FROM
        silent
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
      )"},
      {"mail_refused_pipelined", {}, {msg({"x@example.com", "y@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 PIPELINING
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        C+ RCPT TO:<x@example.com>
        C+ RCPT TO:<y@example.com>
        C+ DATA
        S: 451 4.3.0 try later
        S: 503 5.5.1 need MAIL
        S: 503 5.5.1 need MAIL
        S: 503 5.5.1 need MAIL
        done 0 451/4.3.0 451/4.3.0
        reason 1 try later
        ready
        silent
      )"},
      {"temp_failure_at_end_of_data", {}, {msg({"x@example.com", "y@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 PIPELINING
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        C+ RCPT TO:<x@example.com>
        C+ RCPT TO:<y@example.com>
        C+ DATA
        S: 250 Ok
        S: 550 5.1.1 unknown
        S: 250 Ok
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        S: 451 4.7.1 greylisted, try again later
        done 0 550/5.1.1 451/4.7.1
        stage 1 end of data
        ready
      )"},
      {"perm_failure_at_end_of_data", {}, {msg({"x@example.com"}, kBody)}, R"(
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
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        S: 554 spam detected
        done 0 554/5.0.0
        reason 0 spam detected
        ready
      )"},
      {"data_refused_then_rset",
       {},
       {msg({"x@example.com"}, kBody), msg({"y@example.com"}, kBody)},
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
        S: 250 Ok
        C: DATA
        S: 451 4.3.0 no data today
        done 0 451/4.3.0
        stage 0 DATA
        C: RSET
        S: 250 Ok
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        C: RCPT TO:<y@example.com>
        S: 250 Ok
        C: DATA
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        S: 250 Ok
        done 1 250/2.0.0
        ready
      )"},
      {"rset_refused", {}, {msg({"x@example.com"}, kBody), msg({"y@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        submit 1
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        C: RCPT TO:<x@example.com>
        S: 550 no
        done 0 550/5.0.0
        C: RSET
        S: 500 what
        done 1 451/4.5.0
        reason 0 RSET failed: 500
        close
      )"},
      {"dot_stuffing_and_line_endings",
       {},
       {msg({"x@example.com"}, ".hidden\r\n..\r\nbare\nlf\rcr\r\n.\r\nlast line without CRLF")},
       R"(
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
        S: 354 go
        C: ..hidden
        C+ ...
        C+ bare
        C+ lf
        C+ cr
        C+ ..
        C+ last line without CRLF
        C+ .
        S: 250 Ok
        done 0 250/2.0.0
        ready
      )"},
      {"empty_message", {}, {msg({"x@example.com"}, "")}, R"(
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
        S: 354 go
        C: .
        S: 250 Ok
        done 0 250/2.0.0
        ready
      )"},
      {"size_limit",
       {},
       {msg({"x@example.com", "y@example.com"}, kBigBody), msg({"z@example.com"}, kBody, "")},
       R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 SIZE 100
        ready
        submit 0
        done 0 552/5.3.4 552/5.3.4
        reason 1 message size (152 octets) exceeds the recipient server's limit (100 octets)
        local 0
        stage 0 local checks
        silent
        ready
        submit 1
        C: MAIL FROM:<> SIZE=22
      )"},
      {"smtputf8_missing",
       {},
       {flags(msg({"x@example.com"}, kBody), true, false), msg({"pelé@example.com"}, kBody),
        msg({"x@example.com"}, kBody)},
       R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 8BITMIME
        ready
        submit 0
        done 0 554/5.6.7
        reason 0 recipient's server does not support SMTPUTF8
        ready
        submit 1
        done 1 554/5.6.7
        ready
        submit 2
        C: MAIL FROM:<a@herald.test>
      )"},
      {"smtputf8_and_8bitmime_offered",
       {},
       {flags(msg({"pelé@example.com"}, kBody), false, true),
        flags(msg({"x@example.com"}, kBody), false, true)},
       R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250-SMTPUTF8
        S: 250 8BITMIME
        ready
        submit 0
        C: MAIL FROM:<a@herald.test> BODY=8BITMIME SMTPUTF8
        S: 250 Ok
        C: RCPT TO:<pelé@example.com>
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
        submit 1
        C: MAIL FROM:<a@herald.test> BODY=8BITMIME
      )"},
      {"eight_bit_without_8bitmime", {}, {flags(msg({"x@example.com"}, kBody), false, true)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 PIPELINING
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        C+ RCPT TO:<x@example.com>
        C+ DATA
      )"},
      {"multi_line_replies", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220-mx.example.com ESMTP
        S: 220-Unsolicited bulk mail prohibited
        S: 220 Welcome
        C: EHLO client.herald.test
        S~ 250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE\r\n250-SMTPUTF8\r\n250 8BITMIME\n
        ready
        submit 0
        C: MAIL FROM:<a@herald.test> SIZE=22
        C+ RCPT TO:<x@example.com>
        C+ DATA
        S: 250 Ok
        S: 550-5.1.1 The email account that you tried to reach does not exist.
        S: 550-5.1.1 Please try double-checking the recipient's email address.
        S: 550 5.1.1 Learn more at https://support.example.com
        S: 554 5.5.1 no valid recipients
        done 0 550/5.1.1
        reason 0 does not exist. Please try double-checking the recipient's email address. Learn more
        ready
      )"},
      {"enhanced_code_class_mismatch", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        S: 550 4.1.1 odd
        done 0 550/5.0.0
        reason 0 4.1.1 odd
        ready
      )"},
      {"two_messages_one_connection",
       {},
       {msg({"x@example.com"}, kBody),
        msg({"y@example.com", "z@example.com"}, kBody, "b@herald.test")},
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
        C+ DATA
        S: 250 Ok
        S: 250 Ok
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        silent
        S: 250 2.0.0 Ok: queued as A
        done 0 250/2.0.0
        C: MAIL FROM:<b@herald.test>
        C+ RCPT TO:<y@example.com>
        C+ RCPT TO:<z@example.com>
        C+ DATA
        S: 250 Ok
        S: 250 Ok
        S: 250 Ok
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        S: 250 2.0.0 Ok: queued as B
        done 1 250/2.0.0 250/2.0.0
        reason 1 queued as B
        ready
        quit
        C: QUIT
        S: 221 Bye
        close
      )"},
      {"bdat", {.chunking = true}, {msg({"x@example.com", "y@example.com"}, ".dot\r\n")}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250-PIPELINING
        S: 250 CHUNKING
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        C+ RCPT TO:<x@example.com>
        C+ RCPT TO:<y@example.com>
        S: 250 Ok
        S: 250 Ok
        silent
        S: 550 no
        C: BDAT 6 LAST
        C+ .dot
        timeout-is 600
        S: 250 2.0.0 Ok
        done 0 250/2.0.0 550/5.0.0
        stage 0 BDAT
        ready
      )"},
      {"bdat_failure_then_rset",
       {.chunking = true, .pipelining = false},
       {msg({"x@example.com"}, "hi"), msg({"y@example.com"}, kBody)},
       R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 CHUNKING
        ready
        submit 0
        submit 1
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        C: RCPT TO:<x@example.com>
        S: 250 Ok
        C: BDAT 4 LAST
        C+ hi
        S: 554 5.6.0 rejected
        done 0 554/5.6.0
        C: RSET
        S: 250 Ok
        C: MAIL FROM:<a@herald.test>
      )"},
      {"chunking_not_used_by_default", {}, {msg({"x@example.com"}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 CHUNKING
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        S: 250 Ok
        C: RCPT TO:<x@example.com>
        S: 250 Ok
        C: DATA
      )"},
      {"bad_addresses_never_sent",
       {},
       {msg({"x@example.com\r\nRSET", "y@example.com", ""}, kBody),
        msg({"x@example.com"}, kBody, "a@herald.test>\r\nDATA")},
       R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250-mx
        S: 250 PIPELINING
        ready
        submit 0
        C: MAIL FROM:<a@herald.test>
        C+ RCPT TO:<y@example.com>
        C+ DATA
        S: 250 Ok
        S: 250 Ok
        S: 354 go
        C: Subject: hi
        C:
        C: Hello
        C: .
        S: 250 Ok
        done 0 553/5.1.3 250/2.0.0 553/5.1.3
        ready
        submit 1
        done 1 553/5.1.7
        ready
        silent
      )"},
      {"no_recipients", {}, {msg({}, kBody)}, R"(
        S: 220 mx ESMTP
        C: EHLO client.herald.test
        S: 250 mx
        ready
        submit 0
        done 0
        ready
        silent
      )"},
  };
  return all;
}

HERALD_CLIENT_SCRIPT_TESTS(Cases, SmtpClientTransaction, cases());

}  // namespace
}  // namespace herald::smtp::testing
