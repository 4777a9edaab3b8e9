#include "api/http_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

#include "api/api_routes.h"

namespace herald::api {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> serve_connection(beast::tcp_stream stream, store::Store& store) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    parser.header_limit(16 * 1024);
    stream.expires_after(std::chrono::seconds(30));
    auto [rec, n] = co_await http::async_read(stream, buffer, parser, kAsTuple);
    if (rec) break;
    const auto& req = parser.get();
    auto r = handle_request(std::string_view(req.method_string()), req.target(), store);
    http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
    res.set(http::field::server, "herald");
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(r.body);
    res.prepare_payload();
    stream.expires_after(std::chrono::seconds(30));
    auto [wec, w] = co_await http::async_write(stream, res, kAsTuple);
    if (wec || !res.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace

asio::awaitable<void> serve_http(asio::ip::tcp::acceptor& acceptor, store::Store& store) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kAsTuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve_connection(beast::tcp_stream(std::move(socket)), store),
                   asio::detached);
  }
}

}  // namespace herald::api
