#include "delivery/outbound_connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace herald::delivery {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

std::shared_ptr<ssl::context> make_client_tls_context() {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_verify_mode(ssl::verify_none);
  return ctx;
}

OutboundConnection::OutboundConnection(tcp::socket socket, const Hop& hop,
                                       smtp::ClientSettings settings,
                                       std::shared_ptr<ssl::context> tls)
    : socket_(std::move(socket)),
      tls_ctx_(std::move(tls)),
      timer_(socket_.get_executor()),
      hop_(hop),
      session_(std::move(settings)),
      buffer_(16 * 1024, '\0') {}

asio::awaitable<std::unique_ptr<OutboundConnection>> OutboundConnection::connect(
    asio::any_io_executor ex, const Hop& hop, smtp::ClientSettings settings,
    std::shared_ptr<ssl::context> tls, std::chrono::seconds timeout, std::string& error) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(hop.ip, ec);
  if (ec) {
    error = "bad address " + hop.ip;
    co_return nullptr;
  }
  tcp::socket socket(ex);
  asio::steady_timer timer(ex, timeout);
  auto result = co_await (socket.async_connect(tcp::endpoint(addr, hop.port), kAsTuple) ||
                          timer.async_wait(kAsTuple));
  if (result.index() == 1) {
    error = "connection to " + format_endpoint(hop.ip, hop.port) + " timed out";
    co_return nullptr;
  }
  if (auto [cec] = std::get<0>(result); cec) {
    error = "cannot connect to " + format_endpoint(hop.ip, hop.port) + ": " + cec.message();
    co_return nullptr;
  }
  socket.set_option(tcp::no_delay(true), ec);
  auto conn = std::make_unique<OutboundConnection>(std::move(socket), hop, std::move(settings),
                                                   std::move(tls));
  conn->session_.on_connected();
  co_return conn;
}

void OutboundConnection::shut() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

asio::awaitable<bool> OutboundConnection::write(std::string_view bytes) {
  auto buf = asio::buffer(bytes.data(), bytes.size());
  timer_.expires_after(session_.current_timeout());
  auto result =
      tls_ ? co_await (asio::async_write(*tls_, buf, kAsTuple) || timer_.async_wait(kAsTuple))
           : co_await (asio::async_write(socket_, buf, kAsTuple) || timer_.async_wait(kAsTuple));
  if (result.index() == 1) {
    session_.on_timeout();
    co_return false;
  }
  if (std::get<1>(std::get<0>(result)) != bytes.size() || std::get<0>(std::get<0>(result))) {
    session_.on_closed("write failed: " + std::get<0>(std::get<0>(result)).message());
    co_return false;
  }
  co_return true;
}

asio::awaitable<std::size_t> OutboundConnection::read_some() {
  auto buf = asio::buffer(buffer_);
  timer_.expires_after(session_.current_timeout());
  auto result =
      tls_ ? co_await (tls_->async_read_some(buf, kAsTuple) || timer_.async_wait(kAsTuple))
           : co_await (socket_.async_read_some(buf, kAsTuple) || timer_.async_wait(kAsTuple));
  if (result.index() == 1) {
    session_.on_timeout();
    co_return 0;
  }
  auto [ec, n] = std::get<0>(result);
  if (ec) {
    session_.on_closed(ec == asio::error::eof ? "connection closed by the server"
                                              : "read failed: " + ec.message());
    co_return 0;
  }
  co_return n;
}

asio::awaitable<std::optional<smtp::client::MessageDone>> OutboundConnection::run_until_done() {
  std::optional<smtp::client::MessageDone> done;
  for (;;) {
    while (auto action = session_.next_action()) {
      if (auto* send = std::get_if<smtp::client::Send>(&*action)) {
        co_await write(send->bytes);
      } else if (std::holds_alternative<smtp::client::StartTls>(*action)) {
        tls_.emplace(socket_, *tls_ctx_);
        timer_.expires_after(session_.current_timeout());
        auto r = co_await (tls_->async_handshake(ssl::stream_base::client, kAsTuple) ||
                           timer_.async_wait(kAsTuple));
        if (r.index() == 0 && !std::get<0>(std::get<0>(r))) {
          SSL* ssl = tls_->native_handle();
          tls_info_ = std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
          session_.on_tls_started();
        } else {
          // The session says "TLS handshake failed: <why>".
          std::string why = r.index() == 1 ? "timed out" : std::get<0>(std::get<0>(r)).message();
          tls_.reset();
          session_.on_tls_failed(why);
        }
      } else if (auto* md = std::get_if<smtp::client::MessageDone>(&*action)) {
        done = std::move(*md);
      } else if (std::holds_alternative<smtp::client::Ready>(*action)) {
        idle_since_ = std::chrono::steady_clock::now();
        if (done) co_return done;
      } else if (std::holds_alternative<smtp::client::Close>(*action)) {
        shut();
        co_return done;
      }
    }
    if (done && (closed_ || session_.idle())) co_return done;
    if (closed_ || session_.closed()) co_return done;
    std::size_t n = co_await read_some();
    if (n > 0) session_.receive(std::string_view(buffer_.data(), n));
  }
}

asio::awaitable<std::vector<smtp::RecipientResult>> OutboundConnection::deliver(
    smtp::OutgoingMessage msg) {
  auto rcpts = msg.rcpt_to;
  session_.submit(std::move(msg));
  auto done = co_await run_until_done();
  if (done) co_return std::move(done->results);
  // The session closed without a result (should not happen): defer everyone.
  std::vector<smtp::RecipientResult> out;
  for (auto& r : rcpts)
    out.push_back({r, 451, "4.4.2", "connection lost", smtp::ClientStage::local, true});
  co_return out;
}

asio::awaitable<void> OutboundConnection::close() {
  if (closed_) co_return;
  session_.quit();
  co_await run_until_done();
  shut();
}

}  // namespace herald::delivery
