// ClientSession: connection set-up, reply dispatch, failures and timeouts.
// The mail transactions themselves are in client_session_tx.cc.
#include "smtp/client_session.h"

#include <sodium.h>

#include "sasl/sasl_mechanisms.h"
#include "smtp/client_session_internal.h"

namespace herald::smtp {

std::string_view client_stage_name(ClientStage stage) {
  switch (stage) {
    case ClientStage::connect:
      return "connect";
    case ClientStage::greeting:
      return "greeting";
    case ClientStage::ehlo:
      return "EHLO";
    case ClientStage::helo:
      return "HELO";
    case ClientStage::starttls:
      return "STARTTLS";
    case ClientStage::tls_handshake:
      return "TLS handshake";
    case ClientStage::auth:
      return "AUTH";
    case ClientStage::rset:
      return "RSET";
    case ClientStage::mail:
      return "MAIL FROM";
    case ClientStage::rcpt:
      return "RCPT TO";
    case ClientStage::data:
      return "DATA";
    case ClientStage::end_of_data:
      return "end of data";
    case ClientStage::bdat:
      return "BDAT";
    case ClientStage::quit:
      return "QUIT";
    case ClientStage::local:
      return "local checks";
  }
  return "unknown";
}

namespace client_detail {

RecipientResult local_result(int code, std::string_view enhanced, std::string text,
                             ClientStage stage) {
  RecipientResult r;
  r.code = code;
  r.enhanced = std::string(enhanced);
  r.text = std::move(text);
  r.stage = stage;
  r.local = true;
  return r;
}

RecipientResult server_result(const ServerReply& reply, ClientStage stage) {
  RecipientResult r;
  r.code = reply.code;
  // RFC 3464 needs a status for every recipient; like Postfix, default to class.0.0.
  r.enhanced = reply.enhanced.empty() ? std::to_string(reply.klass()) + ".0.0" : reply.enhanced;
  r.text = reply.text();
  r.stage = stage;
  return r;
}

}  // namespace client_detail

using client_detail::local_result;
using client_detail::server_result;

namespace {

// "the reply to RCPT TO", for reasons about what the client was waiting for.
std::string awaited(ClientStage stage) {
  switch (stage) {
    case ClientStage::greeting:
      return "the server greeting";
    case ClientStage::tls_handshake:
      return "the TLS handshake";
    case ClientStage::end_of_data:
    case ClientStage::bdat:
      return "the reply to the message data";
    default:
      return "the reply to " + std::string(client_stage_name(stage));
  }
}

}  // namespace

ClientSession::ClientSession(ClientSettings settings) : settings_(std::move(settings)) {}

ClientSession::~ClientSession() = default;

// ---- Output ------------------------------------------------------------------------------

void ClientSession::send_command(std::string line, ClientStage stage, std::size_t rcpt) {
  out_ += line;
  out_ += "\r\n";
  expects_.push_back(Expect{stage, rcpt, false, epoch_});
}

void ClientSession::flush() {
  if (!out_.empty()) actions_.push_back(client::Send{std::move(out_)});
  out_.clear();
}

void ClientSession::emit(ClientAction action) {
  flush();
  actions_.push_back(std::move(action));
}

std::optional<ClientAction> ClientSession::next_action() {
  if (actions_.empty()) return std::nullopt;
  ClientAction a = std::move(actions_.front());
  actions_.pop_front();
  return a;
}

void ClientSession::send_quit() {
  send_command("QUIT", ClientStage::quit);
  phase_ = Phase::quitting;
}

void ClientSession::close_now() {
  if (phase_ == Phase::closed) return;
  expects_.clear();
  out_.clear();  // nothing more is worth writing; Close ends the connection
  phase_ = Phase::closed;
  emit(client::Close{});
}

// Every recipient still open gets `result`, the current and all queued messages are done.
// `polite`: the dialog is still in step, so say QUIT (RFC 5321 §4.1.1.10) before closing.
void ClientSession::fail_connection(const RecipientResult& result, bool polite) {
  if (tx_) {
    for (std::size_t i = 0; i < tx_->results.size(); ++i) {
      if (tx_->state[i] == RcptState::done) continue;
      tx_->state[i] = RcptState::done;
      tx_->results[i] = result;
      tx_->results[i].rcpt = tx_->msg.rcpt_to[i];
    }
    finish_tx();
  }
  while (!queue_.empty()) {
    client::MessageDone done{queue_.front().first, {}};
    for (const std::string& rcpt : queue_.front().second.rcpt_to) {
      done.results.push_back(result);
      done.results.back().rcpt = rcpt;
    }
    queue_.pop_front();
    emit(std::move(done));
  }
  if (polite && expects_.empty() && phase_ != Phase::quitting && phase_ != Phase::closed) {
    send_quit();
  } else {
    close_now();
  }
}

void ClientSession::protocol_error(std::string detail) {
  ClientStage stage = expects_.empty() ? ClientStage::local : expects_.front().stage;
  fail_connection(local_result(451, "4.5.0", "protocol error: " + detail, stage), false);
}

// ---- Events ------------------------------------------------------------------------------

void ClientSession::on_connected() {
  if (phase_ != Phase::connecting) return;
  phase_ = Phase::setup;
  expects_.push_back(Expect{ClientStage::greeting, 0, false, epoch_});
}

void ClientSession::receive(std::string_view bytes) {
  if (phase_ == Phase::connecting) on_connected();
  if (phase_ == Phase::closed || bytes.empty()) return;
  if (phase_ == Phase::tls_handshake) {
    fail_connection(
        local_result(451, "4.7.0", "protocol error: server sent plaintext during the TLS handshake",
                     ClientStage::tls_handshake),
        false);
    return;
  }
  ++epoch_;
  while (!bytes.empty() && phase_ != Phase::closed) {
    auto parsed = parser_.parse(bytes);
    if (!parsed) {
      if (phase_ == Phase::quitting) {
        close_now();
      } else {
        protocol_error(parsed.error().message);
      }
      break;
    }
    if (!parsed->has_value()) break;
    handle_reply(**parsed);
    if (phase_ == Phase::tls_handshake) {
      // RFC 3207 §4.2: nothing received before the handshake may be used after it; a server
      // (or an attacker in the path) that sends more after its 220 is not to be trusted.
      if (!bytes.empty() || !parser_.idle()) {
        fail_connection(
            local_result(451, "4.7.0",
                         "protocol error: server sent data after its 220 reply to STARTTLS",
                         ClientStage::starttls),
            false);
      } else {
        emit(client::StartTls{});
      }
      break;
    }
  }
  advance();
  flush();
}

void ClientSession::handle_reply(const ServerReply& reply) {
  if (expects_.empty()) {
    // An idle server may say 421 before closing (its own timeout); anything else is garbage.
    if (reply.code == 421 && !tx_) return close_now();
    return protocol_error("unexpected reply " + reply.summary(200));
  }
  Expect e = expects_.front();
  if (e.epoch == epoch_) {
    // The bytes carrying this reply arrived before its command was even sent.
    return protocol_error("server sent more replies than commands (" + reply.summary(200) + ")");
  }
  expects_.pop_front();
  int k = reply.klass();
  bool valid =
      k == 4 || k == 5 ||
      (e.stage == ClientStage::greeting || e.stage == ClientStage::starttls ? reply.code == 220
       : e.stage == ClientStage::data                                       ? reply.code == 354
       : e.stage == ClientStage::auth ? k == 2 || reply.code == 334
       : e.stage == ClientStage::quit ? true
                                      : k == 2);
  if (!valid) {
    expects_.push_front(e);  // for the stage named in the reason
    return protocol_error("unexpected reply " + reply.summary(200) + " to " +
                          std::string(client_stage_name(e.stage)));
  }
  if (e.stage == ClientStage::quit) return close_now();
  // RFC 5321 §3.8: 421 means the server is closing the channel, whatever was asked.
  if (reply.code == 421) return fail_connection(server_result(reply, e.stage), false);
  bool setup = e.stage == ClientStage::greeting || e.stage == ClientStage::ehlo ||
               e.stage == ClientStage::helo || e.stage == ClientStage::starttls ||
               e.stage == ClientStage::auth;
  if (!setup && !tx_) return protocol_error("internal: reply outside a transaction");
  switch (e.stage) {
    case ClientStage::greeting:
      return on_greeting(reply);
    case ClientStage::ehlo:
    case ClientStage::helo:
      return on_ehlo(reply, e.stage == ClientStage::ehlo);
    case ClientStage::starttls:
      return on_starttls(reply);
    case ClientStage::auth:
      return on_auth(reply);
    case ClientStage::rset:
      return on_rset(reply);
    case ClientStage::mail:
      return on_mail(reply);
    case ClientStage::rcpt:
      return on_rcpt(e.rcpt, reply);
    case ClientStage::data:
      return on_data(reply);
    case ClientStage::end_of_data:
    case ClientStage::bdat:
      return on_final(reply, e.stage, e.discard);
    default:
      return protocol_error("internal: no handler");
  }
}

// RFC 5321 §3.1: a 554 greeting (any 5xx) refuses service for good on this host; a 4xx is
// temporary. Either way the client SHOULD send QUIT, not EHLO.
void ClientSession::on_greeting(const ServerReply& reply) {
  if (reply.code != 220) return fail_connection(server_result(reply, ClientStage::greeting), true);
  send_command("EHLO " + settings_.helo_name, ClientStage::ehlo);
}

void ClientSession::on_ehlo(const ServerReply& reply, bool esmtp) {
  ClientStage stage = esmtp ? ClientStage::ehlo : ClientStage::helo;
  if (reply.klass() == 2) {
    caps_ = esmtp ? parse_capabilities(reply) : Capabilities{};
    return after_hello();
  }
  // RFC 5321 §3.2: a server that does not know EHLO answers 5xx; fall back to HELO.
  if (esmtp && reply.klass() == 5)
    return send_command("HELO " + settings_.helo_name, ClientStage::helo);
  fail_connection(server_result(reply, stage), true);
}

void ClientSession::after_hello() {
  if (!tls_active_ && caps_.starttls && settings_.tls_available) {
    return send_command("STARTTLS", ClientStage::starttls);
  }
  if (settings_.require_tls && !tls_active_) {
    // Postfix's wording and code for the same policy failure.
    std::string why = settings_.tls_available
                          ? "TLS is required for this destination, but the server does not "
                            "offer STARTTLS"
                          : "TLS is required for this destination, but TLS is not available";
    return fail_connection(local_result(451, "4.7.4", why, ClientStage::ehlo), true);
  }
  if (settings_.auth) return start_auth();
  phase_ = Phase::open;
}

void ClientSession::on_starttls(const ServerReply& reply) {
  if (reply.code == 220) {
    phase_ = Phase::tls_handshake;  // receive() checks for trailing data, then emits StartTls
    return;
  }
  if (settings_.require_tls) {
    return fail_connection(local_result(451, "4.7.4",
                                        "TLS is required for this destination, but STARTTLS "
                                        "was refused: " +
                                            reply.summary(),
                                        ClientStage::starttls),
                           true);
  }
  // Opportunistic TLS: carry on in plaintext (RFC 3207 §4.1), but never with credentials.
  if (settings_.auth) return start_auth();
  phase_ = Phase::open;
}

// RFC 4954 §4. PLAIN (RFC 4616) goes in one command with the initial response; LOGIN answers
// the server's two 334 prompts. Nothing secret is written unless TLS is up.
void ClientSession::start_auth() {
  if (!tls_active_) {
    std::string why = !settings_.tls_available ? "TLS is not available"
                      : caps_.starttls         ? "STARTTLS was refused"
                                               : "the server does not offer STARTTLS";
    return fail_connection(local_result(451, "4.7.11",
                                        "relay requires AUTH but the connection is not "
                                        "encrypted (" +
                                            why + "); credentials not sent",
                                        ClientStage::auth),
                           true);
  }
  if (!caps_.auth_plain && !caps_.auth_login) {
    return fail_connection(local_result(451, "4.7.0",
                                        "relay requires AUTH but the server does not offer "
                                        "AUTH PLAIN or LOGIN",
                                        ClientStage::auth),
                           true);
  }
  auth_prompts_ = 0;
  auth_login_ = !caps_.auth_plain;
  if (auth_login_) return send_command("AUTH LOGIN", ClientStage::auth);
  const ClientAuth& a = *settings_.auth;
  std::string message = std::string(1, '\0') + a.user + '\0' + a.password;
  send_command("AUTH PLAIN " + sasl::encode_base64(message), ClientStage::auth);
  sodium_memzero(message.data(), message.size());  // the copy on the wire is in out_ only
}

void ClientSession::on_auth(const ServerReply& reply) {
  if (reply.klass() == 2) {
    phase_ = Phase::open;  // 235 2.7.0 (RFC 4954 §6)
    return;
  }
  if (reply.code == 334) {
    if (!auth_login_ || auth_prompts_ >= 2)
      return protocol_error("unexpected 334 challenge to AUTH " +
                            std::string(auth_login_ ? "LOGIN" : "PLAIN"));
    const ClientAuth& a = *settings_.auth;
    send_command(sasl::encode_base64(auth_prompts_ == 0 ? a.user : a.password), ClientStage::auth);
    ++auth_prompts_;
    return;
  }
  if (reply.klass() == 4) return fail_connection(server_result(reply, ClientStage::auth), true);
  // A 5xx (535 5.7.8 wrong password, 534 5.7.9, 538 5.7.11, 504...) says the relay settings
  // are wrong, not the message: defer, so that fixing the configuration delivers the mail.
  std::string enhanced = reply.enhanced.empty() ? "4.7.0" : "4" + reply.enhanced.substr(1);
  fail_connection(
      local_result(451, enhanced,
                   "relay rejected AUTH (mail kept; check the credentials): " + reply.summary(),
                   ClientStage::auth),
      true);
}

void ClientSession::on_tls_started() {
  if (phase_ != Phase::tls_handshake) return;
  tls_active_ = true;
  caps_ = Capabilities{};  // RFC 3207 §4.2: forget what the server said before TLS
  phase_ = Phase::setup;
  send_command("EHLO " + settings_.helo_name, ClientStage::ehlo);
  advance();
  flush();
}

void ClientSession::on_tls_failed(std::string_view reason) {
  if (phase_ != Phase::tls_handshake) return;
  std::string why = "TLS handshake failed";
  if (!reason.empty()) why += ": " + sanitize_reply_text(reason.substr(0, 300));
  fail_connection(local_result(451, "4.7.5", why, ClientStage::tls_handshake), false);
  flush();
}

void ClientSession::on_timeout() {
  switch (phase_) {
    case Phase::closed:
      return;
    case Phase::quitting:
      close_now();
      break;
    case Phase::connecting:
      fail_connection(local_result(421, "4.4.1", "timed out connecting", ClientStage::connect),
                      false);
      break;
    case Phase::tls_handshake:
      fail_connection(local_result(421, "4.4.2", "timed out during the TLS handshake",
                                   ClientStage::tls_handshake),
                      false);
      break;
    case Phase::setup:
    case Phase::open:
      if (expects_.empty() && !tx_) {
        // Idle for a whole command timeout: hang up politely (RFC 5321 §4.1.1.10).
        quit_requested_ = true;
        advance();
      } else {
        ClientStage stage = expects_.empty() ? ClientStage::local : expects_.front().stage;
        fail_connection(
            local_result(421, "4.4.2", "timed out waiting for " + awaited(stage), stage), false);
      }
      break;
  }
  flush();
}

void ClientSession::on_closed(std::string_view detail) {
  std::string suffix = detail.empty() ? "" : ": " + sanitize_reply_text(detail.substr(0, 300));
  switch (phase_) {
    case Phase::closed:
      return;
    case Phase::quitting:
      close_now();
      break;
    case Phase::connecting:
      fail_connection(local_result(421, "4.4.1", "cannot connect" + suffix, ClientStage::connect),
                      false);
      break;
    case Phase::tls_handshake:
    case Phase::setup:
    case Phase::open: {
      ClientStage stage = phase_ == Phase::tls_handshake ? ClientStage::tls_handshake
                          : expects_.empty()             ? ClientStage::local
                                                         : expects_.front().stage;
      std::string why = stage == ClientStage::end_of_data || stage == ClientStage::bdat
                            ? "connection lost while sending the message data or awaiting "
                              "the reply to it"
                            : "connection lost while waiting for " + awaited(stage);
      fail_connection(local_result(421, "4.4.2", why + suffix, stage), false);
      break;
    }
  }
  flush();
}

std::chrono::seconds ClientSession::current_timeout() const {
  const ClientTimeouts& t = settings_.timeouts;
  if (phase_ == Phase::connecting) return t.connect;
  if (phase_ == Phase::tls_handshake || expects_.empty()) return t.command;
  switch (expects_.front().stage) {
    case ClientStage::greeting:
      return t.greeting;
    case ClientStage::mail:
      return t.mail;
    case ClientStage::rcpt:
      return t.rcpt;
    case ClientStage::data:
      return t.data_init;
    case ClientStage::end_of_data:
    case ClientStage::bdat:
      return t.data_end;
    default:
      return t.command;
  }
}

bool ClientSession::idle() const {
  return phase_ == Phase::open && !tx_ && expects_.empty() && queue_.empty() && ready_emitted_;
}

// ---- Requests ----------------------------------------------------------------------------

std::size_t ClientSession::submit(OutgoingMessage message) {
  std::size_t index = next_index_++;
  if (phase_ == Phase::closed || phase_ == Phase::quitting) {
    // Too late for this connection: answer this message at once, leave the rest alone.
    client::MessageDone done{index, {}};
    for (const std::string& rcpt : message.rcpt_to) {
      done.results.push_back(
          local_result(421, "4.4.2", "connection already closed", ClientStage::connect));
      done.results.back().rcpt = rcpt;
    }
    emit(std::move(done));
    return index;
  }
  queue_.emplace_back(index, std::move(message));
  ready_emitted_ = false;
  advance();
  flush();
  return index;
}

void ClientSession::quit() {
  if (phase_ == Phase::closed || phase_ == Phase::quitting) return;
  quit_requested_ = true;
  advance();
  flush();
}

// Starts the next message, or QUITs, or reports Ready, when the connection is free.
void ClientSession::advance() {
  while (phase_ == Phase::open && !tx_ && expects_.empty()) {
    if (!queue_.empty()) {
      start_next();  // may settle the message at once (local checks) and loop
      continue;
    }
    if (quit_requested_) return send_quit();
    if (!ready_emitted_) {
      ready_emitted_ = true;
      emit(client::Ready{});
    }
    return;
  }
}

}  // namespace herald::smtp
