// delivery::RouteTable: which route a recipient domain takes (exact beats wildcard, longest
// wildcard wins, default otherwise), and building it from the configuration with the password
// files read once, every unreadable one reported, a warning for one that others can read, and
// no password in any name, pool key or log line.
#include "delivery/route_table.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "support/temp_dir.h"

namespace herald::delivery {
namespace {

EffectiveRoute route(std::string name, std::string relay = "") {
  EffectiveRoute r;
  r.name = name;
  r.relay = std::move(relay);
  r.pool_key = std::move(name);
  return r;
}

TEST(RouteTable, MostSpecificMatchWins) {
  RouteTable t(route("default", "smart.example:25"), {{"example.com", route("exact")},
                                                      {"*.example.com", route("sub")},
                                                      {".deep.example.com", route("deeper")},
                                                      {"*.other.example", route("other")}});
  struct Row {
    const char* domain;
    const char* want;
  } rows[] = {
      {"example.com", "exact"},
      {"EXAMPLE.com.", "exact"},
      {"a.example.com", "sub"},
      {"b.a.example.com", "sub"},
      {"deep.example.com", "sub"},
      {"x.deep.example.com", "deeper"},
      {"y.x.Deep.Example.com", "deeper"},
      {"other.example", "default"},
      {"a.other.example", "other"},
      {"notexample.com", "default"},
      {"example.com.evil", "default"},
      {"xexample.com", "default"},
      {"", "default"},
  };
  for (const Row& r : rows) EXPECT_EQ(t.lookup(r.domain).name, r.want) << r.domain;
}

TEST(RouteTable, ExactBeatsWildcardWhateverTheOrder) {
  RouteTable t(route("default"), {{"*.a.example", route("wild")}, {"b.a.example", route("b")}});
  EXPECT_EQ(t.lookup("b.a.example").name, "b");
  EXPECT_EQ(t.lookup("c.a.example").name, "wild");
}

TEST(RouteTable, DefaultIsMxDelivery) {
  RouteTable t;
  EXPECT_EQ(t.lookup("anything.example").relay, "");
  EXPECT_FALSE(t.lookup("anything.example").require_tls);
  EXPECT_FALSE(t.lookup("anything.example").auth);
}

config::DeliveryConfig sample() {
  config::DeliveryConfig d;
  d.relay = "smart.example:587";
  d.relay_tls = "required";
  d.relay_auth_user = "global-user";
  d.relay_auth_password_file = "/secrets/global";
  d.routes = {{"dest.test", "relay.test:2525", "required", "route-user", "/secrets/route"},
              {"*.mx.test", "", "required", "", ""},
              {"plain.test", "", "opportunistic", "", ""}};
  return d;
}

TEST(RouteTableFromConfig, EffectiveSettingsPerRoute) {
  std::map<std::string, std::string> files = {{"/secrets/global", "g-Secret-1"},
                                              {"/secrets/route", "r-Secret-2"}};
  int reads = 0;
  auto table = route_table_from_config(sample(), [&](const std::string& path) {
    ++reads;
    return Result<std::string>(boost::system::in_place_value, files.at(path));
  });
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_EQ(reads, 2);

  const EffectiveRoute& def = table->lookup("elsewhere.example");
  EXPECT_EQ(def.relay, "smart.example:587");
  EXPECT_TRUE(def.require_tls);
  ASSERT_TRUE(def.auth);
  EXPECT_EQ(*def.auth, (smtp::ClientAuth{"global-user", "g-Secret-1"}));

  const EffectiveRoute& dest = table->lookup("dest.test");
  EXPECT_EQ(dest.relay, "relay.test:2525");
  EXPECT_TRUE(dest.require_tls);
  ASSERT_TRUE(dest.auth);
  EXPECT_EQ(*dest.auth, (smtp::ClientAuth{"route-user", "r-Secret-2"}));
  EXPECT_EQ(dest.name, "delivery.routes[0] (dest.test)");

  const EffectiveRoute& mx = table->lookup("a.mx.test");
  EXPECT_EQ(mx.relay, "");  // MX delivery, TLS required per destination
  EXPECT_TRUE(mx.require_tls);
  EXPECT_FALSE(mx.auth);

  const EffectiveRoute& plain = table->lookup("plain.test");
  EXPECT_FALSE(plain.require_tls);
  EXPECT_FALSE(plain.auth);

  // Every route pools its connections apart, and no key or name carries a password.
  std::set<std::string> keys;
  for (const char* d : {"elsewhere.example", "dest.test", "a.mx.test", "plain.test"}) {
    const EffectiveRoute& r = table->lookup(d);
    EXPECT_TRUE(keys.insert(r.pool_key).second) << r.pool_key;
    for (const char* secret : {"g-Secret-1", "r-Secret-2"}) {
      EXPECT_EQ(r.pool_key.find(secret), std::string::npos);
      EXPECT_EQ(r.name.find(secret), std::string::npos);
    }
  }
}

TEST(RouteTableFromConfig, EveryUnreadablePasswordFileIsListed) {
  auto table = route_table_from_config(sample(), [](const std::string& path) {
    return Result<std::string>(make_error("cannot read " + path + ": Permission denied"));
  });
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().message,
            "delivery.relay_auth_password_file: cannot read /secrets/global: Permission denied\n"
            "delivery.routes[0].auth_password_file: cannot read /secrets/route: Permission "
            "denied");
}

TEST(RouteTableFromConfig, DefaultRelayWithoutRequiredTlsAndMxDefault) {
  config::DeliveryConfig d;
  d.relay_tls = "required";  // meaningless without a relay: MX delivery stays opportunistic
  auto table = route_table_from_config(d, [](const std::string&) -> Result<std::string> {
    ADD_FAILURE() << "no password file to read";
    return make_error("unexpected");
  });
  ASSERT_TRUE(table);
  EXPECT_FALSE(table->lookup("x.example").require_tls);
  EXPECT_EQ(table->size(), 0u);
}

// Captures what spdlog logs while alive (the default logger swapped for one on a stream).
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("captured", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(RouteTableFromConfig, WarnsOfPasswordFilesReadableByGroupOrOthers) {
  struct Case {
    mode_t mode;
    std::string readable_by;  // "" = no warning
  };
  const Case cases[] = {{0600, ""},
                        {0400, ""},
                        {0620, ""},  // writable by the group is not the concern here
                        {0640, "group"},
                        {0604, "others"},
                        {0644, "group and others"}};
  herald::testing::TempDir dir;
  for (const auto& c : cases) {
    const auto file = (dir.path() / "relay.pw").string();
    { std::ofstream(file, std::ios::trunc) << "Secret-Pw-42\n"; }
    ASSERT_EQ(::chmod(file.c_str(), c.mode), 0);
    config::DeliveryConfig d;
    d.relay = "smart.example:587";
    d.relay_auth_user = "u";
    d.relay_auth_password_file = file;
    d.routes = {{"dest.test", "relay.test:2525", "required", "route-user", file}};
    CapturedLog log;
    auto table = route_table_from_config(d);  // the real reader: config::read_secret_file
    ASSERT_TRUE(table) << table.error().message;
    EXPECT_EQ(table->default_route().auth->password, "Secret-Pw-42");
    const std::string text = log.text();
    EXPECT_EQ(text.find("Secret-Pw-42"), std::string::npos) << text;
    if (c.readable_by.empty()) {
      EXPECT_EQ(text, "") << std::oct << c.mode;
      continue;
    }
    for (const std::string key :
         {"delivery.relay_auth_password_file: ", "delivery.routes[0].auth_password_file: "}) {
      EXPECT_NE(text.find(key + file + " is readable by " + c.readable_by + ";"), std::string::npos)
          << std::oct << c.mode << ": " << text;
    }
    EXPECT_NE(text.find("[warning]"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace herald::delivery
