// `herald send` against a scripted SMTP server on loopback (port 0): the whole dialogue over
// plain text, STARTTLS and implicit TLS, the mismatch diagnoses with real TLS stacks on both
// ends, authentication, rejections, timeouts and the masking of the password.
#include "cli/send_client.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "cli/send_protocol.h"
#include "support/temp_dir.h"
#include "tls/tls_context.h"

namespace herald::cli::send {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using namespace std::chrono_literals;

constexpr const char* kUser = "app@example.com";
constexpr const char* kPassword = "correct horse battery";

// A self-signed certificate for "localhost", made once (RSA key generation is slow).
const tls::CertificateFiles& certificate() {
  static testing::TempDir dir;
  static tls::CertificateFiles files = [] {
    tls::CertificateFiles f{dir.path() / "cert.pem", dir.path() / "key.pem"};
    auto made = tls::generate_self_signed(f.cert, f.key, "localhost");
    EXPECT_TRUE(made.has_value()) << made.error().message;
    return f;
  }();
  return files;
}

std::string base64_decode(const std::string& b64) {
  std::string out(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return "";
  out.resize(static_cast<std::size_t>(n));
  for (auto it = b64.rbegin(); it != b64.rend() && *it == '='; ++it) out.pop_back();
  return out;
}

enum class Mode {
  plain,         // greets in plain text (STARTTLS port)
  implicit_tls,  // TLS handshake first, then the greeting (port 465 style)
  silent         // accepts and says nothing, not even TLS
};

struct Behaviour {
  Mode mode = Mode::plain;
  std::string greeting = "220 fake.test ESMTP";
  std::vector<std::string> ehlo_plain = {"PIPELINING", "STARTTLS", "AUTH PLAIN LOGIN"};
  std::vector<std::string> ehlo_tls = {"PIPELINING", "AUTH PLAIN LOGIN"};
  // Verb -> reply replacing the default one; an empty reply means "never answer".
  std::map<std::string, std::string> replies;
  bool inject_after_starttls = false;
};

// One connection's streams on the server side.
struct ServerConn {
  ssl::stream<tcp::socket> stream;
  bool tls = false;
  std::string in;

  asio::awaitable<std::string> read_line() {
    auto buffer = asio::dynamic_buffer(in);
    std::size_t n =
        tls ? co_await asio::async_read_until(stream, buffer, "\r\n", use_awaitable)
            : co_await asio::async_read_until(stream.next_layer(), buffer, "\r\n", use_awaitable);
    std::string line = in.substr(0, n - 2);
    in.erase(0, n);
    co_return line;
  }
  asio::awaitable<void> write(std::string data) {
    if (tls)
      co_await asio::async_write(stream, asio::buffer(data), use_awaitable);
    else
      co_await asio::async_write(stream.next_layer(), asio::buffer(data), use_awaitable);
  }
};

class FakeSmtpServer {
 public:
  explicit FakeSmtpServer(Behaviour b)
      : b_(std::move(b)), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    auto ctx = tls::make_server_context(certificate(), "1.2");
    EXPECT_TRUE(ctx.has_value());
    ctx_ = *ctx;
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeSmtpServer() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::string message() const {
    std::lock_guard lock(mutex_);
    return message_;
  }
  int connections() const { return connections_; }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(use_awaitable));
      if (ec) co_return;
      ++connections_;
      asio::co_spawn(io_, session(std::move(socket)), asio::detached);
    }
  }

  void record(const std::string& line) {
    std::lock_guard lock(mutex_);
    received_.push_back(line);
  }

  static asio::awaitable<void> hang() {
    asio::steady_timer t(co_await asio::this_coro::executor, 60s);
    co_await t.async_wait(use_awaitable);
  }

  asio::awaitable<void> session(tcp::socket socket) {
    ServerConn c{ssl::stream<tcp::socket>(std::move(socket), *ctx_)};
    if (b_.mode == Mode::silent) co_return co_await hang();
    if (b_.mode == Mode::implicit_tls) {
      co_await c.stream.async_handshake(ssl::stream_base::server, use_awaitable);
      c.tls = true;
    }
    co_await c.write(b_.greeting + "\r\n");
    for (;;) {
      std::string line = co_await c.read_line();
      record(line);
      std::string verb = line.substr(0, line.find(' '));
      for (char& ch : verb) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (auto it = b_.replies.find(verb); it != b_.replies.end()) {
        if (it->second.empty()) co_return co_await hang();
        co_await c.write(it->second + "\r\n");
        if (verb == "QUIT") co_return;
        continue;
      }
      if (verb == "QUIT") {
        co_await c.write("221 2.0.0 Bye\r\n");
        co_return;
      }
      co_await answer(c, verb, line);
    }
  }

  asio::awaitable<void> answer(ServerConn& c, const std::string& verb, const std::string& line) {
    if (verb == "EHLO") {
      const auto& ext = c.tls ? b_.ehlo_tls : b_.ehlo_plain;
      std::string reply = std::string("250") + (ext.empty() ? " " : "-") + "fake.test\r\n";
      for (std::size_t i = 0; i < ext.size(); ++i)
        reply += std::string("250") + (i + 1 == ext.size() ? " " : "-") + ext[i] + "\r\n";
      co_await c.write(reply);
    } else if (verb == "HELO") {
      co_await c.write("250 fake.test\r\n");
    } else if (verb == "STARTTLS") {
      co_await c.write(std::string("220 2.0.0 Ready to start TLS\r\n") +
                       (b_.inject_after_starttls ? "250 injected\r\n" : ""));
      if (!b_.inject_after_starttls) {
        co_await c.stream.async_handshake(ssl::stream_base::server, use_awaitable);
        c.tls = true;
      }
    } else if (verb == "AUTH") {
      co_await c.write(co_await authenticate(c, line) ? "235 2.7.0 Authentication successful\r\n"
                                                      : "535 5.7.8 Authentication credentials "
                                                        "invalid\r\n");
    } else if (verb == "MAIL") {
      co_await c.write("250 2.1.0 Ok\r\n");
    } else if (verb == "RCPT") {
      co_await c.write("250 2.1.5 Ok\r\n");
    } else if (verb == "DATA") {
      co_await c.write("354 End data with <CR><LF>.<CR><LF>\r\n");
      std::string data;
      for (std::string l = co_await c.read_line(); l != "."; l = co_await c.read_line())
        data += l + "\r\n";
      {
        std::lock_guard lock(mutex_);
        message_ = data;
      }
      co_await c.write("250 2.0.0 Ok: queued as 42\r\n");
    } else {
      co_await c.write("502 5.5.2 Error: command not recognized\r\n");
    }
  }

  asio::awaitable<bool> authenticate(ServerConn& c, const std::string& line) {
    std::string expected = std::string(1, '\0') + kUser + '\0' + kPassword;
    if (line.rfind("AUTH PLAIN ", 0) == 0) co_return base64_decode(line.substr(11)) == expected;
    if (line != "AUTH LOGIN") co_return false;
    co_await c.write("334 VXNlcm5hbWU6\r\n");
    std::string user = co_await c.read_line();
    record(user);
    co_await c.write("334 UGFzc3dvcmQ6\r\n");
    std::string password = co_await c.read_line();
    record(password);
    co_return base64_decode(user) == kUser&& base64_decode(password) == kPassword;
  }

  Behaviour b_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  tls::ContextPtr ctx_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> received_;
  std::string message_;
  std::atomic<int> connections_{0};
};

struct ClientRun {
  Result<std::string> result = make_error("not run");
  std::vector<std::string> lines;

  bool printed(std::string_view s) const {
    for (const auto& l : lines)
      if (l.find(s) != std::string::npos) return true;
    return false;
  }
  std::string error() const { return result ? "" : result.error().message; }
  std::string dump() const {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out + (result ? "OK " + *result : "ERROR " + result.error().message) + "\n";
  }
};

ClientRun run_client(const SendOptions& o) {
  ClientRun r;
  r.result = send_test_mail(o, [&](std::string_view line) { r.lines.emplace_back(line); });
  return r;
}

SendOptions options_for(const FakeSmtpServer& server, Encryption e) {
  SendOptions o;
  o.host = "127.0.0.1";
  o.port = server.port();
  o.encryption = e;
  o.from = "app@example.com";
  o.to = {"admin@example.org"};
  o.insecure = true;
  o.timeout = 5s;
  o.greeting_wait = 1s;
  o.helo = "client.test";
  return o;
}

SendOptions with_auth(SendOptions o) {
  o.user = kUser;
  o.password = kPassword;
  return o;
}

void expect_no_password(const ClientRun& r) {
  std::string all = r.dump();
  for (const std::string& secret :
       {std::string(kPassword), base64_encode(kPassword), auth_plain(kUser, kPassword).wire})
    EXPECT_EQ(all.find(secret), std::string::npos) << all;
}

TEST(SendClient, StartTlsWithAuthPlainDeliversAndMasksThePassword) {
  FakeSmtpServer server({});
  ClientRun r = run_client(with_auth(options_for(server, Encryption::starttls)));
  ASSERT_TRUE(r.result) << r.dump();
  EXPECT_EQ(*r.result, "250 2.0.0 Ok: queued as 42");
  EXPECT_TRUE(r.printed("* Connected to 127.0.0.1 port ")) << r.dump();
  EXPECT_TRUE(r.printed("S: 220 fake.test ESMTP"));
  EXPECT_TRUE(r.printed("C: STARTTLS"));
  EXPECT_TRUE(r.printed("* TLS established: TLSv1."));
  EXPECT_TRUE(r.printed("certificate not verified (--insecure; verification would fail: "));
  EXPECT_TRUE(r.printed("* server certificate: subject CN=localhost"));
  EXPECT_TRUE(r.printed("C: AUTH PLAIN ********"));
  EXPECT_TRUE(r.printed("S: 235 2.7.0 Authentication successful"));
  EXPECT_TRUE(r.printed("C: Subject: Herald test email"));
  EXPECT_TRUE(r.printed("S: 250 2.0.0 Ok: queued as 42"));
  EXPECT_FALSE(r.printed("* warning"));  // no advice for STARTTLS on an ordinary port
  expect_no_password(r);

  // RFC 3207 section 4.2: EHLO again after TLS; then AUTH, MAIL, RCPT, DATA, QUIT.
  auto got = server.received();
  ASSERT_GE(got.size(), 7u);
  EXPECT_EQ(got[0], "EHLO client.test");
  EXPECT_EQ(got[1], "STARTTLS");
  EXPECT_EQ(got[2], "EHLO client.test");
  EXPECT_EQ(got[3].rfind("AUTH PLAIN ", 0), 0u);
  EXPECT_EQ(got[4], "MAIL FROM:<app@example.com>");
  EXPECT_EQ(got[5], "RCPT TO:<admin@example.org>");
  EXPECT_EQ(got[6], "DATA");
  std::string m = server.message();
  for (const char* h : {"From: app@example.com\r\n", "To: admin@example.org\r\n",
                        "Subject: Herald test email\r\n", "Message-ID: <", "@example.com>\r\n",
                        "MIME-Version: 1.0\r\n", "Content-Type: text/plain; charset=utf-8\r\n"})
    EXPECT_NE(m.find(h), std::string::npos) << h << " in\n" << m;
  EXPECT_EQ(m.find(kPassword), std::string::npos);
}

TEST(SendClient, AuthLoginWhenPlainIsNotOffered) {
  Behaviour b;
  b.ehlo_tls = {"AUTH LOGIN"};
  FakeSmtpServer server(b);
  ClientRun r = run_client(with_auth(options_for(server, Encryption::starttls)));
  ASSERT_TRUE(r.result) << r.dump();
  EXPECT_TRUE(r.printed("C: AUTH LOGIN"));
  EXPECT_TRUE(r.printed("C: " + base64_encode(kUser)));
  EXPECT_TRUE(r.printed("C: ********"));
  expect_no_password(r);
}

TEST(SendClient, WrongPasswordIsAnAuthenticationFailure) {
  FakeSmtpServer server({});
  SendOptions o = with_auth(options_for(server, Encryption::starttls));
  o.password = "wrong password 123";
  ClientRun r = run_client(o);
  ASSERT_FALSE(r.result);
  EXPECT_EQ(r.error(), "authentication failed: 535 5.7.8 Authentication credentials invalid");
  EXPECT_EQ(r.dump().find("wrong password 123"), std::string::npos) << r.dump();
  EXPECT_EQ(server.received().back(), "QUIT");  // still a polite goodbye
}

TEST(SendClient, ImplicitTlsVerifiedWithCafile) {
  Behaviour b;
  b.mode = Mode::implicit_tls;
  FakeSmtpServer server(b);
  SendOptions o = options_for(server, Encryption::ssl);
  o.host = "localhost";
  o.insecure = false;
  o.cafile = certificate().cert.string();
  ClientRun r = run_client(o);
  ASSERT_TRUE(r.result) << r.dump();
  EXPECT_TRUE(r.printed("certificate verified for localhost")) << r.dump();
  // The port is random, not 465: the seed's table says so before connecting.
  EXPECT_TRUE(r.printed("* warning: SSL/TLS (implicit TLS) normally runs on port 465"));
  EXPECT_FALSE(r.printed("C: STARTTLS"));
}

TEST(SendClient, UntrustedCertificateIsRefusedWithAdvice) {
  Behaviour b;
  b.mode = Mode::implicit_tls;
  FakeSmtpServer server(b);
  SendOptions o = options_for(server, Encryption::ssl);
  o.host = "localhost";
  o.insecure = false;
  ClientRun r = run_client(o);
  ASSERT_FALSE(r.result);
  EXPECT_NE(r.error().find("is not signed by a trusted CA"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("--cafile FILE"), std::string::npos);
}

TEST(SendClient, CertificateForAnotherNameIsRefused) {
  Behaviour b;
  b.mode = Mode::implicit_tls;
  FakeSmtpServer server(b);
  SendOptions o = options_for(server, Encryption::ssl);
  o.insecure = false;
  o.cafile = certificate().cert.string();  // trusted, but issued for localhost only
  ClientRun r = run_client(o);
  ASSERT_FALSE(r.result);
  EXPECT_NE(r.error().find("is not valid for 127.0.0.1"), std::string::npos) << r.error();
}

TEST(SendClient, SslOnAPlainTextPortSaysUseStartTls) {
  FakeSmtpServer server({});
  ClientRun r = run_client(options_for(server, Encryption::ssl));
  ASSERT_FALSE(r.result);
  EXPECT_EQ(r.error(), "port " + std::to_string(server.port()) +
                           " answers in plain text (\"220 fake.test ESMTP\"): it expects "
                           "STARTTLS (or no encryption), not SSL/TLS. Use --encryption starttls.")
      << r.dump();
}

TEST(SendClient, StartTlsOnAnImplicitTlsPortSaysUseSsl) {
  Behaviour b;
  b.mode = Mode::implicit_tls;
  FakeSmtpServer server(b);
  ClientRun r = run_client(options_for(server, Encryption::starttls));
  ASSERT_FALSE(r.result);
  EXPECT_EQ(r.error(), "port " + std::to_string(server.port()) +
                           " sent no SMTP greeting but answers a TLS handshake: it expects "
                           "implicit TLS (SSL/TLS, usually port 465), not STARTTLS. Use "
                           "--encryption ssl.")
      << r.dump();
  EXPECT_TRUE(r.printed("* no greeting within 1 s; trying a TLS handshake"));
}

TEST(SendClient, NoEncryptionOnAnImplicitTlsPortSaysUseSsl) {
  Behaviour b;
  b.mode = Mode::implicit_tls;
  FakeSmtpServer server(b);
  ClientRun r = run_client(options_for(server, Encryption::none));
  ASSERT_FALSE(r.result);
  EXPECT_NE(r.error().find("not plain text. Use --encryption ssl."), std::string::npos)
      << r.error();
}

TEST(SendClient, SilentPortIsDescribedNotMisdiagnosed) {
  Behaviour b;
  b.mode = Mode::silent;
  FakeSmtpServer server(b);
  ClientRun r = run_client(options_for(server, Encryption::starttls));
  ASSERT_FALSE(r.result);
  EXPECT_NE(r.error().find("did not answer a TLS handshake either"), std::string::npos)
      << r.error();
}

TEST(SendClient, MissingStartTlsIsAnErrorNotAPlainTextFallback) {
  Behaviour b;
  b.ehlo_plain = {"PIPELINING", "AUTH PLAIN"};
  FakeSmtpServer server(b);
  ClientRun r = run_client(with_auth(options_for(server, Encryption::starttls)));
  ASSERT_FALSE(r.result);
  EXPECT_NE(r.error().find("does not offer STARTTLS (its EHLO reply lists: PIPELINING AUTH)"),
            std::string::npos)
      << r.error();
  for (const auto& line : server.received()) EXPECT_NE(line.rfind("AUTH", 0), 0u) << line;
}

TEST(SendClient, DataInjectedAfterStartTlsIsRefused) {
  Behaviour b;
  b.inject_after_starttls = true;
  FakeSmtpServer server(b);
  ClientRun r = run_client(options_for(server, Encryption::starttls));
  ASSERT_FALSE(r.result);
  EXPECT_NE(r.error().find("more data right after its STARTTLS reply"), std::string::npos)
      << r.error();
}

TEST(SendClient, RejectedSenderAndRecipientAreNamed) {
  Behaviour b;
  b.replies["MAIL"] = "550 5.7.1 Sender address rejected: not owned by user";
  FakeSmtpServer server(b);
  ClientRun r = run_client(options_for(server, Encryption::starttls));
  EXPECT_EQ(r.error(),
            "the server rejected the sender app@example.com: 550 5.7.1 Sender address rejected: "
            "not owned by user");
  EXPECT_EQ(server.received().back(), "QUIT");

  Behaviour b2;
  b2.replies["RCPT"] = "550 5.1.1 User unknown";
  FakeSmtpServer server2(b2);
  ClientRun r2 = run_client(options_for(server2, Encryption::starttls));
  EXPECT_EQ(r2.error(),
            "the server rejected the recipient admin@example.org: 550 5.1.1 User unknown");
}

TEST(SendClient, RejectedMessageAndSessionRefusal) {
  Behaviour b;
  b.replies["DATA"] = "554 5.3.4 Message too big for system";
  FakeSmtpServer server(b);
  EXPECT_EQ(run_client(options_for(server, Encryption::starttls)).error(),
            "the server refused to take the message (DATA): 554 5.3.4 Message too big for system");

  Behaviour b2;
  b2.greeting = "554 5.7.1 No SMTP service here";
  FakeSmtpServer server2(b2);
  EXPECT_EQ(run_client(options_for(server2, Encryption::starttls)).error(),
            "the server refused the session: 554 5.7.1 No SMTP service here");
}

TEST(SendClient, EveryReadHasATimeout) {
  Behaviour b;
  b.replies["MAIL"] = "";  // never answers
  FakeSmtpServer server(b);
  SendOptions o = options_for(server, Encryption::starttls);
  o.timeout = 1s;
  auto start = std::chrono::steady_clock::now();
  ClientRun r = run_client(o);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_EQ(r.error(), "the server did not answer within 1 s (waiting for the reply to MAIL FROM)");
}

TEST(SendClient, PlainTextAuthNeedsExplicitConsent) {
  FakeSmtpServer server({});
  SendOptions o = with_auth(options_for(server, Encryption::none));
  ClientRun refused = run_client(o);
  ASSERT_FALSE(refused.result);
  EXPECT_NE(refused.error().find("refusing to send the password over an unencrypted connection"),
            std::string::npos);
  EXPECT_NE(refused.error().find("--allow-plaintext-auth"), std::string::npos);
  EXPECT_EQ(server.connections(), 0);  // decided before connecting

  o.allow_plaintext_auth = true;
  ClientRun allowed = run_client(o);
  ASSERT_TRUE(allowed.result) << allowed.dump();
  EXPECT_TRUE(allowed.printed("C: AUTH PLAIN ********"));
  EXPECT_FALSE(allowed.printed("C: STARTTLS"));
  expect_no_password(allowed);
}

TEST(SendClient, HeloFallbackWhenEhloIsUnknown) {
  Behaviour b;
  b.replies["EHLO"] = "502 5.5.2 Error: command not recognized";
  FakeSmtpServer server(b);
  ClientRun r = run_client(options_for(server, Encryption::none));
  ASSERT_TRUE(r.result) << r.dump();
  EXPECT_TRUE(r.printed("C: HELO client.test"));
}

TEST(SendClient, ConnectionRefusedInPlainWords) {
  std::uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  SendOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.encryption = Encryption::starttls;
  o.from = "a@example.com";
  o.to = {"b@example.com"};
  ClientRun r = run_client(o);
  EXPECT_EQ(r.error(), "cannot connect to 127.0.0.1 port " + std::to_string(port) +
                           ": connection refused (nothing listens on that port, or a firewall "
                           "rejects the connection)");
}

TEST(SendClient, UnknownHostInPlainWords) {
  SendOptions o;
  o.host = "no-such-host.invalid";  // RFC 6761 section 6.4: never resolves
  o.port = 587;
  o.timeout = 5s;  // bounds the test where no resolver answers
  o.from = "a@example.com";
  o.to = {"b@example.com"};
  ClientRun r = run_client(o);
  EXPECT_EQ(r.error().rfind("cannot find host no-such-host.invalid: ", 0), 0u) << r.error();
}

TEST(SendClient, OptionChecksBeforeConnecting) {
  SendOptions o;
  o.host = "127.0.0.1";
  o.from = "app@example.com";
  o.to = {"admin@example.org"};
  EXPECT_TRUE(check_options(o).has_value());
  struct Bad {
    std::function<void(SendOptions&)> change;
    std::string message_part;
  };
  std::vector<Bad> bad = {
      {[](SendOptions& x) { x.host.clear(); }, "--host"},
      {[](SendOptions& x) { x.from = "nobody"; }, "--from \"nobody\""},
      {[](SendOptions& x) { x.to.clear(); }, "at least one --to"},
      {[](SendOptions& x) { x.to.push_back("a@b\r\nDATA"); }, "--to"},
      {[](SendOptions& x) { x.subject = "hi\r\nBcc: x@y"; }, "--subject"},
      {[](SendOptions& x) { x.user = "u"; }, "no password for --user u"},
      {[](SendOptions& x) {
         x.user = "u";
         x.password = std::string("a\0b", 3);
       },
       "NUL"},
      {[](SendOptions& x) {
         x.user = "u";
         x.password = "p";
         x.encryption = Encryption::none;
       },
       "unencrypted"},
  };
  for (const auto& c : bad) {
    SendOptions changed = o;
    c.change(changed);
    auto r = check_options(changed);
    ASSERT_FALSE(r.has_value()) << c.message_part;
    EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace herald::cli::send
