#include "delivery/route.h"

#include <gtest/gtest.h>

#include "support/fake_dns_server.h"

namespace herald::delivery {
namespace {

class RouteTest : public ::testing::Test {
 protected:
  RoutePlan plan(const std::string& domain, RouteSettings s = {}) {
    dns::ResolverConfig rc;
    rc.servers = {dns_.address()};
    rc.timeout = std::chrono::milliseconds(500);
    auto resolver = dns::Resolver::create(rc);
    EXPECT_TRUE(resolver);
    return plan_route(domain, s, *resolver);
  }
  testing::FakeDnsServer dns_;
};

TEST_F(RouteTest, MxHostsInPreferenceOrderWithTheirAddresses) {
  dns_.add_mx("example.net", 20, "backup.example.net");
  dns_.add_mx("example.net", 10, "mx.example.net");
  dns_.add_a("mx.example.net", "127.0.0.10");
  dns_.add_a("mx.example.net", "127.0.0.11");
  dns_.add_a("backup.example.net", "127.0.0.20");
  auto p = plan("example.net");
  ASSERT_FALSE(p.failure);
  ASSERT_EQ(p.hops.size(), 3u);
  EXPECT_EQ(p.hops[0].host, "mx.example.net");
  EXPECT_EQ(p.hops[2].host, "backup.example.net");
  EXPECT_EQ(p.hops[2].ip, "127.0.0.20");
  EXPECT_EQ(p.hops[0].port, 25);
}

TEST_F(RouteTest, NoMxFallsBackToTheDomainsOwnAddress) {
  dns_.add_a("plain.example", "127.0.0.30");
  auto p = plan("plain.example");
  ASSERT_FALSE(p.failure);
  ASSERT_EQ(p.hops.size(), 1u);
  EXPECT_EQ(p.hops[0].ip, "127.0.0.30");
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
