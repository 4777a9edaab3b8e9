#include "support/dns_wire.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace herald::testing::dns_wire {
namespace {

constexpr std::size_t kHeaderSize = 12;

void put16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

void put32(Bytes& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v & 0xffff));
}

std::uint16_t get16(std::span<const std::uint8_t> m, std::size_t at) {
  return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]);
}

void header(Bytes& out, std::uint16_t id, std::uint16_t flags, std::uint16_t qdcount,
            std::uint16_t ancount) {
  put16(out, id);
  put16(out, flags);
  put16(out, qdcount);
  put16(out, ancount);
  put16(out, 0);  // NSCOUNT
  put16(out, 0);  // ARCOUNT
}

}  // namespace

std::optional<Query> parse_query(std::span<const std::uint8_t> message) {
  if (message.size() < kHeaderSize || get16(message, 4) != 1) return std::nullopt;
  Query query;
  query.id = get16(message, 0);
  query.recursion_desired = (message[2] & 0x01) != 0;
  std::size_t at = kHeaderSize;
  while (true) {
    if (at >= message.size()) return std::nullopt;
    std::size_t length = message[at++];
    if (length == 0) break;
    if (length > 63 || at + length > message.size()) return std::nullopt;  // no compression
    if (!query.name.empty()) query.name += '.';
    for (std::size_t i = 0; i < length; ++i) {
      query.name += static_cast<char>(std::tolower(message[at + i]));
    }
    at += length;
  }
  if (at + 4 > message.size()) return std::nullopt;
  query.qtype = get16(message, at);
  query.qclass = get16(message, at + 2);
  query.question.assign(message.begin() + kHeaderSize, message.begin() + at + 4);
  return query;
}

Bytes encode_response(const Query& query, Rcode rcode, const std::vector<Record>& answers,
                      bool truncated) {
  // QR=1, opcode 0, AA=1, TC, RD copied, RA=1, RCODE (RFC 1035 §4.1.1).
  std::uint16_t flags = 0x8000 | 0x0400 | 0x0080 | static_cast<std::uint16_t>(rcode);
  if (truncated) flags |= 0x0200;
  if (query.recursion_desired) flags |= 0x0100;
  const auto& records = truncated ? std::vector<Record>{} : answers;
  Bytes out;
  header(out, query.id, flags, 1, static_cast<std::uint16_t>(records.size()));
  out.insert(out.end(), query.question.begin(), query.question.end());
  for (const auto& record : records) {
    append_name(out, record.name);
    put16(out, record.rtype);
    put16(out, 1);  // class IN
    put32(out, record.ttl);
    put16(out, static_cast<std::uint16_t>(record.rdata.size()));
    out.insert(out.end(), record.rdata.begin(), record.rdata.end());
  }
  return out;
}

Bytes encode_query(std::uint16_t id, std::string_view name, std::uint16_t qtype) {
  Bytes out;
  header(out, id, 0x0100, 1, 0);
  append_name(out, name);
  put16(out, qtype);
  put16(out, 1);
  return out;
}

void append_name(Bytes& out, std::string_view name) {
  while (!name.empty() && name != ".") {
    auto dot = name.find('.');
    auto label = name.substr(0, dot);
    if (label.empty() || label.size() > 63) std::abort();  // test bug: bad name
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  out.push_back(0);
}

Bytes txt_rdata(const std::vector<std::string>& strings) {
  Bytes out;
  for (const auto& s : strings) {
    if (s.size() > 255) std::abort();  // test bug: use split_txt
    out.push_back(static_cast<std::uint8_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

Bytes mx_rdata(std::uint16_t preference, std::string_view exchange) {
  Bytes out;
  put16(out, preference);
  append_name(out, exchange);
  return out;
}

Bytes a_rdata(std::string_view ipv4) {
  Bytes out(4);
  if (inet_pton(AF_INET, std::string(ipv4).c_str(), out.data()) != 1) std::abort();
  return out;
}

Bytes aaaa_rdata(std::string_view ipv6) {
  Bytes out(16);
  if (inet_pton(AF_INET6, std::string(ipv6).c_str(), out.data()) != 1) std::abort();
  return out;
}

Bytes name_rdata(std::string_view name) {
  Bytes out;
  append_name(out, name);
  return out;
}

std::vector<std::string> split_txt(std::string_view text) {
  std::vector<std::string> chunks;
  do {
    auto n = std::min<std::size_t>(text.size(), 255);
    chunks.emplace_back(text.substr(0, n));
    text.remove_prefix(n);
  } while (!text.empty());
  return chunks;
}

}  // namespace herald::testing::dns_wire
