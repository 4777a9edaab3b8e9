// From a c-ares query callback to an Answer: the raw reply as c-ares hands it over, and one
// pure parse function per record type. Shared by the blocking Resolver and the
// AsyncResolver (which calls these from its own completion handlers).
// Invariants: parse functions never throw and never read beyond `message`; any status other
// than ARES_SUCCESS/ENODATA/ENOTFOUND, and any malformed message, becomes failure with the
// c-ares error text (the caller adds the name and servers).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dns/types.h"

namespace herald::dns {

// What one ares_query completion delivered. `message` is a copy of the DNS reply (empty when
// none arrived); `status` the c-ares status code (ARES_SUCCESS, ARES_ENODATA, ...).
struct RawReply {
  int type = 0;  // the query's RR type (ns_t_txt, ...), for messages
  bool done = false;
  int status = 0;
  std::vector<unsigned char> message;
};

// An ares_callback that fills the RawReply passed as `arg`.
void store_reply(void* arg, int status, int timeouts, unsigned char* abuf, int alen);

// ARES_SUCCESS -> ok, ARES_ENODATA -> no_data, ARES_ENOTFOUND -> nxdomain, else failure.
LookupStatus status_from_ares(int ares_status);
// The c-ares text for a status ("Timeout while contacting DNS servers", ...).
std::string ares_error_text(int ares_status);
// "TXT", "MX", "A", "AAAA" or the number.
std::string type_name(int type);

// RFC 1035 §3.3.14 and RFC 7208 §3.3: one string per TXT record, its chunks joined.
Answer<std::string> parse_txt(const RawReply& reply);
// RFC 1035 §3.3.9; sorted by preference, stable. Exchange "." (null MX) becomes "".
Answer<MxRecord> parse_mx(const RawReply& reply);
// RFC 1035 §3.4.1 / RFC 3596 §2.2 addresses as text, following CNAMEs in the answer.
Answer<std::string> parse_a(const RawReply& reply);
Answer<std::string> parse_aaaa(const RawReply& reply);

// Turns the bare c-ares text of a failed answer into a sentence naming the lookup and the
// servers asked: "MX lookup for x failed: Timeout ... (servers: 127.0.0.1:53)".
std::string lookup_failure(int type, std::string_view name, const std::string& error,
                           const std::string& servers);
template <class T>
Answer<T> with_context(Answer<T> answer, int type, std::string_view name,
                       const std::string& servers) {
  if (!answer.error.empty()) answer.error = lookup_failure(type, name, answer.error, servers);
  return answer;
}

// Combines the A and AAAA answers of one name (see Resolver::a for the rules). The errors of
// the inputs must already be complete sentences; they are carried over.
Answer<std::string> merge_addresses(Answer<std::string> v4, Answer<std::string> v6);

}  // namespace herald::dns
