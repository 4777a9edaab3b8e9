// Blocking DNS resolver over one c-ares channel, for the CLI (`herald domain verify`) and any
// caller that may block its thread for a bounded time.
// Invariants: every lookup returns within timeout * tries * servers (plus scheduling slack),
// whatever the servers do; lookups never use the resolv.conf search list (names are taken as
// fully qualified); a Resolver is used by one thread at a time (c-ares channels are not
// thread-safe) and may be moved between lookups.
// The asynchronous variant for delivery will reuse dns/channel.h (channel setup) and
// dns/reply.h (reply parsing); only the event loop integration differs.
#pragma once

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "dns/channel.h"
#include "dns/types.h"

namespace herald::dns {

struct RawReply;

class Resolver {
 public:
  // Fails with an Error naming the offending entry when a server string is not an IP literal
  // with an optional port, or when timeout/tries are out of range.
  static Result<Resolver> create(const ResolverConfig& config);

  Resolver(Resolver&&) noexcept;
  Resolver& operator=(Resolver&&) noexcept;
  ~Resolver();

  // Each TXT record's character-strings concatenated without separator (RFC 7208 §3.3),
  // one entry per record, in answer order.
  Answer<std::string> txt(std::string_view name);
  // Sorted by preference (stable: equal preferences keep answer order; the delivery planner
  // shuffles those itself, RFC 5321 §5.1).
  Answer<MxRecord> mx(std::string_view name);
  // IPv4 then IPv6 addresses as text. Both queries run concurrently. ok when either family has
  // addresses; if the other family failed, `error` notes it. nxdomain/no_data only when both
  // agree there is nothing; failure when nothing was found and either family failed.
  Answer<std::string> a(std::string_view name);

  // The servers this resolver asks, e.g. "127.0.0.1:53, [::1]:5353" (for messages).
  const std::string& servers() const { return servers_; }

 private:
  Resolver(ChannelPtr channel, std::string servers, std::chrono::milliseconds budget);

  // Sends one query per type for `name` at once and drives the channel until all replied or
  // the budget ran out (unanswered ones then carry ARES_ETIMEOUT).
  std::vector<RawReply> query(std::string_view name, std::initializer_list<int> types);
  void drive(std::vector<RawReply>& replies);

  ChannelPtr channel_;
  std::string servers_;
  std::chrono::milliseconds budget_;
};

}  // namespace herald::dns
