// Resolver against the fake DNS server on loopback. Every lookup is bounded by the resolver's
// budget (timeout * tries * servers), so no test can hang.
#include "dns/resolver.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/fake_dns_server.h"

namespace herald::dns {
namespace {

using namespace std::chrono_literals;
using testing::FakeDnsServer;
using testing::dns_wire::Rcode;
namespace wire_type = testing::dns_wire::type;

Resolver make_resolver(std::vector<std::string> servers, std::chrono::milliseconds timeout = 1000ms,
                       int tries = 2) {
  auto resolver = Resolver::create(ResolverConfig{std::move(servers), timeout, tries});
  if (!resolver) ADD_FAILURE() << resolver.error().message;
  return std::move(*resolver);
}

class ResolverTest : public ::testing::Test {
 protected:
  FakeDnsServer server_;
  Resolver resolver_ = make_resolver({server_.address()});
};

TEST_F(ResolverTest, TxtSingleRecord) {
  server_.add_txt("example.com", {"v=spf1 -all"});
  auto answer = resolver_.txt("example.com");
  EXPECT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, std::vector<std::string>{"v=spf1 -all"});
  EXPECT_EQ(answer.error, "");
}

TEST_F(ResolverTest, TxtChunksOfOneRecordAreJoinedWithoutSeparator) {
  server_.add_txt("Example.COM.", {"v=spf1 ", "include:a.example ", "-all"});
  auto answer = resolver_.txt("example.com.");
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, std::vector<std::string>{"v=spf1 include:a.example -all"});
}

TEST_F(ResolverTest, TxtLongerThan255BytesOverUdp) {
  // A 2048-bit DKIM key record: ~400 bytes, two character-strings, still fits in 512.
  std::string key = "v=DKIM1; k=rsa; p=" + std::string(380, 'A');
  server_.add_txt_text("sel._domainkey.example.com", key);
  auto answer = resolver_.txt("sel._domainkey.example.com");
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, std::vector<std::string>{key});
  for (const auto& q : server_.received()) EXPECT_FALSE(q.tcp);
}

TEST_F(ResolverTest, TxtTooLargeForUdpIsRetriedOverTcp) {
  // A 4096-bit key (~740 bytes) does not fit in 512 bytes: TC=1, then TCP (RFC 7766 §5).
  std::string key = "v=DKIM1; k=rsa; p=" + std::string(736, 'B');
  server_.add_txt_text("big._domainkey.example.com", key);
  auto answer = resolver_.txt("big._domainkey.example.com");
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, std::vector<std::string>{key});
  auto received = server_.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_FALSE(received[0].tcp);
  EXPECT_TRUE(received[1].tcp);
}

TEST_F(ResolverTest, TxtMultipleRecordsStaySeparate) {
  server_.add_txt("multi.example", {"one"});
  server_.add_txt("multi.example", {"tw", "o"});
  server_.add_txt("multi.example", {""});
  auto answer = resolver_.txt("multi.example");
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, (std::vector<std::string>{"one", "two", ""}));
}

TEST_F(ResolverTest, MxSortedByPreferenceStably) {
  server_.add_mx("example.org", 20, "b.mx.example.org");
  server_.add_mx("example.org", 10, "a1.mx.example.org");
  server_.add_mx("example.org", 30, "c.mx.example.org");
  server_.add_mx("example.org", 10, "a2.mx.example.org");
  auto answer = resolver_.mx("example.org");
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, (std::vector<MxRecord>{{10, "a1.mx.example.org"},
                                                   {10, "a2.mx.example.org"},
                                                   {20, "b.mx.example.org"},
                                                   {30, "c.mx.example.org"}}));
}

TEST_F(ResolverTest, NullMxHasEmptyHost) {
  server_.add_mx("nomail.example", 0, ".");  // RFC 7505
  auto answer = resolver_.mx("nomail.example");
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, (std::vector<MxRecord>{{0, ""}}));
}

TEST_F(ResolverTest, AddressesIpv4ThenIpv6) {
  server_.add_aaaa("host.example", "2001:db8::1");
  server_.add_a("host.example", "192.0.2.1");
  server_.add_a("host.example", "192.0.2.2");
  auto answer = resolver_.a("host.example");
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, (std::vector<std::string>{"192.0.2.1", "192.0.2.2", "2001:db8::1"}));
  EXPECT_EQ(answer.error, "");
  std::vector<int> types;
  for (const auto& q : server_.received()) types.push_back(q.query.qtype);
  std::sort(types.begin(), types.end());
  EXPECT_EQ(types, (std::vector<int>{wire_type::a, wire_type::aaaa}));
}

TEST_F(ResolverTest, AddressesOnlyIpv6) {
  server_.add_aaaa("v6only.example", "2001:db8::53");
  auto answer = resolver_.a("v6only.example");
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, std::vector<std::string>{"2001:db8::53"});
}

TEST_F(ResolverTest, NxdomainWithoutSearchList) {
  auto answer = resolver_.txt("missing.example");
  EXPECT_EQ(answer.status, LookupStatus::nxdomain);
  EXPECT_TRUE(answer.records.empty());
  EXPECT_EQ(answer.error, "");
  auto received = server_.received();
  ASSERT_EQ(received.size(), 1u);  // no "missing.example.<search domain>" follow-ups
  EXPECT_EQ(received[0].query.name, "missing.example");
  EXPECT_EQ(resolver_.a("missing.example").status, LookupStatus::nxdomain);
  EXPECT_EQ(resolver_.mx("missing.example").status, LookupStatus::nxdomain);
}

TEST_F(ResolverTest, NoDataWhenNameHasOtherTypesOnly) {
  server_.add_a("web.example", "192.0.2.80");
  auto txt = resolver_.txt("web.example");
  EXPECT_EQ(txt.status, LookupStatus::no_data);
  EXPECT_TRUE(txt.records.empty());
  EXPECT_EQ(txt.error, "");
  EXPECT_EQ(resolver_.mx("web.example").status, LookupStatus::no_data);
  server_.add_txt("text.example", {"hello"});
  EXPECT_EQ(resolver_.a("text.example").status, LookupStatus::no_data);
}

TEST_F(ResolverTest, ErrorRcodesAreFailuresNamingTheServer) {
  struct Case {
    Rcode rcode;
    LookupStatus expected;
  };
  for (auto [rcode, expected] :
       {Case{Rcode::servfail, LookupStatus::failure}, Case{Rcode::refused, LookupStatus::failure},
        Case{Rcode::nxdomain, LookupStatus::nxdomain}}) {
    std::string name = "rcode" + std::to_string(static_cast<int>(rcode)) + ".example";
    server_.set_rcode(name, rcode);
    auto answer = resolver_.txt(name);
    EXPECT_EQ(answer.status, expected) << name;
    EXPECT_TRUE(answer.records.empty());
    if (expected == LookupStatus::failure) {
      EXPECT_NE(answer.error.find("TXT lookup for " + name), std::string::npos) << answer.error;
      EXPECT_NE(answer.error.find(server_.address()), std::string::npos) << answer.error;
    }
  }
}

TEST_F(ResolverTest, InvalidNamesFailWithoutAQuery) {
  EXPECT_EQ(resolver_.txt("").status, LookupStatus::failure);
  EXPECT_EQ(resolver_.txt(std::string_view("a\0b.example", 11)).status, LookupStatus::failure);
  EXPECT_EQ(resolver_.a(std::string(64, 'x') + ".example").status, LookupStatus::failure);
  EXPECT_TRUE(server_.received().empty());
}

TEST(ResolverTimeout, SilentServerFailsWithinBudget) {
  FakeDnsServer server;
  server.set_silent(true);
  Resolver resolver = make_resolver({server.address()}, 300ms, 2);
  const auto start = std::chrono::steady_clock::now();
  auto answer = resolver.txt("slow.example");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(answer.status, LookupStatus::failure);
  EXPECT_NE(answer.error.find("Timeout"), std::string::npos) << answer.error;
  EXPECT_NE(answer.error.find(server.address()), std::string::npos) << answer.error;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 1000ms);
  EXPECT_GE(server.received().size(), 1u);  // it was asked, and never answered
}

TEST(ResolverTimeout, SilentServerIsSkippedForTheNextOne) {
  FakeDnsServer silent;
  silent.set_silent(true);
  FakeDnsServer live;
  live.add_mx("example.net", 5, "mx.example.net");
  Resolver resolver = make_resolver({silent.address(), live.address()}, 200ms, 2);
  auto answer = resolver.mx("example.net");
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, (std::vector<MxRecord>{{5, "mx.example.net"}}));
  EXPECT_EQ(silent.received().size(), 1u);
}

TEST(ResolverTimeout, ClosedPortFailsWithoutWaitingForTheTimeout) {
  std::string address;
  {
    FakeDnsServer gone;  // a port that was just free, now closed again
    address = gone.address();
  }
  Resolver resolver = make_resolver({address}, 2000ms, 2);
  const auto start = std::chrono::steady_clock::now();
  auto answer = resolver.txt("closed.example");
  EXPECT_EQ(answer.status, LookupStatus::failure);
  EXPECT_NE(answer.error.find(address), std::string::npos) << answer.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);  // ICMP port unreachable
}

TEST(ResolverCreate, RejectsBadServerStringNamingIt) {
  for (const char* bad : {"dns.example:53", "192.0.2.1:99999", "192.0.2.1:", "[::1", "::1]:53",
                          "[192.0.2.1]:53", "192.0.2.1:53x", ""}) {
    auto resolver = Resolver::create(ResolverConfig{{"127.0.0.1:53", bad}});
    ASSERT_FALSE(resolver) << bad;
    EXPECT_NE(resolver.error().message.find('"' + std::string(bad) + '"'), std::string::npos)
        << resolver.error().message;
  }
}

TEST(ResolverCreate, RejectsOutOfRangeTimeoutAndTries) {
  EXPECT_FALSE(Resolver::create(ResolverConfig{{"127.0.0.1:53"}, 0ms, 2}));
  EXPECT_FALSE(Resolver::create(ResolverConfig{{"127.0.0.1:53"}, 1000ms, 0}));
  EXPECT_TRUE(Resolver::create(ResolverConfig{{"127.0.0.1:53"}, 1000ms, 1}));
}

TEST(ResolverCreate, AcceptsBracketedIpv6AndBareAddresses) {
  auto resolver =
      Resolver::create(ResolverConfig{{"[::1]:5353", "192.0.2.53", "2001:db8::53", "[::1]"}});
  ASSERT_TRUE(resolver) << resolver.error().message;
  EXPECT_EQ(resolver->servers(), "[::1]:5353, 192.0.2.53:53, [2001:db8::53]:53, [::1]:53");
}

TEST(ResolverCreate, EmptyServerListUsesTheSystemResolver) {
  auto resolver = Resolver::create(ResolverConfig{});
  ASSERT_TRUE(resolver) << resolver.error().message;
  EXPECT_FALSE(resolver->servers().empty());
}

TEST(ResolverMove, MovedResolverKeepsWorking) {
  FakeDnsServer server;
  server.add_a("moved.example", "192.0.2.7");
  Resolver first = make_resolver({server.address()});
  Resolver second = std::move(first);
  EXPECT_EQ(second.a("moved.example").records, std::vector<std::string>{"192.0.2.7"});
  Resolver third = make_resolver({"127.0.0.1:9"});
  third = std::move(second);
  EXPECT_EQ(third.a("moved.example").records, std::vector<std::string>{"192.0.2.7"});
}

}  // namespace
}  // namespace herald::dns
