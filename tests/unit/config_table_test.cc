// The key table's invariants, bounds at both edges for every key, and the generated reference
// in docs/configuration.md staying in step with the table.
#include "config/config_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace herald::config {
namespace {

std::string_view section_of(std::string_view key) {
  std::size_t dot = key.rfind('.');
  return dot == std::string_view::npos ? std::string_view{} : key.substr(0, dot);
}

TEST(ConfigTable, KeysAreUniqueAndSectionsContiguousAfterTopLevelKeys) {
  std::set<std::string_view> keys;
  std::set<std::string_view> closed_sections;
  std::string_view current;
  for (const Entry& e : entries()) {
    EXPECT_TRUE(keys.insert(e.key).second) << "duplicate " << e.key;
    EXPECT_FALSE(e.doc.empty()) << e.key;
    EXPECT_TRUE(e.default_toml.empty() != e.default_note.empty()) << e.key;
    std::string_view section = section_of(e.key);
    if (section != current) {
      EXPECT_FALSE(closed_sections.contains(section)) << "section split: " << e.key;
      closed_sections.insert(current);
      current = section;
    }
  }
  EXPECT_EQ(find_entry("smtp.max_errors")->key, "smtp.max_errors");
  EXPECT_EQ(find_entry("smtp.max_error"), nullptr);
  EXPECT_TRUE(is_section("smtp"));
  EXPECT_FALSE(is_section("sm"));
  EXPECT_FALSE(is_section("smtp.max_errors"));
}

template <class T>
std::int64_t limit_of(const AnySlot& slot) {
  constexpr auto kInt64Max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  return std::holds_alternative<Slot<T>>(slot) ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                                                     std::numeric_limits<T>::max(), kInt64Max))
                                               : -1;
}

TEST(ConfigTable, KindsMatchMembersAndIntegerBoundsFit) {
  for (const Entry& e : entries()) {
    SCOPED_TRACE(std::string(e.key));
    bool is_string = std::holds_alternative<Slot<std::string>>(e.slot);
    switch (e.spec.kind) {
      case Kind::integer: {
        std::int64_t limit =
            std::max(limit_of<std::uint32_t>(e.slot), limit_of<std::uint64_t>(e.slot));
        ASSERT_GT(limit, 0) << "integer key without an integer member";
        EXPECT_GE(e.spec.min, 0);
        EXPECT_LE(e.spec.min, e.spec.max);
        EXPECT_LE(e.spec.max, limit);
        break;
      }
      case Kind::address_list:
        EXPECT_TRUE(std::holds_alternative<Slot<std::vector<std::string>>>(e.slot));
        break;
      case Kind::listeners:
        EXPECT_TRUE(std::holds_alternative<Slot<std::vector<Listener>>>(e.slot));
        break;
      case Kind::routes:
        EXPECT_TRUE(std::holds_alternative<Slot<std::vector<Route>>>(e.slot));
        break;
      case Kind::choice:
        EXPECT_FALSE(e.spec.choices.empty());
        [[fallthrough]];
      default:
        EXPECT_TRUE(is_string);
    }
  }
}

// A one-key document setting `key` to the TOML literal `value`.
Result<Config> load_one(std::string_view key, const std::string& value) {
  return load_string(std::string(key) + " = " + value + "\n");
}

TEST(ConfigTable, EveryIntegerKeyAcceptsBothEdgesAndRejectsJustBeyond) {
  for (const Entry& e : entries()) {
    if (e.spec.kind != Kind::integer) continue;
    SCOPED_TRACE(std::string(e.key));
    for (std::int64_t edge : {e.spec.min, e.spec.max}) {
      auto c = load_one(e.key, std::to_string(edge));
      ASSERT_TRUE(c) << c.error().message;
      EXPECT_EQ(format_value(e, *c), std::to_string(edge));
    }
    for (std::int64_t beyond : {e.spec.min - 1, e.spec.max + 1}) {
      auto c = load_one(e.key, std::to_string(beyond));
      ASSERT_FALSE(c);
      EXPECT_EQ(c.error().message, std::string(e.key) + ": expected an integer in " +
                                       std::to_string(e.spec.min) + ".." +
                                       std::to_string(e.spec.max) + ", got " +
                                       std::to_string(beyond) + " (line 1)");
    }
  }
}

TEST(ConfigTable, StringLengthEdges) {
  for (const Entry& e : entries()) {
    if (e.spec.kind != Kind::text) continue;
    SCOPED_TRACE(std::string(e.key));
    // tls.cert and tls.key must come in pairs, so set the partner to the same length.
    auto with_partner = [&](std::size_t n) {
      std::string value = "\"" + std::string(n, 'a') + "\"";
      std::string text = std::string(e.key) + " = " + value + "\n";
      if (e.key == "tls.cert" && n > 0) text += "tls.key = " + value + "\n";
      if (e.key == "tls.key" && n > 0) text += "tls.cert = " + value + "\n";
      // The relay's AUTH keys need each other and a relay.
      if (e.key.starts_with("delivery.relay_auth_") && n > 0)
        text += "delivery.relay = \"r.example:25\"\n" +
                std::string(e.key.ends_with("_user") ? "delivery.relay_auth_password_file"
                                                     : "delivery.relay_auth_user") +
                " = \"x\"\n";
      return load_string(text);
    };
    auto shortest = with_partner(static_cast<std::size_t>(e.spec.min));
    EXPECT_TRUE(shortest) << shortest.error().message;
    auto longest = with_partner(static_cast<std::size_t>(e.spec.max));
    EXPECT_TRUE(longest) << longest.error().message;
    EXPECT_FALSE(with_partner(static_cast<std::size_t>(e.spec.max + 1)));
    if (e.spec.min > 0) {
      EXPECT_FALSE(with_partner(static_cast<std::size_t>(e.spec.min - 1)));
    }
  }
}

std::string listeners_toml(int n) {
  std::string out = "smtp.listeners = [";
  for (int i = 0; i < n; ++i)
    out += "{ address = \"127.0.0.1:" + std::to_string(3000 + i) + "\", tls = \"none\" },";
  return out + "]\n";
}

std::string servers_toml(int n) {
  std::string out = "dns.servers = [";
  for (int i = 0; i < n; ++i) out += "\"192.0.2.1:" + std::to_string(5300 + i) + "\",";
  return out + "]\n";
}

TEST(ConfigTable, ArrayLengthEdges) {
  EXPECT_TRUE(load_string(listeners_toml(1)));
  EXPECT_TRUE(load_string(listeners_toml(16)));
  auto too_many = load_string(listeners_toml(17));
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().message,
            "smtp.listeners: expected an array of 1..16 tables {address, tls}, got 17 (line 1)");
  EXPECT_TRUE(load_string(servers_toml(0)));
  EXPECT_TRUE(load_string(servers_toml(16)));
  auto too_many_servers = load_string(servers_toml(17));
  ASSERT_FALSE(too_many_servers);
  EXPECT_EQ(too_many_servers.error().message,
            "dns.servers: expected an array of 0..16 \"ip:port\" or \"[ipv6]:port\" strings, "
            "got 17 (line 1)");
}

TEST(ConfigTable, DomainNameEdges) {
  std::string label63(63, 'a');
  std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(name253.size(), 253u);
  EXPECT_TRUE(load_one("hostname", "\"" + name253 + "\""));
  EXPECT_FALSE(load_one("hostname", "\"" + name253 + "b\""));
  EXPECT_TRUE(load_one("hostname", "\"" + label63 + "\""));
  EXPECT_FALSE(load_one("hostname", "\"" + label63 + "a\""));
}

TEST(ConfigTable, EveryDefaultPrintsAsItsLiteral) {
  Config d = defaults();
  for (const Entry& e : entries()) {
    if (e.default_toml.empty() || e.spec.kind == Kind::listeners) continue;
    EXPECT_EQ(format_value(e, d), e.default_toml) << e.key;
  }
}

TEST(ConfigTable, QuoteEscapesForOneLine) {
  EXPECT_EQ(quote("plain"), "\"plain\"");
  EXPECT_EQ(quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(quote("line\nbreak\ttab"), R"("line\nbreak\ttab")");
  EXPECT_EQ(quote("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
}

constexpr std::string_view kBegin = "<!-- BEGIN GENERATED: reference_markdown() -->\n";
constexpr std::string_view kEnd = "<!-- END GENERATED -->\n";

// Set HERALD_UPDATE_DOCS=1 to rewrite the generated part of the doc from the table.
TEST(ConfigDoc, ReferenceTableMatchesTheKeyTable) {
  const std::string path = std::string(HERALD_SOURCE_DIR) + "/docs/configuration.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string doc = buffer.str();
  std::size_t begin = doc.find(kBegin);
  std::size_t end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  begin += kBegin.size();
  std::string current = doc.substr(begin, end - begin);
  std::string generated = reference_markdown();
  if (current != generated && std::getenv("HERALD_UPDATE_DOCS")) {
    doc.replace(begin, end - begin, generated);
    std::ofstream(path) << doc;
    return;
  }
  EXPECT_EQ(current, generated) << "run with HERALD_UPDATE_DOCS=1 to regenerate " << path;
}

}  // namespace
}  // namespace herald::config
