// Value types of the delivery side of the Store: recipients waiting for delivery, the record
// of one attempt, queue control, and the suppression list. Backend-neutral.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"

namespace herald::store {

// Recipient statuses (the delivery log's `status` column).
inline constexpr std::string_view kQueued = "queued";
inline constexpr std::string_view kDeferred = "deferred";
inline constexpr std::string_view kDelivered = "delivered";
inline constexpr std::string_view kBounced = "bounced";
inline constexpr std::string_view kExpired = "expired";
inline constexpr std::string_view kSuppressed = "suppressed";
inline constexpr std::string_view kHeld = "held";

// A recipient that still needs delivery (queued or deferred).
struct PendingRecipient {
  std::int64_t id = 0;
  std::string queue_id;
  std::string sender;  // envelope sender; empty for a bounce (DSN)
  std::string recipient;
  std::string domain;  // lower-cased recipient domain: the destination
  std::string status;
  std::uint32_t attempts = 0;
  UnixMillis accepted_at = 0;
  UnixMillis next_attempt_at = 0;
  std::string last_response;
};

// The outcome of one delivery attempt for one recipient; applied atomically with its row.
struct AttemptRecord {
  std::int64_t recipient_id = 0;
  UnixMillis at = 0;
  std::string new_status;  // delivered | deferred | bounced | expired | suppressed
  std::string dsn_status;  // RFC 3463, e.g. 5.1.1
  std::string mx_host;
  std::string ip;
  std::string tls;       // "TLSv1.3 TLS_AES_256_GCM_SHA384" or "none"
  std::string response;  // the remote server's own words, or a local reason
  std::int64_t duration_ms = 0;
  std::optional<UnixMillis> next_attempt_at;  // deferred only
};

struct AttemptRow {
  UnixMillis at = 0;
  std::string recipient;
  std::string outcome;
  std::string dsn_status;
  std::string mx_host;
  std::string ip;
  std::string tls;
  std::string response;
  std::int64_t duration_ms = 0;
};

struct QueueFilter {
  std::optional<std::string> status;  // default: queued, deferred and held
  std::optional<std::string> domain;
  std::uint32_t limit = 1000;
};

enum class QueueAction { retry, hold, release, remove };

// Which queued recipients a queue command applies to: all, one destination domain, or one
// message (queue id).
struct QueueSelector {
  bool all = false;
  std::optional<std::string> domain;
  std::optional<std::string> queue_id;
};

struct Suppression {
  std::string entry;  // an address, or a whole domain
  bool is_domain = false;
  std::string reason;
  std::string source;  // bounce | manual
  UnixMillis created_at = 0;
  std::optional<UnixMillis> expires_at;  // none: permanent
};

}  // namespace herald::store
