#include "smtpd/smtp_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "smtp/encoded_words.h"
#include "smtp/message.h"
#include "spool/spool_await.h"

namespace herald::smtpd {

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// The connection: a TCP socket, upgraded in place to TLS by STARTTLS or implicit TLS.
struct Connection {
  explicit Connection(tcp::socket s)
      : socket(std::move(s)), watchdog_timer(socket.get_executor()) {}
  tcp::socket socket;
  asio::steady_timer watchdog_timer;
  tls::ContextPtr tls_ctx;  // kept alive for the session even if SIGHUP swaps the context
  std::optional<ssl::stream<tcp::socket&>> tls;
  Clock::time_point last_progress = Clock::now();
  bool timed_out = false;
  bool shutting_down = false;
  bool finished = false;

  asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read(asio::mutable_buffer b) {
    auto [ec, n] = tls ? co_await tls->async_read_some(b, kAsTuple)
                       : co_await socket.async_read_some(b, kAsTuple);
    last_progress = Clock::now();
    co_return std::pair{ec, n};
  }

  asio::awaitable<boost::system::error_code> write(std::string_view bytes) {
    auto buf = asio::buffer(bytes.data(), bytes.size());
    auto [ec, n] = tls ? co_await asio::async_write(*tls, buf, kAsTuple)
                       : co_await asio::async_write(socket, buf, kAsTuple);
    last_progress = Clock::now();
    co_return ec;
  }

  asio::awaitable<bool> handshake(const tls::ContextPtr& ctx) {
    tls_ctx = ctx;
    tls.emplace(socket, *tls_ctx);
    auto [ec] = co_await tls->async_handshake(ssl::stream_base::server, kAsTuple);
    last_progress = Clock::now();
    co_return !ec;
  }

  void finish() {
    finished = true;
    watchdog_timer.cancel();
    close();
  }

  void close() {
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }
};

// Cancels the connection's I/O when it makes no progress for `idle`, or lives past `total`.
// It shares ownership of the connection so it can outlive the session coroutine briefly.
asio::awaitable<void> watchdog(std::shared_ptr<Connection> conn, std::chrono::seconds idle,
                               std::chrono::seconds total) {
  Connection& c = *conn;
  auto& timer = c.watchdog_timer;
  const auto born = Clock::now();
  while (!c.finished) {
    auto deadline = std::min(c.last_progress + idle, born + total);
    if (Clock::now() >= deadline) {
      c.timed_out = true;
      boost::system::error_code ignored;
      c.socket.cancel(ignored);
      // Give the 421 a short grace to be written, then force the close.
      timer.expires_after(std::chrono::seconds(5));
      co_await timer.async_wait(kAsTuple);
      if (!c.finished) c.close();
      co_return;
    }
    timer.expires_at(deadline);
    co_await timer.async_wait(kAsTuple);
  }
}

smtp::ServerSettings settings_for(const config::Config& cfg, config::TlsMode mode) {
  smtp::ServerSettings s;
  s.hostname = cfg.hostname;
  s.max_message_size = cfg.smtp.max_message_size;
  s.max_recipients = cfg.smtp.max_recipients;
  s.max_commands = cfg.smtp.max_commands;
  s.max_errors = cfg.smtp.max_errors;
  s.tls_available = mode == config::TlsMode::starttls;
  s.tls_active = mode == config::TlsMode::implicit;
  return s;
}

}  // namespace

std::uint64_t SessionRegistry::add(Notify notify) {
  std::lock_guard lock(mutex_);
  sessions_.emplace(++next_, std::move(notify));
  return next_;
}

void SessionRegistry::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

void SessionRegistry::shutdown_all() {
  shutting_down_ = true;
  std::lock_guard lock(mutex_);
  for (auto& [id, notify] : sessions_) notify();
}

namespace {

store::NewMessage to_new_message(smtp::Transaction& tx, const std::string& queue_id,
                                 const smtp::PeerInfo& peer, const std::string& hostname) {
  smtp::ReceivedInfo info;
  info.helo = tx.helo;
  info.peer_ip = peer.ip;
  info.peer_rdns = peer.rdns;
  info.hostname = hostname;
  info.protocol = smtp::received_protocol(tx.esmtp, tx.tls, !tx.auth_user.empty(), tx.smtputf8);
  info.queue_id = queue_id;
  info.time = now_millis();
  store::NewMessage m;
  m.queue_id = queue_id;
  m.body = smtp::prepare_message(tx.data, info);
  m.message_id = tx.message_id.empty() ? smtp::parse_headers(m.body).message_id : tx.message_id;
  if (m.message_id.size() > 2 && m.message_id.front() == '<' && m.message_id.back() == '>')
    m.message_id = m.message_id.substr(1, m.message_id.size() - 2);
  m.sender = tx.mail_from;
  m.auth_user = tx.auth_user;
  m.subject = smtp::decode_encoded_words(tx.subject);
  m.client_ip = peer.ip;
  m.helo = tx.helo;
  m.recipients = std::move(tx.rcpt_to);
  m.accepted_at = info.time;
  return m;
}

// Hands the message to the spool and resumes when it is durable (or failed).
asio::awaitable<smtp::CommitOutcome> commit(spool::Spool& spool, store::NewMessage m) {
  std::string queue_id = m.queue_id;
  auto durable = co_await spool::await_submit(spool, std::move(m));
  if (!durable)
    co_return smtp::CommitOutcome::failure("Temporary storage failure, try again later");
  co_return smtp::CommitOutcome::success(queue_id);
}

void record_event(spool::Spool& spool, const smtp::Event& e, const smtp::PeerInfo& peer,
                  const smtp::ServerSession& proto) {
  store::Event ev;
  ev.at = now_millis();
  ev.kind = std::string(smtp::event_kind_name(e.kind));
  ev.client_ip = peer.ip;
  // The attempted user of a failed AUTH, else the authenticated one (if any).
  ev.user = e.user.empty() ? proto.auth_user() : e.user;
  ev.detail = e.detail;
  spdlog::info("smtp {} {} {}: {}", peer.ip, ev.kind, ev.user.empty() ? "-" : ev.user, e.detail);
  spool.record(std::move(ev));
}

}  // namespace

asio::awaitable<void> run_session(tcp::socket socket, config::TlsMode mode,
                                  SessionServices& services) {
  const auto& cfg = services.config;
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  smtp::PeerInfo peer{ec ? "unknown" : remote.address().to_string(),
                      static_cast<std::uint16_t>(ec ? 0 : remote.port()), ""};
  socket.set_option(tcp::no_delay(true), ec);

  auto conn = std::make_shared<Connection>(std::move(socket));
  Connection& c = *conn;
  asio::co_spawn(c.socket.get_executor(),
                 watchdog(conn, std::chrono::seconds(cfg.smtp.idle_timeout),
                          std::chrono::seconds(cfg.smtp.session_timeout)),
                 asio::detached);

  // Shutdown: the session answers 421 (RFC 5321 §3.8) instead of just dropping the client.
  std::uint64_t registration = 0;
  if (services.registry) {
    registration = services.registry->add([weak = std::weak_ptr<Connection>(conn)] {
      if (auto strong = weak.lock()) {
        asio::post(strong->socket.get_executor(), [strong] {
          strong->shutting_down = true;
          boost::system::error_code ignored;
          strong->socket.cancel(ignored);
        });
      }
    });
  }
  struct Unregister {
    SessionRegistry* registry;
    std::uint64_t id;
    ~Unregister() {
      if (registry) registry->remove(id);
    }
  } unregister{services.registry, registration};

  smtp::ServerSession proto(settings_for(cfg, mode), peer);
  if (mode == config::TlsMode::implicit && !co_await c.handshake(services.tls.current())) {
    c.finish();
    co_return;
  }
  proto.start();
  std::string buffer(16 * 1024, '\0');
  bool open = true;
  while (open) {
    proto.set_storage_available(services.storage_available.load(std::memory_order_relaxed));
    while (auto action = proto.next_action()) {
      if (auto* send = std::get_if<smtp::Send>(&*action)) {
        if (co_await c.write(send->bytes)) open = false;
      } else if (std::holds_alternative<smtp::StartTls>(*action)) {
        if (co_await c.handshake(services.tls.current())) {
          proto.on_tls_started();
        } else {
          proto.on_tls_failed();
          open = false;  // the stream state is unknown after a failed handshake
        }
      } else if (auto* auth = std::get_if<smtp::VerifyCredentials>(&*action)) {
        proto.on_auth_result(co_await services.authenticator.verify(peer.ip, std::move(auth->user),
                                                                    std::move(auth->password)));
      } else if (auto* msg = std::get_if<smtp::CommitMessage>(&*action)) {
        auto m = to_new_message(msg->tx, spool::Spool::new_queue_id(), peer, cfg.hostname);
        auto outcome = co_await commit(services.spool, std::move(m));
        if (outcome.ok && services.mail_committed) services.mail_committed();
        proto.on_commit_result(outcome);
      } else if (auto* e = std::get_if<smtp::Event>(&*action)) {
        record_event(services.spool, *e, peer, proto);
      } else if (std::holds_alternative<smtp::Close>(*action)) {
        open = false;
      }
      if (!open) break;
    }
    if (!open || proto.closed()) break;
    if (c.shutting_down || (services.registry && services.registry->shutting_down())) {
      co_await c.write("421 4.3.2 " + cfg.hostname + " Service shutting down, try again later\r\n");
      break;
    }
    auto [rec, n] = co_await c.read(asio::buffer(buffer));
    if (c.shutting_down) continue;  // the check above answers 421
    if (c.timed_out) {
      proto.on_idle_timeout();
      continue;  // drain: writes the 421, then Close
    }
    if (rec) break;
    proto.receive(std::string_view(buffer.data(), n));
  }
  // No TLS close_notify exchange: waiting for the peer's would let it hold the session open.
  c.finish();
}

}  // namespace herald::smtpd
