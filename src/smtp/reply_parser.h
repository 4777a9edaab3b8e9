// Parsing what a remote SMTP server says, for the delivery client (ClientSession): replies,
// single- and multi-line (RFC 5321 §4.2, §4.2.1), their RFC 3463 enhanced status codes
// (RFC 2034), and the EHLO keywords (RFC 5321 §4.1.1.1).
//
// Invariants: the parser is incremental and bounded whatever the server sends — a reply line is
// at most kMaxReplyLine octets including its line ending and a reply at most kMaxReplyLines
// lines; beyond that, or on anything that is not a reply line, parse() fails and the parser
// stays failed (the connection is out of sync; the caller closes it). Text kept from a reply is
// sanitized: control octets and invalid UTF-8 become '?', so it is safe to log and to store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace herald::smtp {

// RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; real servers exceed it with long texts,
// so the client tolerates four times that before calling the reply garbage.
inline constexpr std::size_t kMaxReplyLine = 2048;
inline constexpr std::size_t kMaxReplyLines = 100;
// Text handed to the delivery log is capped (a reply may be up to ~200 KiB).
inline constexpr std::size_t kMaxReplyText = 1000;

struct ServerReply {
  int code = 0;                    // 200..559 (RFC 5321 §4.2 reply-code grammar)
  std::string enhanced;            // "5.1.1" when the first line carries one, else ""
  std::vector<std::string> lines;  // each line's text: code, separator and enhanced code removed

  // The lines joined by ' ', capped at `max` octets ("..." appended when cut).
  std::string text(std::size_t max = kMaxReplyText) const;
  // "550 5.1.1 text" for reasons that quote the server.
  std::string summary(std::size_t max = kMaxReplyText) const;
  int klass() const { return code / 100; }
};

// Incremental reply parser. Lines end with CRLF; a bare LF is tolerated (the CR is dropped).
class ReplyParser {
 public:
  // Consumes octets from the front of `input` up to the end of the next complete reply.
  // Returns the reply; nullopt when `input` ran out first (the partial reply is kept and
  // `input` is empty); an error when the server sent something that is not a valid reply.
  Result<std::optional<ServerReply>> parse(std::string_view& input);

  // True when no partial line or multi-line reply is buffered.
  bool idle() const { return line_.empty() && lines_.empty() && !failed_; }
  bool failed() const { return failed_; }

 private:
  Result<std::optional<ServerReply>> fail(std::string message);
  Result<std::optional<ServerReply>> take_line(std::string_view line);

  std::string line_;  // the current line without its terminator, at most kMaxReplyLine octets
  std::vector<std::string> lines_;  // raw text of the earlier lines of a multi-line reply
  int code_ = 0;
  bool failed_ = false;
};

// An RFC 3463 status code at the start of `text` ("class.subject.detail", class 2/4/5,
// subject and detail 1-3 digits) followed by a space or the end; its length, or 0 when absent.
std::size_t enhanced_code_length(std::string_view text);

// Replaces control octets (TAB becomes a space) and invalid UTF-8 with '?'.
std::string sanitize_reply_text(std::string_view text);

// What an EHLO reply advertises (RFC 5321 §4.1.1.1; the first line is the server's name).
struct Capabilities {
  bool esmtp = false;                  // the server accepted EHLO (not HELO)
  bool pipelining = false;             // RFC 2920
  bool starttls = false;               // RFC 3207
  bool eightbitmime = false;           // RFC 6152
  bool smtputf8 = false;               // RFC 6531
  bool chunking = false;               // RFC 3030
  bool enhanced_status_codes = false;  // RFC 2034
  bool size = false;                   // RFC 1870: the SIZE keyword was present
  std::uint64_t size_limit = 0;        // its value; 0 = no fixed limit
  bool auth_plain = false;             // RFC 4954 "AUTH ... PLAIN ..." (RFC 4616)
  bool auth_login = false;             // ... "LOGIN" (draft-murchison-sasl-login)
};
Capabilities parse_capabilities(const ServerReply& ehlo_reply);

}  // namespace herald::smtp
