#include "cli/send_connection.h"

#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <functional>

namespace herald::cli::send {

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Far above any sane reply line (RFC 5321 section 4.5.3.1.5 allows 512 octets); a guard
// against a peer that streams without line ends.
constexpr std::size_t kMaxLine = 64 * 1024;

std::string seconds_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

std::string where(const std::string& host, std::uint16_t port) {
  return host + " port " + std::to_string(port);
}

}  // namespace

Result<void> Connection::configure(const std::string& host, bool insecure,
                                   const std::string& cafile) {
  tls_ctx_.emplace(ssl::context::tls_client);
  SSL_CTX* ctx = tls_ctx_->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  error_code ec;
  // A missing system store is not fatal here: --cafile may be all that is needed, and a
  // verification failure later names the problem.
  tls_ctx_->set_default_verify_paths(ec);
  if (!cafile.empty()) {
    tls_ctx_->load_verify_file(cafile, ec);
    if (ec) return make_error("cannot use --cafile " + cafile + ": " + ec.message());
    // Lets the file hold the server's own certificate, not only its CA, as trust anchor.
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_PARTIAL_CHAIN);
  }
  tls_ctx_->set_verify_mode(insecure ? ssl::verify_none : ssl::verify_peer);

  stream_.emplace(io_, *tls_ctx_);
  SSL* s = stream_->native_handle();
  asio::ip::make_address(host, ec);
  if (ec) {  // not an IP address literal: a host name
    // RFC 6066 section 3: SNI carries host names only, never address literals.
    SSL_set_tlsext_host_name(s, host.c_str());
    SSL_set_hostflags(s, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(s, host.c_str()) != 1)
      return make_error("cannot check certificates against host name " + host);
  } else if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), host.c_str()) != 1) {
    return make_error("cannot check certificates against address " + host);
  }
  return ok();
}

bool Connection::run(Duration limit, bool close_on_timeout) {
  io_.restart();
  io_.run_for(limit);
  if (io_.stopped()) return true;  // the operation completed: no work left
  error_code ignored;
  auto& socket = stream_->lowest_layer();
  if (close_on_timeout)
    socket.close(ignored);
  else
    socket.cancel(ignored);
  io_.run();  // lets the aborted operation's handler run
  return false;
}

Result<tcp::endpoint> Connection::connect(const std::string& host, std::uint16_t port,
                                          Duration limit) {
  auto start = std::chrono::steady_clock::now();
  tcp::resolver resolver(io_);
  error_code ec = asio::error::would_block;
  tcp::resolver::results_type results;
  resolver.async_resolve(host, std::to_string(port), tcp::resolver::numeric_service,
                         [&](error_code e, tcp::resolver::results_type r) {
                           ec = e;
                           results = std::move(r);
                         });
  io_.restart();
  io_.run_for(limit);
  if (!io_.stopped()) {
    resolver.cancel();
    io_.run();
    return make_error("cannot find host " + host + ": the name lookup took longer than " +
                      seconds_text(limit));
  }
  if (ec) return make_error("cannot find host " + host + ": " + ec.message());

  Duration left = limit - (std::chrono::steady_clock::now() - start);
  if (left < std::chrono::seconds(1)) left = std::chrono::seconds(1);
  tcp::endpoint peer;
  ec = asio::error::would_block;
  asio::async_connect(stream_->lowest_layer(), results, [&](error_code e, const tcp::endpoint& ep) {
    ec = e;
    peer = ep;
  });
  // Closing (not cancelling) stops a range connect from trying the next address.
  if (!run(left, /*close_on_timeout=*/true) && ec)
    return make_error("cannot connect to " + where(host, port) + ": no answer within " +
                      seconds_text(limit) +
                      " (the host is down, or a firewall drops the "
                      "connection)");
  if (ec == asio::error::connection_refused)
    return make_error("cannot connect to " + where(host, port) +
                      ": connection refused (nothing listens on that port, or a firewall "
                      "rejects the connection)");
  if (ec) return make_error("cannot connect to " + where(host, port) + ": " + ec.message());
  return peer;
}

error_code Connection::handshake(Duration limit) {
  error_code ec = asio::error::would_block;
  stream_->async_handshake(ssl::stream_base::client, [&](error_code e) { ec = e; });
  if (!run(limit) && ec) ec = asio::error::timed_out;
  if (!ec) tls_ = true;
  return ec;
}

error_code Connection::read_line(std::string& line, Duration limit) {
  error_code ec = asio::error::would_block;
  std::size_t n = 0;
  with_stream([&](auto& s) {
    asio::async_read_until(s, asio::dynamic_buffer(in_, kMaxLine), '\n',
                           [&](error_code e, std::size_t k) {
                             ec = e;
                             n = k;
                           });
  });
  if (!run(limit) && ec) ec = asio::error::timed_out;
  if (ec) return ec;
  line.assign(in_, 0, n - 1);
  in_.erase(0, n);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return {};
}

error_code Connection::write(std::string_view data, Duration limit) {
  error_code ec = asio::error::would_block;
  with_stream([&](auto& s) {
    asio::async_write(s, asio::buffer(data.data(), data.size()),
                      [&](error_code e, std::size_t) { ec = e; });
  });
  if (!run(limit) && ec) ec = asio::error::timed_out;
  return ec;
}

void Connection::close() {
  if (!stream_) return;
  error_code ignored;
  stream_->lowest_layer().close(ignored);
}

tcp::endpoint Connection::local_endpoint() const {
  error_code ignored;
  return stream_->lowest_layer().local_endpoint(ignored);
}

}  // namespace herald::cli::send
