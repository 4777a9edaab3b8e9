// Fuzzes a whole ServerSession: the input is a byte stream cut into pieces of fuzzer-chosen
// sizes, with fuzzer-chosen answers to StartTls / VerifyCredentials / CommitMessage.
// Invariants checked (abort on violation): every sent line is "ddd[ -]..." CRLF-terminated;
// 4xx/5xx replies carry an enhanced status code; nothing happens after Close; memory held by
// the session stays bounded.
//
// Input layout: byte 0 = settings bits, then repeated [len][len octets of stream], where the
// top bits of len also steer the answers.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtp/server_session.h"

namespace {

using namespace herald::smtp;

void check(bool ok) {
  if (!ok) std::abort();
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

void check_reply_lines(const std::string& bytes) {
  check(bytes.size() >= 2 && bytes.ends_with("\r\n"));
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t end = bytes.find("\r\n", pos);
    check(end != std::string::npos);
    std::string_view line(bytes.data() + pos, end - pos);
    check(line.size() >= 4 && is_digit(line[0]) && is_digit(line[1]) && is_digit(line[2]));
    check(line[3] == ' ' || line[3] == '-');
    check(line.find('\r') == std::string_view::npos && line.find('\n') == std::string_view::npos);
    if (line[0] == '4' || line[0] == '5') {
      // "ddd X.Y.Z" with X equal to the reply class.
      check(line.size() >= 9 && line[4] == line[0] && line[5] == '.');
    }
    pos = end + 2;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  ServerSettings settings;
  settings.hostname = "mx.fuzz.test";
  settings.tls_available = data[0] & 1;
  settings.tls_active = data[0] & 2;
  settings.max_message_size = (data[0] & 4) ? 64 : 4096;
  settings.max_recipients = 3;
  settings.max_commands = 200;
  settings.max_errors = (data[0] & 8) ? 3 : 50;
  ServerSession s(settings, PeerInfo{"192.0.2.1", 25, ""});
  s.start();

  bool closed = false;
  std::uint8_t steer = data[0];
  auto drain = [&] {
    for (int rounds = 0; rounds < 64; ++rounds) {
      bool answered = false;
      while (auto a = s.next_action()) {
        check(!closed);
        if (auto* send = std::get_if<Send>(&*a)) {
          check_reply_lines(send->bytes);
        } else if (std::holds_alternative<StartTls>(*a)) {
          check(s.waiting());
          (steer & 16) ? s.on_tls_failed() : s.on_tls_started();
          answered = true;
        } else if (std::holds_alternative<VerifyCredentials>(*a)) {
          check(s.waiting());
          AuthOutcome o;
          o.status = static_cast<AuthStatus>((steer >> 5) & 3);
          s.on_auth_result(o);
          answered = true;
        } else if (auto* c = std::get_if<CommitMessage>(&*a)) {
          check(c->tx.data.size() <= settings.max_message_size + 2);
          check(!c->tx.rcpt_to.empty() && c->tx.rcpt_to.size() <= settings.max_recipients);
          check(c->tx.mail_from == c->tx.auth_user);
          s.on_commit_result((steer & 128) ? CommitOutcome::failure("x")
                                           : CommitOutcome::success("Q"));
          answered = true;
        } else if (std::holds_alternative<Close>(*a)) {
          closed = true;
        }
      }
      if (!answered) break;
    }
  };
  drain();
  std::size_t pos = 1;
  while (pos < size) {
    std::size_t len = data[pos++] & 0x3f;
    steer = static_cast<std::uint8_t>(steer ^ data[pos - 1]);
    if (len == 0) len = 1;
    std::string_view piece(reinterpret_cast<const char*>(data) + pos, std::min(len, size - pos));
    pos += piece.size();
    if (steer == 0xff) s.set_storage_available(false);
    s.receive(piece);
    drain();
    check(s.buffered_bytes() <=
          settings.max_message_size + kMaxBufferedInput + kMaxAuthLine + 4096);
  }
  s.on_idle_timeout();
  drain();
  check(s.closed());
  return 0;
}
