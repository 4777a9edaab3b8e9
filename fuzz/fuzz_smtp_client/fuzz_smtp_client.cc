// Fuzzes a whole smtp::ClientSession as a remote server would: arbitrary server bytes, cut
// into fuzzer-chosen pieces, interleaved with fuzzer-chosen I/O events (TLS result, timeout,
// disconnect, new messages, QUIT).
//
// Input layout: byte 0 = settings bits (see below); then the server's byte stream, in which
// a NUL octet introduces an event and the octet after it says which:
//   'T' TLS handshake succeeded   'F' failed     't' timeout      'x' peer closed
//   's' submit another message    'q' quit()     'c' on_connected()
//   'k' <n>  from now on feed server bytes in pieces of n octets (0: one line per piece)
//   anything else: a literal NUL octet in the server stream.
// Invariants checked (abort on violation): every submitted message gets exactly one
// MessageDone, with one result per recipient whose code and enhanced class agree; every
// Send is CRLF-clean (no bare CR or LF) and ends with CRLF; Close comes at most once and
// nothing but late MessageDones follows it; StartTls only when none is pending; AUTH and the
// credentials (settings bit 16) are only written after a TLS handshake; after a final
// on_closed() every message is done and the session is closed.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/sasl_mechanisms.h"
#include "smtp/client_session.h"

namespace {

using namespace herald::smtp;

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view kSecret = "fuzz-Secret-1";
// What AUTH PLAIN and LOGIN put on the wire for it: only ever after a TLS handshake.
const std::string kPlainBlob =
    herald::sasl::encode_base64(std::string("\0fuzz-user\0", 11) + std::string(kSecret));
const std::string kLoginSecret = herald::sasl::encode_base64(kSecret);

const std::string kBody1 = "Subject: t\r\n\r\n.line\r\nbody without CRLF";
const std::string kBody2 = "8bit \xc3\xa9\r\n";
const std::string kBody3 = std::string(300, 'x') + "\r\n.\r\n" + std::string(50, 'y');

OutgoingMessage message(int which) {
  OutgoingMessage m;
  switch (which % 3) {
    case 0:
      m.mail_from = "a@herald.test";
      m.rcpt_to = {"x@example.com", "y@example.com"};
      m.data = kBody1;
      break;
    case 1:
      m.mail_from = "";
      m.rcpt_to = {"pel\xc3\xa9@example.com"};
      m.data = kBody2;
      m.body_8bit = true;
      break;
    default:
      m.mail_from = "b@herald.test";
      m.rcpt_to = {"p@example.com", "q@example.com", "r@example.com"};
      m.data = kBody3;
      m.needs_smtputf8 = which & 4;
      break;
  }
  return m;
}

void check_send(const std::string& bytes) {
  check(bytes.size() >= 2 && bytes.ends_with("\r\n"));
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r') check(i + 1 < bytes.size() && bytes[i + 1] == '\n');
    if (bytes[i] == '\n') check(i > 0 && bytes[i - 1] == '\r');
  }
}

class Harness {
 public:
  explicit Harness(std::uint8_t flags) : session_(settings(flags)) {}

  static ClientSettings settings(std::uint8_t flags) {
    ClientSettings s;
    s.helo_name = "fuzz.herald.test";
    s.use_pipelining = flags & 1;
    s.use_chunking = flags & 2;
    s.require_tls = flags & 4;
    s.tls_available = flags & 8;
    if (flags & 16) s.auth = ClientAuth{"fuzz-user", std::string(kSecret)};
    return s;
  }

  void submit(int which) {
    OutgoingMessage m = message(which);
    std::size_t index = session_.submit(m);
    check(rcpts_.emplace(index, m.rcpt_to).second);
    drain();
  }

  void drain() {
    while (auto a = session_.next_action()) {
      if (auto* done = std::get_if<client::MessageDone>(&*a)) {
        auto it = rcpts_.find(done->index);
        check(it != rcpts_.end());  // submitted, and not done before
        check(done->results.size() == it->second.size());
        for (std::size_t i = 0; i < done->results.size(); ++i) {
          const RecipientResult& r = done->results[i];
          check(r.rcpt == it->second[i]);
          check(r.code >= 200 && r.code <= 559 && r.code / 100 != 3);
          check(!r.enhanced.empty() && r.enhanced[0] == '0' + r.code / 100);
          check(r.text.size() <= kMaxReplyText + 3 + 400);
        }
        rcpts_.erase(it);
        continue;
      }
      check(!closed_);  // after Close only late MessageDones
      if (auto* send = std::get_if<client::Send>(&*a)) {
        check_send(send->bytes);
        bool secret = send->bytes.find(kPlainBlob) != std::string::npos ||
                      send->bytes.find(kLoginSecret) != std::string::npos ||
                      send->bytes.starts_with("AUTH");
        check(!secret || session_.tls_active());
      } else if (std::holds_alternative<client::StartTls>(*a)) {
        check(!tls_pending_);
        tls_pending_ = true;
      } else if (std::holds_alternative<client::Close>(*a)) {
        closed_ = true;
        check(session_.closed());
      }
    }
    check(session_.current_timeout().count() > 0);
  }

  void event(std::uint8_t op, int& submits) {
    switch (op) {
      case 'T':
        tls_pending_ = false;
        session_.on_tls_started();
        break;
      case 'F':
        tls_pending_ = false;
        session_.on_tls_failed("fuzzed failure");
        break;
      case 't':
        session_.on_timeout();
        break;
      case 'x':
        session_.on_closed("fuzzed close");
        break;
      case 's':
        if (submits < 16) submit(submits++);
        break;
      case 'q':
        session_.quit();
        break;
      case 'c':
        session_.on_connected();
        break;
    }
    drain();
  }

  void feed(std::string_view bytes, std::size_t piece) {
    while (!bytes.empty()) {
      std::size_t n = piece;
      if (n == 0) {
        std::size_t lf = bytes.find('\n');
        n = lf == std::string_view::npos ? bytes.size() : lf + 1;
      }
      n = std::min(n, bytes.size());
      session_.receive(bytes.substr(0, n));
      bytes.remove_prefix(n);
      drain();
    }
  }

  void finish() {
    session_.on_closed("end of input");
    drain();
    check(session_.closed() && closed_);
    check(rcpts_.empty());  // every submitted message got its MessageDone
  }

 private:
  ClientSession session_;
  std::map<std::size_t, std::vector<std::string>> rcpts_;
  bool closed_ = false;
  bool tls_pending_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  Harness h(data[0]);
  int submits = 0;
  h.submit(submits++);
  if (data[0] & 16) h.submit(submits++);
  if (!(data[0] & 32)) h.event('c', submits);
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t piece = 0;
  std::string server;
  while (!rest.empty()) {
    std::size_t nul = rest.find('\0');
    server.append(rest.substr(0, nul));
    if (nul == std::string_view::npos || nul + 1 >= rest.size()) break;
    std::uint8_t op = static_cast<std::uint8_t>(rest[nul + 1]);
    rest.remove_prefix(nul + 2);
    if (op != 'T' && op != 'F' && op != 't' && op != 'x' && op != 's' && op != 'q' && op != 'c' &&
        op != 'k') {
      server.push_back('\0');
      server.push_back(static_cast<char>(op));
      continue;
    }
    h.feed(server, piece);
    server.clear();
    if (op == 'k') {
      if (rest.empty()) break;
      piece = static_cast<std::uint8_t>(rest[0]);
      rest.remove_prefix(1);
      continue;
    }
    h.event(op, submits);
  }
  h.feed(server, piece);
  h.finish();
  return 0;
}
