#include "dns/resolver.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "dns/reply.h"

namespace herald::dns {
namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds to wait in poll(): until c-ares' next retransmission or the deadline, whichever
// comes first, rounded up so that we never spin on a sub-millisecond remainder.
int poll_timeout_ms(ares_channel channel, Clock::duration remaining) {
  auto remaining_us = std::chrono::duration_cast<std::chrono::microseconds>(remaining).count();
  timeval max_wait{};
  max_wait.tv_sec = static_cast<time_t>(remaining_us / 1'000'000);
  max_wait.tv_usec = static_cast<suseconds_t>(remaining_us % 1'000'000);
  timeval storage{};
  const timeval* wait = ares_timeout(channel, &max_wait, &storage);
  auto ms = static_cast<long long>(wait->tv_sec) * 1000 + (wait->tv_usec + 999) / 1000;
  return static_cast<int>(std::max(ms, 0LL));
}

// The sockets c-ares wants watched, as pollfds; returns how many were filled.
nfds_t sockets_to_poll(ares_channel channel, std::array<pollfd, ARES_GETSOCK_MAXNUM>& fds) {
  std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> sockets{};
  int mask = ares_getsock(channel, sockets.data(), ARES_GETSOCK_MAXNUM);
  nfds_t count = 0;
  for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
    short events = 0;
    if (ARES_GETSOCK_READABLE(mask, i)) events |= POLLIN;
    if (ARES_GETSOCK_WRITABLE(mask, i)) events |= POLLOUT;
    if (events != 0) fds[count++] = pollfd{sockets[i], events, 0};
  }
  return count;
}

}  // namespace

Result<Resolver> Resolver::create(const ResolverConfig& config) {
  auto channel = open_channel(config);
  if (!channel) return channel.error();
  std::string servers = channel_servers(channel->get());
  auto budget = lookup_budget(config, channel_server_count(channel->get()));
  return Resolver(std::move(*channel), std::move(servers), budget);
}

Resolver::Resolver(ChannelPtr channel, std::string servers, std::chrono::milliseconds budget)
    : channel_(std::move(channel)), servers_(std::move(servers)), budget_(budget) {}

Resolver::Resolver(Resolver&&) noexcept = default;
Resolver& Resolver::operator=(Resolver&&) noexcept = default;
Resolver::~Resolver() = default;

Answer<std::string> Resolver::txt(std::string_view name) {
  auto replies = query(name, {ns_t_txt});
  return with_context(parse_txt(replies[0]), ns_t_txt, name, servers_);
}

Answer<MxRecord> Resolver::mx(std::string_view name) {
  auto replies = query(name, {ns_t_mx});
  return with_context(parse_mx(replies[0]), ns_t_mx, name, servers_);
}

Answer<std::string> Resolver::a(std::string_view name) {
  auto replies = query(name, {ns_t_a, ns_t_aaaa});
  return merge_addresses(with_context(parse_a(replies[0]), ns_t_a, name, servers_),
                         with_context(parse_aaaa(replies[1]), ns_t_aaaa, name, servers_));
}

std::vector<RawReply> Resolver::query(std::string_view name, std::initializer_list<int> types) {
  // Sized once: c-ares keeps pointers to these elements until their callbacks ran.
  std::vector<RawReply> replies(types.size());
  std::transform(types.begin(), types.end(), replies.begin(), [](int type) {
    RawReply reply;
    reply.type = type;
    return reply;
  });
  if (name.empty() || name.find('\0') != std::string_view::npos) {
    for (auto& reply : replies) store_reply(&reply, ARES_EBADNAME, 0, nullptr, 0);
    return replies;
  }
  // ares_query, not ares_search: the names we look up are fully qualified, and a search list
  // would turn an NXDOMAIN for "example.com" into lookups of "example.com.<local domain>".
  const std::string qname(name);
  for (auto& reply : replies) {
    ares_query(channel_.get(), qname.c_str(), ns_c_in, reply.type, store_reply, &reply);
  }
  drive(replies);
  return replies;
}

void Resolver::drive(std::vector<RawReply>& replies) {
  auto all_done = [&] {
    return std::all_of(replies.begin(), replies.end(), [](const RawReply& r) { return r.done; });
  };
  const auto deadline = Clock::now() + budget_;
  while (!all_done()) {
    const auto now = Clock::now();
    if (now >= deadline) {
      ares_cancel(channel_.get());  // runs the pending callbacks with ARES_ECANCELLED
      break;
    }
    std::array<pollfd, ARES_GETSOCK_MAXNUM> fds{};
    const nfds_t count = sockets_to_poll(channel_.get(), fds);
    const int ready = ::poll(fds.data(), count, poll_timeout_ms(channel_.get(), deadline - now));
    if (ready < 0 && errno != EINTR) {
      ares_cancel(channel_.get());
      break;
    }
    if (ready <= 0) {
      ares_process_fd(channel_.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts only
      continue;
    }
    for (nfds_t i = 0; i < count; ++i) {
      const short events = fds[i].revents;
      if (events == 0) continue;
      const bool readable = (events & (POLLIN | POLLERR | POLLHUP)) != 0;
      const bool writable = (events & POLLOUT) != 0;
      ares_process_fd(channel_.get(), readable ? fds[i].fd : ARES_SOCKET_BAD,
                      writable ? fds[i].fd : ARES_SOCKET_BAD);
    }
  }
  // Our deadline is the timeout the operator configured, so report it as one.
  for (auto& reply : replies) {
    if (!reply.done || reply.status == ARES_ECANCELLED) {
      reply.done = true;
      reply.status = ARES_ETIMEOUT;
    }
  }
}

}  // namespace herald::dns
