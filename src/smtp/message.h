// Message header helpers (RFC 5322), pure: find From/Subject/Message-ID/Date in the header
// block, and produce the message as stored: a Received: trace header prepended (RFC 5321
// §4.4), Message-ID and Date added when missing (RFC 5322 §3.6).
//
// Invariants: input messages use CRLF line endings (the DATA decoder guarantees it); header
// field names are matched case-insensitively; values are unfolded (CRLF before WSP removed)
// but not RFC 2047-decoded.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "smtp/address.h"

namespace herald::smtp {

struct HeaderSummary {
  std::size_t from_fields = 0;  // number of From: fields
  std::vector<Mailbox> from;    // mailboxes of the (first) From field, if it parsed
  bool from_parsed = false;     // the first From field is a valid mailbox-list
  std::string subject;          // unfolded; empty if missing
  std::string message_id;       // unfolded and trimmed; empty if missing
  std::string date;             // unfolded and trimmed; empty if missing
  std::size_t header_end = 0;   // offset of the blank line ending the header block
                                // (== size when there is no body separator)
};

// Parses the header block (up to the first empty line, or the first line that is not a field).
HeaderSummary parse_headers(std::string_view message);

// RFC 5322 §3.4 mailbox-list: display names, angle brackets, comments, quoted strings.
// Groups are not allowed (From is a mailbox-list). UTF-8 is accepted in addresses (RFC 6532).
Result<std::vector<Mailbox>> parse_mailbox_list(std::string_view value);

// Removes CRLF that precedes WSP (RFC 5322 §2.2.3) and trims surrounding WSP.
std::string unfold(std::string_view value);

// RFC 5322 §3.3 date-time in UTC: "Fri, 04 Dec 2026 16:51:09 +0000".
std::string format_rfc5322_date(UnixMillis t);

// RFC 5321 §4.4 / RFC 3848 protocol name for the Received "with" clause:
// SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA; UTF8SMTP* variants per RFC 6531 §3.7.3.
std::string received_protocol(bool esmtp, bool tls, bool authenticated, bool smtputf8);

struct ReceivedInfo {
  std::string helo;
  std::string peer_ip;
  std::string peer_rdns;  // empty when unknown
  std::string hostname;   // ours
  std::string protocol;   // received_protocol(...)
  std::string queue_id;
  UnixMillis time = 0;
};

// The Received: field (folded, CRLF-terminated).
std::string format_received(const ReceivedInfo& info);

// The message as stored: Received: prepended; "Message-ID: <queue_id@hostname>" and "Date:"
// appended to the header block when missing.
std::string prepare_message(std::string_view message, const ReceivedInfo& info);

}  // namespace herald::smtp
