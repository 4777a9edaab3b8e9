// Which route a recipient domain takes: the [[delivery.routes]] rules over the global default
// (delivery.relay or MX delivery). Pure lookup; building the table from the configuration
// reads the password files once, at start (before privileges are dropped).
//
// Matching (like Postfix's transport table): an exact rule ("example.com") beats any
// wildcard; a wildcard ("*.example.com", also written ".example.com") matches strict
// subdomains only (a.example.com, b.a.example.com, not example.com), and the longest
// matching wildcard wins. Domains compare case-insensitively, a trailing dot ignored.
// Invariants: lookup() always returns a route (the default when no rule matches); rules are
// unique per pattern; a route with credentials has a relay; no string produced here (name,
// pool_key) ever contains a password.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "smtp/client_session.h"

namespace herald::delivery {

struct EffectiveRoute {
  std::string name;   // "default" or "delivery.routes[2] (*.example.com)": for logs
  std::string relay;  // "host:port"; "" = MX delivery
  bool require_tls = false;
  std::optional<smtp::ClientAuth> auth;  // only with a relay
  // Connections are pooled per address *and* route: one opened with these settings (TLS
  // policy, credentials) must not carry mail of another route. Never contains the password.
  std::string pool_key;
};

struct RouteRule {
  std::string pattern;  // "example.com" or "*.example.com"
  EffectiveRoute route;
};

class RouteTable {
 public:
  RouteTable() : RouteTable(EffectiveRoute{"default", "", false, std::nullopt, "default"}, {}) {}
  RouteTable(EffectiveRoute default_route, std::vector<RouteRule> rules);

  const EffectiveRoute& lookup(std::string_view domain) const;
  const EffectiveRoute& default_route() const { return default_; }
  std::size_t size() const { return rules_.size(); }

 private:
  EffectiveRoute default_;
  std::vector<RouteRule> rules_;  // patterns in lower case, "*." form
};

using SecretReader = std::function<Result<std::string>(const std::string& path)>;

// The table of a loaded (valid) configuration; fails listing every password file that cannot
// be read, one line each, naming the key. `read` defaults to config::read_secret_file. Logs a
// warning for each password file readable by group or others (naming it, not its content).
Result<RouteTable> route_table_from_config(const config::DeliveryConfig& delivery,
                                           const SecretReader& read = config::read_secret_file);

}  // namespace herald::delivery
