#include "cli/send_client.h"

#include <openssl/x509.h>

#include <algorithm>
#include <boost/asio/ip/host_name.hpp>
#include <cstdio>

#include "cli/send_connection.h"
#include "cli/send_message.h"
#include "cli/send_protocol.h"

namespace herald::cli::send {

namespace {

namespace asio = boost::asio;
using boost::system::error_code;

std::string seconds_text(std::chrono::seconds s) {
  return std::to_string(s.count()) + " s";
}

// Server text is untrusted: controls (other than TAB) are shown as \xNN so that a reply
// cannot rewrite the terminal.
std::string escape_controls(std::string_view text) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += ch;
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// OpenSSL's reason without asio's " (SSL routines)" suffix, or a plain description.
std::string tls_reason(const error_code& ec, std::chrono::seconds limit) {
  if (ec == asio::error::timed_out) return "no answer within " + seconds_text(limit);
  if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof ||
      ec == asio::error::connection_reset)
    return "the server closed the connection";
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (reason) return reason;
  }
  return ec.message();
}

std::string name_text(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

// Prints "C: ", "S: " and "* " lines, with secrets masked and controls escaped.
class Transcript {
 public:
  explicit Transcript(const TranscriptSink& sink) : sink_(sink) {}
  Redactor& redactor() { return redactor_; }
  void client(std::string_view shown) { emit("C: ", shown); }
  void server(std::string_view line) { emit("S: ", line); }
  void note(std::string_view text) { emit("* ", text); }
  std::string redact(std::string_view text) const { return redactor_.redact(text); }

 private:
  void emit(std::string_view prefix, std::string_view text) {
    sink_(std::string(prefix) + escape_controls(redactor_.redact(text)));
  }
  const TranscriptSink& sink_;
  Redactor redactor_;
};

class Session {
 public:
  Session(const SendOptions& o, const TranscriptSink& sink) : o_(o), t_(sink) {
    t_.redactor().add_password(o.user, o.password);
  }
  Result<std::string> run();

 private:
  Result<std::string> dialogue();
  Result<void> open();
  Result<void> greet();
  Error greeting_failure(const error_code& ec, std::chrono::seconds wait);
  Result<void> hello();
  Result<void> starttls();
  Result<void> authenticate();
  Result<std::string> transaction();
  void quit();

  Result<void> tls_handshake(bool implicit);
  void note_tls();
  Result<Reply> read_reply(std::string_view what, ReplyAssembler assembler = {});
  Result<Reply> exchange(const Command& c, std::string_view what);
  Error io_error(const error_code& ec, std::string_view what);
  std::string helo_name() const;
  std::string where() const { return o_.host + " port " + std::to_string(o_.port); }

  const SendOptions& o_;
  Transcript t_;
  Connection conn_;
  Capabilities caps_;
  bool alive_ = false;  // an SMTP session is up and usable for a polite QUIT
};

Result<std::string> Session::run() {
  auto result = dialogue();
  quit();
  conn_.close();
  if (!result) return make_error(t_.redact(result.error().message));
  return result;
}

Result<std::string> Session::dialogue() {
  if (auto r = open(); !r) return r.error();
  if (auto r = hello(); !r) return r.error();
  if (o_.encryption == Encryption::starttls)
    if (auto r = starttls(); !r) return r.error();
  if (auto r = authenticate(); !r) return r.error();
  return transaction();
}

Result<void> Session::open() {
  if (auto advice = port_advice(o_.encryption, o_.port)) t_.note("warning: " + *advice);
  if (auto r = conn_.configure(o_.host, o_.insecure, o_.cafile); !r) return r.error();
  t_.note("Connecting to " + where() + " (encryption: " + std::string(to_string(o_.encryption)) +
          ")");
  auto peer = conn_.connect(o_.host, o_.port, o_.timeout);
  if (!peer) return peer.error();
  t_.note("Connected to " + peer->address().to_string() + " port " + std::to_string(peer->port()));
  if (o_.encryption == Encryption::ssl)
    if (auto r = tls_handshake(/*implicit=*/true); !r) return r.error();
  return greet();
}

Result<void> Session::greet() {
  bool plain_start = o_.encryption != Encryption::ssl;
  auto wait = plain_start ? std::min(o_.greeting_wait, o_.timeout) : o_.timeout;
  std::string line;
  if (auto ec = conn_.read_line(line, wait)) return greeting_failure(ec, wait);
  t_.server(line);
  ReplyAssembler assembler;
  auto done = assembler.add_line(line);
  if (!done) {
    ConnectObservation obs{o_.encryption, o_.port, conn_.first_bytes()};
    if (auto d = diagnose_connection(obs)) return make_error(*d);
    return make_error("the server on " + where() + " does not speak SMTP: " + done.error().message);
  }
  Result<Reply> reply = *done ? assembler.take() : read_reply("the greeting", assembler);
  if (!reply) return reply.error();
  alive_ = true;
  // RFC 5321 section 3.1: 554 instead of 220 means "no SMTP service here" for this client.
  if (reply->code != 220) return make_error("the server refused the session: " + reply->summary());
  return ok();
}

Error Session::greeting_failure(const error_code& ec, std::chrono::seconds wait) {
  bool plain_start = o_.encryption != Encryption::ssl;
  ConnectObservation obs{o_.encryption, o_.port};
  obs.greeting_wait = wait;
  if (plain_start && ec == asio::error::timed_out) {
    obs.greeting_timed_out = true;
    if (conn_.first_bytes().empty()) {
      // A silent port may be waiting for a TLS ClientHello: ask it, on this connection.
      t_.note("no greeting within " + seconds_text(wait) +
              "; trying a TLS handshake to see whether the port expects implicit TLS");
      obs.tls_probe_sent = true;
      conn_.handshake(wait);
    }
  }
  obs.first_bytes = conn_.first_bytes();
  if (auto d = diagnose_connection(obs)) return make_error(*d);
  return io_error(ec, "the greeting");
}

Result<void> Session::hello() {
  std::string name = helo_name();
  auto r = exchange(visible("EHLO " + name), "EHLO");
  if (!r) return r.error();
  if (r->klass() == 2) {
    caps_ = parse_ehlo(*r);
    return ok();
  }
  // RFC 5321 section 3.2: a server that does not know EHLO gets HELO (and offers nothing).
  auto h = exchange(visible("HELO " + name), "HELO");
  if (!h) return h.error();
  if (h->klass() != 2) return make_error("the server rejected EHLO and HELO: " + h->summary());
  caps_ = Capabilities{};
  return ok();
}

Result<void> Session::starttls() {
  if (!caps_.starttls)
    return make_error(
        "the server on " + where() + " does not offer STARTTLS (its EHLO reply " +
        "lists: " + (caps_.keywords.empty() ? "no extensions" : join(caps_.keywords)) +
        "), so the connection cannot be encrypted this way. Use --encryption ssl "
        "if the server has an SSL/TLS port (usually 465); --encryption none sends "
        "without encryption.");
  auto r = exchange(visible("STARTTLS"), "STARTTLS");
  if (!r) return r.error();
  if (r->code != 220) return make_error("the server refused STARTTLS: " + r->summary());
  // RFC 3207 section 5 (and CVE-2011-0411): bytes after the 220 were sent in plain text and
  // must not be taken as part of the TLS session.
  if (conn_.has_buffered_input()) {
    alive_ = false;
    return make_error(
        "the server sent more data right after its STARTTLS reply; refusing to "
        "go on, because plain-text data could be injected into the TLS session");
  }
  if (auto h = tls_handshake(/*implicit=*/false); !h) return h.error();
  // RFC 3207 section 4.2: forget what the plain-text EHLO said and ask again.
  return hello();
}

Result<void> Session::authenticate() {
  if (o_.user.empty()) return ok();
  if (!conn_.tls() && !o_.allow_plaintext_auth)
    return make_error("refusing to send the password over an unencrypted connection");
  if (!caps_.auth)
    return make_error("the server does not offer authentication (no AUTH in its EHLO reply)" +
                      std::string(conn_.tls() ? ""
                                              : "; many servers offer AUTH only on an encrypted "
                                                "connection (--encryption starttls or ssl)") +
                      ". Leave out --user to send without authentication.");
  auto mech = choose_auth_mechanism(caps_);
  if (!mech)
    return make_error(
        "the server offers no authentication mechanism herald can use: it "
        "offers " +
        join(caps_.auth_mechanisms) + ", herald speaks PLAIN and LOGIN");
  Result<Reply> r = make_error("");
  if (*mech == AuthMechanism::plain) {
    r = exchange(auth_plain(o_.user, o_.password), "AUTH PLAIN");
  } else {
    r = exchange(visible("AUTH LOGIN"), "AUTH LOGIN");
    if (r && r->code == 334) r = exchange(auth_login_user(o_.user), "the user name");
    if (r && r->code == 334) r = exchange(auth_login_password(o_.password), "the password");
  }
  if (!r) return r.error();
  if (r->code != 235) return make_error("authentication failed: " + r->summary());
  return ok();
}

Result<std::string> Session::transaction() {
  auto r = exchange(visible("MAIL FROM:<" + o_.from + ">"), "MAIL FROM");
  if (!r) return r.error();
  if (r->klass() != 2)
    return make_error("the server rejected the sender " + o_.from + ": " + r->summary());
  for (const auto& to : o_.to) {
    r = exchange(visible("RCPT TO:<" + to + ">"), "RCPT TO");
    if (!r) return r.error();
    if (r->klass() != 2)
      return make_error("the server rejected the recipient " + to + ": " + r->summary());
  }
  r = exchange(visible("DATA"), "DATA");
  if (!r) return r.error();
  if (r->code != 354)
    return make_error("the server refused to take the message (DATA): " + r->summary());

  TestMail mail{o_.from,
                o_.to,
                o_.subject,
                test_body(o_.host, o_.port, to_string(o_.encryption), o_.user),
                std::chrono::system_clock::now(),
                make_message_id(random_hex(), o_.from)};
  std::string payload = dot_stuff(build_message(mail));
  for (std::size_t pos = 0; pos < payload.size();) {
    auto end = payload.find("\r\n", pos);
    t_.client(std::string_view(payload).substr(pos, end - pos));
    pos = end + 2;
  }
  if (auto ec = conn_.write(payload, o_.timeout)) return io_error(ec, "the message");
  r = read_reply("the message");
  if (!r) return r.error();
  if (r->klass() != 2) return make_error("the server rejected the message: " + r->summary());
  // in_place_value: Error is constructible from a string as well.
  return Result<std::string>(boost::system::in_place_value, r->summary());
}

void Session::quit() {
  if (!alive_) return;
  (void)exchange(visible("QUIT"), "QUIT");  // courtesy only: the outcome is already known
  alive_ = false;
}

Result<void> Session::tls_handshake(bool implicit) {
  auto ec = conn_.handshake(o_.timeout);
  if (!ec) {
    note_tls();
    return ok();
  }
  alive_ = false;
  long verify = SSL_get_verify_result(conn_.ssl());
  if (!o_.insecure && verify != X509_V_OK)
    return make_error(describe_verify_failure(verify, o_.host));
  std::string reason = tls_reason(ec, o_.timeout);
  if (implicit) {
    ConnectObservation obs{Encryption::ssl, o_.port, conn_.first_bytes()};
    obs.tls_error = reason;
    if (auto d = diagnose_connection(obs)) return make_error(*d);
  }
  return make_error("the TLS handshake with " + where() + " failed: " + reason);
}

void Session::note_tls() {
  SSL* s = conn_.ssl();
  std::string line =
      std::string("TLS established: ") + SSL_get_version(s) + " " + SSL_get_cipher_name(s) + ", ";
  long verify = SSL_get_verify_result(s);
  if (!o_.insecure)
    line += "certificate verified for " + o_.host;
  else if (verify == X509_V_OK)
    line += "certificate not verified (--insecure), though it would have passed";
  else
    line += std::string("certificate not verified (--insecure; verification would fail: ") +
            X509_verify_cert_error_string(verify) + ")";
  t_.note(line);
  if (X509* cert = SSL_get1_peer_certificate(s)) {
    t_.note("server certificate: subject " + name_text(X509_get_subject_name(cert)) + ", issuer " +
            name_text(X509_get_issuer_name(cert)));
    X509_free(cert);
  }
}

Result<Reply> Session::read_reply(std::string_view what, ReplyAssembler assembler) {
  for (;;) {
    std::string line;
    if (auto ec = conn_.read_line(line, o_.timeout)) return io_error(ec, what);
    t_.server(line);
    auto done = assembler.add_line(line);
    if (!done) {
      alive_ = false;
      return make_error("the server's answer to " + std::string(what) +
                        " is not an SMTP reply: " + done.error().message);
    }
    if (*done) return assembler.take();
  }
}

Result<Reply> Session::exchange(const Command& c, std::string_view what) {
  t_.client(c.shown);
  if (auto ec = conn_.write(c.wire + "\r\n", o_.timeout)) return io_error(ec, what);
  return read_reply(what);
}

Error Session::io_error(const error_code& ec, std::string_view what) {
  alive_ = false;
  std::string w(what);
  if (ec == asio::error::timed_out)
    return make_error("the server did not answer within " + seconds_text(o_.timeout) +
                      " (waiting for the reply to " + w + ")");
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
      ec == asio::error::connection_reset)
    return make_error("the server closed the connection (waiting for the reply to " + w + ")");
  if (ec == asio::error::not_found)
    return make_error("the server sent a line longer than 64 KiB (in the reply to " + w + ")");
  return make_error("connection to " + where() + " failed (" + w + "): " + ec.message());
}

std::string Session::helo_name() const {
  if (!o_.helo.empty()) return o_.helo;
  error_code ec;
  std::string name = asio::ip::host_name(ec);
  if (!ec && name.find('.') != std::string::npos && name.back() != '.') return name;
  // RFC 5321 section 4.1.3: without a fully qualified name, an address literal.
  auto local = conn_.local_endpoint().address();
  if (local.is_v6()) return "[IPv6:" + local.to_string() + "]";
  return "[" + local.to_string() + "]";
}

}  // namespace

Result<void> check_options(const SendOptions& o) {
  if (o.host.empty()) return make_error("--host is empty");
  if (!plausible_address(o.from))
    return make_error("--from \"" + o.from + "\" is not a usable mail address (local@domain)");
  if (o.to.empty()) return make_error("at least one --to is needed");
  for (const auto& to : o.to)
    if (!plausible_address(to))
      return make_error("--to \"" + to + "\" is not a usable mail address (local@domain)");
  if (!header_text_ok(o.subject))
    return make_error("--subject must not contain line breaks or other control characters");
  if (!o.helo.empty() && !header_text_ok(o.helo))
    return make_error("--helo must not contain control characters");
  if (o.user.empty()) return ok();
  if (!header_text_ok(o.user)) return make_error("--user must not contain control characters");
  if (o.password.empty())
    return make_error("no password for --user " + o.user +
                      ": give it on standard input with --password-stdin");
  if (o.password.find('\0') != std::string::npos)
    return make_error("the password must not contain NUL characters (RFC 4616)");
  if (o.encryption == Encryption::none && !o.allow_plaintext_auth)
    return make_error(
        "refusing to send the password over an unencrypted connection (--encryption none): "
        "anyone on the network path could read it. Use --encryption starttls or ssl, or add "
        "--allow-plaintext-auth if you really mean it (e.g. to a server on localhost).");
  return ok();
}

Result<std::string> send_test_mail(const SendOptions& options, const TranscriptSink& sink) {
  if (auto r = check_options(options); !r) return r.error();
  Session session(options, sink);
  return session.run();
}

}  // namespace herald::cli::send
