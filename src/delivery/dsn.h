// Delivery status notifications (RFC 3464) sent back to the envelope sender when recipients
// of a message failed permanently, expired in the queue, or (optionally) are still delayed.
// Pure: builds the complete message text; queueing it for delivery is the caller's job.
//
// The DSN is a multipart/report; report-type=delivery-status (RFC 6522) with three parts:
//   1. text/plain: which recipients failed and the remote server's own words, for people;
//   2. message/delivery-status: Reporting-MTA, Arrival-Date, then per recipient
//      Final-Recipient, Action, Status, Remote-MTA, Diagnostic-Code, Last-Attempt-Date;
//   3. text/rfc822-headers: the original header section only (never the body: the sender has
//      it, and returning it would reflect content to a possibly forged sender).
// When a recipient address or the original header section is not ASCII (SMTPUTF8 mail), the
// RFC 6533 types are used instead: message/global-delivery-status (with "utf-8;" addresses)
// and message/global-headers; sending that DSN then needs SMTPUTF8 at the next hop.
// Otherwise the whole DSN is 7-bit: stray 8-bit bytes in server replies become '?'.
//
// Invariants of the output: CRLF line endings only, every line <= 998 octets (RFC 5322
// §2.1.1), header-like fields folded near 78 columns, a boundary that occurs in no part.
//
// Never bounce a bounce: the caller MUST check `is_bounce_or_auto()` on the failed message
// first and send no DSN when it returns true (RFC 5321 §6.1; RFC 3461 §6.2). The DSN itself
// goes out with a null envelope sender (MAIL FROM:<>), so a failing DSN ends there. The
// delivery log and events record the failure either way; only the notification is withheld.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "delivery/delivery_status.h"

namespace herald::delivery {

enum class DsnAction {
  failed,   // permanent failure or expiry: the message will not be delivered to this recipient
  delayed,  // still queued and being retried (a warning DSN)
};
std::string_view to_string(DsnAction);

struct DsnRecipient {
  std::string recipient;  // the address from RCPT TO (Final-Recipient)
  DsnAction action = DsnAction::failed;
  std::string status;      // RFC 3463 code, e.g. "5.1.1"; for expiry the last attempt's 4.x.x
  std::string diagnostic;  // RFC 3464 Diagnostic-Code, as DeliveryStatus::diagnostic
  std::string remote_mta;  // MX host name that answered; "" when none was reached
  std::optional<UnixMillis> last_attempt;      // Last-Attempt-Date
  std::optional<UnixMillis> will_retry_until;  // Will-Retry-Until (delayed only)
};

// The recipient entry for `recipient` from the last attempt's outcome.
DsnRecipient dsn_recipient(std::string recipient, DsnAction action, const DeliveryStatus& last,
                           UnixMillis last_attempt);

struct DsnInput {
  std::string envelope_sender;  // the failed message's MAIL FROM: receives the DSN (not null)
  std::string reporting_host;   // our host name: Reporting-MTA, MAILER-DAEMON@host, Message-ID
  std::string queue_id;         // the failed message's queue id (X-Herald-Queue-ID)
  UnixMillis arrival = 0;       // when Herald accepted the failed message (Arrival-Date)
  std::string_view original_message;  // the stored message, CRLF; only its headers are used
  std::vector<DsnRecipient> recipients;
  UnixMillis now = 0;  // Date: and Message-ID of the DSN
};

// The complete DSN message (header section + body). Fails on input that cannot make a valid
// DSN: no recipients, a null sender, an empty host name, a malformed status, or CR/LF/NUL in
// an address or host name (header injection).
Result<std::string> build_dsn(const DsnInput&);

// True when no DSN may be sent for a failed message with this envelope sender and this
// content (message or header section, CRLF or LF):
//   - null reverse-path ("" or "<>"): it is itself a bounce or an auto-reply that followed
//     RFC 3834 §3.3 (RFC 5321 §6.1 / RFC 3461 §6.2: never send a DSN for it);
//   - Content-Type multipart/report; report-type=delivery-status: a DSN relayed with a
//     non-null sender; still a bounce;
//   - Auto-Submitted: auto-replied (RFC 3834 §5.1): a response to another message (vacation,
//     bounce); a DSN to an auto-responder only feeds loops.
// Auto-Submitted: auto-generated does NOT suppress the DSN: RFC 3834 recommends it for
// exactly the notifications that transactional senders submit, and they need their bounces.
bool is_bounce_or_auto(std::string_view envelope_sender, std::string_view message);

// RFC 5322 §3.3 date-time in UTC: "Thu, 04 Dec 2026 16:51:09 +0000".

}  // namespace herald::delivery
