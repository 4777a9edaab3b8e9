// Where mail for a destination domain goes (RFC 5321 §5.1): the smart host when one is
// configured, else the domain's MX hosts in preference order, each with its addresses; a
// domain without MX records is its own (implicit) MX. NXDOMAIN and a null MX (RFC 7505)
// are permanent; a DNS failure is temporary.
// Split in two: pure decisions on DNS answers (mx_targets, add_hops, finish_plan; testable
// without a network), and plan_route, the coroutine that asks dns::AsyncResolver and feeds
// them. plan_route runs on the resolver's executor and never blocks a thread.
// Address order within one host: IPv4 then IPv6, as AsyncResolver::a returns them (no
// "happy eyeballs"; a host whose IPv4 address fails is retried on its IPv6 one, like any next
// hop). IPv6 hops carry the bare address in `ip` ("::1"); format_endpoint() brackets it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "delivery/delivery_status.h"
#include "dns/async_resolver.h"
#include "dns/types.h"

namespace herald::delivery {

struct Hop {
  std::string host;  // MX or relay name, for the log
  std::string ip;    // IPv4 or IPv6 literal, without brackets
  std::uint16_t port = 25;
};

// "192.0.2.1:25" or "[2001:db8::1]:25" (RFC 3986 §3.2.2 style brackets for IPv6).
std::string format_endpoint(const std::string& ip, std::uint16_t port);

struct RoutePlan {
  std::vector<Hop> hops;  // in the order to try them
  bool require_tls = false;
  // When hops is empty: why (permanent for NXDOMAIN / null MX, temporary otherwise).
  std::optional<DeliveryStatus> failure;
};

struct RouteSettings {
  std::string relay;  // "host:port" or ""
  bool relay_requires_tls = false;
  std::uint16_t mx_port = 25;
  std::size_t max_hops = 10;  // addresses tried per attempt at most
};

// The arguments are references: co_await the result at once (as the engine does), so that they
// outlive the lazily started coroutine.
boost::asio::awaitable<RoutePlan> plan_route(const std::string& domain,
                                             const RouteSettings& settings,
                                             dns::AsyncResolver& resolver);

// ---- the pure part of plan_route ----------------------------------------------------------

// What a domain's MX answer means: the hosts whose addresses to look up, in the order to try
// them, or a failure (hosts empty). Lowest preference first, hosts of equal preference
// shuffled with `random` (RFC 5321 §5.1: spreads the load); no MX records -> the domain itself
// (implicit MX); NXDOMAIN or a lone null MX -> bounce; a lookup failure -> defer. Null MX
// entries mixed with real ones are skipped.
struct MxTargets {
  std::vector<std::string> hosts;
  std::optional<DeliveryStatus> failure;
};
MxTargets mx_targets(const std::string& domain, const dns::Answer<dns::MxRecord>& mx,
                     std::mt19937& random);

// Appends one hop per address of `host` (in answer order). When the answer has no address,
// appends its error (if any) to `error` for the final diagnostic.
void add_hops(const std::string& host, std::uint16_t port,
              const dns::Answer<std::string>& addresses, std::vector<Hop>& hops,
              std::string& error);

// Caps the hops at settings.max_hops; no hop at all -> a temporary failure naming `error`.
void finish_plan(const std::string& domain, const RouteSettings& settings, const std::string& error,
                 RoutePlan& plan);

}  // namespace herald::delivery
