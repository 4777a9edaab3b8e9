// Mail address syntax (RFC 5321 §4.1.2 Mailbox / Path, §4.5.3.1 size limits; RFC 6531 for
// UTF-8). Pure functions, no I/O. Used by the SMTP state machine and by the CLI to validate
// sender addresses and domains.
//
// Invariants of a parsed Mailbox:
//  - `local` holds the local part *decoded* (a quoted-string's quotes and backslashes removed),
//    so `"john"@x` and `john@x` compare equal; str() re-quotes it when it is not a dot-atom.
//  - `domain` is lower-cased (ASCII letters only), or an address literal like "[192.0.2.1]".
//  - Non-ASCII octets appear only when parsed with allow_utf8, and then are valid UTF-8.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herald::smtp {

inline constexpr std::size_t kMaxLocalPartLength = 64;  // RFC 5321 §4.5.3.1.1
inline constexpr std::size_t kMaxDomainLength = 255;    // RFC 5321 §4.5.3.1.2
inline constexpr std::size_t kMaxPathLength = 256;      // RFC 5321 §4.5.3.1.3, incl. <>

struct Mailbox {
  std::string local;
  std::string domain;

  // The address as it is written on the wire: local part quoted when needed, "@", domain.
  std::string str() const;
  // True when the domain is an address literal ("[...]").
  bool is_address_literal() const { return !domain.empty() && domain.front() == '['; }
  friend bool operator==(const Mailbox&, const Mailbox&) = default;
};

// A host name usable as a mail domain: LDH labels (letters, digits, hyphen; no hyphen at
// either end), each 1..63 octets, at most 253 octets in total, no trailing dot, at least two
// labels, and a top-level label that is not all digits (so "192.0.2.1" is not a domain).
// Decision: single-label names ("localhost") are not mail domains for Herald.
bool is_valid_domain(std::string_view domain);

// Parses `local@domain` (no angle brackets). The local part is a dot-atom or a quoted-string;
// the domain is a valid domain (see is_valid_domain), an IPv4/IPv6 address literal, or with
// allow_utf8 a domain whose labels may also be UTF-8 U-labels (no IDNA2008 table checks).
// Enforces the RFC 5321 length limits. Returns nullopt when the text is not such an address.
std::optional<Mailbox> parse_mailbox(std::string_view text, bool allow_utf8);

// A reverse-path or forward-path: "<>" (null, only when allowed) or "<mailbox>", with an
// optional source route ("<@a,@b:user@d>") that RFC 5321 §4.1.2 says to accept and ignore.
struct Path {
  bool null = false;
  Mailbox mailbox;
};
enum class PathError { syntax, non_ascii_without_utf8, too_long };
struct PathResult {
  std::optional<Path> path;
  PathError error = PathError::syntax;
};
PathResult parse_path(std::string_view text, bool allow_null, bool allow_utf8);

// Same mailbox for sender binding: local parts compared exactly (RFC 5321 §2.4: the local
// part may be case-sensitive), domains compared ASCII case-insensitively.
bool same_mailbox(const Mailbox& a, const Mailbox& b);

// True when any octet is >= 0x80.
bool has_non_ascii(std::string_view text);
// True when the text is well-formed UTF-8 (no overlongs, surrogates, or values > U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace herald::smtp
