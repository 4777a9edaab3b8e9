// AsyncResolver against the fake DNS server on loopback (the one the blocking Resolver's tests
// use), driven by an io_context in the test thread. Every wait is bounded: `drive` gives up
// after a few seconds, so a lost completion fails the test instead of hanging it.
#include "dns/async_resolver.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/fake_dns_server.h"

namespace herald::dns {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::FakeDnsServer;
using testing::dns_wire::Rcode;
namespace wire_type = testing::dns_wire::type;

std::unique_ptr<AsyncResolver> make_resolver(asio::io_context& io, std::vector<std::string> servers,
                                             std::chrono::milliseconds timeout = 1000ms,
                                             int tries = 2) {
  auto resolver =
      AsyncResolver::create(io.get_executor(), ResolverConfig{std::move(servers), timeout, tries});
  if (!resolver) ADD_FAILURE() << resolver.error().message;
  return resolver ? std::move(*resolver) : nullptr;
}

// Starts `lookup` on `io`; the result lands in `out`.
template <class T>
void spawn(asio::io_context& io, asio::awaitable<T> lookup, std::optional<T>& out) {
  asio::co_spawn(io, std::move(lookup), [&out](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    out = std::move(value);
  });
}

// Runs `io` until `done()` or the limit; false when the limit was reached.
template <class Done>
bool drive(asio::io_context& io, Done done, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.run_one_for(20ms);
    io.restart();
  }
  return true;
}

template <class T>
T await(asio::io_context& io, asio::awaitable<T> lookup) {
  std::optional<T> out;
  spawn(io, std::move(lookup), out);
  EXPECT_TRUE(drive(io, [&] { return out.has_value(); })) << "lookup never completed";
  return out ? std::move(*out) : T{};
}

class AsyncResolverTest : public ::testing::Test {
 protected:
  FakeDnsServer server_;
  asio::io_context io_;
  std::unique_ptr<AsyncResolver> resolver_ = make_resolver(io_, {server_.address()});
};

TEST_F(AsyncResolverTest, MxSortedByPreference) {
  server_.add_mx("example.org", 20, "b.mx.example.org");
  server_.add_mx("example.org", 10, "a.mx.example.org");
  server_.add_mx("example.org", 30, "c.mx.example.org");
  auto answer = await(io_, resolver_->mx("example.org"));
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records,
            (std::vector<MxRecord>{
                {10, "a.mx.example.org"}, {20, "b.mx.example.org"}, {30, "c.mx.example.org"}}));
  EXPECT_EQ(answer.error, "");
  EXPECT_EQ(resolver_->in_flight(), 0u);
}

TEST_F(AsyncResolverTest, NullMx) {
  server_.add_mx("nomail.example", 0, ".");
  auto answer = await(io_, resolver_->mx("nomail.example"));
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, (std::vector<MxRecord>{{0, ""}}));
}

TEST_F(AsyncResolverTest, AddressesBothFamiliesQueriedIpv4First) {
  server_.add_aaaa("host.example", "2001:db8::1");
  server_.add_a("host.example", "192.0.2.1");
  auto answer = await(io_, resolver_->a("host.example"));
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, (std::vector<std::string>{"192.0.2.1", "2001:db8::1"}));
  std::vector<int> types;
  for (const auto& q : server_.received()) types.push_back(q.query.qtype);
  std::sort(types.begin(), types.end());
  EXPECT_EQ(types, (std::vector<int>{wire_type::a, wire_type::aaaa}));
}

TEST_F(AsyncResolverTest, AddressesOnlyIpv6) {
  server_.add_aaaa("v6only.example", "::1");
  auto answer = await(io_, resolver_->a("v6only.example"));
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, std::vector<std::string>{"::1"});
}

TEST_F(AsyncResolverTest, NxdomainAndNoData) {
  EXPECT_EQ(await(io_, resolver_->mx("missing.example")).status, LookupStatus::nxdomain);
  EXPECT_EQ(await(io_, resolver_->a("missing.example")).status, LookupStatus::nxdomain);
  server_.add_a("web.example", "192.0.2.80");
  auto mx = await(io_, resolver_->mx("web.example"));
  EXPECT_EQ(mx.status, LookupStatus::no_data);
  EXPECT_EQ(mx.error, "");
}

TEST_F(AsyncResolverTest, ServfailIsAFailureNamingLookupAndServer) {
  server_.set_rcode("broken.example", Rcode::servfail);
  auto answer = await(io_, resolver_->mx("broken.example"));
  EXPECT_EQ(answer.status, LookupStatus::failure);
  EXPECT_NE(answer.error.find("MX lookup for broken.example"), std::string::npos) << answer.error;
  EXPECT_NE(answer.error.find(server_.address()), std::string::npos) << answer.error;
}

TEST_F(AsyncResolverTest, TxtTooLargeForUdpIsRetriedOverTcp) {
  // Exercises the TCP socket: c-ares asks for writability first, then readability.
  std::string key = "v=DKIM1; k=rsa; p=" + std::string(736, 'B');
  server_.add_txt_text("big._domainkey.example.com", key);
  auto answer = await(io_, resolver_->txt("big._domainkey.example.com"));
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, std::vector<std::string>{key});
  auto received = server_.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_TRUE(received[1].tcp);
}

TEST_F(AsyncResolverTest, InvalidNamesFailWithoutAQuery) {
  EXPECT_EQ(await(io_, resolver_->mx("")).status, LookupStatus::failure);
  auto nul = await(io_, resolver_->a(std::string("a\0b.example", 11)));
  EXPECT_EQ(nul.status, LookupStatus::failure);
  EXPECT_TRUE(server_.received().empty());
}

TEST_F(AsyncResolverTest, ManyConcurrentLookupsAllAnswered) {
  // 100 lookups are 200 datagrams at once: more would overflow the fake server's default
  // socket receive buffer, and the dropped queries would only test c-ares' retransmission.
  constexpr int kLookups = 100;
  for (int i = 0; i < kLookups; ++i)
    server_.add_a("h" + std::to_string(i) + ".example", "192.0.2." + std::to_string(i % 250));
  std::vector<std::optional<Answer<std::string>>> out(kLookups);
  for (int i = 0; i < kLookups; ++i)
    spawn(io_, resolver_->a("h" + std::to_string(i) + ".example"), out[i]);
  ASSERT_TRUE(drive(io_, [&] {
    return std::all_of(out.begin(), out.end(), [](const auto& o) { return o.has_value(); });
  }));
  for (int i = 0; i < kLookups; ++i) {
    ASSERT_EQ(out[i]->status, LookupStatus::ok) << i << ": " << out[i]->error;
    EXPECT_EQ(out[i]->records, std::vector<std::string>{"192.0.2." + std::to_string(i % 250)});
  }
  EXPECT_EQ(resolver_->in_flight(), 0u);
}

TEST(AsyncResolverTimeout, SilentServerFailsWithinBudget) {
  FakeDnsServer server;
  server.set_silent(true);
  asio::io_context io;
  auto resolver = make_resolver(io, {server.address()}, 300ms, 2);
  EXPECT_EQ(resolver->budget(), 600ms);
  const auto start = std::chrono::steady_clock::now();
  auto answer = await(io, resolver->mx("slow.example"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(answer.status, LookupStatus::failure);
  EXPECT_NE(answer.error.find("Timeout"), std::string::npos) << answer.error;
  EXPECT_NE(answer.error.find(server.address()), std::string::npos) << answer.error;
  // c-ares alone would wait 300 + 600 ms (it doubles the second round); our deadline is 600.
  EXPECT_GE(elapsed, 550ms);
  EXPECT_LT(elapsed, 850ms);
  EXPECT_GE(server.received().size(), 2u);  // the first try and its retransmission
}

TEST(AsyncResolverTimeout, ClosedPortFailsWithoutWaitingForTheTimeout) {
  std::string address;
  {
    FakeDnsServer gone;
    address = gone.address();
  }
  asio::io_context io;
  auto resolver = make_resolver(io, {address}, 2000ms, 2);
  const auto start = std::chrono::steady_clock::now();
  auto answer = await(io, resolver->a("closed.example"));
  EXPECT_EQ(answer.status, LookupStatus::failure);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);  // ICMP port unreachable
}

TEST(AsyncResolverLifetime, DestroyedWithLookupsInFlightCompletesThemAsFailures) {
  FakeDnsServer server;
  server.set_silent(true);
  asio::io_context io;
  auto resolver = make_resolver(io, {server.address()}, 5000ms, 2);
  std::vector<std::optional<Answer<MxRecord>>> out(20);
  for (auto& o : out) spawn(io, resolver->mx("pending.example"), o);
  drive(
      io, [&] { return server.received().size() >= out.size(); }, 2000ms);
  EXPECT_EQ(resolver->in_flight(), out.size());
  resolver.reset();  // c-ares cancels every query with ARES_EDESTRUCTION
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(drive(io, [&] {
    return std::all_of(out.begin(), out.end(), [](const auto& o) { return o.has_value(); });
  }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);  // not the 10 s budget
  for (const auto& o : out) {
    EXPECT_EQ(o->status, LookupStatus::failure);
    EXPECT_NE(o->error.find("pending.example"), std::string::npos) << o->error;
  }
  io.restart();
  io.run_for(50ms);  // any handler still queued for the resolver must be harmless
}

TEST(AsyncResolverLifetime, StoppedIoContextThenDestroyedIsClean) {
  FakeDnsServer server;
  server.set_silent(true);
  std::optional<Answer<std::string>> out;
  {
    asio::io_context io;
    auto resolver = make_resolver(io, {server.address()}, 5000ms, 2);
    spawn(io, resolver->a("pending.example"), out);
    drive(
        io, [&] { return server.received().size() >= 2; }, 2000ms);
    io.stop();
    resolver.reset();  // completions posted to a stopped io_context never run
  }                    // the io_context destroys the suspended coroutine frame
  EXPECT_FALSE(out.has_value());
}

TEST(AsyncResolverThreads, StrandOfAMultiThreadedIoContext) {
  FakeDnsServer server;
  for (int i = 0; i < 50; ++i) server.add_mx("d" + std::to_string(i) + ".example", 10, "mx.x");
  asio::io_context io(2);
  auto strand = asio::make_strand(io);
  auto created = AsyncResolver::create(strand, ResolverConfig{{server.address()}, 1000ms, 2});
  ASSERT_TRUE(created) << created.error().message;
  auto resolver = std::move(*created);
  std::atomic<int> ok{0};
  for (int i = 0; i < 50; ++i) {
    asio::co_spawn(strand, resolver->mx("d" + std::to_string(i) + ".example"),
                   [&ok](std::exception_ptr e, Answer<MxRecord> a) {
                     if (!e && a.status == LookupStatus::ok) ++ok;
                   });
  }
  std::thread other([&] { io.run_for(5s); });
  io.run_for(5s);
  other.join();
  EXPECT_EQ(ok.load(), 50);
}

TEST(AsyncResolverCreate, RejectsBadServerString) {
  asio::io_context io;
  auto resolver =
      AsyncResolver::create(io.get_executor(), ResolverConfig{{"127.0.0.1:53", "dns.example"}});
  ASSERT_FALSE(resolver);
  EXPECT_NE(resolver.error().message.find("\"dns.example\""), std::string::npos);
}

}  // namespace
}  // namespace herald::dns
