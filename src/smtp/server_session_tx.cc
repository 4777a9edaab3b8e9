// ServerSession: AUTH and the mail transaction (MAIL, RCPT, DATA, BDAT, end of message).
// Each verb checks everything first and only then changes state (OpenSMTPD's check/proceed).
#include <charconv>

#include "smtp/message.h"
#include "smtp/server_session.h"

namespace herald::smtp {
namespace {

std::string printable(std::string_view s, std::size_t max = 200) {
  std::string out;
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 32 || u == 127 ? '?' : c);
  }
  if (s.size() > max) out += "...";
  return out;
}

std::optional<std::uint64_t> parse_size(std::string_view v) {
  std::uint64_t n = 0;
  if (v.empty() || v.size() > 19) return std::nullopt;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || ptr != v.data() + v.size()) return std::nullopt;
  return n;
}

}  // namespace

// ---- AUTH (RFC 4954) ---------------------------------------------------------------------

void ServerSession::cmd_auth(const Command& cmd) {
  if (!auth_user_.empty()) {
    reply(503, "5.5.1", "Error: already authenticated");
    return;
  }
  if (tx_) {
    reply(503, "5.5.1", "Error: AUTH not allowed during a mail transaction");
    return;
  }
  std::string_view args = cmd.args;
  std::size_t sp = args.find(' ');
  std::string_view name = args.substr(0, sp);
  std::optional<std::string_view> initial;
  if (sp != std::string_view::npos) initial = args.substr(sp + 1);
  if (name.empty() || (initial && (initial->empty() || initial->find(' ') != initial->npos))) {
    reply(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
    return;
  }
  auto mech = sasl::parse_mechanism(name);
  if (!mech) {
    reply(504, "5.5.4", "Unrecognized authentication mechanism");
    return;
  }
  auth_exchange_.emplace(*mech);
  apply_auth_step(auth_exchange_->start(initial));
}

void ServerSession::handle_auth_line(std::string_view line) {
  apply_auth_step(auth_exchange_->respond(line));
}

void ServerSession::apply_auth_step(sasl::Exchange::Step step) {
  if (auto* challenge = std::get_if<sasl::Exchange::Challenge>(&step)) {
    mode_ = Mode::auth;
    reply(334, "", challenge->base64);
    return;
  }
  std::string mechanism(sasl::mechanism_name(auth_exchange_->mechanism()));
  mode_ = Mode::command;
  auth_exchange_.reset();
  if (auto* failed = std::get_if<sasl::Exchange::Failed>(&step)) {
    if (failed->failure == sasl::Exchange::Failure::cancelled) {
      reply(501, "5.0.0", "Authentication cancelled");
      return;
    }
    event(EventKind::auth_failed, "malformed " + mechanism + " exchange");
    reply(501, "5.5.2", "Invalid authentication response (bad base64 or message)");
    return;
  }
  auto& creds = std::get<sasl::Exchange::Done>(step).credentials;
  if (!parse_mailbox(creds.user, true)) {
    // The user name is a sender address; anything else cannot succeed, skip the hash.
    event(EventKind::auth_failed, "user " + printable(creds.user) + " is not an address",
          printable(creds.user));
    reply(535, "5.7.8", "Authentication credentials invalid");
    return;
  }
  pending_ = Pending::auth;
  pending_user_ = creds.user;
  pending_mechanism_ = mechanism;
  emit(VerifyCredentials{mechanism, std::move(creds.user), std::move(creds.password)});
}

void ServerSession::on_auth_result(const AuthOutcome& outcome) {
  if (pending_ != Pending::auth || closed_) return;
  pending_ = Pending::none;
  std::string who = "user " + printable(pending_user_) + " (" + pending_mechanism_ + ")";
  switch (outcome.status) {
    case AuthStatus::ok: {
      const std::string& user =
          outcome.canonical_user.empty() ? pending_user_ : outcome.canonical_user;
      auth_mailbox_ = parse_mailbox(user, true);
      if (!auth_mailbox_) {  // the verifier vouched for something that is not an address
        event(EventKind::auth_unavailable, who + ": canonical user is not an address",
              printable(pending_user_));
        reply(454, "4.7.0", "Temporary authentication failure");
        break;
      }
      auth_user_ = auth_mailbox_->str();
      reply(235, "2.7.0", "Authentication successful");
      break;
    }
    case AuthStatus::bad_credentials:
      event(EventKind::auth_failed,
            who + (outcome.detail.empty() ? "" : ": " + printable(outcome.detail)),
            printable(pending_user_));
      reply(535, "5.7.8", "Authentication credentials invalid");
      break;
    case AuthStatus::temp_fail:
    case AuthStatus::throttled:
      event(EventKind::auth_unavailable,
            who + (outcome.status == AuthStatus::throttled ? ": throttled" : ": temporary failure"),
            printable(pending_user_));
      reply(454, "4.7.0",
            outcome.text.empty() ? "Temporary authentication failure, try again later"
                                 : printable(outcome.text));
      break;
  }
  pending_user_.clear();
  pending_mechanism_.clear();
  process();
}

// ---- MAIL / RCPT -------------------------------------------------------------------------

void ServerSession::cmd_mail(const Command& cmd) {
  if (tx_) {
    reply(503, "5.5.1", "Error: nested MAIL command");
    return;
  }
  auto args = parse_path_args(cmd.args, "FROM");
  if (!args) {
    reply(501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]");
    return;
  }
  Transaction tx;
  for (const EsmtpParam& p : args->params) {
    if (p.keyword == "SIZE") {
      auto n = p.has_value ? parse_size(p.value) : std::nullopt;
      if (!n) return reply(501, "5.5.4", "Syntax: SIZE=<octets>");
      if (*n > settings_.max_message_size) {
        return reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
      }
    } else if (p.keyword == "BODY") {
      if (iequals(p.value, "8BITMIME")) {
        tx.body_8bit = true;
      } else if (!iequals(p.value, "7BIT")) {
        return reply(555, "5.5.4", "Unsupported BODY type");
      }
    } else if (p.keyword == "SMTPUTF8" && !p.has_value) {
      tx.smtputf8 = true;
    } else if (p.keyword != "AUTH") {  // RFC 4954 §5: AUTH= may be ignored
      return reply(555, "5.5.4", "Unsupported parameter " + printable(p.keyword, 40));
    }
  }
  PathResult path = parse_path(args->path, true, tx.smtputf8);
  if (!path.path) {
    if (path.error == PathError::non_ascii_without_utf8) {
      return reply(553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter");
    }
    return reply(501, "5.1.7", "Bad sender address syntax");
  }
  // Sender binding: the envelope sender is the authenticated address, nothing else.
  if (path.path->null || !same_mailbox(path.path->mailbox, *auth_mailbox_)) {
    std::string given = path.path->null ? "" : path.path->mailbox.str();
    event(EventKind::sender_mismatch,
          "authenticated as " + auth_user_ + ", MAIL FROM <" + printable(given) + ">");
    return reply(550, "5.7.1",
                 "Sender address rejected: you are authenticated as <" + auth_user_ +
                     ">; MAIL FROM must be <" + auth_user_ + ">");
  }
  if (!storage_available_) return reply(452, "4.3.1", "Insufficient system storage");
  tx.helo = helo_;
  tx.esmtp = esmtp_;
  tx.tls = tls_active_;
  tx.auth_user = auth_user_;
  tx.mail_from = path.path->mailbox.str();
  tx_ = std::move(tx);
  reply(250, "2.1.0", "Ok");
}

void ServerSession::cmd_rcpt(const Command& cmd) {
  if (!tx_) return reply(503, "5.5.1", "Error: need MAIL command");
  auto args = parse_path_args(cmd.args, "TO");
  if (!args) return reply(501, "5.5.4", "Syntax: RCPT TO:<address>");
  if (!args->params.empty()) {
    return reply(555, "5.5.4", "Unsupported parameter " + printable(args->params[0].keyword, 40));
  }
  PathResult path = parse_path(args->path, false, tx_->smtputf8);
  if (!path.path) {
    if (path.error == PathError::non_ascii_without_utf8) {
      return reply(553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter");
    }
    return reply(501, "5.1.3", "Bad recipient address syntax");
  }
  const Mailbox& m = path.path->mailbox;
  if (m.is_address_literal()) {
    return reply(553, "5.1.2", "Recipient domain must be a domain name, not an address literal");
  }
  std::string rcpt = m.str();
  if (std::find(tx_->rcpt_to.begin(), tx_->rcpt_to.end(), rcpt) != tx_->rcpt_to.end()) {
    return reply(250, "2.1.5", "Ok");  // duplicate: one delivery per recipient
  }
  if (tx_->rcpt_to.size() >= settings_.max_recipients) {
    return reply(452, "4.5.3", "Too many recipients");
  }
  tx_->rcpt_to.push_back(std::move(rcpt));
  reply(250, "2.1.5", "Ok");
}

// ---- DATA / BDAT -------------------------------------------------------------------------

void ServerSession::cmd_data() {
  if (!tx_) return reply(503, "5.5.1", "Error: need MAIL command");
  if (tx_->rcpt_to.empty()) return reply(503, "5.5.1", "Error: need RCPT command");
  if (tx_->chunking) return reply(503, "5.5.1", "Error: DATA after BDAT in one transaction");
  if (!storage_available_) return reply(452, "4.3.1", "Insufficient system storage");
  decoder_.emplace(DataDecoder::Mode::dot_terminated, settings_.max_message_size);
  mode_ = Mode::data;
  reply(354, "", "End data with <CR><LF>.<CR><LF>");
  flush();
}

void ServerSession::cmd_bdat(const Command& cmd) {
  auto args = parse_bdat_args(cmd.args);
  if (!args) {
    // Without a chunk size the rest of the stream cannot be framed: stop here rather than
    // interpret message content as commands.
    event(EventKind::protocol_violation, "malformed BDAT " + printable(cmd.args, 40));
    close_with(501, "5.5.4", "Syntax: BDAT <size> [LAST]; closing connection");
    return;
  }
  std::optional<Reply> refusal = check_flags(*cmd.spec);
  if (!refusal && !tx_) refusal = Reply{503, "5.5.1", "Error: need MAIL command"};
  if (!refusal && tx_->rcpt_to.empty()) refusal = Reply{503, "5.5.1", "Error: need RCPT command"};
  if (!refusal && !tx_->chunking) {
    if (!storage_available_) {
      refusal = Reply{452, "4.3.1", "Insufficient system storage"};
    } else {
      decoder_.emplace(DataDecoder::Mode::raw, settings_.max_message_size);
      tx_->chunking = true;
    }
  }
  bdat_remaining_ = args->size;
  bdat_last_ = args->last;
  bdat_discard_ = refusal.has_value();
  bdat_reply_ = std::move(refusal);
  mode_ = Mode::bdat;
}

// Content checks after the end of the data, in order of precedence.
std::optional<Reply> ServerSession::check_content(const DataDecoder& dec, EventKind& kind) const {
  kind = EventKind::message_rejected;
  unsigned p = dec.problems();
  if (p & kTooBig) return Reply{552, "5.3.4", "Message size exceeds fixed maximum message size"};
  if (p & kBareNewline) {
    return Reply{554, "5.5.2", "Message rejected: bare CR or LF (lines must end with CRLF)"};
  }
  if (p & kNulByte) return Reply{554, "5.6.0", "Message rejected: NUL octet in message"};
  if (p & kLineTooLong) {
    return Reply{554, "5.6.0", "Message rejected: line longer than 1000 octets"};
  }
  if (dec.saw_8bit() && !tx_->body_8bit && !tx_->smtputf8) {
    return Reply{554, "5.6.1", "Message rejected: 8-bit data requires MAIL FROM BODY=8BITMIME"};
  }
  return std::nullopt;
}

// The From: header must name exactly the authenticated address (one mailbox, one field).
std::optional<Reply> ServerSession::check_from_header(std::string_view data,
                                                      Transaction& tx) const {
  HeaderSummary h = parse_headers(data);
  std::string expected = "expected From: <" + auth_user_ + ">";
  if (h.from_fields == 0) {
    return Reply{550, "5.7.1", "Message rejected: no From header; " + expected};
  }
  if (h.from_fields > 1 || !h.from_parsed || h.from.size() != 1) {
    return Reply{550, "5.7.1",
                 "Message rejected: From header must be exactly one mailbox; " + expected};
  }
  if (!same_mailbox(h.from.front(), *auth_mailbox_)) {
    return Reply{550, "5.7.1",
                 "Message rejected: From header <" + printable(h.from.front().str()) +
                     "> is not the authenticated address; " + expected};
  }
  tx.from_header = h.from.front().str();
  tx.subject = std::move(h.subject);
  tx.message_id = std::move(h.message_id);
  tx.date = std::move(h.date);
  return std::nullopt;
}

void ServerSession::finish_message() {
  mode_ = Mode::command;
  DataDecoder dec = std::move(*decoder_);
  decoder_.reset();
  Transaction tx = std::move(*tx_);
  tx_.reset();  // whatever the outcome, the transaction ends here (RFC 5321 §4.1.1.4)
  EventKind kind = EventKind::message_rejected;
  std::optional<Reply> refusal = check_content(dec, kind);
  tx.data = dec.take_data();
  if (!refusal) {
    refusal = check_from_header(tx.data, tx);
    kind = EventKind::from_header_mismatch;
  }
  if (!refusal && !storage_available_) {
    refusal = Reply{452, "4.3.1", "Insufficient system storage"};
    kind = EventKind::message_rejected;
  }
  if (refusal) {
    event(kind, std::to_string(refusal->code) + " " + refusal->enhanced + " " + refusal->text);
    reply(*refusal);
    return;
  }
  pending_ = Pending::commit;
  emit(CommitMessage{std::move(tx)});
}

void ServerSession::on_commit_result(const CommitOutcome& outcome) {
  if (pending_ != Pending::commit || closed_) return;
  pending_ = Pending::none;
  if (outcome.ok) {
    // The command budget guards against sessions that never send mail (Postfix counts junk
    // commands the same way): each accepted message renews it, so a client that reuses one
    // session for thousands of messages is never cut off.
    commands_ = 0;
    reply(250, "2.0.0", "Ok: queued as " + printable(outcome.queue_id, 64));
  } else {
    reply(
        451, "4.3.0",
        outcome.reason.empty() ? "Temporary failure, try again later" : printable(outcome.reason));
  }
  process();
}

}  // namespace herald::smtp
