// One outbound SMTP connection: the asio shell around the pure smtp::ClientSession. Connects
// (with a timeout) to one hop, performs the session's actions (writes, STARTTLS handshake),
// arms the RFC 5321 §4.5.3.2 timeout the session asks for on every read, and returns the
// per-recipient results of each message. A connection left idle and healthy after a message
// can carry the next one (connection reuse).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "delivery/route.h"
#include "smtp/client_session.h"

namespace herald::delivery {

class OutboundConnection {
 public:
  // Connects to `hop`; nullptr with `error` filled when the TCP connection fails.
  static boost::asio::awaitable<std::unique_ptr<OutboundConnection>> connect(
      boost::asio::any_io_executor ex, const Hop& hop, smtp::ClientSettings settings,
      std::shared_ptr<boost::asio::ssl::context> tls, std::chrono::seconds timeout,
      std::string& error);

  // Sends one message; returns one result per recipient (in rcpt_to order).
  boost::asio::awaitable<std::vector<smtp::RecipientResult>> deliver(smtp::OutgoingMessage msg);
  // QUIT and close.
  boost::asio::awaitable<void> close();

  bool reusable() const { return !closed_ && session_.idle(); }
  const Hop& hop() const { return hop_; }
  const std::string& tls_description() const { return tls_info_; }  // "TLSv1.3 ..." or "none"
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }

  OutboundConnection(boost::asio::ip::tcp::socket socket, const Hop& hop,
                     smtp::ClientSettings settings, std::shared_ptr<boost::asio::ssl::context> tls);

 private:
  // Drives the session until it reports a finished message (returned) or closes.
  boost::asio::awaitable<std::optional<smtp::client::MessageDone>> run_until_done();
  boost::asio::awaitable<bool> write(std::string_view bytes);
  boost::asio::awaitable<std::size_t> read_some();  // 0 on error/timeout/close (session told)
  void shut();

  boost::asio::ip::tcp::socket socket_;
  std::shared_ptr<boost::asio::ssl::context> tls_ctx_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  boost::asio::steady_timer timer_;
  Hop hop_;
  smtp::ClientSession session_;
  std::string buffer_;
  bool closed_ = false;
  std::string tls_info_ = "none";
  std::chrono::steady_clock::time_point idle_since_;
};

// The client TLS context for delivery: opportunistic, no certificate verification (as SMTP
// between MTAs does without DANE/MTA-STS), TLS 1.2 minimum.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context();

}  // namespace herald::delivery
