// The sans-I/O SMTP submission server: one ServerSession per connection. It never does I/O;
// the caller feeds bytes in and performs the actions it emits, in order.
//
// Action protocol (see README.md):
//   start() / receive(bytes) / on_*()  ->  drain next_action() until nullopt.
//   Send          write the bytes (replies; pipelined replies are coalesced).
//   StartTls      run the TLS handshake, then call on_tls_started() or on_tls_failed().
//   VerifyCredentials  check user/password, then call on_auth_result().
//   CommitMessage durably store the message, then call on_commit_result().
//   Event         a rejected attempt or violation to record (never contains a password).
//   Close         close the connection after writing everything sent before it.
// While a StartTls/VerifyCredentials/CommitMessage result is pending, waiting() is true and
// input is buffered, not processed; the caller should stop reading until it answers. Input
// that arrives while the TLS handshake is pending is discarded (RFC 3207 §4.2).
//
// Invariants: bounded memory (a command line is at most 512 octets, AUTH lines 12288; message
// octets beyond max_message_size are discarded; input buffered while waiting is capped, see
// kMaxBufferedInput); every reply after the greeting carries an enhanced status code, except
// EHLO keyword lines and 334/354 intermediates; no mail is accepted without TLS and AUTH, and
// the envelope sender and the From header must be the authenticated address.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sasl/sasl_mechanisms.h"
#include "smtp/address.h"
#include "smtp/command.h"
#include "smtp/data_decoder.h"
#include "smtp/reply.h"

namespace herald::smtp {

struct ServerSettings {
  std::string hostname = "localhost";
  std::uint64_t max_message_size = 25 * 1024 * 1024;
  std::uint32_t max_recipients = 100;
  std::uint32_t max_commands = 1000;  // between accepted messages; then 421 4.7.0 and close
  std::uint32_t max_errors = 20;      // 4xx/5xx replies per session; then 421 4.7.0 and close
  bool tls_available = false;         // STARTTLS may be offered
  bool tls_active = false;            // implicit TLS (port 465): already encrypted
};

struct PeerInfo {
  std::string ip;
  std::uint16_t port = 0;
  std::string rdns;  // verified reverse DNS name, empty when unknown
};

// One mail transaction (RFC 5321 §3.3), handed over in CommitMessage.
struct Transaction {
  // Session facts at the time of the transaction.
  std::string helo;
  bool esmtp = false;  // EHLO (not HELO)
  bool tls = false;
  std::string auth_user;  // the authenticated sender address (Mailbox::str())
  // Envelope.
  std::string mail_from;  // Mailbox::str() of the reverse-path
  std::vector<std::string> rcpt_to;
  bool smtputf8 = false;
  bool body_8bit = false;  // BODY=8BITMIME
  bool chunking = false;   // received through BDAT
  // Content: the message as received, dot-unstuffed, CRLF line endings, CRLF-terminated.
  std::string data;
  // Parsed from the header block.
  std::string from_header;  // the single From mailbox (str())
  std::string subject;      // unfolded, not RFC 2047-decoded
  std::string message_id;   // empty when missing (the spool adds one)
  std::string date;         // empty when missing (the spool adds one)
};

struct Send {
  std::string bytes;
};
struct StartTls {};
struct VerifyCredentials {
  std::string mechanism;  // "PLAIN" / "LOGIN"
  std::string user;       // as sent by the client (a sender address)
  std::string password;
};
struct CommitMessage {
  Transaction tx;
};

enum class EventKind {
  auth_failed,           // wrong password / unknown user / malformed exchange
  auth_unavailable,      // temporary failure or throttled
  auth_without_tls,      // AUTH attempted before TLS
  auth_required,         // MAIL (or another transaction command) without AUTH
  sender_mismatch,       // MAIL FROM is not the authenticated address
  from_header_mismatch,  // From: header is missing, unparseable or not the authenticated address
  message_rejected,      // content rejected (size, bare CR/LF, NUL, 8-bit, line length)
  protocol_violation,    // pipelining after STARTTLS, overlong or malformed lines, HTTP verbs
  limit_exceeded,        // too many commands / errors; the session closes
  tls_failed,            // TLS handshake failed
  session_limit,         // connection refused before the greeting: total or per-IP sessions
};
std::string_view event_kind_name(EventKind kind);

struct Event {
  EventKind kind;
  std::string detail;  // human-readable; never contains passwords
  std::string user;    // auth_* events: the user name attempted (printable); never a password
};
struct Close {};

using Action = std::variant<Send, StartTls, VerifyCredentials, CommitMessage, Event, Close>;

enum class AuthStatus {
  ok,
  bad_credentials,  // wrong password or unknown user: 535 5.7.8 (same reply for both)
  temp_fail,        // e.g. store unavailable: 454 4.7.0
  throttled,        // too many failures from this peer/user: 454 4.7.0 (text from the caller)
};
struct AuthOutcome {
  AuthStatus status = AuthStatus::bad_credentials;
  std::string text;            // optional reply text for temp_fail/throttled
  std::string canonical_user;  // ok: the stored sender address, if it differs in form
  std::string detail;          // for the Event on failure (e.g. "unknown user")
};

struct CommitOutcome {
  bool ok = false;
  std::string queue_id;  // ok: "250 2.0.0 Ok: queued as <queue_id>"
  std::string reason;    // !ok: 451 4.3.0 with this text
  static CommitOutcome success(std::string id) { return {true, std::move(id), {}}; }
  static CommitOutcome failure(std::string why) { return {false, {}, std::move(why)}; }
};

inline constexpr std::size_t kMaxCommandLine = 512;        // RFC 5321 §4.5.3.1.4, incl. CRLF
inline constexpr std::size_t kMaxAuthLine = 12288;         // RFC 4954 §4
inline constexpr std::size_t kMaxBufferedInput = 1 << 20;  // unprocessed input while waiting

class ServerSession {
 public:
  ServerSession(ServerSettings settings, PeerInfo peer);
  ~ServerSession();
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  void start();  // queues the 220 greeting
  void receive(std::string_view bytes);
  std::optional<Action> next_action();

  bool waiting() const { return pending_ != Pending::none; }
  bool closed() const { return closed_; }

  void on_tls_started();
  void on_tls_failed();
  void on_auth_result(const AuthOutcome& outcome);
  void on_commit_result(const CommitOutcome& outcome);
  void on_idle_timeout();  // 421 4.4.2 and Close
  void set_storage_available(bool available) { storage_available_ = available; }

  // Introspection for the I/O layer's logging and for tests.
  bool tls_active() const { return tls_active_; }
  const std::string& auth_user() const { return auth_user_; }
  // Octets held by the session: unprocessed input plus the message being received. Bounded by
  // max_message_size + kMaxBufferedInput + one receive() argument (checked by the fuzzer).
  std::size_t buffered_bytes() const {
    return in_.size() + out_.size() + (decoder_ ? decoder_->data().size() : 0);
  }

 private:
  enum class Mode { command, auth, data, bdat };
  enum class Pending { none, tls, auth, commit };

  void process();
  bool process_line_mode();
  bool process_data();
  bool process_bdat();
  void handle_command(std::string_view line);
  void handle_auth_line(std::string_view line);
  std::optional<Reply> check_flags(const CommandSpec& spec);

  void cmd_ehlo(const Command& cmd, bool esmtp);
  void cmd_starttls();
  void cmd_auth(const Command& cmd);
  void cmd_mail(const Command& cmd);
  void cmd_rcpt(const Command& cmd);
  void cmd_data();
  void cmd_bdat(const Command& cmd);
  void cmd_rset();
  void cmd_help();
  void cmd_quit();

  void apply_auth_step(sasl::Exchange::Step step);
  void finish_message();
  std::optional<Reply> check_content(const DataDecoder& dec, EventKind& kind) const;
  std::optional<Reply> check_from_header(std::string_view data, Transaction& tx) const;

  void reply(int code, std::string_view enhanced, std::string_view text);
  void reply(const Reply& r);
  void flush();
  void emit(Action action);
  void event(EventKind kind, std::string detail, std::string user = {});
  void close_with(int code, std::string_view enhanced, std::string_view text);
  void reset_transaction();
  std::string ehlo_text() const;

  ServerSettings settings_;
  PeerInfo peer_;
  std::deque<Action> actions_;
  std::string out_;  // replies not yet handed out as a Send
  std::string in_;   // unprocessed input
  std::size_t in_pos_ = 0;

  Mode mode_ = Mode::command;
  Pending pending_ = Pending::none;
  bool started_ = false;
  bool closed_ = false;
  bool discarding_line_ = false;  // an overlong line is being skipped up to its LF
  bool storage_available_ = true;

  // Session state (OpenSMTPD's smtp_session).
  std::string helo_;
  bool esmtp_ = false;
  bool tls_active_ = false;
  std::string auth_user_;
  std::optional<Mailbox> auth_mailbox_;
  std::optional<sasl::Exchange> auth_exchange_;
  std::string pending_user_;  // AUTH identity while VerifyCredentials is outstanding
  std::string pending_mechanism_;
  std::uint32_t commands_ = 0;
  std::uint32_t errors_ = 0;

  // Transaction state (OpenSMTPD's smtp_tx): present between MAIL and the end of the message.
  std::optional<Transaction> tx_;
  std::optional<DataDecoder> decoder_;
  std::uint64_t bdat_remaining_ = 0;
  bool bdat_last_ = false;
  bool bdat_discard_ = false;  // chunk consumed only to stay in sync; its reply is bdat_reply_
  std::optional<Reply> bdat_reply_;
};

}  // namespace herald::smtp
