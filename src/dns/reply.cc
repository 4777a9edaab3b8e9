#include "dns/reply.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fmt/format.h>
#include <netdb.h>

#include <algorithm>
#include <array>
#include <string>

namespace herald::dns {
namespace {

// An answer for a reply that carries no records of the asked type, or a failure.
template <class T>
Answer<T> without_records(int ares_status) {
  Answer<T> answer;
  answer.status = status_from_ares(ares_status);
  if (answer.status == LookupStatus::failure) answer.error = ares_error_text(ares_status);
  return answer;
}

// Runs `parse(message, length, records) -> ares status` on a successful reply. c-ares' parsers
// return ARES_ENODATA when the answer section holds none of the type (e.g. only a CNAME).
template <class T, class Parse>
Answer<T> parse_reply(const RawReply& reply, Parse&& parse) {
  if (reply.status != ARES_SUCCESS) return without_records<T>(reply.status);
  if (reply.message.empty()) return without_records<T>(ARES_EBADRESP);
  Answer<T> answer;
  int rc = parse(reply.message.data(), static_cast<int>(reply.message.size()), answer.records);
  if (rc != ARES_SUCCESS) return without_records<T>(rc);
  if (answer.records.empty()) return without_records<T>(ARES_ENODATA);
  answer.status = LookupStatus::ok;
  return answer;
}

int parse_txt_records(const unsigned char* message, int length, std::vector<std::string>& out) {
  ares_txt_ext* head = nullptr;
  int rc = ares_parse_txt_reply_ext(message, length, &head);
  if (rc != ARES_SUCCESS) return rc;
  for (const ares_txt_ext* chunk = head; chunk != nullptr; chunk = chunk->next) {
    // A record's character-strings arrive as consecutive chunks; record_start marks the first.
    if (chunk->record_start != 0 || out.empty()) out.emplace_back();
    out.back().append(reinterpret_cast<const char*>(chunk->txt), chunk->length);
  }
  ares_free_data(head);
  return ARES_SUCCESS;
}

int parse_mx_records(const unsigned char* message, int length, std::vector<MxRecord>& out) {
  ares_mx_reply* head = nullptr;
  int rc = ares_parse_mx_reply(message, length, &head);
  if (rc != ARES_SUCCESS) return rc;
  for (const ares_mx_reply* mx = head; mx != nullptr; mx = mx->next) {
    std::string host = mx->host != nullptr ? mx->host : "";
    if (host == ".") host.clear();
    out.push_back(MxRecord{mx->priority, std::move(host)});
  }
  ares_free_data(head);
  std::stable_sort(out.begin(), out.end(), [](const MxRecord& x, const MxRecord& y) {
    return x.preference < y.preference;
  });
  return ARES_SUCCESS;
}

// Copies the addresses of a hostent filled by ares_parse_a_reply / ares_parse_aaaa_reply.
void append_addresses(const hostent* host, std::vector<std::string>& out) {
  for (char** addr = host->h_addr_list; addr != nullptr && *addr != nullptr; ++addr) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (inet_ntop(host->h_addrtype, *addr, text.data(), text.size()) != nullptr) {
      out.emplace_back(text.data());
    }
  }
}

int parse_a_records(const unsigned char* message, int length, std::vector<std::string>& out) {
  hostent* host = nullptr;
  int rc = ares_parse_a_reply(message, length, &host, nullptr, nullptr);
  if (rc != ARES_SUCCESS) return rc;
  append_addresses(host, out);
  ares_free_hostent(host);
  return ARES_SUCCESS;
}

int parse_aaaa_records(const unsigned char* message, int length, std::vector<std::string>& out) {
  hostent* host = nullptr;
  int rc = ares_parse_aaaa_reply(message, length, &host, nullptr, nullptr);
  if (rc != ARES_SUCCESS) return rc;
  append_addresses(host, out);
  ares_free_hostent(host);
  return ARES_SUCCESS;
}

void append_sentence(std::string& text, const std::string& sentence) {
  if (sentence.empty()) return;
  if (!text.empty()) text += "; ";
  text += sentence;
}

}  // namespace

std::string_view to_string(LookupStatus s) {
  switch (s) {
    case LookupStatus::ok:
      return "ok";
    case LookupStatus::no_data:
      return "no data";
    case LookupStatus::nxdomain:
      return "nxdomain";
    case LookupStatus::failure:
      return "failure";
  }
  return "unknown";
}

void store_reply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* reply = static_cast<RawReply*>(arg);
  reply->done = true;
  reply->status = status;
  if (abuf != nullptr && alen > 0) reply->message.assign(abuf, abuf + alen);
}

LookupStatus status_from_ares(int ares_status) {
  switch (ares_status) {
    case ARES_SUCCESS:
      return LookupStatus::ok;
    case ARES_ENODATA:
      return LookupStatus::no_data;
    case ARES_ENOTFOUND:
      return LookupStatus::nxdomain;
    default:
      return LookupStatus::failure;
  }
}

std::string ares_error_text(int ares_status) {
  return ares_strerror(ares_status);
}

std::string type_name(int type) {
  switch (type) {
    case ns_t_a:
      return "A";
    case ns_t_aaaa:
      return "AAAA";
    case ns_t_mx:
      return "MX";
    case ns_t_txt:
      return "TXT";
    default:
      return "type " + std::to_string(type);
  }
}

std::string lookup_failure(int type, std::string_view name, const std::string& error,
                           const std::string& servers) {
  return fmt::format("{} lookup for {} failed: {} (servers: {})", type_name(type), name, error,
                     servers);
}

Answer<std::string> parse_txt(const RawReply& reply) {
  return parse_reply<std::string>(reply, parse_txt_records);
}

Answer<MxRecord> parse_mx(const RawReply& reply) {
  return parse_reply<MxRecord>(reply, parse_mx_records);
}

Answer<std::string> parse_a(const RawReply& reply) {
  return parse_reply<std::string>(reply, parse_a_records);
}

Answer<std::string> parse_aaaa(const RawReply& reply) {
  return parse_reply<std::string>(reply, parse_aaaa_records);
}

Answer<std::string> merge_addresses(Answer<std::string> v4, Answer<std::string> v6) {
  Answer<std::string> merged;
  merged.records = std::move(v4.records);
  merged.records.insert(merged.records.end(), std::make_move_iterator(v6.records.begin()),
                        std::make_move_iterator(v6.records.end()));
  append_sentence(merged.error, v4.error);
  append_sentence(merged.error, v6.error);
  if (!merged.records.empty()) {
    merged.status = LookupStatus::ok;  // error, if any, notes the family that failed
  } else if (v4.status == LookupStatus::failure || v6.status == LookupStatus::failure) {
    merged.status = LookupStatus::failure;
  } else if (v4.status == LookupStatus::nxdomain || v6.status == LookupStatus::nxdomain) {
    merged.status = LookupStatus::nxdomain;
  } else {
    merged.status = LookupStatus::no_data;
  }
  return merged;
}

}  // namespace herald::dns
