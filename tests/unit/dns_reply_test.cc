// dns/reply.h without a network: hand-made replies, status mapping, A+AAAA merging.
#include "dns/reply.h"

#include <ares.h>
#include <gtest/gtest.h>

#include "dns/channel.h"
#include "support/dns_wire.h"

namespace herald::dns {
namespace {

namespace wire = testing::dns_wire;

RawReply reply_of(const std::string& name, std::uint16_t qtype,
                  const std::vector<wire::Record>& answers) {
  auto query = wire::parse_query(wire::encode_query(7, name, qtype));
  if (!query) ADD_FAILURE() << "test query does not parse";
  auto message = wire::encode_response(*query, wire::Rcode::noerror, answers);
  return RawReply{qtype, true, ARES_SUCCESS, {message.begin(), message.end()}};
}

TEST(DnsReply, StatusMapping) {
  struct Case {
    int ares;
    LookupStatus expected;
  };
  for (auto [ares, expected] :
       {Case{ARES_SUCCESS, LookupStatus::ok}, Case{ARES_ENODATA, LookupStatus::no_data},
        Case{ARES_ENOTFOUND, LookupStatus::nxdomain}, Case{ARES_ETIMEOUT, LookupStatus::failure},
        Case{ARES_ESERVFAIL, LookupStatus::failure}, Case{ARES_EREFUSED, LookupStatus::failure},
        Case{ARES_EBADRESP, LookupStatus::failure},
        Case{ARES_ECONNREFUSED, LookupStatus::failure}}) {
    EXPECT_EQ(status_from_ares(ares), expected) << ares;
  }
}

TEST(DnsReply, TxtChunksJoinPerRecord) {
  auto reply = reply_of("t.example", wire::type::txt,
                        {{"t.example", wire::type::txt, 60, wire::txt_rdata({"a", "b", "c"})},
                         {"t.example", wire::type::txt, 60, wire::txt_rdata({"d"})}});
  auto answer = parse_txt(reply);
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, (std::vector<std::string>{"abc", "d"}));
}

TEST(DnsReply, CnameOnlyAnswerIsNoData) {
  auto reply = reply_of("alias.example", wire::type::a,
                        {{"alias.example", wire::type::cname, 60, wire::name_rdata("x.example")}});
  EXPECT_EQ(parse_a(reply).status, LookupStatus::no_data);
  EXPECT_EQ(
      parse_txt(reply_of("alias.example", wire::type::txt,
                         {{"alias.example", wire::type::cname, 60, wire::name_rdata("x.example")}}))
          .status,
      LookupStatus::no_data);
}

TEST(DnsReply, AddressesFollowCname) {
  auto reply = reply_of("alias.example", wire::type::aaaa,
                        {{"alias.example", wire::type::cname, 60, wire::name_rdata("x.example")},
                         {"x.example", wire::type::aaaa, 60, wire::aaaa_rdata("2001:db8::2")}});
  auto answer = parse_aaaa(reply);
  ASSERT_EQ(answer.status, LookupStatus::ok) << answer.error;
  EXPECT_EQ(answer.records, std::vector<std::string>{"2001:db8::2"});
}

TEST(DnsReply, MalformedMessagesAreFailures) {
  auto good = reply_of("t.example", wire::type::txt,
                       {{"t.example", wire::type::txt, 60, wire::txt_rdata({"hello"})}});
  for (std::size_t cut :
       {std::size_t{0}, std::size_t{5}, std::size_t{20}, good.message.size() - 3}) {
    RawReply broken = good;
    broken.message.resize(cut);
    auto answer = parse_txt(broken);
    EXPECT_EQ(answer.status, LookupStatus::failure) << "cut at " << cut;
    EXPECT_FALSE(answer.error.empty());
    EXPECT_TRUE(answer.records.empty());
  }
  RawReply lying = good;
  lying.message.back() = 200;  // a character-string length past the end of the RDATA
  lying.message[lying.message.size() - 7] = 200;
  EXPECT_EQ(parse_txt(lying).status, LookupStatus::failure);
}

TEST(DnsReply, FailedQueryCarriesAresText) {
  RawReply timed_out{wire::type::mx, true, ARES_ETIMEOUT, {}};
  auto answer = parse_mx(timed_out);
  EXPECT_EQ(answer.status, LookupStatus::failure);
  EXPECT_EQ(answer.error, ares_strerror(ARES_ETIMEOUT));
  RawReply nxdomain{wire::type::mx, true, ARES_ENOTFOUND, {}};
  EXPECT_EQ(parse_mx(nxdomain).status, LookupStatus::nxdomain);
  EXPECT_EQ(parse_mx(nxdomain).error, "");
}

TEST(DnsReply, MergeAddresses) {
  using S = LookupStatus;
  auto ans = [](S s, std::vector<std::string> r = {}, std::string e = {}) {
    return Answer<std::string>{s, std::move(r), std::move(e)};
  };
  struct Case {
    Answer<std::string> v4, v6;
    S status;
    std::vector<std::string> records;
    std::string error;
  };
  const std::vector<Case> cases = {
      {ans(S::ok, {"192.0.2.1"}), ans(S::ok, {"::1"}), S::ok, {"192.0.2.1", "::1"}, ""},
      {ans(S::ok, {"192.0.2.1"}), ans(S::no_data), S::ok, {"192.0.2.1"}, ""},
      {ans(S::no_data), ans(S::ok, {"::1"}), S::ok, {"::1"}, ""},
      {ans(S::ok, {"192.0.2.1"}),
       ans(S::failure, {}, "AAAA down"),
       S::ok,
       {"192.0.2.1"},
       "AAAA down"},
      {ans(S::failure, {}, "A down"), ans(S::no_data), S::failure, {}, "A down"},
      {ans(S::failure, {}, "A down"),
       ans(S::failure, {}, "AAAA down"),
       S::failure,
       {},
       "A down; AAAA down"},
      {ans(S::nxdomain), ans(S::nxdomain), S::nxdomain, {}, ""},
      {ans(S::no_data), ans(S::nxdomain), S::nxdomain, {}, ""},
      {ans(S::no_data), ans(S::no_data), S::no_data, {}, ""},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto merged = merge_addresses(cases[i].v4, cases[i].v6);
    EXPECT_EQ(merged.status, cases[i].status) << "case " << i;
    EXPECT_EQ(merged.records, cases[i].records) << "case " << i;
    EXPECT_EQ(merged.error, cases[i].error) << "case " << i;
  }
}

TEST(DnsChannel, CanonicalServer) {
  struct Case {
    const char* input;
    const char* canonical;  // nullptr: rejected
  };
  for (auto [input, canonical] :
       {Case{"127.0.0.1:5353", "127.0.0.1:5353"}, Case{"127.0.0.1", "127.0.0.1:53"},
        Case{"[::1]:5353", "[::1]:5353"}, Case{"[::1]", "[::1]:53"},
        Case{"2001:db8::1", "[2001:db8::1]:53"}, Case{"192.0.2.1:65535", "192.0.2.1:65535"},
        Case{"192.0.2.1:0", nullptr}, Case{"192.0.2.1:65536", nullptr},
        Case{"192.0.2.1:-1", nullptr}, Case{"192.0.2.1:+53", nullptr}, Case{" 192.0.2.1", nullptr},
        Case{"192.0.2", nullptr}, Case{"localhost", nullptr}, Case{"[::1]:", nullptr},
        Case{"[::1]53", nullptr}, Case{"[]:53", nullptr}, Case{"", nullptr}}) {
    auto result = canonical_server(input);
    if (canonical == nullptr) {
      EXPECT_FALSE(result) << input << " -> " << *result;
    } else {
      ASSERT_TRUE(result) << input << ": " << result.error().message;
      EXPECT_EQ(*result, canonical);
    }
  }
}

TEST(DnsChannel, BudgetIsTimeoutTimesTriesTimesServers) {
  using namespace std::chrono_literals;
  ResolverConfig config{{}, 300ms, 2};
  EXPECT_EQ(lookup_budget(config, 1), 600ms);
  EXPECT_EQ(lookup_budget(config, 3), 1800ms);
  EXPECT_EQ(lookup_budget(config, 0), 600ms);
}

}  // namespace
}  // namespace herald::dns
