// [[delivery.routes]] and the smart host's AUTH keys: loading, every validation problem listed
// at once with the route index and key, printing (no secret can be printed: only file paths
// are configuration), and the secret file reader.
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.h"
#include "support/temp_dir.h"

namespace herald::config {
namespace {

std::string error_of(std::string_view toml) {
  auto result = load_string(toml);
  if (result) {
    ADD_FAILURE() << "loaded, but should not have:\n" << toml;
    return {};
  }
  return result.error().message;
}

constexpr std::string_view kRoutes = R"(
[delivery]
relay = "smarthost.example:587"
relay_tls = "required"
relay_auth_user = "herald@example.org"
relay_auth_password_file = "/etc/herald/relay.pw"

[[delivery.routes]]
domain = "partner.example"
relay = "[2001:db8::25]:2525"
tls = "required"
auth_user = "u1"
auth_password_file = "/etc/herald/partner.pw"

[[delivery.routes]]
domain = "*.corp.example"

[[delivery.routes]]
domain = ".Internal.Example"
relay = "10.0.0.25:25"
)";

TEST(ConfigRoutes, LoadsEveryFieldWithDefaults) {
  auto c = load_string(kRoutes);
  ASSERT_TRUE(c) << c.error().message;
  const DeliveryConfig& d = c->delivery;
  EXPECT_EQ(d.relay, "smarthost.example:587");
  EXPECT_EQ(d.relay_auth_user, "herald@example.org");
  EXPECT_EQ(d.relay_auth_password_file, "/etc/herald/relay.pw");
  std::vector<Route> want = {
      {"partner.example", "[2001:db8::25]:2525", "required", "u1", "/etc/herald/partner.pw"},
      {"*.corp.example", "", "opportunistic", "", ""},
      {".Internal.Example", "10.0.0.25:25", "opportunistic", "", ""}};
  EXPECT_EQ(d.routes, want);
}

TEST(ConfigRoutes, RoundTripsThroughConfigShow) {
  auto c = load_string(kRoutes);
  ASSERT_TRUE(c) << c.error().message;
  std::string text = to_toml(*c);
  auto back = load_string(text);
  ASSERT_TRUE(back) << back.error().message << "\n" << text;
  EXPECT_EQ(*back, *c) << text;
  EXPECT_NE(text.find("{ domain = \"partner.example\", relay = \"[2001:db8::25]:2525\", tls = "
                      "\"required\", auth_user = \"u1\", auth_password_file = "
                      "\"/etc/herald/partner.pw\" },"),
            std::string::npos)
      << text;
  EXPECT_NE(to_toml(defaults()).find("\nroutes = []\n"), std::string::npos);
}

TEST(ConfigRoutes, InlinePasswordsAreRejectedWithAHint) {
  std::string message = error_of(
      "[delivery]\nrelay = \"r.example:25\"\nrelay_auth_password = \"hunter2hunter2\"\n"
      "[[delivery.routes]]\ndomain = \"a.example\"\nauth_password = \"hunter2hunter2\"\n");
  EXPECT_EQ(message,
            "delivery.relay_auth_password: unknown key; passwords are not accepted inline: put "
            "it in a file readable only by Herald and set delivery.relay_auth_password_file "
            "(line 3)\n"
            "delivery.routes[0].auth_password: unknown key; passwords are not accepted inline: "
            "put it in a file readable only by Herald and set "
            "delivery.routes[0].auth_password_file (line 6)");
  EXPECT_EQ(message.find("hunter2"), std::string::npos);
}

struct BadCase {
  const char* name;
  const char* toml;
  const char* message;
};

class ConfigRoutesBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigRoutesBad, NamesTheRouteAndKey) {
  EXPECT_EQ(error_of(GetParam().toml), GetParam().message);
}

const BadCase kBad[] = {
    {"missing_domain", "[[delivery.routes]]\nrelay = \"r.example:25\"\n",
     "delivery.routes[0].domain: missing; expected a domain name, or \"*.name\" / \".name\" for "
     "its subdomains (line 1)"},
    {"bad_domain", "[[delivery.routes]]\ndomain = \"*example.com\"\n",
     "delivery.routes[0].domain: expected a domain name, or \"*.name\" / \".name\" for its "
     "subdomains, got string \"*example.com\" (line 2)"},
    {"bad_relay", "[[delivery.routes]]\ndomain = \"a.example\"\nrelay = \"r.example\"\n",
     "delivery.routes[0].relay: expected \"\" or \"host:port\" (host a domain name or IP "
     "address, port 1..65535), got string \"r.example\" (missing \":port\") (line 3)"},
    {"bad_port", "[delivery]\nrelay = \"r.example:99999\"\n",
     "delivery.relay: expected \"\" or \"host:port\" (host a domain name or IP address, port "
     "1..65535), got string \"r.example:99999\" (port 99999 is not in 1..65535) (line 2)"},
    {"bad_tls", "[[delivery.routes]]\ndomain = \"a.example\"\ntls = \"always\"\n",
     "delivery.routes[0].tls: expected one of \"opportunistic\", \"required\", got string "
     "\"always\" (line 3)"},
    {"not_a_table", "[delivery]\nroutes = [\"a.example\"]\n",
     "delivery.routes[0]: expected a table {domain, relay, tls, auth_user, auth_password_file}, "
     "got string \"a.example\" (line 2)"},
    {"unknown_field", "[[delivery.routes]]\ndomain = \"a.example\"\nrealy = \"r.example:25\"\n",
     "delivery.routes[0].realy: unknown key (line 3)"},
    {"duplicate_domains",
     "[[delivery.routes]]\ndomain = \"A.example\"\n[[delivery.routes]]\ndomain = \"*.b.example\"\n"
     "[[delivery.routes]]\ndomain = \"a.EXAMPLE\"\n[[delivery.routes]]\ndomain = \".b.example\"\n",
     "delivery.routes[2].domain: same domain as delivery.routes[0] (a.EXAMPLE) (line 5)\n"
     "delivery.routes[3].domain: same domain as delivery.routes[1] (.b.example) (line 7)"},
    {"auth_without_relay",
     "[[delivery.routes]]\ndomain = \"a.example\"\nauth_user = \"u\"\n"
     "auth_password_file = \"/p\"\n",
     "delivery.routes[0].auth_user: set, but delivery.routes[0].relay is not (credentials are "
     "only ever sent to a relay, not to MX hosts) (line 1)"},
    {"user_without_file",
     "[[delivery.routes]]\ndomain = \"a.example\"\nrelay = \"r.example:25\"\nauth_user = \"u\"\n",
     "delivery.routes[0].auth_password_file: must be set when delivery.routes[0].auth_user is "
     "(line 1)"},
    {"file_without_user",
     "[[delivery.routes]]\ndomain = \"a.example\"\nrelay = \"r.example:25\"\n"
     "auth_password_file = \"/p\"\n",
     "delivery.routes[0].auth_user: must be set when delivery.routes[0].auth_password_file is "
     "(line 1)"},
    {"global_auth_without_relay", "[delivery]\nrelay_auth_user = \"u\"\n",
     "delivery.relay_auth_user: set, but delivery.relay is not (credentials are only ever sent "
     "to a relay, not to MX hosts) (line 2)\n"
     "delivery.relay_auth_password_file: must be set when delivery.relay_auth_user is (line 2)"},
    {"all_at_once",
     "[[delivery.routes]]\ndomain = \"a.example\"\ntls = \"no\"\n[[delivery.routes]]\n"
     "domain = \"b.example\"\nrelay = \"x\"\nauth_user = \"u\"\n",
     "delivery.routes[0].tls: expected one of \"opportunistic\", \"required\", got string \"no\" "
     "(line 3)\n"
     "delivery.routes[1].relay: expected \"\" or \"host:port\" (host a domain name or IP "
     "address, port 1..65535), got string \"x\" (missing \":port\") (line 6)"},
};

INSTANTIATE_TEST_SUITE_P(Cases, ConfigRoutesBad, ::testing::ValuesIn(kBad),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(ConfigRoutes, RouteDomainPatterns) {
  for (const char* ok : {"example.com", "*.example.com", ".example.com", "a-b.c"})
    EXPECT_TRUE(is_route_domain(ok)) << ok;
  for (const char* bad : {"", "*", "*.", ".", "**.example.com", "*example.com", "a..b",
                          "example.com.", "*.*.example.com", "exa mple.com"})
    EXPECT_FALSE(is_route_domain(bad)) << bad;
}

class SecretFileTest : public ::testing::Test {
 protected:
  std::string write(const std::string& content) {
    std::string path = (dir_.path() / "secret").string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(SecretFileTest, OneTrailingLineEndIsNotPartOfTheSecret) {
  EXPECT_EQ(*read_secret_file(write("pw")), "pw");
  EXPECT_EQ(*read_secret_file(write("pw\n")), "pw");
  EXPECT_EQ(*read_secret_file(write("pw\r\n")), "pw");
  EXPECT_EQ(*read_secret_file(write(" p w ")), " p w ");
}

TEST_F(SecretFileTest, ProblemsNeverQuoteTheContent) {
  for (const std::string& content : {std::string(""), std::string("\n"), std::string("pw1\npw2"),
                                     std::string("pw1\0x", 5), std::string(1025, 'x')}) {
    auto r = read_secret_file(write(content));
    ASSERT_FALSE(r) << content;
    EXPECT_EQ(r.error().message.find("pw1"), std::string::npos);
  }
  auto missing = read_secret_file((dir_.path() / "nope").string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
}

}  // namespace
}  // namespace herald::config
