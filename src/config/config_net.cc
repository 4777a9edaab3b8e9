// Address syntax shared by the listeners, http.address and dns.servers keys.
#include <arpa/inet.h>

#include <string>

#include "config/config.h"

namespace herald::config {
namespace {

bool parse_ip(int family, std::string_view host) {
  // inet_pton needs a NUL-terminated string; anything longer than an IPv6 text is not one.
  if (host.empty() || host.size() > INET6_ADDRSTRLEN) return false;
  std::string z(host);
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(family, z.c_str(), buf) == 1;
}

bool is_ldh_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char ch : label) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-';
    if (!ok) return false;
  }
  return true;
}

Result<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty()) return make_error("missing port after ':'");
  unsigned long value = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9')
      return make_error("port \"" + std::string(text) + "\" is not a number");
    value = value * 10 + static_cast<unsigned long>(ch - '0');
    if (value > 65535) return make_error("port " + std::string(text) + " is not in 1..65535");
  }
  if (value == 0) return make_error("port 0 is not in 1..65535");
  return static_cast<std::uint16_t>(value);
}

}  // namespace

bool is_ip_literal(std::string_view host) {
  return parse_ip(AF_INET, host) || parse_ip(AF_INET6, host);
}

bool is_domain_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!is_ldh_label(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Result<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view text) {
  std::string_view host;
  std::string_view rest;
  if (text.starts_with('[')) {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return make_error("missing ']' after IPv6 address");
    host = text.substr(1, close - 1);
    if (!parse_ip(AF_INET6, host))
      return make_error("\"" + std::string(host) + "\" is not an IPv6 address");
    rest = text.substr(close + 1);
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return make_error("missing \":port\"");
    host = text.substr(0, colon);
    if (host.empty()) return make_error("missing host before \":port\"");
    if (host.find(':') != std::string_view::npos)
      return make_error("an IPv6 address needs brackets, e.g. [::1]:25");
    if (!parse_ip(AF_INET, host) && !is_domain_name(host))
      return make_error("\"" + std::string(host) + "\" is neither an IP address nor a domain name");
    rest = text.substr(colon);
  }
  if (!rest.starts_with(':')) return make_error("missing \":port\"");
  auto port = parse_port(rest.substr(1));
  if (!port) return port.error();
  return std::pair{std::string(host), *port};
}

bool is_route_domain(std::string_view pattern) {
  if (pattern.starts_with("*."))
    pattern.remove_prefix(2);
  else if (pattern.starts_with("."))
    pattern.remove_prefix(1);
  return is_domain_name(pattern);
}

}  // namespace herald::config
