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
//
// A test file keeps its cases in a table and registers them with HERALD_CLIENT_SCRIPT_TESTS.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "smtp/client_session.h"
#include "support/smtp_client_transcript.h"

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
  std::string script;
};

// Runs the transcript; failures are reported through GoogleTest.
void run_client_script(const Case& c);

inline void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

// The parameterised fixture of the transcript tables (one test per Case).
class ClientScriptTest : public ::testing::TestWithParam<Case> {};

// Names each instantiated test after its case.
struct CaseName {
  std::string operator()(const ::testing::TestParamInfo<Case>& info) const {
    return info.param.name;
  }
};

}  // namespace herald::smtp::testing

// Registers PREFIX/SUITE.Transcript/<case name>, one test running run_client_script() per Case
// of CASES (a std::vector<Case>). Use at namespace scope, followed by a semicolon.
#define HERALD_CLIENT_SCRIPT_TESTS(PREFIX, SUITE, CASES)              \
  using SUITE = ::herald::smtp::testing::ClientScriptTest;            \
  TEST_P(SUITE, Transcript) {                                         \
    ::herald::smtp::testing::run_client_script(GetParam());           \
  }                                                                   \
  INSTANTIATE_TEST_SUITE_P(PREFIX, SUITE, ::testing::ValuesIn(CASES), \
                           ::herald::smtp::testing::CaseName())
