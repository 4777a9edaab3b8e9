// The SMTP listeners: binds every configured [[smtp.listeners]] address, accepts connections
// and runs one session coroutine per connection on its own strand. Enforces the session
// limits (total and per client IP) before any protocol work: a connection over a limit gets
// "421 4.7.0" and is closed, and is recorded as a `session_limit` event (sampled, see
// session_refusals.h, so that a flood of connections does not become a flood of writes).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "smtpd/session_refusals.h"
#include "smtpd/smtp_session.h"

namespace herald::smtpd {

class SmtpServer {
 public:
  SmtpServer(boost::asio::io_context& io, SessionServices services);

  // Binds every listener; the error names the address that failed.
  Result<void> bind();
  // Starts accepting (after privileges are dropped).
  void start();
  // Stops accepting and tells every open session to answer 421 and close.
  void stop();

  // "127.0.0.1:2525 (starttls)" per bound listener, with the real port when 0 was asked.
  std::vector<std::string> describe() const;
  std::size_t active_sessions() const;

 private:
  struct Listener {
    config::Listener config;
    boost::asio::ip::tcp::acceptor acceptor;
  };
  boost::asio::awaitable<void> accept_loop(Listener& l);
  // Empty when admitted; otherwise which limit refused it (for the event).
  std::string admit(const std::string& ip);
  void release(const std::string& ip);
  void record_refusal(const std::string& ip, std::string why);

  boost::asio::io_context& io_;
  SessionServices services_;
  SessionRegistry registry_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  mutable std::mutex mutex_;
  std::size_t sessions_ = 0;
  std::map<std::string, std::size_t> per_ip_;
  RefusalSampler refusals_{std::chrono::seconds(60), 20};  // under mutex_
};

}  // namespace herald::smtpd
