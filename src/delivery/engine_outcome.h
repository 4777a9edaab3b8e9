// Pure decisions of the delivery engine, kept out of the I/O code so they are unit-tested:
// what an SMTP result means for a recipient, what gets recorded, when to try the next MX,
// which bounces suppress an address, and the DSN as a message to queue.
#pragma once

#include <string>
#include <vector>

#include "delivery/delivery_status.h"
#include "delivery/route.h"
#include "queue/backoff.h"
#include "smtp/client_session.h"
#include "store/store.h"

namespace herald::delivery {

// The message as the SMTP client sends it (`data` views `message`).
smtp::OutgoingMessage outgoing_message(const std::vector<store::PendingRecipient>& rcpts,
                                       const std::string& message);

// True when no server of this hop took part in the transaction (connection lost before MAIL,
// 4xx greeting, TLS failure...): RFC 5321 §5.1 says try the next MX host.
bool connection_level_failure(const std::vector<smtp::RecipientResult>& results);

// True when no result came from the server (connection lost, timeout): nothing was decided.
bool all_local_failures(const std::vector<smtp::RecipientResult>& results);

DeliveryStatus status_from_result(const smtp::RecipientResult& r, const Hop& hop,
                                  const std::string& tls);

// The row update for one recipient: delivered, bounced, deferred with its next attempt from
// backoff(), or expired when the queue lifetime is over.
store::AttemptRecord attempt_record(const store::PendingRecipient& r, const DeliveryStatus& s,
                                    UnixMillis now, UnixMillis duration,
                                    const queue::RetryPolicy& policy, double jitter_unit);
store::AttemptRecord suppressed_record(const store::PendingRecipient& r, const std::string& why,
                                       UnixMillis now);
std::string suppression_reason(const store::Suppression& s);

// A permanent failure that says the address itself is bad (RFC 3463 X.1.x "addressing",
// 5.2.1 mailbox disabled) puts it on the suppression list; policy or content rejections don't.
bool is_hard_bounce(const std::string& status);
store::Suppression bounce_suppression(const store::PendingRecipient& r, const DeliveryStatus& s,
                                      UnixMillis now, UnixMillis ttl);

// The DSN as a new message: null envelope sender, to the original sender.
store::NewMessage dsn_message(const std::string& to, std::string dsn, UnixMillis now);

}  // namespace herald::delivery
