// The byte level of `herald send`: a TCP connection that can switch to TLS (implicit or after
// STARTTLS), with a deadline on every operation, and that remembers the first bytes the server
// sent so that a wrong encryption setting can be diagnosed from what the port actually said.
//
// Blocking calls driven by io_context::run_for, as in Asio's blocking_tcp_client timeout
// example: an operation still pending at its deadline is cancelled and reported as
// boost::asio::error::timed_out. Single-threaded; one connection per object.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace herald::cli::send {

using Duration = std::chrono::steady_clock::duration;

// A tcp::socket usable as the next layer of asio::ssl::stream that keeps a copy of the first
// kKeep bytes read from it, whoever reads them (OpenSSL during a handshake, or the plain-text
// line reader).
class RecordingSocket {
 public:
  static constexpr std::size_t kKeep = 64;
  using executor_type = boost::asio::ip::tcp::socket::executor_type;
  using lowest_layer_type = boost::asio::ip::tcp::socket::lowest_layer_type;

  explicit RecordingSocket(boost::asio::io_context& io) : socket_(io) {}

  executor_type get_executor() { return socket_.get_executor(); }
  lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }
  const lowest_layer_type& lowest_layer() const { return socket_.lowest_layer(); }
  const std::string& first_bytes() const { return first_; }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          socket_.async_read_some(b, [this, b, h = std::move(handler)](boost::system::error_code ec,
                                                                       std::size_t n) mutable {
            record(b, n);
            std::move(h)(ec, n);
          });
        },
        token, buffers);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return socket_.async_write_some(buffers, std::forward<Token>(token));
  }

 private:
  template <class MutableBuffers>
  void record(const MutableBuffers& b, std::size_t n) {
    if (first_.size() >= kKeep || n == 0) return;
    char copy[kKeep];
    std::size_t take = std::min(n, kKeep - first_.size());
    boost::asio::buffer_copy(boost::asio::buffer(copy, take), b, take);
    first_.append(copy, take);
  }

  boost::asio::ip::tcp::socket socket_;
  std::string first_;
};

class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sets up the client TLS context: system CAs (+ `cafile`), peer verification unless
  // `insecure`, TLS 1.2 at least. `host` is checked against the certificate (DNS name or IP
  // address) and sent as SNI when it is a name. Call once, before connect().
  Result<void> configure(const std::string& host, bool insecure, const std::string& cafile);

  // Resolves and connects within `limit`; failures in plain words (host not found,
  // connection refused, no answer).
  Result<boost::asio::ip::tcp::endpoint> connect(const std::string& host, std::uint16_t port,
                                                 Duration limit);
  // TLS client handshake on the connection; from then on reads and writes go through TLS.
  boost::system::error_code handshake(Duration limit);
  // One line without its line end (CRLF or LF); lines over 64 KiB fail with not_found.
  boost::system::error_code read_line(std::string& line, Duration limit);
  boost::system::error_code write(std::string_view data, Duration limit);
  void close();

  bool tls() const { return tls_; }
  // Bytes received but not yet returned by read_line.
  bool has_buffered_input() const { return !in_.empty(); }
  const std::string& first_bytes() const { return stream_->next_layer().first_bytes(); }
  SSL* ssl() { return stream_->native_handle(); }
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  // Runs the started operation to completion, or until `limit` and then cancels it (or
  // closes the socket when `close_on_timeout`, which also stops a range connect).
  bool run(Duration limit, bool close_on_timeout = false);

  template <class Fn>
  void with_stream(Fn&& fn) {
    if (tls_)
      fn(*stream_);
    else
      fn(stream_->next_layer());
  }

  boost::asio::io_context io_;
  std::optional<boost::asio::ssl::context> tls_ctx_;
  std::optional<boost::asio::ssl::stream<RecordingSocket>> stream_;
  std::string in_;
  bool tls_ = false;
};

}  // namespace herald::cli::send
