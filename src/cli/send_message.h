// The test mail `herald send` submits, shaped like Nextcloud's "Send email" test: From, To,
// Subject, Date, Message-ID, MIME-Version, a text/plain UTF-8 body in quoted-printable (so the
// message is 7-bit clean and needs no 8BITMIME), and the DATA framing of RFC 5321 section
// 4.5.2 (dot-stuffing, CRLF.CRLF).
//
// Invariants: build_message() output uses CRLF only and has no line over 998 octets
// (RFC 5322 section 2.1.1); header values never contain CR or LF (callers validate input with
// plausible_address / header_text_ok, the builder folds long subjects itself).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::cli::send {

struct TestMail {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string body;  // UTF-8 text; LF or CRLF line ends
  std::chrono::system_clock::time_point date;
  std::string message_id;  // without angle brackets: "<random>@<domain>"
};

// RFC 5322 section 3.3 date-time in UTC: "Tue, 04 Jun 2024 09:05:03 +0000".
std::string format_date(std::chrono::system_clock::time_point t);

// The header text as is when it is printable ASCII, else RFC 2047 "B" encoded-words of at
// most 75 characters, folded with CRLF SP, never splitting a UTF-8 sequence.
std::string encode_header_text(std::string_view utf8);

// RFC 2045 section 6.7: lines end in CRLF, at most 76 characters, soft breaks "=".
std::string quoted_printable(std::string_view text);

// The complete message (headers, blank line, encoded body), CRLF line ends.
std::string build_message(const TestMail& mail);

// RFC 5321 section 4.5.2: a '.' doubled at the start of every line, a final CRLF if missing,
// then the ".\r\n" terminator. The input uses CRLF line ends.
std::string dot_stuff(std::string_view message);

// "<hex>@<domain of from>" (or "@localhost" when `from` has no domain); `random_hex` comes
// from the caller so that this stays pure.
std::string make_message_id(std::string_view random_hex, std::string_view from);

// 32 hex digits from the OpenSSL RNG.
std::string random_hex();

// The body of the test mail: what was tested, without the password.
std::string test_body(std::string_view host, std::uint16_t port, std::string_view encryption,
                      std::string_view user);

// A mailbox usable in MAIL FROM/RCPT TO and the headers: local@domain, both parts non-empty,
// no spaces, controls, angle brackets or commas.
bool plausible_address(std::string_view address);
// Header text that cannot break the header block: no CR, LF or other ASCII controls but TAB.
bool header_text_ok(std::string_view text);

}  // namespace herald::cli::send
