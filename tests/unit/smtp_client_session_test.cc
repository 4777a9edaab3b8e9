// smtp::ClientSession against a scripted fake server: each case is a transcript checked step
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
// At the end nothing emitted may be left unmatched.
#include <gtest/gtest.h>

#include <deque>
#include <sstream>
#include <string>
#include <vector>

#include "smtp/client_session.h"

namespace herald::smtp {
namespace {

std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char e = s[++i];
    if (e == 'r') {
      out.push_back('\r');
    } else if (e == 'n') {
      out.push_back('\n');
    } else if (e == 't') {
      out.push_back('\t');
    } else if (e == '0') {
      out.push_back('\0');
    } else if (e == 'x') {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(e);
    }
  }
  return out;
}

struct Options {
  bool require_tls = false;
  bool tls_available = true;
  bool chunking = false;
  bool pipelining = true;
};

struct Case {
  const char* name;
  Options options;
  std::vector<OutgoingMessage> messages;
  const char* script;
};

OutgoingMessage msg(std::vector<std::string> rcpts, std::string_view data,
                    std::string from = "a@herald.test") {
  OutgoingMessage m;
  m.mail_from = std::move(from);
  m.rcpt_to = std::move(rcpts);
  m.data = data;
  return m;
}

OutgoingMessage flags(OutgoingMessage m, bool utf8, bool eight_bit) {
  m.needs_smtputf8 = utf8;
  m.body_8bit = eight_bit;
  return m;
}

constexpr std::string_view kBody = "Subject: hi\r\n\r\nHello\r\n";  // 22 octets

class Driver {
 public:
  explicit Driver(const Case& c) : case_(c) {
    ClientSettings s;
    s.helo_name = "client.herald.test";
    s.require_tls = c.options.require_tls;
    s.tls_available = c.options.tls_available;
    s.use_chunking = c.options.chunking;
    s.use_pipelining = c.options.pipelining;
    session_.emplace(s);
  }

  void run() {
    std::istringstream in(case_.script);
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
      ++lineno_;
      std::size_t start = line.find_first_not_of(' ');
      if (start == std::string::npos) continue;
      line.erase(0, start);
      if (first && line != "unconnected") session_->on_connected();
      first = false;
      if (line == "unconnected") continue;
      step(line);
      if (failed_) return;
    }
    deliver();
    EXPECT_TRUE(lines_.empty()) << case_.name
                                << ": unmatched client line: " << lines_.front().first;
    EXPECT_EQ(readies_, 0) << case_.name << ": unmatched Ready";
    EXPECT_TRUE(dones_.empty()) << case_.name << ": unmatched MessageDone";
    EXPECT_EQ(closes_, 0) << case_.name << ": unmatched Close";
    EXPECT_EQ(tls_pending_, 0) << case_.name << ": StartTls left pending";
  }

 private:
  void fail(const std::string& what) {
    ADD_FAILURE() << case_.name << ":" << lineno_ << ": " << what;
    failed_ = true;
  }

  void drain() {
    while (auto a = session_->next_action()) {
      if (auto* send = std::get_if<client::Send>(&*a)) {
        ++send_id_;
        partial_ += send->bytes;
        std::size_t pos;
        while ((pos = partial_.find("\r\n")) != std::string::npos) {
          lines_.push_back({partial_.substr(0, pos), send_id_});
          partial_.erase(0, pos + 2);
        }
      } else if (std::holds_alternative<client::StartTls>(*a)) {
        ++tls_pending_;
      } else if (auto* d = std::get_if<client::MessageDone>(&*a)) {
        dones_.push_back(*d);
      } else if (std::holds_alternative<client::Ready>(*a)) {
        ++readies_;
      } else if (std::holds_alternative<client::Close>(*a)) {
        ++closes_;
      }
    }
  }

  void deliver() {
    if (!server_.empty()) session_->receive(server_);
    server_.clear();
    drain();
  }

  void expect_line(const std::string& want, bool same_send) {
    if (lines_.empty()) return fail("expected client line '" + want + "', got nothing");
    auto [got, id] = lines_.front();
    lines_.pop_front();
    if (got != want) return fail("expected client line '" + want + "', got '" + got + "'");
    if (same_send && id != last_send_) fail("'" + want + "' was written in a separate Send");
    last_send_ = id;
  }

  void expect_done(std::istringstream& words) {
    std::size_t index = 0;
    words >> index;
    if (dones_.empty()) return fail("expected MessageDone " + std::to_string(index));
    last_done_ = dones_.front();
    dones_.pop_front();
    if (last_done_.index != index) fail("MessageDone for " + std::to_string(last_done_.index));
    std::vector<std::string> got;
    for (const RecipientResult& r : last_done_.results) {
      got.push_back(std::to_string(r.code) + "/" + r.enhanced);
    }
    std::vector<std::string> want;
    for (std::string w; words >> w;) want.push_back(w);
    if (got != want) {
      std::string g, t;
      for (const auto& r : last_done_.results) g += " " + std::to_string(r.code) + "/" + r.enhanced;
      for (const auto& r : last_done_.results) t += " [" + r.text + "]";
      fail("results:" + g + t);
    }
    const auto& rcpts = case_.messages.at(index).rcpt_to;
    for (std::size_t i = 0; i < last_done_.results.size() && i < rcpts.size(); ++i) {
      if (last_done_.results[i].rcpt != rcpts[i]) fail("result rcpt " + last_done_.results[i].rcpt);
    }
  }

  const RecipientResult* result(std::istringstream& words) {
    std::size_t r = 0;
    words >> r;
    if (r >= last_done_.results.size()) {
      fail("no result " + std::to_string(r));
      return nullptr;
    }
    words >> std::ws;
    return &last_done_.results[r];
  }

  void step(const std::string& line) {
    std::size_t sp = line.find(' ');
    std::string cmd = line.substr(0, sp);
    std::string rest = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (cmd == "S:") return void(server_ += rest + "\r\n");
    if (cmd == "S~") return void(server_ += unescape(rest));
    if (cmd == "S%") {
      std::size_t sp2 = rest.find(' ');
      int n = std::stoi(rest.substr(0, sp2));
      std::string text = unescape(rest.substr(sp2 + 1));
      for (int i = 0; i < n; ++i) server_ += text;
      return;
    }
    deliver();
    std::istringstream words(rest);
    if (cmd == "C:" || cmd == "C+") return expect_line(rest, cmd == "C+");
    if (cmd == "silent") {
      if (!lines_.empty()) fail("expected silence, got '" + lines_.front().first + "'");
      return;
    }
    if (cmd == "submit") {
      session_->submit(case_.messages.at(std::stoul(rest)));
    } else if (cmd == "quit") {
      session_->quit();
    } else if (cmd == "timeout") {
      session_->on_timeout();
    } else if (cmd == "closed") {
      session_->on_closed(rest);
    } else if (cmd == "connect") {
      session_->on_connected();
    } else if (cmd == "tls" || cmd == "tls-fail") {
      if (tls_pending_ != 1) return fail("no StartTls pending");
      tls_pending_ = 0;
      cmd == "tls" ? session_->on_tls_started() : session_->on_tls_failed(rest);
    } else if (cmd == "starttls") {
      if (tls_pending_ != 1) return fail("no StartTls pending");
      tls_pending_ = 0;
    } else if (cmd == "ready") {
      if (readies_ == 0) return fail("no Ready");
      --readies_;
    } else if (cmd == "close") {
      if (closes_ != 1) return fail("expected one Close, got " + std::to_string(closes_));
      closes_ = 0;
      if (!session_->closed()) fail("session not closed");
    } else if (cmd == "done") {
      expect_done(words);
    } else if (cmd == "reason") {
      const RecipientResult* r = result(words);
      std::string want;
      std::getline(words, want);
      if (r && r->text.find(want) == std::string::npos) fail("reason is '" + r->text + "'");
    } else if (cmd == "local" || cmd == "remote") {
      const RecipientResult* r = result(words);
      if (r && r->local != (cmd == "local")) fail("result is not " + cmd);
    } else if (cmd == "stage") {
      const RecipientResult* r = result(words);
      std::string want;
      std::getline(words, want);
      if (r && client_stage_name(r->stage) != want) {
        fail("stage is '" + std::string(client_stage_name(r->stage)) + "'");
      }
    } else if (cmd == "timeout-is") {
      auto got = session_->current_timeout().count();
      if (got != std::stol(rest)) fail("current_timeout() is " + std::to_string(got));
    } else if (cmd == "tls-active") {
      if (session_->tls_active() != (rest == "yes")) fail("tls_active() differs");
    } else {
      return fail("unknown directive " + cmd);
    }
    drain();
  }

  const Case& case_;
  std::optional<ClientSession> session_;
  int lineno_ = 0;
  bool failed_ = false;
  std::string server_;
  std::string partial_;
  std::deque<std::pair<std::string, int>> lines_;
  int send_id_ = 0;
  int last_send_ = -1;
  int tls_pending_ = 0;
  int readies_ = 0;
  int closes_ = 0;
  std::deque<client::MessageDone> dones_;
  client::MessageDone last_done_;
};

// A message over the SIZE limit of the "size" case (limit 100).
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

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class SmtpClientSession : public ::testing::TestWithParam<Case> {};

TEST_P(SmtpClientSession, Transcript) {
  Driver(GetParam()).run();
}

INSTANTIATE_TEST_SUITE_P(Cases, SmtpClientSession, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           return std::string(param.param.name);
                         });

// Capabilities learnt before STARTTLS are forgotten (RFC 3207 §4.2).
TEST(SmtpClientSessionCaps, ForgottenAfterTls) {
  ClientSession s({});
  s.on_connected();
  s.receive("220 mx\r\n");
  s.receive("250-mx\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 STARTTLS\r\n");
  EXPECT_TRUE(s.capabilities().pipelining);
  EXPECT_EQ(s.capabilities().size_limit, 1000u);
  s.receive("220 go\r\n");
  s.on_tls_started();
  EXPECT_FALSE(s.capabilities().pipelining);
  EXPECT_FALSE(s.capabilities().esmtp);
  s.receive("250-mx\r\n250 SMTPUTF8\r\n");
  EXPECT_TRUE(s.capabilities().smtputf8);
  EXPECT_FALSE(s.capabilities().starttls);
  EXPECT_TRUE(s.idle());
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
  ClientSession s(settings);
  OutgoingMessage m;
  m.mail_from = "a@b.example";
  m.rcpt_to = {"c@d.example"};
  m.data = "x\r\n";
  s.submit(m);
  s.on_connected();
  EXPECT_EQ(s.current_timeout().count(), 11);
  s.receive("220 mx\r\n");
  EXPECT_EQ(s.current_timeout().count(), 16);
  s.receive("250 mx\r\n");
  EXPECT_EQ(s.current_timeout().count(), 12);
  s.receive("250 ok\r\n");
  EXPECT_EQ(s.current_timeout().count(), 13);
  s.receive("250 ok\r\n");
  EXPECT_EQ(s.current_timeout().count(), 14);
  s.receive("354 go\r\n");
  EXPECT_EQ(s.current_timeout().count(), 15);
  s.receive("250 ok\r\n");
  EXPECT_EQ(s.current_timeout().count(), 16);  // idle
}

}  // namespace
}  // namespace herald::smtp
