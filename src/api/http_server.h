// The HTTP listener (Boost.Beast, C++20 coroutines): one coroutine per connection, keep-alive,
// a 30 s timeout on every read and write, requests bounded to 64 KiB. Routing lives in
// api_routes (no sockets there).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "store/store.h"

namespace herald::api {

// Accepts on `acceptor` until it is closed.
boost::asio::awaitable<void> serve_http(boost::asio::ip::tcp::acceptor& acceptor,
                                        store::Store& store);

}  // namespace herald::api
