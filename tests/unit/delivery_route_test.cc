// Route planning: the pure decisions on DNS answers (no network), then plan_route as a
// coroutine over the AsyncResolver against the fake DNS server on loopback.
#include "delivery/route.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <set>

#include "support/fake_dns_server.h"

namespace herald::delivery {
namespace {

namespace asio = boost::asio;
using dns::Answer;
using dns::LookupStatus;
using dns::MxRecord;

Answer<MxRecord> mx_answer(LookupStatus status, std::vector<MxRecord> records = {},
                           std::string error = "") {
  return Answer<MxRecord>{status, std::move(records), std::move(error)};
}

// ---- pure: mx_targets ---------------------------------------------------------------------

TEST(MxTargets, DecisionsByAnswer) {
  struct Case {
    const char* what;
    Answer<MxRecord> mx;
    std::vector<std::string> hosts;
    std::optional<Outcome> outcome;
    const char* status;
  };
  const Case cases[] = {
      {"preference order",
       mx_answer(LookupStatus::ok, {{20, "b.example"}, {10, "a.example"}}),
       {"a.example", "b.example"},
       std::nullopt,
       ""},
      {"no MX: implicit MX (RFC 5321 §5.1)",
       mx_answer(LookupStatus::no_data),
       {"dest.example"},
       std::nullopt,
       ""},
      {"NXDOMAIN bounces", mx_answer(LookupStatus::nxdomain), {}, Outcome::bounced, "5.1.2"},
      {"null MX bounces (RFC 7505)",
       mx_answer(LookupStatus::ok, {{0, ""}}),
       {},
       Outcome::bounced,
       "5.1.10"},
      {"DNS failure defers",
       mx_answer(LookupStatus::failure, {}, "MX lookup for x failed"),
       {},
       Outcome::deferred,
       "4.4.3"},
      {"null MX among real ones is skipped",
       mx_answer(LookupStatus::ok, {{0, ""}, {10, "real.example"}}),
       {"real.example"},
       std::nullopt,
       ""},
  };
  for (const auto& c : cases) {
    std::mt19937 random(1);
    auto t = mx_targets("dest.example", c.mx, random);
    EXPECT_EQ(t.hosts, c.hosts) << c.what;
    ASSERT_EQ(t.failure.has_value(), c.outcome.has_value()) << c.what;
    if (c.outcome) {
      EXPECT_EQ(t.failure->outcome, *c.outcome) << c.what;
      EXPECT_EQ(t.failure->status, c.status) << c.what;
    }
  }
}

TEST(MxTargets, FailureCarriesTheResolverError) {
  std::mt19937 random(1);
  auto t =
      mx_targets("d.example", mx_answer(LookupStatus::failure, {}, "Timeout (servers: x)"), random);
  ASSERT_TRUE(t.failure);
  EXPECT_NE(t.failure->diagnostic.find("MX lookup failed: Timeout (servers: x)"), std::string::npos)
      << t.failure->diagnostic;
}

TEST(MxTargets, EqualPreferencesAreShuffledWithinTheirGroupOnly) {
  auto mx = mx_answer(LookupStatus::ok,
                      {{10, "a1"}, {10, "a2"}, {10, "a3"}, {20, "b"}, {30, "c1"}, {30, "c2"}});
  std::set<std::vector<std::string>> seen;
  for (unsigned seed = 0; seed < 200; ++seed) {
    std::mt19937 random(seed);
    auto hosts = mx_targets("d.example", mx, random).hosts;
    ASSERT_EQ(hosts.size(), 6u);
    EXPECT_EQ(std::set<std::string>(hosts.begin(), hosts.begin() + 3),
              (std::set<std::string>{"a1", "a2", "a3"}));
    EXPECT_EQ(hosts[3], "b");
    EXPECT_EQ(std::set<std::string>(hosts.begin() + 4, hosts.end()),
              (std::set<std::string>{"c1", "c2"}));
    seen.insert(hosts);
  }
  EXPECT_EQ(seen.size(), 12u);  // 3! orders of the first group times 2! of the last
}

// ---- pure: add_hops, finish_plan ----------------------------------------------------------

TEST(AddHops, AddressesInAnswerOrderIpv4AndIpv6) {
  std::vector<Hop> hops;
  std::string error;
  add_hops("mx.example", 25,
           Answer<std::string>{LookupStatus::ok, {"192.0.2.1", "2001:db8::1"}, ""}, hops, error);
  ASSERT_EQ(hops.size(), 2u);
  EXPECT_EQ(hops[0].ip, "192.0.2.1");
  EXPECT_EQ(hops[1].ip, "2001:db8::1");
  EXPECT_EQ(hops[1].host, "mx.example");
  EXPECT_EQ(error, "");
  add_hops("none.example", 25, Answer<std::string>{LookupStatus::failure, {}, "A lookup failed"},
           hops, error);
  EXPECT_EQ(hops.size(), 2u);
  EXPECT_EQ(error, "A lookup failed");
}

TEST(FinishPlan, CapsAtMaxHopsAndFailsWithoutAnyAddress) {
  RouteSettings s;
  s.max_hops = 2;
  RoutePlan plan;
  plan.hops = {Hop{"a", "192.0.2.1"}, Hop{"a", "192.0.2.2"}, Hop{"b", "192.0.2.3"}};
  finish_plan("d.example", s, "", plan);
  EXPECT_EQ(plan.hops.size(), 2u);
  EXPECT_FALSE(plan.failure);
  RoutePlan empty;
  finish_plan("d.example", s, "AAAA lookup for mx failed", empty);
  ASSERT_TRUE(empty.failure);
  EXPECT_EQ(empty.failure->outcome, Outcome::deferred);
  EXPECT_EQ(empty.failure->diagnostic,
            "X-Herald; no address for the mail servers of d.example: AAAA lookup for mx failed");
}

TEST(FormatEndpoint, BracketsIpv6Only) {
  EXPECT_EQ(format_endpoint("192.0.2.1", 25), "192.0.2.1:25");
  EXPECT_EQ(format_endpoint("::1", 2525), "[::1]:2525");
  EXPECT_EQ(format_endpoint("2001:db8::25", 25), "[2001:db8::25]:25");
}

// ---- plan_route over DNS ------------------------------------------------------------------

class RouteTest : public ::testing::Test {
 protected:
  RoutePlan plan(const std::string& domain, RouteSettings s = {}) {
    dns::ResolverConfig rc;
    rc.servers = {dns_.address()};
    rc.timeout = std::chrono::milliseconds(500);
    auto resolver = dns::AsyncResolver::create(io_.get_executor(), rc);
    EXPECT_TRUE(resolver);
    std::optional<RoutePlan> out;
    asio::co_spawn(io_, plan_route(domain, s, **resolver), [&](std::exception_ptr e, RoutePlan p) {
      if (e) std::rethrow_exception(e);
      out = std::move(p);
    });
    io_.restart();
    io_.run_for(std::chrono::seconds(5));
    EXPECT_TRUE(out) << "plan_route never completed";
    return out ? std::move(*out) : RoutePlan{};
  }
  testing::FakeDnsServer dns_;
  asio::io_context io_;
};

TEST_F(RouteTest, MxHostsInPreferenceOrderWithTheirAddresses) {
  dns_.add_mx("example.net", 20, "backup.example.net");
  dns_.add_mx("example.net", 10, "mx.example.net");
  dns_.add_a("mx.example.net", "127.0.0.10");
  dns_.add_a("mx.example.net", "127.0.0.11");
  dns_.add_aaaa("mx.example.net", "::1");
  dns_.add_a("backup.example.net", "127.0.0.20");
  auto p = plan("example.net");
  ASSERT_FALSE(p.failure);
  ASSERT_EQ(p.hops.size(), 4u);
  EXPECT_EQ(p.hops[0].host, "mx.example.net");
  EXPECT_EQ(p.hops[0].ip, "127.0.0.10");
  EXPECT_EQ(p.hops[2].ip, "::1");  // IPv4 first, then IPv6, per host
  EXPECT_EQ(p.hops[3].host, "backup.example.net");
  EXPECT_EQ(p.hops[3].ip, "127.0.0.20");
  EXPECT_EQ(p.hops[0].port, 25);
}

TEST_F(RouteTest, NoMxFallsBackToTheDomainsOwnAddresses) {
  dns_.add_a("plain.example", "127.0.0.30");
  dns_.add_aaaa("plain.example", "::1");
  auto p = plan("plain.example");
  ASSERT_FALSE(p.failure);
  ASSERT_EQ(p.hops.size(), 2u);
  EXPECT_EQ(p.hops[0].ip, "127.0.0.30");
  EXPECT_EQ(p.hops[1].ip, "::1");
  EXPECT_EQ(p.hops[1].host, "plain.example");
}

TEST_F(RouteTest, Ipv6OnlyMx) {
  dns_.add_mx("v6.example", 10, "mx6.v6.example");
  dns_.add_aaaa("mx6.v6.example", "::1");
  auto p = plan("v6.example");
  ASSERT_FALSE(p.failure);
  ASSERT_EQ(p.hops.size(), 1u);
  EXPECT_EQ(p.hops[0].ip, "::1");
}

TEST_F(RouteTest, NxdomainBouncesAtOnce) {
  auto p = plan("missing.example");
  ASSERT_TRUE(p.failure);
  EXPECT_EQ(p.failure->outcome, Outcome::bounced);
  EXPECT_EQ(p.failure->status, "5.1.2");
}

TEST_F(RouteTest, NullMxBounces) {
  dns_.add_mx("nomail.example", 0, ".");
  auto p = plan("nomail.example");
  ASSERT_TRUE(p.failure);
  EXPECT_EQ(p.failure->outcome, Outcome::bounced);
  EXPECT_EQ(p.failure->status, "5.1.10");
}

TEST_F(RouteTest, DnsFailureDefers) {
  dns_.set_rcode("broken.example", testing::dns_wire::Rcode::servfail);
  auto p = plan("broken.example");
  ASSERT_TRUE(p.failure);
  EXPECT_EQ(p.failure->outcome, Outcome::deferred);
  EXPECT_EQ(p.failure->status, "4.4.3");
}

TEST_F(RouteTest, MxWithoutAddressDefersNamingTheDomain) {
  dns_.add_mx("noaddr.example", 10, "mx.noaddr.example");
  auto p = plan("noaddr.example");
  ASSERT_TRUE(p.failure);
  EXPECT_EQ(p.failure->outcome, Outcome::deferred);
  EXPECT_NE(p.failure->diagnostic.find("no address for the mail servers of noaddr.example"),
            std::string::npos);
}

TEST_F(RouteTest, MaxHopsStopsLookingUpFurtherHosts) {
  dns_.add_mx("many.example", 10, "a.many.example");
  dns_.add_mx("many.example", 20, "b.many.example");
  dns_.add_a("a.many.example", "127.0.0.1");
  dns_.add_a("a.many.example", "127.0.0.2");
  dns_.add_a("b.many.example", "127.0.0.3");
  RouteSettings s;
  s.max_hops = 2;
  auto p = plan("many.example", s);
  ASSERT_EQ(p.hops.size(), 2u);
  for (const auto& q : dns_.received()) EXPECT_NE(q.query.name, "b.many.example");
}

TEST_F(RouteTest, SmartHostOverridesMx) {
  dns_.add_mx("example.net", 10, "mx.example.net");
  RouteSettings s;
  s.relay = "127.0.0.5:2626";
  s.relay_requires_tls = true;
  auto p = plan("example.net", s);
  ASSERT_FALSE(p.failure);
  ASSERT_EQ(p.hops.size(), 1u);
  EXPECT_EQ(p.hops[0].ip, "127.0.0.5");
  EXPECT_EQ(p.hops[0].port, 2626);
  EXPECT_TRUE(p.require_tls);
  EXPECT_TRUE(dns_.received().empty());  // an IP literal needs no lookup
}

TEST_F(RouteTest, SmartHostByNameIsResolved) {
  dns_.add_a("relay.example", "127.0.0.6");
  RouteSettings s;
  s.relay = "relay.example:587";
  auto p = plan("example.net", s);
  ASSERT_FALSE(p.failure);
  ASSERT_EQ(p.hops.size(), 1u);
  EXPECT_EQ(p.hops[0].ip, "127.0.0.6");
  EXPECT_EQ(p.hops[0].host, "relay.example");
}

TEST_F(RouteTest, MxPortSettingApplies) {
  dns_.add_mx("example.net", 10, "mx.example.net");
  dns_.add_a("mx.example.net", "127.0.0.10");
  RouteSettings s;
  s.mx_port = 2525;
  auto p = plan("example.net", s);
  ASSERT_EQ(p.hops.size(), 1u);
  EXPECT_EQ(p.hops[0].port, 2525);
}

}  // namespace
}  // namespace herald::delivery
