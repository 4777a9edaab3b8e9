// A fake authoritative DNS server for tests: UDP and TCP on 127.0.0.1, one ephemeral port
// shared by both (c-ares uses the same port for its TCP retry), served by its own thread.
// Tests configure records per name; the server answers from them:
//   - a name never configured                       -> NXDOMAIN
//   - a name with set_rcode(name, rc)               -> that RCODE, no records (SERVFAIL, ...)
//   - a configured name, no records of the type     -> NOERROR with an empty answer (NODATA)
//   - otherwise                                     -> NOERROR with the records of that type
// A UDP reply longer than 512 bytes (RFC 1035 §4.2.1) is sent truncated (TC=1, no answers),
// so clients must retry over TCP (RFC 7766 §5). set_silent(true) drops every query.
// Names match case-insensitively, with or without a trailing dot. All methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/dns_wire.h"

namespace herald::testing {

class FakeDnsServer {
 public:
  struct Received {
    dns_wire::Query query;
    bool tcp = false;
  };

  FakeDnsServer();  // binds and starts serving; throws if no port can be bound
  ~FakeDnsServer();
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;

  std::uint16_t port() const;
  std::string address() const;  // "127.0.0.1:<port>", as ResolverConfig::servers wants

  // One TXT record made of these character-strings (each <= 255 bytes).
  void add_txt(std::string_view name, std::vector<std::string> strings);
  // One TXT record holding `text`, split into 255-byte character-strings.
  void add_txt_text(std::string_view name, std::string_view text);
  void add_mx(std::string_view name, std::uint16_t preference, std::string_view exchange);
  void add_a(std::string_view name, std::string_view ipv4);
  void add_aaaa(std::string_view name, std::string_view ipv6);
  void set_rcode(std::string_view name, dns_wire::Rcode rcode);
  void set_silent(bool silent);

  std::vector<Received> received() const;  // every query seen, in arrival order

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::testing
