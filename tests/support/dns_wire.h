// Test-only DNS message codec (RFC 1035 §4): parses the question of a query and encodes
// responses, for the fake DNS server and for feeding hand-made replies to dns/reply.h.
// Invariants: encoded names are never compressed; the response echoes the query's id and
// question bytes verbatim (c-ares checks both); nothing here is used by production code.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herald::testing::dns_wire {

using Bytes = std::vector<std::uint8_t>;

enum class Rcode : std::uint8_t {
  noerror = 0,
  formerr = 1,
  servfail = 2,
  nxdomain = 3,
  refused = 5
};

namespace type {
inline constexpr std::uint16_t a = 1;
inline constexpr std::uint16_t cname = 5;
inline constexpr std::uint16_t mx = 15;
inline constexpr std::uint16_t txt = 16;
inline constexpr std::uint16_t aaaa = 28;
}  // namespace type

struct Query {
  std::uint16_t id = 0;
  bool recursion_desired = false;
  std::string name;  // lower case, without the trailing dot
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  Bytes question;  // the question section as received
};

// Parses the header and the single question of a query; nullopt when malformed.
std::optional<Query> parse_query(std::span<const std::uint8_t> message);

struct Record {
  std::string name;
  std::uint16_t rtype = 0;
  std::uint32_t ttl = 300;
  Bytes rdata;
};

// A response to `query` with the given RCODE and answer records. `truncated` sets TC and
// drops the answers (what a server does when the reply exceeds 512 bytes over UDP).
Bytes encode_response(const Query& query, Rcode rcode, const std::vector<Record>& answers,
                      bool truncated = false);

// A query, for tests that need a question to answer without a client.
Bytes encode_query(std::uint16_t id, std::string_view name, std::uint16_t qtype);

void append_name(Bytes& out, std::string_view name);       // "" and "." encode the root
Bytes txt_rdata(const std::vector<std::string>& strings);  // each string must be <= 255 bytes
Bytes mx_rdata(std::uint16_t preference, std::string_view exchange);
Bytes a_rdata(std::string_view ipv4);     // aborts on a bad literal (test bug)
Bytes aaaa_rdata(std::string_view ipv6);  // aborts on a bad literal (test bug)
Bytes name_rdata(std::string_view name);  // CNAME target

// Splits text into RFC 1035 character-strings of at most 255 bytes.
std::vector<std::string> split_txt(std::string_view text);

}  // namespace herald::testing::dns_wire
