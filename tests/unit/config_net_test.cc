// Address and name syntax used by the configuration, and unknown-key suggestions.
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/config_suggest.h"

namespace herald::config {
namespace {

struct HostPortCase {
  std::string_view text;
  std::string_view host;  // empty: must fail
  std::uint16_t port;
  std::string_view error;
};

const HostPortCase kHostPortCases[] = {
    {"127.0.0.1:25", "127.0.0.1", 25, ""},
    {"0.0.0.0:65535", "0.0.0.0", 65535, ""},
    {"[::1]:25", "::1", 25, ""},
    {"[::]:1", "::", 1, ""},
    {"[2001:db8::ffff:192.0.2.1]:587", "2001:db8::ffff:192.0.2.1", 587, ""},
    {"mx.example.com:25", "mx.example.com", 25, ""},
    {"localhost:8025", "localhost", 8025, ""},
    {"127.0.0.1:025", "127.0.0.1", 25, ""},
    {"127.0.0.1", "", 0, "missing \":port\""},
    {"127.0.0.1:", "", 0, "missing port after ':'"},
    {":25", "", 0, "missing host before \":port\""},
    {"", "", 0, "missing \":port\""},
    {"127.0.0.1:0", "", 0, "port 0 is not in 1..65535"},
    {"127.0.0.1:65536", "", 0, "port 65536 is not in 1..65535"},
    {"127.0.0.1:99999999999999999999", "", 0, "port 99999999999999999999 is not in 1..65535"},
    {"127.0.0.1:+25", "", 0, "port \"+25\" is not a number"},
    {"127.0.0.1:-1", "", 0, "port \"-1\" is not a number"},
    {"127.0.0.1:2 5", "", 0, "port \"2 5\" is not a number"},
    {"::1:25", "", 0, "an IPv6 address needs brackets, e.g. [::1]:25"},
    {"[::1]25", "", 0, "missing \":port\""},
    {"[::1:25", "", 0, "missing ']' after IPv6 address"},
    {"[127.0.0.1]:25", "", 0, "\"127.0.0.1\" is not an IPv6 address"},
    {"[mx.example.com]:25", "", 0, "\"mx.example.com\" is not an IPv6 address"},
    {"mail_host:25", "", 0, "\"mail_host\" is neither an IP address nor a domain name"},
    {"a b:25", "", 0, "\"a b\" is neither an IP address nor a domain name"},
};

TEST(ConfigNet, SplitHostPort) {
  for (const HostPortCase& c : kHostPortCases) {
    SCOPED_TRACE(std::string(c.text));
    auto r = split_host_port(c.text);
    if (c.host.empty()) {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().message, c.error);
    } else {
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->first, c.host);
      EXPECT_EQ(r->second, c.port);
    }
  }
}

TEST(ConfigNet, IpLiterals) {
  for (std::string_view ip :
       {"127.0.0.1", "0.0.0.0", "255.255.255.255", "::", "::1", "2001:db8::1", "fe80::1:2:3:4"})
    EXPECT_TRUE(is_ip_literal(ip)) << ip;
  for (std::string_view not_ip :
       {"", "1.2.3", "256.0.0.1", "1.2.3.4.5", "[::1]", "localhost", "::1%eth0", "1.2.3.4 "})
    EXPECT_FALSE(is_ip_literal(not_ip)) << not_ip;
}

TEST(ConfigNet, DomainNames) {
  for (std::string_view name :
       {"vm", "mail.example.com", "MX1.Example.COM", "1.2.3.4", "a-b.c", "xn--bcher-kva.example"})
    EXPECT_TRUE(is_domain_name(name)) << name;
  for (std::string_view name : {"", ".", "example.com.", ".example.com", "a..b", "-a.b", "a-.b",
                                "a_b.c", "a b", "caf\xC3\xA9.example", "a:b"})
    EXPECT_FALSE(is_domain_name(name)) << name;
}

TEST(ConfigSuggest, EditDistanceCountsSwapsAsOne) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("smtp", "smtp"), 0u);
  EXPECT_EQ(edit_distance("smtp", "smpt"), 1u);
  EXPECT_EQ(edit_distance("max_recipent", "max_recipients"), 2u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(ConfigSuggest, SuggestsNearKeys) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"smtp.max_recipent", " (did you mean smtp.max_recipients?)"},
      {"log_levl", " (did you mean log_level?)"},
      {"max_message_size", " (did you mean smtp.max_message_size?)"},
      {"smtp.listeners[3].adress", " (did you mean smtp.listeners[3].address?)"},
      {"smtp.listeners[0].tsl", " (did you mean smtp.listeners[0].tls?)"},
      {"stor", " (did you mean store?)"},
      {"smtp.banner", ""},
      {"x", ""},
  };
  for (const auto& [path, expected] : cases) EXPECT_EQ(suggestion(path), expected) << path;
}

}  // namespace
}  // namespace herald::config
