// The sans-I/O SMTP client of the delivery engine: one ClientSession per connection to one
// remote server (RFC 5321), carrying one or more messages in turn (connection reuse). It never
// does I/O; the caller feeds events in and performs the actions it emits, in order.
//
// Action protocol (mirrors ServerSession, see README.md):
//   on_connected() / receive(bytes) / submit() / quit() / on_*()
//     ->  drain next_action() until nullopt, then re-arm the read timer with current_timeout().
//   client::Send         write the bytes (commands; a pipelined group is one Send).
//   client::StartTls     stop reading plaintext, run the TLS handshake, then call
//                        on_tls_started() or on_tls_failed(reason).
//   client::MessageDone  the outcome of submitted message `index`: one result per recipient,
//                        in rcpt_to order.
//   client::Ready        idle: submit() another message or quit().
//   client::Close        close the connection after writing everything sent before it.
// The I/O layer reports peer close / I/O errors with on_closed(detail) (also for a failed
// connect, before on_connected()) and an expired timer with on_timeout().
//
// Flow: 220 greeting, EHLO (HELO after a 5xx), STARTTLS when offered and the caller can do
// TLS (then EHLO again), AUTH PLAIN (else LOGIN) when credentials are set, then per message
// MAIL/RCPT.../DATA or BDAT; PIPELINING (RFC 2920) groups MAIL, every RCPT and DATA in one write;
// QUIT when the caller asks and all submitted messages are done.
//
// Invariants:
//  - every submit() gets exactly one MessageDone, with one result per recipient, whatever the
//    server does (garbage, overlong replies, silence, disconnects, 421, failed TLS): failures
//    Herald detects are local results, 4.x.x (deferred) unless they are permanent (SIZE 5.3.4,
//    SMTPUTF8 5.6.7, unusable address 5.1.3/5.1.7); server replies are passed on as they are;
//  - credentials are sent only after a completed TLS handshake; every AUTH failure (no TLS, no
//    usable mechanism, 4xx, and 5xx too: a rejected password is a configuration problem, the
//    mail is kept) is a 4.x.x local result quoting the server's reply, never the secret;
//  - Close is emitted at most once (always by the time on_closed() returns); afterwards the
//    session ignores input;
//  - memory is bounded (ReplyParser bounds replies; the body is copied once, into its Send);
//  - a reply is never matched to a command sent after the bytes that carry it arrived, and
//    nothing the server sends between the 220 to STARTTLS and the handshake is accepted
//    (RFC 3207 §4.2; STARTTLS response injection), so the dialog cannot be desynchronised
//    into sending message lines as commands.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "smtp/reply_parser.h"

namespace herald::smtp {

// RFC 5321 §4.5.3.2 timeouts. `command` covers what the RFC leaves open (EHLO, HELO,
// STARTTLS and its handshake, RSET, QUIT, and an idle connection), as Postfix does.
struct ClientTimeouts {
  std::chrono::seconds connect{30};      // not SMTP's; the caller's connect attempt
  std::chrono::seconds greeting{300};    // §4.5.3.2.1 initial 220 message: 5 minutes
  std::chrono::seconds command{300};     // EHLO/HELO/STARTTLS/RSET/QUIT, idle
  std::chrono::seconds mail{300};        // §4.5.3.2.2 MAIL: 5 minutes
  std::chrono::seconds rcpt{300};        // §4.5.3.2.3 RCPT: 5 minutes
  std::chrono::seconds data_init{120};   // §4.5.3.2.4 DATA initiation: 2 minutes
  std::chrono::seconds data_block{180};  // §4.5.3.2.5 each write of message data: 3 minutes
  std::chrono::seconds data_end{600};    // §4.5.3.2.6 DATA termination (and BDAT LAST): 10 min
};

// Credentials for a relay that wants SMTP AUTH (RFC 4954). They are only ever written to an
// encrypted connection, and no result text, reason or diagnostic ever contains the password.
struct ClientAuth {
  std::string user;
  std::string password;
  bool operator==(const ClientAuth&) const = default;
};

struct ClientSettings {
  std::string helo_name = "localhost";  // our host name for EHLO/HELO
  std::optional<ClientAuth> auth;       // AUTH after (STARTTLS and) EHLO; needs TLS
  bool require_tls = false;             // route policy: deliver only over STARTTLS (else 4.7.4)
  bool tls_available = true;            // the caller can run a TLS handshake
  bool use_chunking = false;            // BDAT instead of DATA when CHUNKING is offered (RFC 3030)
  bool use_pipelining = true;           // RFC 2920 when offered; false forces lock-step
  ClientTimeouts timeouts;
};

struct OutgoingMessage {
  std::string mail_from;             // reverse-path without <>; "" is the null sender
  std::vector<std::string> rcpt_to;  // forward-paths without <>
  // The message with CRLF line endings, NOT dot-stuffed. Viewed, not copied: it must stay
  // valid until this message's MessageDone.
  std::string_view data;
  bool needs_smtputf8 = false;  // UTF-8 headers (RFC 6532); UTF-8 addresses imply it anyway
  bool body_8bit = false;       // octets >= 128 in the body: BODY=8BITMIME when offered
};

// What a recipient's result answered (or where a local failure happened).
enum class ClientStage {
  connect,
  greeting,
  ehlo,
  helo,
  starttls,
  tls_handshake,
  auth,
  rset,
  mail,
  rcpt,
  data,
  end_of_data,
  bdat,
  quit,
  local,  // checks before MAIL (size, SMTPUTF8, address)
};
std::string_view client_stage_name(ClientStage stage);  // "RCPT TO", "end of data", ...

struct RecipientResult {
  std::string rcpt;
  int code = 0;          // SMTP reply code; local results use 421/451/552/553/554
  std::string enhanced;  // RFC 3463 code, never empty ("X.0.0" when the server gave none)
  std::string text;      // the server's text (sanitized, capped) or Herald's reason
  ClientStage stage = ClientStage::local;
  bool local = false;  // generated by Herald, not received from the server

  bool delivered() const { return code / 100 == 2; }
  bool permanent() const { return code / 100 == 5; }  // else deferred when not delivered
};

namespace client {
struct Send {
  std::string bytes;
};
struct StartTls {};
struct MessageDone {
  std::size_t index = 0;  // as returned by submit()
  std::vector<RecipientResult> results;
};
struct Ready {};
struct Close {};
}  // namespace client

using ClientAction =
    std::variant<client::Send, client::StartTls, client::MessageDone, client::Ready, client::Close>;

// Session internals, outside the class so that std::optional sees complete types.
namespace client_detail {
enum class RcptState { pending, accepted, done };

struct Expect {  // a command whose reply is awaited, in sending order
  ClientStage stage;
  std::size_t rcpt = 0;     // for rcpt: the recipient's index
  bool discard = false;     // end_of_data after a lone "." (no recipient was accepted)
  std::uint64_t epoch = 0;  // receive() count when sent: bytes read in that same call
                            // arrived before the command and cannot be its reply
};

struct Transaction {
  std::size_t index = 0;
  OutgoingMessage msg;
  std::vector<RcptState> state;
  std::vector<RecipientResult> results;
  bool smtputf8 = false;
  bool pipelined = false;
  bool chunking = false;
  bool mail_ok = false;
  RecipientResult mail_failure;  // the reply to MAIL when it was refused
  std::size_t accepted = 0;
};

}  // namespace client_detail

class ClientSession {
 public:
  explicit ClientSession(ClientSettings settings);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // Events from the I/O layer.
  void on_connected();  // TCP is up; the greeting is awaited (receive() implies it)
  void receive(std::string_view bytes);
  void on_tls_started();
  void on_tls_failed(std::string_view reason);   // pending recipients: 4.7.5, then Close
  void on_timeout();                             // waiting: 4.4.2 and Close; idle: QUIT
  void on_closed(std::string_view detail = {});  // pending recipients: 4.4.2 (4.4.1 unconnected)

  // Requests from the delivery engine. Messages are sent in submission order; submit() may
  // be called at any time (before the connection is up, too). After Close, or once QUIT has
  // been sent, a submitted message is answered at once with 4.4.2 results.
  std::size_t submit(OutgoingMessage message);
  void quit();  // QUIT once every submitted message is done

  std::optional<ClientAction> next_action();

  // How long to wait for the server now (RFC 5321 §4.5.3.2), for the next read or, while
  // StartTls is pending, for the handshake. Writes of message data: timeouts.data_block each.
  std::chrono::seconds current_timeout() const;

  const Capabilities& capabilities() const { return caps_; }
  bool tls_active() const { return tls_active_; }
  bool closed() const { return phase_ == Phase::closed; }
  // Idle between messages (a Ready is outstanding).
  bool idle() const;

 private:
  enum class Phase { connecting, setup, tls_handshake, open, quitting, closed };
  using RcptState = client_detail::RcptState;
  using Expect = client_detail::Expect;
  using Transaction = client_detail::Transaction;

  // Setup (client_session.cc).
  void handle_reply(const ServerReply& reply);
  void on_greeting(const ServerReply& reply);
  void on_ehlo(const ServerReply& reply, bool esmtp);
  void after_hello();
  void on_starttls(const ServerReply& reply);
  void start_auth();
  void on_auth(const ServerReply& reply);
  void advance();
  void send_command(std::string line, ClientStage stage, std::size_t rcpt = 0);
  void send_quit();
  void fail_connection(const RecipientResult& result, bool polite);
  void protocol_error(std::string detail);
  void close_now();
  void emit(ClientAction action);
  void flush();

  // Transactions (client_session_tx.cc).
  void start_next();
  bool local_checks(Transaction& tx);
  void send_mail_group();
  std::size_t next_rcpt(std::size_t from) const;
  void on_rset(const ServerReply& reply);
  void on_mail(const ServerReply& reply);
  void on_rcpt(std::size_t i, const ServerReply& reply);
  void after_rcpts();
  void on_data(const ServerReply& reply);
  void on_final(const ServerReply& reply, ClientStage stage, bool discard);
  void settle_accepted(const RecipientResult& result);
  void finish_tx();

  ClientSettings settings_;
  Phase phase_ = Phase::connecting;
  ReplyParser parser_;
  Capabilities caps_;
  bool tls_active_ = false;
  // AUTH progress: 334 prompts answered so far, and whether it is LOGIN (else PLAIN).
  int auth_prompts_ = 0;
  bool auth_login_ = false;
  bool quit_requested_ = false;
  bool ready_emitted_ = false;
  bool needs_rset_ = false;  // a MAIL was accepted but its transaction did not complete
  std::uint64_t epoch_ = 0;  // counts receive() calls (see Expect::epoch)

  std::deque<Expect> expects_;
  std::optional<Transaction> tx_;
  std::deque<std::pair<std::size_t, OutgoingMessage>> queue_;
  std::size_t next_index_ = 0;

  std::deque<ClientAction> actions_;
  std::string out_;  // commands not yet handed out as a Send
};

}  // namespace herald::smtp
