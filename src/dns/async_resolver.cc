#include "dns/async_resolver.h"

#include <ares.h>
#include <arpa/nameser.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "dns/reply.h"

namespace herald::dns {

namespace asio = boost::asio;

namespace {

// What one lookup's coroutine shares with the c-ares callbacks of its queries. Owned jointly
// (the coroutine frame and one QueryArg per query still known to c-ares), so whichever ends
// last frees it: c-ares calls every callback exactly once, at the latest from ares_destroy.
struct Lookup {
  explicit Lookup(const asio::any_io_executor& ex) : done(ex) {}
  std::vector<RawReply> replies;
  std::size_t outstanding = 0;
  // Set when the coroutine took the replies (all answered, or the deadline passed): late
  // callbacks of abandoned queries are ignored.
  bool finished = false;
  // Expires at the lookup's deadline; cancelled by the last callback to wake the coroutine.
  asio::steady_timer done;
};

struct QueryArg {
  std::shared_ptr<Lookup> lookup;
  std::size_t index;
};

void on_reply(void* arg, int status, int timeouts, unsigned char* abuf, int alen) {
  std::unique_ptr<QueryArg> query(static_cast<QueryArg*>(arg));
  Lookup& lookup = *query->lookup;
  if (lookup.finished) return;
  store_reply(&lookup.replies[query->index], status, timeouts, abuf, alen);
  if (--lookup.outstanding == 0) lookup.done.cancel();
}

}  // namespace

struct AsyncResolver::Watch {
  Watch(const asio::any_io_executor& ex, std::uint64_t gen) : descriptor(ex), generation(gen) {}
  // Never owns the fd: release()d before destruction, as c-ares closes its own sockets.
  asio::posix::stream_descriptor descriptor;
  // Tells this watch from a later one on the same fd number (c-ares may close a socket and
  // get the same number for a new one within one ares_process_fd call).
  std::uint64_t generation;
  bool want_read = false;
  bool want_write = false;
  bool reading = false;  // an async_wait is pending
  bool writing = false;
};

Result<std::unique_ptr<AsyncResolver>> AsyncResolver::create(asio::any_io_executor executor,
                                                             const ResolverConfig& config) {
  // The resolver exists before its channel: the socket state hook needs its address.
  std::unique_ptr<AsyncResolver> resolver(
      new AsyncResolver(std::move(executor), std::chrono::milliseconds(0)));
  auto channel =
      open_channel(config, SocketStateHook{&AsyncResolver::on_sock_state, resolver.get()});
  if (!channel) return channel.error();
  resolver->channel_ = std::move(*channel);
  resolver->servers_ = channel_servers(resolver->channel_.get());
  resolver->budget_ = lookup_budget(config, channel_server_count(resolver->channel_.get()));
  return resolver;
}

AsyncResolver::AsyncResolver(asio::any_io_executor executor, std::chrono::milliseconds budget)
    : executor_(std::move(executor)), budget_(budget), timer_(executor_) {}

AsyncResolver::~AsyncResolver() {
  *alive_ = false;
  // ares_destroy runs every pending query callback with ARES_EDESTRUCTION (which wakes the
  // lookups' coroutines through their own timers) and reports each socket as unwatched.
  channel_.reset();
  for (auto& [fd, w] : watches_) w->descriptor.release();
  watches_.clear();
}

asio::awaitable<Answer<MxRecord>> AsyncResolver::mx(std::string qname) {
  std::string servers = servers_;   // `this` may be gone after the co_await
  std::vector<int> types{ns_t_mx};  // not a braced list inside co_await (GCC 12 bug)
  auto replies = co_await query(qname, std::move(types));
  co_return with_context(parse_mx(replies[0]), ns_t_mx, qname, servers);
}

asio::awaitable<Answer<std::string>> AsyncResolver::a(std::string qname) {
  std::string servers = servers_;
  std::vector<int> types{ns_t_a, ns_t_aaaa};  // not a braced list inside co_await (GCC 12 bug)
  auto replies = co_await query(qname, std::move(types));
  co_return merge_addresses(with_context(parse_a(replies[0]), ns_t_a, qname, servers),
                            with_context(parse_aaaa(replies[1]), ns_t_aaaa, qname, servers));
}

asio::awaitable<Answer<std::string>> AsyncResolver::txt(std::string qname) {
  std::string servers = servers_;
  std::vector<int> types{ns_t_txt};  // not a braced list inside co_await (GCC 12 bug)
  auto replies = co_await query(qname, std::move(types));
  co_return with_context(parse_txt(replies[0]), ns_t_txt, qname, servers);
}

asio::awaitable<std::vector<RawReply>> AsyncResolver::query(std::string name,
                                                            std::vector<int> types) {
  auto lookup = std::make_shared<Lookup>(executor_);
  for (int type : types) lookup->replies.push_back(RawReply{type, false, 0, {}});
  if (name.empty() || name.find('\0') != std::string::npos) {
    for (auto& reply : lookup->replies) store_reply(&reply, ARES_EBADNAME, 0, nullptr, 0);
    co_return std::move(lookup->replies);
  }
  auto in_flight = in_flight_;
  ++*in_flight;
  lookup->outstanding = lookup->replies.size();
  lookup->done.expires_after(budget_);
  // ares_query, not ares_search: names are fully qualified (see resolver.h). A callback may
  // run inside ares_query already (e.g. no servers); `outstanding` is set before for that.
  for (std::size_t i = 0; i < lookup->replies.size(); ++i) {
    ares_query(channel_.get(), name.c_str(), ns_c_in, lookup->replies[i].type, on_reply,
               new QueryArg{lookup, i});
  }
  rearm_timer();
  if (lookup->outstanding > 0)
    co_await lookup->done.async_wait(asio::as_tuple(asio::use_awaitable));
  // From here on only `lookup` is used: the resolver may have been destroyed meanwhile.
  lookup->finished = true;
  --*in_flight;
  for (auto& reply : lookup->replies) {
    // Our deadline is the timeout the operator configured, so report it as one.
    if (!reply.done) store_reply(&reply, ARES_ETIMEOUT, 0, nullptr, 0);
  }
  co_return std::move(lookup->replies);
}

void AsyncResolver::on_sock_state(void* self, int fd, int readable, int writable) {
  static_cast<AsyncResolver*>(self)->watch(fd, readable != 0, writable != 0);
}

void AsyncResolver::watch(int fd, bool readable, bool writable) {
  auto it = watches_.find(fd);
  if (!readable && !writable) {
    // c-ares is about to close the socket: stop watching without closing it. Pending waits
    // complete with operation_aborted.
    if (it == watches_.end()) return;
    it->second->descriptor.release();
    watches_.erase(it);
    return;
  }
  if (it == watches_.end()) {
    auto w = std::make_unique<Watch>(executor_, next_generation_++);
    boost::system::error_code ec;
    w->descriptor.assign(fd, ec);
    // Not watchable (cannot happen for a fresh socket short of resource exhaustion): its
    // queries then end at their deadline instead of an answer.
    if (ec) return;
    it = watches_.emplace(fd, std::move(w)).first;
  }
  it->second->want_read = readable;
  it->second->want_write = writable;
  arm(fd, *it->second);
}

void AsyncResolver::arm(int fd, Watch& w) {
  using Wait = asio::posix::descriptor_base::wait_type;
  auto start = [&](Wait type, bool& pending) {
    pending = true;
    w.descriptor.async_wait(type, [this, alive = alive_, fd, gen = w.generation,
                                   read = type == Wait::wait_read](boost::system::error_code ec) {
      if (!*alive || ec == asio::error::operation_aborted) return;
      on_ready(fd, gen, read);
    });
  };
  if (w.want_read && !w.reading) start(Wait::wait_read, w.reading);
  if (w.want_write && !w.writing) start(Wait::wait_write, w.writing);
}

void AsyncResolver::on_ready(int fd, std::uint64_t generation, bool readable) {
  auto it = watches_.find(fd);
  if (it == watches_.end() || it->second->generation != generation) return;
  (readable ? it->second->reading : it->second->writing) = false;
  ares_process_fd(channel_.get(), readable ? fd : ARES_SOCKET_BAD, readable ? ARES_SOCKET_BAD : fd);
  // The callbacks inside may have closed the socket, or replaced it by one with the same fd.
  it = watches_.find(fd);
  if (it != watches_.end()) arm(fd, *it->second);
  rearm_timer();
}

void AsyncResolver::rearm_timer() {
  timeval storage{};
  const timeval* wait = ares_timeout(channel_.get(), nullptr, &storage);
  if (wait == nullptr) {  // no query pending
    timer_.cancel();
    return;
  }
  // Rounded up to the next millisecond so that the timer never fires just before c-ares
  // considers the retransmission due (which would spin).
  auto due = std::chrono::seconds(wait->tv_sec) + std::chrono::microseconds(wait->tv_usec) +
             std::chrono::milliseconds(1);
  timer_.expires_after(due);  // a pending wait completes with operation_aborted
  timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
    if (!*alive || ec) return;
    ares_process_fd(channel_.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts only
    rearm_timer();
  });
}

}  // namespace herald::dns
