#include "support/fake_dns_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

namespace herald::testing {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using dns_wire::Bytes;
using dns_wire::Rcode;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxUdpPayload = 512;  // RFC 1035 §4.2.1, no EDNS here

std::string normalize(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Zone {
  std::vector<dns_wire::Record> records;
  std::optional<Rcode> rcode;
};

}  // namespace

struct FakeDnsServer::Impl {
  asio::io_context io;
  udp::socket udp_socket{io};
  tcp::acceptor acceptor{io};
  std::set<tcp::socket*> connections;  // touched only on the server thread
  std::thread thread;
  std::uint16_t port = 0;  // set before the thread starts

  mutable std::mutex mutex;  // guards the fields below
  std::map<std::string, Zone> zones;
  bool silent = false;
  std::vector<Received> received;

  void bind();
  std::optional<Bytes> respond(std::span<const std::uint8_t> message, bool over_tcp);
  void add(std::string_view name, std::uint16_t rtype, Bytes rdata);

  asio::awaitable<void> serve_udp();
  asio::awaitable<void> serve_tcp();
  asio::awaitable<void> serve_connection(tcp::socket socket);
};

void FakeDnsServer::Impl::bind() {
  // UDP takes an ephemeral port; TCP must get the same one, which may be taken: retry.
  for (int attempt = 0; attempt < 50; ++attempt) {
    boost::system::error_code ec;
    udp_socket.open(udp::v4());
    udp_socket.bind(udp::endpoint(asio::ip::address_v4::loopback(), 0));
    const auto chosen = udp_socket.local_endpoint().port();
    acceptor.open(tcp::v4());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(tcp::endpoint(asio::ip::address_v4::loopback(), chosen), ec);
    if (!ec) {
      acceptor.listen();
      port = chosen;
      return;
    }
    acceptor.close();
    udp_socket.close();
  }
  throw std::runtime_error("FakeDnsServer: no port free for both UDP and TCP");
}

std::optional<Bytes> FakeDnsServer::Impl::respond(std::span<const std::uint8_t> message,
                                                  bool over_tcp) {
  auto query = dns_wire::parse_query(message);
  if (!query) return std::nullopt;  // nothing sensible to echo: drop it
  std::lock_guard lock(mutex);
  received.push_back(Received{*query, over_tcp});
  if (silent) return std::nullopt;
  auto zone = zones.find(query->name);
  if (zone == zones.end()) return dns_wire::encode_response(*query, Rcode::nxdomain, {});
  if (zone->second.rcode) return dns_wire::encode_response(*query, *zone->second.rcode, {});
  std::vector<dns_wire::Record> answers;
  for (const auto& record : zone->second.records) {
    if (record.rtype == query->qtype) answers.push_back(record);
  }
  auto reply = dns_wire::encode_response(*query, Rcode::noerror, answers);
  if (!over_tcp && reply.size() > kMaxUdpPayload) {
    reply = dns_wire::encode_response(*query, Rcode::noerror, answers, /*truncated=*/true);
  }
  return reply;
}

asio::awaitable<void> FakeDnsServer::Impl::serve_udp() {
  std::array<std::uint8_t, 4096> buffer{};
  udp::endpoint peer;
  for (;;) {
    auto [ec, n] = co_await udp_socket.async_receive_from(asio::buffer(buffer), peer, kAwait);
    if (ec == asio::error::operation_aborted || !udp_socket.is_open()) co_return;
    if (ec) continue;
    if (auto reply = respond({buffer.data(), n}, false)) {
      co_await udp_socket.async_send_to(asio::buffer(*reply), peer, kAwait);
    }
  }
}

asio::awaitable<void> FakeDnsServer::Impl::serve_tcp() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kAwait);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (!ec) asio::co_spawn(io, serve_connection(std::move(socket)), asio::detached);
  }
}

// RFC 1035 §4.2.2: each message is preceded by its length as two bytes.
asio::awaitable<void> FakeDnsServer::Impl::serve_connection(tcp::socket socket) {
  connections.insert(&socket);
  for (;;) {
    std::array<std::uint8_t, 2> prefix{};
    auto [ec, n] = co_await asio::async_read(socket, asio::buffer(prefix), kAwait);
    if (ec) break;
    Bytes message(static_cast<std::size_t>(prefix[0] << 8 | prefix[1]));
    std::tie(ec, n) = co_await asio::async_read(socket, asio::buffer(message), kAwait);
    if (ec) break;
    auto reply = respond(message, true);
    if (!reply) continue;
    const std::array<std::uint8_t, 2> length{static_cast<std::uint8_t>(reply->size() >> 8),
                                             static_cast<std::uint8_t>(reply->size() & 0xff)};
    const std::array<asio::const_buffer, 2> framed{asio::buffer(length), asio::buffer(*reply)};
    std::tie(ec, n) = co_await asio::async_write(socket, framed, kAwait);
    if (ec) break;
  }
  connections.erase(&socket);
}

void FakeDnsServer::Impl::add(std::string_view name, std::uint16_t rtype, Bytes rdata) {
  std::lock_guard lock(mutex);
  zones[normalize(name)].records.push_back(
      dns_wire::Record{normalize(name), rtype, 300, std::move(rdata)});
}

FakeDnsServer::FakeDnsServer() : impl_(std::make_unique<Impl>()) {
  impl_->bind();
  asio::co_spawn(impl_->io, impl_->serve_udp(), asio::detached);
  asio::co_spawn(impl_->io, impl_->serve_tcp(), asio::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

FakeDnsServer::~FakeDnsServer() {
  // Close everything on the server thread; the coroutines then finish and run() returns.
  asio::post(impl_->io, [impl = impl_.get()] {
    impl->udp_socket.close();
    impl->acceptor.close();
    for (auto* socket : impl->connections) socket->close();
  });
  impl_->thread.join();
}

std::uint16_t FakeDnsServer::port() const {
  return impl_->port;
}

std::string FakeDnsServer::address() const {
  return "127.0.0.1:" + std::to_string(port());
}

void FakeDnsServer::add_txt(std::string_view name, std::vector<std::string> strings) {
  impl_->add(name, dns_wire::type::txt, dns_wire::txt_rdata(strings));
}

void FakeDnsServer::add_txt_text(std::string_view name, std::string_view text) {
  add_txt(name, dns_wire::split_txt(text));
}

void FakeDnsServer::add_mx(std::string_view name, std::uint16_t preference,
                           std::string_view exchange) {
  impl_->add(name, dns_wire::type::mx, dns_wire::mx_rdata(preference, exchange));
}

void FakeDnsServer::add_a(std::string_view name, std::string_view ipv4) {
  impl_->add(name, dns_wire::type::a, dns_wire::a_rdata(ipv4));
}

void FakeDnsServer::add_aaaa(std::string_view name, std::string_view ipv6) {
  impl_->add(name, dns_wire::type::aaaa, dns_wire::aaaa_rdata(ipv6));
}

void FakeDnsServer::set_rcode(std::string_view name, Rcode rcode) {
  std::lock_guard lock(impl_->mutex);
  impl_->zones[normalize(name)].rcode = rcode;
}

void FakeDnsServer::set_silent(bool silent) {
  std::lock_guard lock(impl_->mutex);
  impl_->silent = silent;
}

std::vector<FakeDnsServer::Received> FakeDnsServer::received() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

}  // namespace herald::testing
