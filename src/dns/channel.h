// c-ares channel setup shared by the blocking Resolver and the AsyncResolver:
// library initialisation (once per process), server-string validation, channel options.
// Invariants: a ChannelPtr is an initialised channel with the configured servers, timeout and
// tries, destroyed exactly once; server strings reach c-ares only after validation here,
// because ares_set_servers_ports_csv accepts nonsense (port 99999 wraps silently).
// Declares no c-ares types beyond the opaque channel, so <ares.h> stays out of callers.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "dns/types.h"

struct ares_channeldata;  // c-ares' channel (ares_channel is a pointer to it)

namespace herald::dns {

struct ChannelDeleter {
  void operator()(ares_channeldata* channel) const;
};
using ChannelPtr = std::unique_ptr<ares_channeldata, ChannelDeleter>;

// Validates one server string and returns it in the canonical form c-ares parses
// unambiguously: "192.0.2.1:53" or "[2001:db8::1]:53". Accepts "ip", "ip:port", "ipv6",
// "[ipv6]" and "[ipv6]:port"; the port must be 1..65535. Hostnames are rejected (resolving
// the resolver's address would need a resolver).
Result<std::string> canonical_server(std::string_view server);

// c-ares' socket state callback (ARES_OPT_SOCK_STATE_CB; ares_socket_t is int on POSIX):
// called when c-ares wants `fd` watched for reading and/or writing, and with both 0 before it
// closes the socket. For resolvers that drive the channel from an event loop.
struct SocketStateHook {
  void (*callback)(void* data, int fd, int readable, int writable) = nullptr;
  void* data = nullptr;
};

// Calls ares_library_init once per process (thread-safe), then creates a channel with the
// config's timeout and tries and either its servers or, when empty, the system's; with the
// socket state hook when one is given.
Result<ChannelPtr> open_channel(const ResolverConfig& config, SocketStateHook hook = {});

// The channel's servers as "ip:port" text joined by ", " (port 53 where c-ares says 0).
std::string channel_servers(ares_channeldata* channel);
int channel_server_count(ares_channeldata* channel);

// Upper bound on one lookup: timeout * tries * servers. c-ares doubles the per-attempt timeout
// each round; this cap keeps the worst case what the operator configured.
std::chrono::milliseconds lookup_budget(const ResolverConfig& config, int server_count);

}  // namespace herald::dns
