#include "cli/send_message.h"

#include "smtp/message.h"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <ctime>

#include "cli/send_protocol.h"

namespace herald::cli::send {

namespace {

bool printable_ascii(std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Length of the UTF-8 sequence starting with `lead` (1 for stray continuation bytes, so that
// malformed input still advances).
std::size_t utf8_length(unsigned char lead) {
  if (lead >= 0xf0 && lead <= 0xf7) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

std::string hex_byte(unsigned char c) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "=%02X", c);
  return buf;
}

// One input line (without its line end) as quoted-printable output lines joined by soft
// breaks; the result has no final CRLF.
std::string qp_line(std::string_view line) {
  std::string out;
  std::size_t column = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    auto c = static_cast<unsigned char>(line[i]);
    bool last = i + 1 == line.size();
    std::string token;
    // Rule 3: space and tab are literal except at the end of a line.
    if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last))
      token = std::string(1, static_cast<char>(c));
    else
      token = hex_byte(c);
    // Rule 5: at most 76 characters per line including the soft break "=".
    std::size_t room = last ? 76 : 75;
    if (column + token.size() > room) {
      out += "=\r\n";
      column = 0;
    }
    out += token;
    column += token.size();
  }
  return out;
}

}  // namespace

std::string format_date(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  return smtp::format_rfc5322_date(duration_cast<milliseconds>(t.time_since_epoch()).count());
}

std::string encode_header_text(std::string_view utf8) {
  // Plain text fits on one header line up to the 998-octet limit; keep room for the name.
  if (printable_ascii(utf8) && utf8.size() <= 900) return std::string(utf8);
  // RFC 2047 section 2: an encoded-word is at most 75 characters; "=?UTF-8?B?" and "?=" take
  // 12, leaving 63 for base64, i.e. at most 45 input octets (60 base64 characters).
  constexpr std::size_t kMaxChunk = 45;
  std::string out;
  std::size_t i = 0;
  while (i < utf8.size()) {
    std::size_t end = i;
    while (end < utf8.size()) {
      std::size_t len = utf8_length(static_cast<unsigned char>(utf8[end]));
      if (end + len - i > kMaxChunk) break;
      end += len;
    }
    if (end == i) end = std::min(utf8.size(), i + 1);  // a truncated sequence at the end
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64_encode(utf8.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string quoted_printable(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r' && nl != std::string_view::npos) line.remove_suffix(1);
    if (nl == std::string_view::npos && line.empty()) break;  // text ended with a line end
    out += qp_line(line);
    out += "\r\n";
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string build_message(const TestMail& mail) {
  std::string to;
  for (const auto& t : mail.to) to += (to.empty() ? "" : ", ") + t;
  std::string m;
  m += "From: " + mail.from + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: " + encode_header_text(mail.subject) + "\r\n";
  m += "Date: " + format_date(mail.date) + "\r\n";
  m += "Message-ID: <" + mail.message_id + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: quoted-printable\r\n";
  m += "\r\n";
  m += quoted_printable(mail.body);
  return m;
}

std::string dot_stuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + 8);
  bool line_start = true;
  for (char c : message) {
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = c == '\n';
  }
  if (!out.empty() && !line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

std::string make_message_id(std::string_view random_hex, std::string_view from) {
  auto at = from.rfind('@');
  std::string_view domain =
      at == std::string_view::npos || at + 1 == from.size() ? "localhost" : from.substr(at + 1);
  return std::string(random_hex) + "@" + std::string(domain);
}

std::string random_hex() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) std::abort();
  std::string out;
  for (unsigned char b : bytes) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

std::string test_body(std::string_view host, std::uint16_t port, std::string_view encryption,
                      std::string_view user) {
  std::string b;
  b += "Hello,\n\n";
  b += "this is a test email sent with \"herald send\" to check the SMTP settings.\n";
  b += "If you received it, the settings seem to be correct:\n\n";
  b += "  server:         " + std::string(host) + " port " + std::to_string(port) + "\n";
  b += "  encryption:     " + std::string(encryption) + "\n";
  b += "  authentication: " + (user.empty() ? std::string("none") : "as " + std::string(user)) +
       "\n";
  return b;
}

bool plausible_address(std::string_view a) {
  auto at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == a.size()) return false;
  for (char ch : a) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',') return false;
  }
  return true;
}

bool header_text_ok(std::string_view text) {
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

}  // namespace herald::cli::send
