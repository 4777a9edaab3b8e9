// The outcome of one delivery attempt for one recipient, as a value (Postfix's dsn.h idea):
// what happened (delivered / deferred / bounced), the RFC 3463 status code, the RFC 3464
// Diagnostic-Code, and where it happened (MX name, IP, TLS). Every attempt, whatever went
// wrong, ends in exactly one DeliveryStatus; the delivery log, events and DSNs are built from it.
//
// Invariants (established by the two constructors below, relied on by every consumer):
//   - `status` is a well-formed RFC 3463 code whose class matches `outcome`:
//     delivered -> "2.x.x", deferred -> "4.x.x", bounced -> "5.x.x";
//   - `diagnostic` is "smtp; <reply>" when the remote server answered (RFC 3464 §2.3.6,
//     diagnostic-type "smtp"), "X-Herald; <text>" when the failure was local (no reply);
//   - `reply` is set exactly when the remote server's reply decided the outcome.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herald::delivery {

enum class Outcome { delivered, deferred, bounced };
std::string_view to_string(Outcome);

// One SMTP reply from the remote server (RFC 5321 §4.2), as the client received it.
struct RemoteReply {
  int code = 0;
  std::string enhanced;  // RFC 3463 code the server sent ("5.1.1"), or "" when it sent none
  std::string text;      // the server's own words; a multi-line reply joined with " "

  // "550 5.1.1 User unknown" ("550 User unknown" without an enhanced code).
  std::string str() const;
};

struct DeliveryStatus {
  Outcome outcome = Outcome::deferred;
  std::string status;      // RFC 3463: "2.0.0", "4.4.1", "5.1.1"
  std::string diagnostic;  // RFC 3464 Diagnostic-Code: "smtp; 550 5.1.1 User unknown"
  std::optional<RemoteReply> reply;
  std::string remote_host;  // MX name, "" when no host was reached
  std::string remote_ip;
  std::string tls;  // "TLSv1.3 TLS_AES_256_GCM_SHA384", "none" (plaintext), "" (no connection)
};

// Classifies an SMTP reply (RFC 5321 §4.2.1): 2xx delivered, 4xx deferred, 5xx bounced.
// `status` is the server's enhanced code when it is well-formed and its class agrees with the
// basic code; otherwise it is derived from the basic code (RFC 3463 §3: "2.0.0", "4.0.0",
// "5.0.0") because the client acts on the basic code (RFC 5321 §4.2.1), not on the enhanced one.
// A reply outside 2xx/4xx/5xx (no reply, 1xx, a 3xx where a final reply was due) is a protocol
// error that may be transient: deferred with "4.5.0" (other or undefined protocol status).
DeliveryStatus status_from_reply(const RemoteReply&);

// A failure found on our side of the wire (no remote reply decided it). `status` must be a
// well-formed RFC 3463 code whose class matches `outcome` (see the invariants above; checked
// with assert). `text` becomes "X-Herald; <text>". Use the codes in `codes` below.
DeliveryStatus local_failure(Outcome, std::string status, std::string text);

// True when `code` is a syntactically valid RFC 3463 code: class "2"/"4"/"5", subject and
// detail 1-3 digits each (RFC 3463 §2).
bool is_valid_status(std::string_view code);

// The RFC 3463 codes Herald uses for local failures, with the reason for each choice.
namespace codes {
// Connection refused, or no TCP answer within the connect timeout (X.4.1 "No answer from
// host": the connection attempt was not answered).
inline constexpr std::string_view no_answer = "4.4.1";
// The connection was established but broke or timed out mid-transaction (X.4.2 "Bad
// connection").
inline constexpr std::string_view bad_connection = "4.4.2";
// The DNS server failed or did not answer (SERVFAIL, timeout): X.4.3 "Directory (routing)
// server failure", whose RFC text names "inability to connect to an Internet DNS server".
inline constexpr std::string_view dns_failure = "4.4.3";
// The domain exists but has no MX and no address record (NODATA): X.4.4 "Unable to route",
// whose RFC text names "a DNS lookup returning only an SOA record". Permanent.
inline constexpr std::string_view no_route = "5.4.4";
// The recipient domain does not exist (NXDOMAIN): X.1.2 "Bad destination system address",
// "the address portion to the right of the @ is invalid for mail". Permanent.
inline constexpr std::string_view no_such_domain = "5.1.2";
// The recipient domain publishes a null MX (RFC 7505 §4.3: X.1.10 "Recipient address has
// null MX"). Permanent.
inline constexpr std::string_view null_mx = "5.1.10";
// TLS handshake or certificate verification failed where TLS was required: X.7.5
// "Cryptographic failure" (what Postfix reports for the same condition). Transient: the
// peer's certificate may be fixed.
inline constexpr std::string_view tls_failed = "4.7.5";
// TLS was required but the server did not offer STARTTLS: X.7.4 "Security features not
// supported" (Postfix's choice too), transient for the same reason.
inline constexpr std::string_view tls_not_offered = "4.7.4";
// The message needs SMTPUTF8 because of non-ASCII envelope addresses and the server does not
// offer it: X.6.7 "Non-ASCII addresses not permitted for that sender/recipient" (RFC 6531
// §3.7.4.1). Permanent: Herald does not downgrade.
inline constexpr std::string_view smtputf8_address = "5.6.7";
// The message needs SMTPUTF8 only because of non-ASCII header fields: X.6.9 "UTF-8 header
// message cannot be transferred to one or more recipients" (RFC 6531 §3.7.4.2). Permanent.
inline constexpr std::string_view smtputf8_header = "5.6.9";
// The message stayed in the queue past its maximum lifetime and never got an attempt that
// produced a status. RFC 3463 X.4.7 asks for the last real problem instead whenever there was
// one, so an expiry DSN normally carries the last attempt's (4.x.x) status with Action: failed
// (expiry is a queue decision, queue/backoff.h, not the outcome of an attempt).
inline constexpr std::string_view expired = "4.4.7";
}  // namespace codes

}  // namespace herald::delivery
