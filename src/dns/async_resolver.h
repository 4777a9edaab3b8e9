// Asynchronous DNS resolver: one c-ares channel driven by asio on the caller's executor, for
// the delivery engine (MX and address lookups without blocking a thread).
// How it works: c-ares reports the sockets it wants watched through ARES_OPT_SOCK_STATE_CB;
// each is wrapped in a posix::stream_descriptor that never owns the fd (c-ares opens and
// closes its sockets; we release() the descriptor when c-ares says it stops watching one, which
// happens before it closes it). Readiness calls ares_process_fd; one steady_timer follows
// ares_timeout() for retransmissions.
// Invariants:
//  - Threading: every member function, and every coroutine it returns, runs on the executor
//    given to create() (a strand when the io_context has several threads). c-ares channels
//    are not thread-safe; nothing here locks.
//  - Every lookup completes within timeout * tries * servers (our own deadline per lookup; the
//    query c-ares keeps retransmitting after that is abandoned, its late answer ignored).
//  - Destroying the resolver completes the lookups in flight with status failure (c-ares
//    cancels them with ARES_EDESTRUCTION); their coroutines resume later and touch only
//    state they share with the c-ares callbacks, never the destroyed resolver. Handlers
//    queued for the resolver's sockets or timer check a liveness token first. The resolver
//    must be destroyed before its io_context (as any asio I/O object).
//  - Names are taken as fully qualified (ares_query, never the resolv.conf search list).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "dns/channel.h"
#include "dns/types.h"

namespace herald::dns {

struct RawReply;

class AsyncResolver {
 public:
  // Fails like Resolver::create (bad server string, timeout/tries out of range).
  static Result<std::unique_ptr<AsyncResolver>> create(boost::asio::any_io_executor executor,
                                                       const ResolverConfig& config);

  AsyncResolver(const AsyncResolver&) = delete;
  AsyncResolver& operator=(const AsyncResolver&) = delete;
  ~AsyncResolver();

  // Names are taken by value, not as string_view: an awaitable starts lazily (co_spawn runs
  // it later), so a view of the caller's temporary would dangle by then.
  // Same answers as the blocking Resolver's functions of the same name (see resolver.h):
  // MX sorted by preference (stable), null MX as host "".
  boost::asio::awaitable<Answer<MxRecord>> mx(std::string name);
  // A and AAAA queried concurrently; IPv4 addresses first, then IPv6. ok when either family
  // has addresses (a failure of the other one is noted in `error`).
  boost::asio::awaitable<Answer<std::string>> a(std::string name);
  boost::asio::awaitable<Answer<std::string>> txt(std::string name);

  const std::string& servers() const { return servers_; }
  std::chrono::milliseconds budget() const { return budget_; }
  // Lookups started and not yet completed (for tests and shutdown diagnostics).
  std::size_t in_flight() const { return *in_flight_; }

 private:
  struct Watch;  // one socket c-ares wants watched
  AsyncResolver(boost::asio::any_io_executor executor, std::chrono::milliseconds budget);

  // Sends one query per type at once and waits until all completed or the budget ran out
  // (unanswered ones then carry ARES_ETIMEOUT). Safe against destruction of `this` meanwhile.
  boost::asio::awaitable<std::vector<RawReply>> query(std::string name, std::vector<int> types);

  static void on_sock_state(void* self, int fd, int readable, int writable);
  void watch(int fd, bool readable, bool writable);
  void arm(int fd, Watch& w);
  void on_ready(int fd, std::uint64_t generation, bool readable);
  void rearm_timer();

  boost::asio::any_io_executor executor_;
  ChannelPtr channel_;
  std::string servers_;
  std::chrono::milliseconds budget_;
  boost::asio::steady_timer timer_;
  std::map<int, std::unique_ptr<Watch>> watches_;
  std::uint64_t next_generation_ = 1;
  // Checked first by every handler bound to this object: false once the destructor started.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Shared with the lookup coroutines, which may outlive the resolver.
  std::shared_ptr<std::size_t> in_flight_ = std::make_shared<std::size_t>(0);
};

}  // namespace herald::dns
