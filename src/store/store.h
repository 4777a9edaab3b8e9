// The Store: every durable fact Herald keeps (domains, sender addresses, accepted messages,
// per-recipient delivery status, events), behind one interface so that a second backend
// (PostgreSQL, later) can replace the embedded SQLite one. No backend types leak out of here.
//
// Invariants: every method is one atomic transaction; a method that returns success has
// made its change durable (synchronous commit) before returning. Methods are thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "store/queue_types.h"

namespace herald::store {

enum class SenderType { triggered, batch };
std::string_view to_string(SenderType);
std::optional<SenderType> sender_type_from_string(std::string_view);

struct Domain {
  std::string name;          // lower-case
  std::string verify_token;  // published as TXT to prove ownership
  std::string dkim_selector;
  std::string dkim_key_path;    // PEM private key file, mode 0600
  std::string dkim_public_key;  // base64 DER SubjectPublicKeyInfo (the DKIM p= value)
  UnixMillis created_at = 0;
  std::optional<UnixMillis> verified_at;  // last time every required record verified
};

struct Sender {
  std::string address;  // the SMTP user name; unique, compared case-insensitively
  std::string domain;
  SenderType type = SenderType::triggered;
  std::string password_hash;  // argon2id string; empty = no SMTP password set yet
  UnixMillis created_at = 0;
  std::optional<UnixMillis> password_changed_at;
  bool bounces = true;  // send DSNs to this sender for permanent failures
};

// One accepted message: the body once, one delivery row per recipient (status `queued`).
struct NewMessage {
  std::string queue_id;
  std::string message_id;  // the Message-ID header value, without angle brackets
  std::string sender;      // envelope MAIL FROM
  std::string auth_user;
  std::string subject;
  std::string client_ip;
  std::string helo;
  std::vector<std::string> recipients;
  std::string body;  // the stored message, CRLF line endings, headers added at acceptance
  UnixMillis accepted_at = 0;
};

// One fact worth showing an operator: a rejected AUTH, a refused sender, an acceptance...
struct Event {
  UnixMillis at = 0;
  std::string kind;  // vocabulary in events/ (e.g. "auth_failed", "message_accepted")
  std::string queue_id;
  std::string recipient;
  std::string client_ip;
  std::string user;
  std::string detail;  // never a secret
};

struct LogFilter {
  std::optional<std::string> status;
  std::optional<std::string> sender;     // envelope sender, case-insensitive
  std::optional<std::string> recipient;  // case-insensitive
  std::optional<UnixMillis> since;       // accepted_at >= since
  std::optional<UnixMillis> until;       // accepted_at < until
  std::optional<std::string> queue_id;
  std::uint32_t limit = 100;
};

// One recipient of one message, as the delivery log shows it.
struct LogRow {
  std::string message_id;
  std::string queue_id;
  std::string sender;
  std::string recipient;
  std::string subject;
  std::string status;
  UnixMillis accepted_at = 0;
  UnixMillis updated_at = 0;
  std::uint32_t attempts = 0;
  std::string last_response;
};

struct EventFilter {
  std::optional<std::string> kind;
  std::optional<UnixMillis> since;
  std::uint32_t limit = 100;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual int schema_version() = 0;

  virtual Result<void> add_domain(const Domain&) = 0;
  virtual Result<std::optional<Domain>> find_domain(std::string_view name) = 0;
  virtual Result<std::vector<Domain>> list_domains() = 0;
  virtual Result<void> set_domain_verified(std::string_view name, std::optional<UnixMillis>) = 0;
  // Fails when sender addresses still use the domain, unless `with_senders`.
  virtual Result<void> remove_domain(std::string_view name, bool with_senders) = 0;

  virtual Result<void> add_sender(const Sender&) = 0;
  virtual Result<std::optional<Sender>> find_sender(std::string_view address) = 0;
  virtual Result<std::vector<Sender>> list_senders() = 0;
  virtual Result<void> remove_sender(std::string_view address) = 0;
  virtual Result<void> set_sender_password(std::string_view address, const std::string& hash,
                                           UnixMillis at) = 0;

  // Commits all messages in one durable transaction (the spool's group commit).
  virtual Result<void> accept_messages(std::span<const NewMessage> batch) = 0;
  virtual Result<void> record_events(std::span<const Event> events) = 0;
  virtual Result<std::vector<LogRow>> query_log(const LogFilter&) = 0;
  virtual Result<std::vector<Event>> query_events(const EventFilter&) = 0;
  virtual Result<std::optional<std::string>> message_body(std::string_view queue_id) = 0;

  // Delivery side (queue/, delivery/, `herald queue`, `herald suppression`).
  virtual Result<void> set_sender_bounces(std::string_view address, bool enabled) = 0;
  // Every recipient in status queued or deferred: the scheduler's index at start.
  virtual Result<std::vector<PendingRecipient>> load_pending() = 0;
  // Recipients queued after the row id `after` (new mail since the last look), oldest first.
  virtual Result<std::vector<PendingRecipient>> load_queued_after(std::int64_t after,
                                                                  std::uint32_t limit) = 0;
  virtual Result<std::optional<PendingRecipient>> find_recipient(std::int64_t id) = 0;
  // Updates each recipient's status and records the attempt, all in one transaction.
  virtual Result<void> record_attempts(std::span<const AttemptRecord> attempts) = 0;
  // record_attempts() plus suppression entries (added or replaced), in ONE transaction: the
  // delivery engine's group commit of many jobs' outcomes (spool::Spool::record_outcome).
  virtual Result<void> record_outcomes(std::span<const AttemptRecord> attempts,
                                       std::span<const Suppression> suppressions) = 0;
  virtual Result<std::vector<AttemptRow>> query_attempts(std::string_view queue_id) = 0;
  virtual Result<std::vector<PendingRecipient>> queue_list(const QueueFilter&) = 0;
  // Applies a queue command; returns how many recipients changed. Bumps the queue generation
  // so a running server reloads its index.
  virtual Result<std::uint64_t> queue_control(QueueAction, const QueueSelector&) = 0;
  virtual Result<std::int64_t> queue_generation() = 0;

  virtual Result<void> add_suppression(const Suppression&) = 0;  // replaces an existing entry
  virtual Result<void> remove_suppression(std::string_view entry) = 0;
  virtual Result<std::vector<Suppression>> list_suppressions(UnixMillis now) = 0;
  // The unexpired entry for the address itself or its domain, if any.
  virtual Result<std::optional<Suppression>> find_suppression(std::string_view address,
                                                              UnixMillis now) = 0;
};

struct SqliteOptions {
  std::uint32_t busy_timeout_ms = 5000;
};

// Opens (creating if needed) the embedded store and applies pending migrations.
Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& file,
                                           const SqliteOptions& options = {});

}  // namespace herald::store
