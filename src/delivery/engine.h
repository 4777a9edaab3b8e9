// The delivery engine: takes jobs from the scheduler (queue/) and delivers them: suppression
// check, DKIM signature, route (MX or smart host), SMTP over a reused or new connection,
// then one recorded outcome per recipient (delivered / deferred with its next attempt from
// backoff() / bounced / expired / suppressed), hard bounces onto the suppression list, and an
// RFC 3464 DSN to the sender for permanent failures (never for a bounce).
//
// Threading: everything here runs on one strand, DNS included (dns::AsyncResolver drives its
// c-ares channel from the strand); blocking work (store, DKIM) runs on the worker pool. New
// mail is found by polling the store for rows after the last seen id (and at once when poke()
// is called), so mail accepted by another process is delivered too; a `herald queue` command
// bumps the queue generation, which makes the engine reload its index.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <random>

#include "delivery/dkim_key_cache.h"
#include "delivery/dkim_signer.h"
#include "delivery/outbound_connection.h"
#include "delivery/route.h"
#include "delivery/route_table.h"
#include "dns/async_resolver.h"
#include "queue/backoff.h"
#include "queue/scheduler.h"
#include "spool/spool.h"
#include "store/store.h"

namespace herald::delivery {

struct EngineSettings {
  std::string hostname;
  RouteSettings route;  // relay / relay_requires_tls are taken per job from `routes`
  RouteTable routes;
  dns::ResolverConfig dns;
  std::chrono::seconds connect_timeout{30};
  queue::RetryPolicy retry;
  queue::SchedulerLimits limits;
  UnixMillis suppression_ttl = 30LL * 24 * 3600 * 1000;
};

class DeliveryEngine {
 public:
  DeliveryEngine(boost::asio::io_context& io, store::Store& store, spool::Spool& spool,
                 boost::asio::thread_pool& workers, EngineSettings settings);
  ~DeliveryEngine();

  void start();
  // Takes no new jobs; jobs in flight finish (bounded by SMTP timeouts).
  void stop();
  // New mail was committed: look for it now rather than at the next poll.
  void poke();
  std::size_t in_flight() const { return in_flight_jobs_; }

 private:
  struct Attempt;  // the outcome being built for one job
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> refresh(bool reload_all);
  boost::asio::awaitable<void> run_job(queue::Job job);
  boost::asio::awaitable<void> deliver(queue::Job& job, Attempt& attempt);
  struct Prepared;  // what one worker hop finds before a job's SMTP transaction
  // On the worker pool, in one hop: suppression lookups, the body, its DKIM signature.
  Prepared prepare_job(const std::vector<store::PendingRecipient>& recipients);
  std::string signed_message(const store::PendingRecipient& first, std::string body);
  // Records the outcomes; returns the deferred recipients to schedule again.
  boost::asio::awaitable<std::vector<store::PendingRecipient>> finish(queue::Job& job,
                                                                      Attempt& attempt);
  boost::asio::awaitable<void> send_dsn(const queue::Job& job, const Attempt& attempt);
  // Pooled per address and route (EffectiveRoute::pool_key): TLS policy and credentials differ.
  std::unique_ptr<OutboundConnection> take_pooled(const Hop& hop, const std::string& route_key);
  void park(std::unique_ptr<OutboundConnection> conn, const std::string& route_key);
  void retire(std::unique_ptr<OutboundConnection> conn);
  template <class F>
  auto on_workers(F f) -> boost::asio::awaitable<decltype(f())>;

  boost::asio::io_context& io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  store::Store& store_;
  spool::Spool& spool_;
  boost::asio::thread_pool& workers_;
  EngineSettings settings_;
  // Lives on strand_; destroyed with the engine, which ends the lookups still in flight.
  std::unique_ptr<dns::AsyncResolver> resolver_;
  std::string resolver_error_;  // why resolver_ is null (bad [dns] settings)
  std::optional<DkimSigner> signer_;
  DkimKeyCache dkim_keys_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  queue::Scheduler scheduler_;
  boost::asio::steady_timer wake_;
  std::map<std::string, std::vector<std::unique_ptr<OutboundConnection>>> pool_;
  std::mt19937 random_{std::random_device{}()};
  std::int64_t last_id_ = 0;
  std::int64_t generation_ = -1;
  std::atomic<std::size_t> in_flight_jobs_{0};
  bool stopping_ = false;
  bool poked_ = false;
};

}  // namespace herald::delivery
