// Scripted fake server for smtp::ClientSession tests: each Case is a transcript checked step
// by step, with the exact bytes the client writes.
//
// Script syntax (one directive per line):
//   S: <line>        the server sends <line> + CRLF. Consecutive S directives are delivered
//   S~ <text>        together in one receive() at the next other directive (a pipelined
//   S% <n> <text>    burst); S~ adds no CRLF and takes escapes (\r \n \t \0 \\ \xHH);
//                    S% sends <text> (escapes) <n> times.
//   C: <line>        the client's next written line is exactly <line> (CRLF stripped)
//   C+ <line>        ... and it was written in the same Send as the previous line
//   silent           the client has written nothing more
//   unconnected      (first line only) do not call on_connected() at the start
//   submit <i>       submit the case's message <i>
//   quit / timeout / closed [detail] / connect
//   tls / tls-fail <reason>   a StartTls is pending; complete or fail the handshake
//   starttls         a StartTls is pending (consumed, not answered)
//   ready            a Ready was emitted (consumed)
//   done <i> <code>/<enh>...  a MessageDone for message <i>, one code/enhanced per recipient
//   reason <r> <substring>    recipient r of the last MessageDone: text contains substring
//   local <r> / remote <r>    ... the result was made up by Herald / came from the server
//   stage <r> <name>          ... client_stage_name of its stage
//   close            a Close was emitted (consumed)
//   timeout-is <s>   current_timeout() is <s> seconds
//   tls-active yes|no
// With Options::auth, every MessageDone is checked: no result text may contain the password,
// its base64 form or the AUTH PLAIN blob.
// At the end nothing emitted may be left unmatched.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/client_session.h"

namespace herald::smtp::testing {

struct Options {
  bool require_tls = false;
  bool tls_available = true;
  bool chunking = false;
  bool pipelining = true;
  std::optional<ClientAuth> auth;  // the password may appear in no result text (checked)
};

struct Case {
  const char* name;
  Options options;
  std::vector<OutgoingMessage> messages;  // their data must outlive the run
  const char* script;
};

OutgoingMessage msg(std::vector<std::string> rcpts, std::string_view data,
                    std::string from = "a@herald.test");
OutgoingMessage flags(OutgoingMessage m, bool utf8, bool eight_bit);

inline constexpr std::string_view kBody = "Subject: hi\r\n\r\nHello\r\n";  // 22 octets

// Runs the transcript; failures are reported through GoogleTest.
void run_client_script(const Case& c);

inline void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

}  // namespace herald::smtp::testing
