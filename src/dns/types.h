// Value types of the DNS module: resolver configuration and lookup answers.
// Invariants: an Answer with status ok has at least one record; no_data and nxdomain carry no
// records and an empty error; failure carries no records and a non-empty, operator-readable
// error naming the servers asked. (One exception, documented on Resolver::a: an ok address
// answer may carry a note in `error` when one of the two address families failed.)
// No c-ares types here, so callers (CLI, delivery) never include <ares.h>.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::dns {

struct ResolverConfig {
  // "ip:port", "[ipv6]:port", or a bare "ip" / "ipv6" (port 53). Empty means the system
  // resolver's servers from /etc/resolv.conf.
  std::vector<std::string> servers;
  // Per-attempt timeout; an attempt is one query sent to one server.
  std::chrono::milliseconds timeout{5000};
  // Rounds over the server list. A lookup waits at most timeout * tries * servers in total.
  int tries = 2;
};

enum class LookupStatus {
  ok,
  no_data,   // the name exists but has no records of the asked type (NOERROR, empty answer)
  nxdomain,  // the name does not exist (RCODE 3, RFC 1035 §4.1.1)
  failure,   // timeout, SERVFAIL, REFUSED, malformed reply, ...: retry later, decide nothing
};

std::string_view to_string(LookupStatus s);

struct MxRecord {
  std::uint16_t preference;
  std::string host;  // without the trailing dot; "" for a null MX (RFC 7505 §3)

  friend bool operator==(const MxRecord&, const MxRecord&) = default;
};

template <class T>
struct Answer {
  LookupStatus status = LookupStatus::failure;
  std::vector<T> records;
  std::string error;  // human text for failure, e.g. "TXT lookup for x: Timeout ... (servers: ...)"
};

}  // namespace herald::dns
