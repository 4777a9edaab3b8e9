// One SMTP connection as an asio coroutine: a thin I/O shell around smtp::ServerSession.
// It reads bytes into the state machine and performs the actions it emits (write replies,
// TLS handshake, credential check, durable commit, events, close). A watchdog closes the
// connection when it is idle (no read or write progress) or too old, after telling the
// state machine so it can send 421.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "config/config.h"
#include "smtp/server_session.h"
#include "smtpd/authenticator.h"
#include "spool/spool.h"
#include "tls/tls_context.h"

namespace herald::smtpd {

// Open sessions, so that shutdown can tell each of them (421) before the event loop stops.
class SessionRegistry {
 public:
  using Notify = std::function<void()>;
  std::uint64_t add(Notify notify);
  void remove(std::uint64_t id);
  void shutdown_all();  // calls every session's Notify (each posts to its own strand)
  bool shutting_down() const { return shutting_down_; }

 private:
  std::mutex mutex_;
  std::map<std::uint64_t, Notify> sessions_;
  std::uint64_t next_ = 0;
  std::atomic<bool> shutting_down_{false};
};

// What every session shares; owned by the Server.
struct SessionServices {
  const config::Config& config;
  spool::Spool& spool;
  Authenticator& authenticator;
  tls::ContextHolder& tls;
  const std::atomic<bool>& storage_available;
  std::function<void()> mail_committed;  // wakes delivery after a durable commit
  SessionRegistry* registry = nullptr;
};

boost::asio::awaitable<void> run_session(boost::asio::ip::tcp::socket socket, config::TlsMode mode,
                                         SessionServices& services);

}  // namespace herald::smtpd
