#include "delivery/route.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

#include "config/config.h"

namespace herald::delivery {

namespace asio = boost::asio;

namespace {

bool is_ip(const std::string& s) {
  boost::system::error_code ec;
  asio::ip::make_address(s, ec);
  return !ec;
}

// Appends the hops of `host`: itself when it is an IP literal, else its addresses.
asio::awaitable<void> resolve_into(const std::string& host, std::uint16_t port,
                                   dns::AsyncResolver& resolver, std::vector<Hop>& hops,
                                   std::string& error) {
  if (is_ip(host)) {
    hops.push_back(Hop{host, host, port});
    co_return;
  }
  add_hops(host, port, co_await resolver.a(host), hops, error);
}

asio::awaitable<RoutePlan> relay_plan(const RouteSettings& s, dns::AsyncResolver& resolver) {
  RoutePlan plan;
  plan.require_tls = s.relay_requires_tls;
  auto hp = config::split_host_port(s.relay);
  if (!hp) {
    plan.failure = local_failure(Outcome::deferred, std::string(codes::no_route),
                                 "bad delivery.relay: " + hp.error().message);
    co_return plan;
  }
  std::string error;
  co_await resolve_into(hp->first, hp->second, resolver, plan.hops, error);
  if (plan.hops.empty())
    plan.failure = local_failure(Outcome::deferred, std::string(codes::dns_failure),
                                 "cannot resolve relay " + hp->first + ": " + error);
  co_return plan;
}

// One generator per thread: plan_route may run on any thread of the io_context. A function of
// its own, so that no coroutine frame keeps a thread_local's address across a suspension.
std::mt19937& thread_random() {
  thread_local std::mt19937 random{std::random_device{}()};
  return random;
}

}  // namespace

std::string format_endpoint(const std::string& ip, std::uint16_t port) {
  bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

MxTargets mx_targets(const std::string& domain, const dns::Answer<dns::MxRecord>& mx,
                     std::mt19937& random) {
  MxTargets t;
  if (mx.status == dns::LookupStatus::nxdomain) {
    t.failure = local_failure(Outcome::bounced, std::string(codes::no_such_domain),
                              "domain " + domain + " does not exist (NXDOMAIN)");
    return t;
  }
  if (mx.status == dns::LookupStatus::failure) {
    t.failure = local_failure(Outcome::deferred, std::string(codes::dns_failure),
                              "MX lookup failed: " + mx.error);
    return t;
  }
  if (mx.status == dns::LookupStatus::no_data || mx.records.empty()) {
    t.hosts.push_back(domain);  // RFC 5321 §5.1: no MX records -> the implicit MX
    return t;
  }
  if (mx.records.size() == 1 && mx.records[0].host.empty()) {
    t.failure = local_failure(Outcome::bounced, std::string(codes::null_mx),
                              "domain " + domain + " accepts no mail (null MX, RFC 7505)");
    return t;
  }
  // RFC 5321 §5.1: hosts of equal preference are tried in random order, which spreads the
  // load over them (the records come sorted by preference, stably).
  auto records = mx.records;
  std::stable_sort(records.begin(), records.end(),
                   [](const auto& x, const auto& y) { return x.preference < y.preference; });
  for (auto first = records.begin(); first != records.end();) {
    auto last = std::find_if(first, records.end(), [&](const dns::MxRecord& r) {
      return r.preference != first->preference;
    });
    std::shuffle(first, last, random);
    first = last;
  }
  for (const auto& rec : records)
    if (!rec.host.empty()) t.hosts.push_back(rec.host);
  return t;
}

void add_hops(const std::string& host, std::uint16_t port,
              const dns::Answer<std::string>& addresses, std::vector<Hop>& hops,
              std::string& error) {
  if (addresses.status != dns::LookupStatus::ok && !addresses.error.empty())
    error = addresses.error;
  for (const auto& ip : addresses.records) hops.push_back(Hop{host, ip, port});
}

void finish_plan(const std::string& domain, const RouteSettings& settings, const std::string& error,
                 RoutePlan& plan) {
  if (plan.hops.size() > settings.max_hops) plan.hops.resize(settings.max_hops);
  if (plan.hops.empty())
    plan.failure = local_failure(
        Outcome::deferred, std::string(codes::dns_failure),
        "no address for the mail servers of " + domain + (error.empty() ? "" : ": " + error));
}

asio::awaitable<RoutePlan> plan_route(const std::string& domain, const RouteSettings& s,
                                      dns::AsyncResolver& resolver) {
  if (!s.relay.empty()) co_return co_await relay_plan(s, resolver);
  auto mx = co_await resolver.mx(domain);
  auto targets = mx_targets(domain, mx, thread_random());
  RoutePlan plan;
  if (targets.failure) {
    plan.failure = std::move(targets.failure);
    co_return plan;
  }
  // Hosts one after the other, in the order to try them, until max_hops addresses are known:
  // the usual one or two MX hosts cost one round trip each, and the backups of a long list
  // are never looked up when the first hosts already give enough addresses.
  std::string error;
  for (const auto& host : targets.hosts) {
    co_await resolve_into(host, s.mx_port, resolver, plan.hops, error);
    if (plan.hops.size() >= s.max_hops) break;
  }
  finish_plan(domain, s, error, plan);
  co_return plan;
}

}  // namespace herald::delivery
