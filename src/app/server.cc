#include "app/server.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <thread>

#include "api/http_server.h"
#include "app/privileges.h"
#include "delivery/engine.h"
#include "smtpd/smtp_server.h"

namespace herald::app {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

int fail(const Error& e) {
  spdlog::error("{}", e.message);
  return 1;
}

// Samples free space of data_dir once a second; sessions refuse new mail (452 4.3.1) below
// the configured floor instead of failing at commit time.
void watch_disk(asio::steady_timer& timer, const std::string& dir, std::uint64_t floor,
                std::atomic<bool>& available) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) == 0) {
    std::uint64_t free = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
    bool ok = free >= floor;
    if (ok != available.exchange(ok)) {
      if (ok)
        spdlog::warn("disk space recovered in {}", dir);
      else
        spdlog::warn("low disk space in {}: refusing mail", dir);
    }
  }
  timer.expires_after(std::chrono::seconds(1));
  timer.async_wait([&timer, dir, floor, &available](boost::system::error_code ec) {
    if (!ec) watch_disk(timer, dir, floor, available);
  });
}

Result<tcp::acceptor> bind_http(asio::io_context& io, const std::string& address) {
  auto hp = config::split_host_port(address);
  if (!hp) return hp.error();
  boost::system::error_code ec;
  tcp::endpoint ep(asio::ip::make_address(hp->first, ec), hp->second);
  if (ec) return make_error("http.address " + address + ": not an IP address");
  tcp::acceptor acceptor(io);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error("cannot listen on " + address + " (http): " + ec.message());
  return acceptor;
}

// Reads the relay password files: before privileges are dropped, failing the start when one
// cannot be read (every such problem listed).
Result<delivery::EngineSettings> engine_settings(const config::Config& cfg) {
  auto routes = delivery::route_table_from_config(cfg.delivery);
  if (!routes) return routes.error();
  delivery::EngineSettings s;
  s.routes = std::move(*routes);
  s.hostname = cfg.hostname;
  s.route.relay = cfg.delivery.relay;
  s.route.relay_requires_tls = cfg.delivery.relay_tls == "required";
  s.route.mx_port = static_cast<std::uint16_t>(cfg.delivery.mx_port);
  s.dns.servers = cfg.dns.servers;
  s.dns.timeout = std::chrono::milliseconds(cfg.dns.timeout_ms);
  s.connect_timeout = std::chrono::seconds(cfg.delivery.connect_timeout);
  s.retry.max_lifetime = std::chrono::seconds(cfg.delivery.max_lifetime);
  s.limits.initial_concurrency = cfg.delivery.initial_concurrency;
  s.limits.max_concurrency =
      std::max(cfg.delivery.max_concurrency, cfg.delivery.initial_concurrency);
  s.suppression_ttl = static_cast<UnixMillis>(cfg.delivery.suppression_days) * 86'400'000;
  if (s.routes.size() > 0)
    spdlog::info("delivery: {} per-domain route(s); default: {}", s.routes.size(),
                 cfg.delivery.relay.empty() ? "MX delivery" : "relay " + cfg.delivery.relay);
  return s;
}

// Lets sessions send their 421 and commits in flight finish (up to 3 s), and deliveries in
// flight record their outcome (up to 15 s), then stops the event loop. What does not finish
// stays queued in the store and is retried after restart.
asio::awaitable<void> drain_then_stop(asio::io_context& io, delivery::DeliveryEngine& engine,
                                      smtpd::SmtpServer& smtp) {
  asio::steady_timer t(io);
  for (int i = 0; i < 30 && smtp.active_sessions() > 0; ++i) {
    t.expires_after(std::chrono::milliseconds(100));
    co_await t.async_wait(asio::use_awaitable);
  }
  for (int i = 0; i < 150 && engine.in_flight() > 0; ++i) {
    t.expires_after(std::chrono::milliseconds(100));
    co_await t.async_wait(asio::use_awaitable);
  }
  io.stop();
}

}  // namespace

int run_server(const config::Config& cfg) {
  std::error_code fec;
  std::filesystem::create_directories(cfg.data_dir, fec);
  if (fec) return fail(make_error("data_dir " + cfg.data_dir + " is not usable: " + fec.message()));
  store::SqliteOptions so;
  so.busy_timeout_ms = cfg.store.busy_timeout_ms;
  so.background_checkpoints = true;  // no group commit pays for a WAL checkpoint
  auto store = store::open_sqlite(std::filesystem::path(cfg.data_dir) / "herald.db", so);
  if (!store) return fail(store.error());

  auto certs = tls::ensure_certificate(cfg.tls.cert, cfg.tls.key,
                                       std::filesystem::path(cfg.data_dir) / "tls", cfg.hostname);
  if (!certs) return fail(certs.error());
  if (certs->generated)
    spdlog::info("generated a self-signed certificate for {} in {}", cfg.hostname,
                 certs->cert.parent_path().string());
  auto ctx = tls::make_server_context(*certs, cfg.tls.min_version);
  if (!ctx) return fail(ctx.error());
  tls::ContextHolder tls_holder(*certs, cfg.tls.min_version, *ctx);

  unsigned threads = cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context io(static_cast<int>(threads));
  asio::thread_pool workers(std::max(2u, threads));  // argon2id for AUTH cache misses
  spool::Spool spool(**store);
  sasl::AuthCache cache(std::chrono::seconds(cfg.smtp.auth_cache_ttl), 10000);
  sasl::AuthThrottle throttle(cfg.smtp.auth_max_failures,
                              std::chrono::seconds(cfg.smtp.auth_lockout));
  smtpd::Authenticator authenticator(**store, cache, throttle, workers);
  std::atomic<bool> storage_available{true};
  auto delivery_settings = engine_settings(cfg);
  if (!delivery_settings) return fail(delivery_settings.error());
  delivery::DeliveryEngine engine(io, **store, spool, workers, std::move(*delivery_settings));
  smtpd::SmtpServer smtp(
      io, {cfg, spool, authenticator, tls_holder, storage_available, [&engine] { engine.poke(); }});

  if (auto r = smtp.bind(); !r) return fail(r.error());
  auto http = bind_http(io, cfg.http.address);
  if (!http) return fail(http.error());
  if (auto r = drop_privileges(cfg.user, cfg.data_dir); !r) return fail(r.error());

  smtp.start();
  engine.start();
  asio::co_spawn(io, api::serve_http(*http, **store), asio::detached);
  for (const auto& l : smtp.describe()) spdlog::info("smtp listening on {}", l);
  spdlog::info("http listening on {}:{}", http->local_endpoint().address().to_string(),
               http->local_endpoint().port());

  asio::steady_timer disk_timer(io);
  watch_disk(disk_timer, cfg.data_dir, cfg.smtp.min_free_space, storage_available);

  asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  stop_signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", sig);
    smtp.stop();
    http->close();
    disk_timer.cancel();
    engine.stop();
    asio::co_spawn(io, drain_then_stop(io, engine, smtp), asio::detached);
  });
  asio::signal_set hup(io, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      auto r = tls_holder.reload();
      if (r)
        spdlog::info("TLS certificate reloaded");
      else
        spdlog::error("TLS reload failed, keeping the old certificate: {}", r.error().message);
      wait_hup();
    });
  };
  wait_hup();

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  spool.stop();  // commits anything still queued; its sessions never got a 250
  workers.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace herald::app
