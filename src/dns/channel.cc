#include "dns/channel.h"

#include <ares.h>
#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <mutex>

namespace herald::dns {
namespace {

constexpr std::uint16_t kDefaultPort = 53;

std::once_flag g_library_once;
int g_library_status = ARES_SUCCESS;

int init_library() {
  std::call_once(g_library_once, [] { g_library_status = ares_library_init(ARES_LIB_INIT_ALL); });
  return g_library_status;
}

bool is_ipv4(const std::string& text) {
  in_addr addr{};
  return inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

bool is_ipv6(const std::string& text) {
  in6_addr addr{};
  return inet_pton(AF_INET6, text.c_str(), &addr) == 1;
}

bool parse_port(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

Error bad_server(std::string_view server, std::string_view why) {
  return make_error(
      fmt::format("DNS server \"{}\": {} (expected \"ip:port\" or \"[ipv6]:port\")", server, why));
}

}  // namespace

void ChannelDeleter::operator()(ares_channeldata* channel) const {
  ares_destroy(channel);
}

Result<std::string> canonical_server(std::string_view server) {
  std::string host;
  std::uint16_t port = kDefaultPort;
  if (!server.empty() && server.front() == '[') {
    auto close = server.find(']');
    if (close == std::string_view::npos) return bad_server(server, "missing ']'");
    host = std::string(server.substr(1, close - 1));
    auto rest = server.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !parse_port(rest.substr(1), port))) {
      return bad_server(server, "bad port");
    }
    if (!is_ipv6(host)) return bad_server(server, "not an IPv6 address");
  } else if (auto colon = server.find(':');
             colon != std::string_view::npos && server.find(':', colon + 1) == server.npos) {
    host = std::string(server.substr(0, colon));  // exactly one colon: IPv4 with a port
    if (!parse_port(server.substr(colon + 1), port)) return bad_server(server, "bad port");
    if (!is_ipv4(host)) return bad_server(server, "not an IPv4 address");
  } else {
    host = std::string(server);  // no port: a bare IPv4 or IPv6 address
    if (!is_ipv4(host) && !is_ipv6(host)) return bad_server(server, "not an IP address");
  }
  std::string canonical =
      is_ipv6(host) ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
  // in_place_value: Error is constructible from a string too (C++20 aggregate paren-init).
  return Result<std::string>(boost::system::in_place_value, std::move(canonical));
}

Result<ChannelPtr> open_channel(const ResolverConfig& config, SocketStateHook hook) {
  if (config.timeout.count() <= 0 || config.timeout.count() > 600'000) {
    return make_error(
        fmt::format("DNS timeout {}ms out of range 1..600000", config.timeout.count()));
  }
  if (config.tries < 1 || config.tries > 10) {
    return make_error(fmt::format("DNS tries {} out of range 1..10", config.tries));
  }
  std::string csv;
  for (const auto& server : config.servers) {
    auto canonical = canonical_server(server);
    if (!canonical) return canonical.error();
    if (!csv.empty()) csv += ',';
    csv += *canonical;
  }
  if (int rc = init_library(); rc != ARES_SUCCESS) {
    return make_error(fmt::format("c-ares initialisation failed: {}", ares_strerror(rc)));
  }

  ares_options options{};
  options.timeout = static_cast<int>(config.timeout.count());  // milliseconds with TIMEOUTMS
  options.tries = config.tries;
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  // Configured servers are asked in the order given, whatever resolv.conf's "options rotate"
  // says, so that a verification reports the same server's view every time.
  if (!csv.empty()) mask |= ARES_OPT_NOROTATE;
  if (hook.callback != nullptr) {
    options.sock_state_cb = hook.callback;
    options.sock_state_cb_data = hook.data;
    mask |= ARES_OPT_SOCK_STATE_CB;
  }
  ares_channel raw = nullptr;
  int rc = ares_init_options(&raw, &options, mask);
  if (rc != ARES_SUCCESS) {
    if (raw != nullptr) ares_destroy(raw);
    return make_error(fmt::format("DNS resolver initialisation failed: {}", ares_strerror(rc)));
  }
  ChannelPtr channel(raw);
  if (!csv.empty()) {
    rc = ares_set_servers_ports_csv(raw, csv.c_str());
    if (rc != ARES_SUCCESS) {
      return make_error(fmt::format("DNS servers \"{}\": {}", csv, ares_strerror(rc)));
    }
    if (channel_server_count(raw) != static_cast<int>(config.servers.size())) {
      return make_error(fmt::format("DNS servers \"{}\": c-ares kept {} of {}", csv,
                                    channel_server_count(raw), config.servers.size()));
    }
  }
  return channel;
}

namespace {

template <class F>
void for_each_server(ares_channeldata* channel, F&& f) {
  ares_addr_port_node* servers = nullptr;
  if (ares_get_servers_ports(channel, &servers) != ARES_SUCCESS) return;
  for (auto* node = servers; node != nullptr; node = node->next) f(*node);
  ares_free_data(servers);
}

}  // namespace

std::string channel_servers(ares_channeldata* channel) {
  std::string out;
  for_each_server(channel, [&](const ares_addr_port_node& node) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    ares_inet_ntop(node.family, &node.addr, text.data(), text.size());
    int port = node.udp_port != 0 ? node.udp_port : kDefaultPort;
    if (!out.empty()) out += ", ";
    out += node.family == AF_INET6 ? fmt::format("[{}]:{}", text.data(), port)
                                   : fmt::format("{}:{}", text.data(), port);
  });
  return out.empty() ? "(no servers)" : out;
}

int channel_server_count(ares_channeldata* channel) {
  int count = 0;
  for_each_server(channel, [&](const ares_addr_port_node&) { ++count; });
  return count;
}

std::chrono::milliseconds lookup_budget(const ResolverConfig& config, int server_count) {
  return config.timeout * config.tries * std::max(server_count, 1);
}

}  // namespace herald::dns
