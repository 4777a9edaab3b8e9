// Where mail for a destination domain goes (RFC 5321 §5.1): the smart host when one is
// configured, else the domain's MX hosts in preference order, each with its addresses; a
// domain without MX records is its own (implicit) MX. NXDOMAIN and a null MX (RFC 7505)
// are permanent; a DNS failure is temporary. Blocking (the caller runs it on a worker
// thread); the DNS answers come in through dns::Resolver.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "delivery/delivery_status.h"
#include "dns/resolver.h"

namespace herald::delivery {

struct Hop {
  std::string host;  // MX or relay name, for the log
  std::string ip;
  std::uint16_t port = 25;
};

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

RoutePlan plan_route(const std::string& domain, const RouteSettings& settings,
                     dns::Resolver& resolver);

}  // namespace herald::delivery
