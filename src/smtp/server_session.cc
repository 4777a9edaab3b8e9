#include "smtp/server_session.h"

#include <algorithm>

#include "smtp/message.h"

namespace herald::smtp {
namespace {

// Event details quote client input; keep them short and printable.
std::string printable(std::string_view s, std::size_t max = 200) {
  std::string out;
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 32 || u == 127 ? '?' : c);
  }
  if (s.size() > max) out += "...";
  return out;
}

bool is_helo_argument(std::string_view arg) {
  if (arg.empty() || arg.size() > 255) return false;
  return std::all_of(arg.begin(), arg.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u > 32 && u < 127;
  });
}

bool starts_with_auth(std::string_view s) {
  return s.size() >= 5 && iequals(s.substr(0, 5), "AUTH ");
}

}  // namespace

std::string_view event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::auth_failed:
      return "auth_failed";
    case EventKind::auth_unavailable:
      return "auth_unavailable";
    case EventKind::auth_without_tls:
      return "auth_without_tls";
    case EventKind::auth_required:
      return "auth_required";
    case EventKind::sender_mismatch:
      return "sender_mismatch";
    case EventKind::from_header_mismatch:
      return "from_header_mismatch";
    case EventKind::message_rejected:
      return "message_rejected";
    case EventKind::protocol_violation:
      return "protocol_violation";
    case EventKind::limit_exceeded:
      return "limit_exceeded";
    case EventKind::tls_failed:
      return "tls_failed";
    case EventKind::session_limit:
      return "session_limit";
  }
  return "unknown";
}

ServerSession::ServerSession(ServerSettings settings, PeerInfo peer)
    : settings_(std::move(settings)), peer_(std::move(peer)), tls_active_(settings_.tls_active) {}

ServerSession::~ServerSession() = default;

// ---- Output ------------------------------------------------------------------------------

void ServerSession::reply(int code, std::string_view enhanced, std::string_view text) {
  reply(Reply{code, std::string(enhanced), std::string(text)});
}

void ServerSession::reply(const Reply& r) {
  out_ += r.wire();
  if (r.code >= 400 && r.code != 421) ++errors_;
}

void ServerSession::flush() {
  if (!out_.empty()) actions_.push_back(Send{std::move(out_)});
  out_.clear();
}

void ServerSession::emit(Action action) {
  flush();
  actions_.push_back(std::move(action));
}

void ServerSession::event(EventKind kind, std::string detail, std::string user) {
  actions_.push_back(Event{kind, std::move(detail), std::move(user)});
}

void ServerSession::close_with(int code, std::string_view enhanced, std::string_view text) {
  reply(code, enhanced, text);
  emit(Close{});
  closed_ = true;
  in_.clear();
  in_pos_ = 0;
}

std::optional<Action> ServerSession::next_action() {
  if (actions_.empty()) return std::nullopt;
  Action a = std::move(actions_.front());
  actions_.pop_front();
  return a;
}

// ---- Input -------------------------------------------------------------------------------

void ServerSession::start() {
  if (started_) return;
  started_ = true;
  reply(220, "", settings_.hostname + " ESMTP Herald");
  flush();
}

void ServerSession::receive(std::string_view bytes) {
  if (closed_ || bytes.empty()) return;
  if (!started_) start();
  if (pending_ == Pending::tls) {
    // RFC 3207 §4.2: nothing sent before the handshake may be acted upon.
    event(EventKind::protocol_violation,
          std::to_string(bytes.size()) + " octets received during TLS negotiation, discarded");
    return;
  }
  if (waiting() && in_.size() - in_pos_ + bytes.size() > kMaxBufferedInput) {
    event(EventKind::limit_exceeded, "too much input while a result was pending");
    close_with(421, "4.7.0", settings_.hostname + " Too much pipelined input, closing connection");
    return;
  }
  in_.append(bytes);
  process();
}

void ServerSession::process() {
  while (!closed_ && pending_ == Pending::none) {
    bool progressed = false;
    switch (mode_) {
      case Mode::command:
      case Mode::auth:
        progressed = process_line_mode();
        break;
      case Mode::data:
        progressed = process_data();
        break;
      case Mode::bdat:
        progressed = process_bdat();
        break;
    }
    if (!closed_ && errors_ >= settings_.max_errors) {
      event(EventKind::limit_exceeded, "too many errors");
      close_with(421, "4.7.0", settings_.hostname + " Too many errors, closing connection");
    }
    if (!progressed) break;
  }
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > 4096) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  flush();
}

// Extracts one CRLF-terminated line. Framing errors (overlong line, bare CR/LF, NUL) are
// answered here, so the verbs only ever see clean lines.
bool ServerSession::process_line_mode() {
  std::string_view avail(in_.data() + in_pos_, in_.size() - in_pos_);
  if (avail.empty()) return false;
  std::size_t lf = avail.find('\n');
  if (discarding_line_) {
    if (lf == std::string_view::npos) {
      in_pos_ = in_.size();
      return false;
    }
    in_pos_ += lf + 1;
    discarding_line_ = false;
    return true;
  }
  bool auth = mode_ == Mode::auth;
  std::size_t limit = auth || starts_with_auth(avail) ? kMaxAuthLine : kMaxCommandLine;
  bool overlong = lf == std::string_view::npos ? avail.size() >= limit : lf + 1 > limit;
  if (lf == std::string_view::npos && !overlong) return false;
  if (overlong) {
    event(EventKind::protocol_violation, "line too long");
    if (auth) {
      mode_ = Mode::command;
      auth_exchange_.reset();
      reply(500, "5.5.6", "Authentication exchange line is too long");
    } else {
      reply(500, "5.5.2", "Line too long (max " + std::to_string(limit) + " octets)");
    }
    if (lf == std::string_view::npos) {
      discarding_line_ = true;
      in_pos_ = in_.size();
    } else {
      in_pos_ += lf + 1;
    }
    return true;
  }
  std::string_view line = avail.substr(0, lf);
  in_pos_ += lf + 1;
  bool bare = line.empty() || line.back() != '\r';
  if (!bare) line.remove_suffix(1);
  if (bare || line.find('\r') != std::string_view::npos) {
    event(EventKind::protocol_violation, "bare CR or LF in command line");
    if (auth) mode_ = Mode::command, auth_exchange_.reset();
    reply(500, "5.5.2", "Syntax error: bare CR or LF (lines must end with CRLF)");
  } else if (line.find('\0') != std::string_view::npos) {
    event(EventKind::protocol_violation, "NUL in command line");
    if (auth) mode_ = Mode::command, auth_exchange_.reset();
    reply(500, "5.5.2", "Syntax error: NUL octet in command");
  } else if (auth) {
    handle_auth_line(line);
  } else {
    handle_command(line);
  }
  return true;
}

bool ServerSession::process_data() {
  std::string_view avail(in_.data() + in_pos_, in_.size() - in_pos_);
  if (avail.empty()) return false;
  in_pos_ += decoder_->feed(avail);
  if (!decoder_->done()) return false;
  finish_message();
  return true;
}

bool ServerSession::process_bdat() {
  std::string_view avail(in_.data() + in_pos_, in_.size() - in_pos_);
  std::size_t take =
      static_cast<std::size_t>(std::min<std::uint64_t>(bdat_remaining_, avail.size()));
  if (!bdat_discard_) decoder_->feed(avail.substr(0, take));
  in_pos_ += take;
  bdat_remaining_ -= take;
  if (bdat_remaining_ > 0) return false;
  mode_ = Mode::command;
  if (bdat_discard_) {
    bdat_discard_ = false;
    reply(*bdat_reply_);
    bdat_reply_.reset();
    return true;
  }
  if (bdat_last_ || decoder_->problems() != 0) {
    if (bdat_last_) decoder_->finish();
    finish_message();
  } else {
    reply(250, "2.0.0", std::to_string(decoder_->size()) + " octets received");
  }
  return true;
}

// ---- Commands ----------------------------------------------------------------------------

std::optional<Reply> ServerSession::check_flags(const CommandSpec& spec) {
  if ((spec.flags & kNeedsGreeting) && helo_.empty()) {
    return Reply{503, "5.5.1", "Error: send EHLO/HELO first"};
  }
  if ((spec.flags & kNeedsTls) && !tls_active_) {
    if (spec.verb == Verb::auth) {
      event(EventKind::auth_without_tls, "AUTH before STARTTLS");
      return Reply{538, "5.7.11", "Encryption required for requested authentication mechanism"};
    }
    event(EventKind::auth_required, std::string(spec.name) + " before STARTTLS");
    return Reply{530, "5.7.0", "Must issue a STARTTLS command first"};
  }
  if ((spec.flags & kNeedsAuth) && auth_user_.empty()) {
    event(EventKind::auth_required, std::string(spec.name) + " without authentication");
    return Reply{530, "5.7.0", "Authentication required"};
  }
  return std::nullopt;
}

void ServerSession::handle_command(std::string_view line) {
  if (++commands_ > settings_.max_commands) {
    event(EventKind::limit_exceeded, "too many commands");
    close_with(421, "4.7.0", settings_.hostname + " Too many commands, closing connection");
    return;
  }
  Command cmd = parse_command(line);
  if (!cmd.spec) {
    reply(500, "5.5.2", "Error: command not recognized");
    return;
  }
  const CommandSpec& spec = *cmd.spec;
  if (spec.verb == Verb::forbidden) {
    event(EventKind::protocol_violation, "forbidden command " + printable(cmd.verb));
    close_with(421, "4.7.0", settings_.hostname + " Error: this is an SMTP server, closing");
    return;
  }
  if (spec.verb == Verb::bdat) {  // must consume its chunk whatever the checks say
    cmd_bdat(cmd);
    return;
  }
  if ((spec.flags & kNoArgs) && !cmd.args.empty()) {
    reply(501, "5.5.4", "Syntax error: " + std::string(spec.name) + " takes no parameters");
    return;
  }
  if (auto refusal = check_flags(spec)) {
    reply(*refusal);
    return;
  }
  switch (spec.verb) {
    case Verb::ehlo:
      cmd_ehlo(cmd, true);
      break;
    case Verb::helo:
      cmd_ehlo(cmd, false);
      break;
    case Verb::starttls:
      cmd_starttls();
      break;
    case Verb::auth:
      cmd_auth(cmd);
      break;
    case Verb::mail:
      cmd_mail(cmd);
      break;
    case Verb::rcpt:
      cmd_rcpt(cmd);
      break;
    case Verb::data:
      cmd_data();
      break;
    case Verb::rset:
      cmd_rset();
      break;
    case Verb::noop:
      reply(250, "2.0.0", "Ok");
      break;
    case Verb::quit:
      cmd_quit();
      break;
    case Verb::help:
      cmd_help();
      break;
    case Verb::vrfy:
      reply(252, "2.5.0", "Cannot VRFY user, but will accept message");
      break;
    case Verb::expn:
    case Verb::not_implemented:
      reply(502, "5.5.1", "Error: command not implemented");
      break;
    case Verb::bdat:
    case Verb::forbidden:
      break;  // handled above
  }
  if (spec.flags & kEndsGroup) flush();
}

std::string ServerSession::ehlo_text() const {
  std::string t = settings_.hostname + " Hello " + helo_;
  t += "\nPIPELINING\nSIZE " + std::to_string(settings_.max_message_size);
  t += "\n8BITMIME\nSMTPUTF8\nENHANCEDSTATUSCODES\nCHUNKING";
  if (settings_.tls_available && !tls_active_) t += "\nSTARTTLS";
  if (tls_active_) t += "\nAUTH PLAIN LOGIN";
  return t;
}

void ServerSession::cmd_ehlo(const Command& cmd, bool esmtp) {
  if (!is_helo_argument(cmd.args)) {
    reply(501, "5.5.4", esmtp ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
    return;
  }
  // RFC 5321 §4.1.4: EHLO/HELO resets the transaction; authentication is kept.
  reset_transaction();
  helo_ = std::string(cmd.args);
  esmtp_ = esmtp;
  reply(250, "", esmtp ? ehlo_text() : settings_.hostname);
}

void ServerSession::cmd_starttls() {
  if (tls_active_) {
    reply(503, "5.5.1", "Error: TLS already active");
    return;
  }
  if (!settings_.tls_available) {
    reply(454, "4.7.0", "TLS not available");
    return;
  }
  reply(220, "2.0.0", "Ready to start TLS");
  if (in_pos_ < in_.size()) {
    // RFC 3207 §4.2 (and CVE-2011-0411): pipelined plaintext must not survive the handshake.
    event(EventKind::protocol_violation,
          std::to_string(in_.size() - in_pos_) + " octets pipelined after STARTTLS, discarded");
  }
  in_.clear();
  in_pos_ = 0;
  pending_ = Pending::tls;
  emit(StartTls{});
}

void ServerSession::on_tls_started() {
  if (pending_ != Pending::tls || closed_) return;
  pending_ = Pending::none;
  tls_active_ = true;
  // RFC 3207 §4.2: discard all knowledge obtained from the client; expect a new EHLO.
  helo_.clear();
  esmtp_ = false;
  reset_transaction();
  process();
}

void ServerSession::on_tls_failed() {
  if (pending_ != Pending::tls || closed_) return;
  pending_ = Pending::none;
  event(EventKind::tls_failed, "TLS handshake failed");
  emit(Close{});
  closed_ = true;
}

void ServerSession::cmd_rset() {
  reset_transaction();
  reply(250, "2.0.0", "Ok");
}

void ServerSession::cmd_quit() {
  reply(221, "2.0.0", "Bye");
  emit(Close{});
  closed_ = true;
}

void ServerSession::cmd_help() {
  reply(214, "2.0.0",
        "Herald accepts authenticated submission only: EHLO, STARTTLS, AUTH, MAIL, RCPT,\n"
        "DATA, BDAT, RSET, NOOP, VRFY, HELP, QUIT. See RFC 5321.");
}

void ServerSession::reset_transaction() {
  tx_.reset();
  decoder_.reset();
  if (mode_ == Mode::data || mode_ == Mode::bdat) mode_ = Mode::command;
}

void ServerSession::on_idle_timeout() {
  if (closed_) return;
  close_with(421, "4.4.2", settings_.hostname + " Error: timeout exceeded");
}

}  // namespace herald::smtp
