#include "delivery/route.h"

#include <algorithm>
#include <random>

#include <boost/asio/ip/address.hpp>

#include "config/config.h"

namespace herald::delivery {

namespace {

bool is_ip(const std::string& s) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(s, ec);
  return !ec;
}

// Appends the addresses of `host`; returns the DNS status for the caller's decisions.
dns::LookupStatus add_addresses(const std::string& host, std::uint16_t port,
                                dns::Resolver& resolver, std::vector<Hop>& hops,
                                std::string& error) {
  if (is_ip(host)) {
    hops.push_back(Hop{host, host, port});
    return dns::LookupStatus::ok;
  }
  auto answer = resolver.a(host);
  if (answer.status != dns::LookupStatus::ok) error = answer.error;
  for (const auto& ip : answer.records) hops.push_back(Hop{host, ip, port});
  return answer.status;
}

RoutePlan relay_plan(const RouteSettings& s, dns::Resolver& resolver) {
  RoutePlan plan;
  plan.require_tls = s.relay_requires_tls;
  auto hp = config::split_host_port(s.relay);
  if (!hp) {
    plan.failure = local_failure(Outcome::deferred, std::string(codes::no_route),
                                 "bad delivery.relay: " + hp.error().message);
    return plan;
  }
  std::string error;
  add_addresses(hp->first, hp->second, resolver, plan.hops, error);
  if (plan.hops.empty())
    plan.failure = local_failure(Outcome::deferred, std::string(codes::dns_failure),
                                 "cannot resolve relay " + hp->first + ": " + error);
  return plan;
}

}  // namespace

RoutePlan plan_route(const std::string& domain, const RouteSettings& s, dns::Resolver& resolver) {
  if (!s.relay.empty()) return relay_plan(s, resolver);
  RoutePlan plan;
  auto mx = resolver.mx(domain);
  if (mx.status == dns::LookupStatus::nxdomain) {
    plan.failure = local_failure(Outcome::bounced, std::string(codes::no_such_domain),
                                 "domain " + domain + " does not exist (NXDOMAIN)");
    return plan;
  }
  if (mx.status == dns::LookupStatus::failure) {
    plan.failure = local_failure(Outcome::deferred, std::string(codes::dns_failure),
                                 "MX lookup failed: " + mx.error);
    return plan;
  }
  std::string error;
  if (mx.status == dns::LookupStatus::no_data || mx.records.empty()) {
    // RFC 5321 §5.1: no MX records -> the domain itself is the implicit MX.
    add_addresses(domain, s.mx_port, resolver, plan.hops, error);
  } else if (mx.records.size() == 1 && mx.records[0].host.empty()) {
    plan.failure = local_failure(Outcome::bounced, std::string(codes::null_mx),
                                 "domain " + domain + " accepts no mail (null MX, RFC 7505)");
    return plan;
  } else {
    // RFC 5321 §5.1: hosts of equal preference are tried in random order, which spreads the
    // load over them (the records come sorted by preference, stably).
    auto records = mx.records;
    thread_local std::mt19937 random{std::random_device{}()};
    for (auto first = records.begin(); first != records.end();) {
      auto last = std::find_if(first, records.end(), [&](const dns::MxRecord& r) {
        return r.preference != first->preference;
      });
      std::shuffle(first, last, random);
      first = last;
    }
    for (const auto& rec : records) {
      if (rec.host.empty()) continue;
      add_addresses(rec.host, s.mx_port, resolver, plan.hops, error);
      if (plan.hops.size() >= s.max_hops) break;
    }
  }
  if (plan.hops.size() > s.max_hops) plan.hops.resize(s.max_hops);
  if (plan.hops.empty())
    plan.failure = local_failure(
        Outcome::deferred, std::string(codes::dns_failure),
        "no address for the mail servers of " + domain + (error.empty() ? "" : ": " + error));
  return plan;
}

}  // namespace herald::delivery
