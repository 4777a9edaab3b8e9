#include "smtpd/smtp_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/clock.h"

namespace herald::smtpd {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

SmtpServer::SmtpServer(asio::io_context& io, SessionServices services)
    : io_(io), services_(services) {
  services_.registry = &registry_;
}

Result<void> SmtpServer::bind() {
  for (const auto& lc : services_.config.smtp.listeners) {
    auto hp = config::split_host_port(lc.address);
    if (!hp) return hp.error();
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(hp->first, ec);
    if (ec) return make_error("listener " + lc.address + ": not an IP address");
    tcp::endpoint ep(addr, hp->second);
    auto l = std::make_unique<Listener>(Listener{lc, tcp::acceptor(io_)});
    l->acceptor.open(ep.protocol(), ec);
    if (!ec) l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) l->acceptor.bind(ep, ec);
    if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return make_error("cannot listen on " + lc.address + ": " + ec.message());
    listeners_.push_back(std::move(l));
  }
  return {};
}

void SmtpServer::start() {
  for (auto& l : listeners_) asio::co_spawn(io_, accept_loop(*l), asio::detached);
}

void SmtpServer::stop() {
  for (auto& l : listeners_) {
    boost::system::error_code ignored;
    l->acceptor.close(ignored);
  }
  registry_.shutdown_all();
}

std::vector<std::string> SmtpServer::describe() const {
  std::vector<std::string> out;
  for (const auto& l : listeners_) {
    boost::system::error_code ec;
    auto ep = l->acceptor.local_endpoint(ec);
    std::string addr =
        ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
    out.push_back(addr + ":" + std::to_string(ep.port()) + " (" +
                  std::string(config::to_string(l->config.tls)) + ")");
  }
  return out;
}

std::size_t SmtpServer::active_sessions() const {
  std::lock_guard lock(mutex_);
  return sessions_;
}

std::string SmtpServer::admit(const std::string& ip) {
  std::lock_guard lock(mutex_);
  const auto& smtp = services_.config.smtp;
  auto& mine = per_ip_[ip];
  std::string why;
  if (sessions_ >= smtp.max_sessions)
    why = "total session limit reached (smtp.max_sessions = " + std::to_string(smtp.max_sessions) +
          ")";
  else if (mine >= smtp.max_sessions_per_ip)
    why = "per-IP session limit reached (smtp.max_sessions_per_ip = " +
          std::to_string(smtp.max_sessions_per_ip) + ")";
  if (!why.empty()) {
    if (mine == 0) per_ip_.erase(ip);
    return why;
  }
  ++sessions_;
  ++mine;
  return {};
}

void SmtpServer::record_refusal(const std::string& ip, std::string why) {
  // Sampled, not one row per refusal: a connection flood must not become a write flood
  // (session_refusals.h). At most 20 events a minute; the rest are counted into the next one.
  std::uint64_t stands_for = 0;
  {
    std::lock_guard lock(mutex_);
    stands_for = refusals_.on_refusal(RefusalSampler::Clock::now());
  }
  if (stands_for == 0) return;  // counted; the next recorded event reports it
  store::Event ev;
  ev.at = now_millis();
  ev.kind = std::string(smtp::event_kind_name(smtp::EventKind::session_limit));
  ev.client_ip = ip;
  ev.detail = "421: " + std::move(why);
  if (stands_for > 1)
    ev.detail += "; " + std::to_string(stands_for - 1) +
                 " more refusals (any client) held back since the last recorded one";
  spdlog::info("smtp {} {} -: {}", ip, ev.kind, ev.detail);
  // Queued for the spool's writer, which writes waiting events in one transaction.
  services_.spool.record(std::move(ev));
}

void SmtpServer::release(const std::string& ip) {
  std::lock_guard lock(mutex_);
  --sessions_;
  if (--per_ip_[ip] == 0) per_ip_.erase(ip);
}

asio::awaitable<void> SmtpServer::accept_loop(Listener& l) {
  constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
  for (;;) {
    auto [ec, socket] = co_await l.acceptor.async_accept(asio::make_strand(io_), kAsTuple);
    if (!l.acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off briefly instead of spinning.
      spdlog::warn("accept on {}: {}", l.config.address, ec.message());
      asio::steady_timer t(io_, std::chrono::milliseconds(100));
      co_await t.async_wait(kAsTuple);
      continue;
    }
    boost::system::error_code rec;
    std::string ip = socket.remote_endpoint(rec).address().to_string();
    if (auto why = admit(ip); !why.empty()) {
      record_refusal(ip, std::move(why));
      static constexpr std::string_view kBusy = "421 4.7.0 Too many connections, try later\r\n";
      // Best effort, never blocking the accept loop: a small write on a fresh socket. Not on
      // an implicit-TLS port, where plaintext would only break the client's handshake.
      if (l.config.tls != config::TlsMode::implicit) {
        socket.non_blocking(true, rec);
        asio::write(socket, asio::buffer(kBusy), rec);
      }
      socket.close(rec);
      continue;
    }
    auto ex = socket.get_executor();
    asio::co_spawn(ex, run_session(std::move(socket), l.config.tls, services_),
                   [this, ip](std::exception_ptr e) {
                     release(ip);
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& what) {
                         spdlog::error("session from {} ended by an exception: {}", ip,
                                       what.what());
                       }
                     }
                   });
  }
}

}  // namespace herald::smtpd
