#include "delivery/engine.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fstream>
#include <sstream>

#include "delivery/dsn.h"
#include "delivery/engine_outcome.h"
#include "spool/spool_await.h"

namespace herald::delivery {

namespace asio = boost::asio;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kPollInterval = std::chrono::milliseconds(250);
constexpr auto kPoolIdle = std::chrono::seconds(10);
constexpr std::size_t kPoolPerHop = 8;

struct DeliveryEngine::Attempt {
  UnixMillis started = 0;
  std::map<std::int64_t, DeliveryStatus> status;   // by recipient row id
  std::map<std::int64_t, std::string> suppressed;  // recipient row id -> why
  bool connected = false;
  std::string last_error;
};

DeliveryEngine::DeliveryEngine(asio::io_context& io, store::Store& store, spool::Spool& spool,
                               asio::thread_pool& workers, EngineSettings settings)
    : io_(io),
      strand_(asio::make_strand(io)),
      store_(store),
      spool_(spool),
      workers_(workers),
      settings_(std::move(settings)),
      tls_(make_client_tls_context()),
      scheduler_(settings_.limits),
      wake_(strand_) {
  auto resolver = dns::AsyncResolver::create(strand_, settings_.dns);
  if (resolver) {
    resolver_ = std::move(*resolver);
  } else {
    resolver_error_ = "DNS resolver unavailable: " + resolver.error().message;
    spdlog::error("{}", resolver_error_);
  }
  auto signer = DkimSigner::create();
  if (signer)
    signer_ = std::move(*signer);
  else
    spdlog::error("DKIM signing unavailable: {}", signer.error().message);
}

DeliveryEngine::~DeliveryEngine() = default;

template <class F>
auto DeliveryEngine::on_workers(F f) -> asio::awaitable<decltype(f())> {
  using T = decltype(f());
  co_return co_await asio::co_spawn(
      workers_, [f = std::move(f)]() mutable -> asio::awaitable<T> { co_return f(); },
      asio::use_awaitable);
}

void DeliveryEngine::start() {
  asio::co_spawn(strand_, loop(), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::critical("delivery loop stopped by an exception: {}", ex.what());
    }
  });
}

void DeliveryEngine::stop() {
  asio::post(strand_, [this] {
    stopping_ = true;
    wake_.cancel();
  });
}

void DeliveryEngine::poke() {
  asio::post(strand_, [this] {
    poked_ = true;
    wake_.cancel();
  });
}

asio::awaitable<void> DeliveryEngine::refresh(bool reload_all) {
  auto gen = co_await on_workers([this] { return store_.queue_generation(); });
  if (gen && *gen != generation_) reload_all = true;
  if (reload_all) {
    auto all = co_await on_workers([this] { return store_.load_pending(); });
    if (!all) {
      spdlog::error("cannot load the queue: {}", all.error().message);
      co_return;
    }
    if (gen) generation_ = *gen;
    scheduler_.replace(*all);
    for (const auto& r : *all) last_id_ = std::max(last_id_, r.id);
    spdlog::info("delivery queue: {} recipients waiting", all->size());
    co_return;
  }
  for (;;) {
    auto fresh = co_await on_workers([this] { return store_.load_queued_after(last_id_, 2000); });
    if (!fresh || fresh->empty()) co_return;
    for (const auto& r : *fresh) {
      scheduler_.add(r);
      last_id_ = std::max(last_id_, r.id);
    }
    if (fresh->size() < 2000) co_return;
  }
}

asio::awaitable<void> DeliveryEngine::loop() {
  co_await refresh(true);
  auto last_generation_check = std::chrono::steady_clock::now();
  while (!stopping_) {
    bool check_generation =
        std::chrono::steady_clock::now() - last_generation_check > std::chrono::seconds(1);
    if (check_generation) last_generation_check = std::chrono::steady_clock::now();
    poked_ = false;
    co_await refresh(false);
    if (check_generation) {
      auto gen = co_await on_workers([this] { return store_.queue_generation(); });
      if (gen && *gen != generation_) co_await refresh(true);
    }
    while (auto job = scheduler_.next(now_millis())) {
      ++in_flight_jobs_;
      asio::co_spawn(strand_, run_job(std::move(*job)), asio::detached);
    }
    // Close pooled connections idle for too long.
    for (auto& [key, conns] : pool_) {
      auto stale = std::partition(conns.begin(), conns.end(), [](const auto& c) {
        return std::chrono::steady_clock::now() - c->idle_since() <= kPoolIdle;
      });
      for (auto it = stale; it != conns.end(); ++it) retire(std::move(*it));
      conns.erase(stale, conns.end());
    }
    if (poked_) continue;
    auto wait = std::chrono::milliseconds(kPollInterval);
    if (auto due = scheduler_.next_due()) {
      auto ms = std::max<UnixMillis>(*due - now_millis(), 5);
      wait = std::min(wait, std::chrono::milliseconds(ms));
    }
    wake_.expires_after(wait);
    co_await wake_.async_wait(kAsTuple);
  }
  for (auto& [key, conns] : pool_)
    for (auto& c : conns) retire(std::move(c));
  pool_.clear();
}

namespace {
std::string pool_key(const Hop& hop, const std::string& route_key) {
  return format_endpoint(hop.ip, hop.port) + " " + route_key;
}
}  // namespace

std::unique_ptr<OutboundConnection> DeliveryEngine::take_pooled(const Hop& hop,
                                                                const std::string& route_key) {
  auto it = pool_.find(pool_key(hop, route_key));
  if (it == pool_.end()) return nullptr;
  while (!it->second.empty()) {
    auto conn = std::move(it->second.back());
    it->second.pop_back();
    if (conn->reusable()) return conn;
  }
  return nullptr;
}

void DeliveryEngine::park(std::unique_ptr<OutboundConnection> conn, const std::string& route_key) {
  auto& slot = pool_[pool_key(conn->hop(), route_key)];
  if (!stopping_ && conn->reusable() && slot.size() < kPoolPerHop) {
    slot.push_back(std::move(conn));
    return;
  }
  retire(std::move(conn));
}

void DeliveryEngine::retire(std::unique_ptr<OutboundConnection> conn) {
  // QUIT politely (RFC 5321 §4.1.1.10), bounded by the session's own timeouts.
  auto* raw = conn.release();
  asio::co_spawn(
      strand_,
      [raw]() -> asio::awaitable<void> {
        std::unique_ptr<OutboundConnection> owned(raw);
        co_await owned->close();
      },
      asio::detached);
}

struct DeliveryEngine::Prepared {
  std::map<std::int64_t, std::string> suppressed;  // recipient row id -> why
  std::vector<store::PendingRecipient> live;       // to attempt
  std::optional<std::string> message;              // signed when the domain has a key
};

DeliveryEngine::Prepared DeliveryEngine::prepare_job(
    const std::vector<store::PendingRecipient>& recipients) {
  Prepared out;
  for (const auto& r : recipients) {
    if (auto s = store_.find_suppression(r.recipient, now_millis()); s && s->has_value())
      out.suppressed[r.id] = suppression_reason(**s);
    else
      out.live.push_back(r);
  }
  if (out.live.empty()) return out;
  auto body = store_.message_body(out.live[0].queue_id);
  if (body && body->has_value()) out.message = signed_message(out.live[0], std::move(**body));
  return out;
}

// On a worker: the domain lookup and the signature (one RSA operation with a cached key).
std::string DeliveryEngine::signed_message(const store::PendingRecipient& first, std::string body) {
  auto at = first.sender.rfind('@');
  if (!signer_ || at == std::string::npos) return body;
  std::string domain = first.sender.substr(at + 1);
  auto signature = [&]() -> Result<std::string> {
    auto d = store_.find_domain(domain);
    if (!d) return d.error();
    if (!d->has_value()) return Result<std::string>(boost::system::in_place_value, "");
    // The key file is read and parsed once per (path, selector, file version), not per message.
    auto key = dkim_keys_.get((*d)->dkim_key_path, (*d)->dkim_selector);
    if (!key) return key.error();
    return signer_->signature_header(body, (*d)->name, (*d)->dkim_selector, **key);
  }();
  if (!signature) {
    spdlog::warn("{}: not DKIM-signed: {}", first.queue_id, signature.error().message);
    return body;
  }
  return *signature + body;
}

asio::awaitable<void> DeliveryEngine::run_job(queue::Job job) {
  Attempt attempt;
  attempt.started = now_millis();
  if (job.destination_dead) {
    for (const auto& r : job.recipients)
      attempt.status[r.id] =
          local_failure(Outcome::deferred, std::string(codes::no_answer),
                        "destination " + job.domain + " recently unreachable: " + job.dead_reason);
  } else {
    co_await deliver(job, attempt);
  }
  // The destination's slot is free as soon as the SMTP transaction is over (the connection
  // is parked already); waiting for the outcome's commit here would idle the connections.
  scheduler_.attempted(job, attempt.connected || job.destination_dead, attempt.last_error,
                       now_millis());
  wake_.cancel();
  auto retry = co_await finish(job, attempt);
  // settled() first: the scheduler ignores ids that are still in flight.
  scheduler_.settled(job);
  if (!stopping_)
    for (const auto& again : retry) scheduler_.add(again);
  --in_flight_jobs_;
  wake_.cancel();
}

asio::awaitable<void> DeliveryEngine::deliver(queue::Job& job, Attempt& attempt) {
  // Suppressed recipients are recorded, not attempted. One worker hop for the whole job.
  Prepared prepared = co_await on_workers([&] { return prepare_job(job.recipients); });
  attempt.suppressed = std::move(prepared.suppressed);
  const std::vector<store::PendingRecipient>& live = prepared.live;
  if (live.empty()) co_return;
  attempt.connected = true;  // nothing learned about the destination yet
  if (!prepared.message) {
    for (auto& r : live)
      attempt.status[r.id] = local_failure(Outcome::deferred, "4.3.0", "message body unavailable");
    co_return;
  }
  const std::string& message = *prepared.message;
  // The route table decides relay or MX, the TLS policy and credentials for this domain.
  const EffectiveRoute& route = settings_.routes.lookup(job.domain);
  spdlog::debug("{}: route {}", job.domain, route.name);
  RouteSettings route_settings = settings_.route;
  route_settings.relay = route.relay;
  route_settings.relay_requires_tls = route.require_tls;
  // DNS runs on the engine's strand through the asynchronous resolver: no worker is held.
  RoutePlan plan;
  if (resolver_) {
    plan = co_await plan_route(job.domain, route_settings, *resolver_);
  } else {
    plan.failure =
        local_failure(Outcome::deferred, std::string(codes::dns_failure), resolver_error_);
  }
  if (plan.failure) {
    for (auto& r : live) attempt.status[r.id] = *plan.failure;
    attempt.last_error = plan.failure->diagnostic;
    co_return;
  }
  attempt.connected = false;
  smtp::ClientSettings cs;
  cs.helo_name = settings_.hostname;
  cs.require_tls = plan.require_tls || route.require_tls;  // MX routes may require TLS too
  cs.auth = route.auth;
  smtp::OutgoingMessage out = outgoing_message(live, message);
  for (const auto& hop : plan.hops) {
    auto conn = take_pooled(hop, route.pool_key);
    bool pooled = conn != nullptr;
    std::vector<smtp::RecipientResult> results;
    for (;;) {
      if (!conn) {
        std::string error;
        conn = co_await OutboundConnection::connect(strand_, hop, cs, tls_,
                                                    settings_.connect_timeout, error);
        if (!conn) {
          // Logged: a later hop may still deliver, and the attempt then keeps no trace of it.
          spdlog::info("delivery {}: {} ({})", live[0].queue_id, error, hop.host);
          attempt.last_error = error;
          break;
        }
      }
      results = co_await conn->deliver(out);
      // A parked connection the server has since closed fails without any server reply:
      // that says nothing about the message, so try once more on a fresh connection.
      if (!pooled || !all_local_failures(results)) break;
      pooled = false;
      conn.reset();
    }
    if (!conn) continue;
    bool try_next = connection_level_failure(results);
    if (!try_next) attempt.connected = true;
    for (std::size_t i = 0; i < live.size() && i < results.size(); ++i)
      attempt.status[live[i].id] = status_from_result(results[i], hop, conn->tls_description());
    attempt.last_error = results.empty() ? "" : results[0].text;
    park(std::move(conn), route.pool_key);
    if (!try_next) co_return;
  }
  if (!attempt.connected) {
    for (auto& r : live)
      if (!attempt.status.count(r.id))
        attempt.status[r.id] = local_failure(
            Outcome::deferred, std::string(codes::no_answer),
            "no mail server of " + job.domain + " could be reached: " + attempt.last_error);
  }
}

asio::awaitable<std::vector<store::PendingRecipient>> DeliveryEngine::finish(queue::Job& job,
                                                                             Attempt& attempt) {
  auto now = now_millis();
  std::vector<store::AttemptRecord> records;
  std::vector<store::PendingRecipient> retry;
  std::vector<store::Suppression> suppress;
  for (auto& r : job.recipients) {
    if (auto sup = attempt.suppressed.find(r.id); sup != attempt.suppressed.end()) {
      records.push_back(suppressed_record(r, sup->second, now));
      continue;
    }
    auto it = attempt.status.find(r.id);
    if (it == attempt.status.end()) continue;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto rec =
        attempt_record(r, it->second, now, now - attempt.started, settings_.retry, unit(random_));
    if (rec.new_status == store::kBounced && is_hard_bounce(it->second.status))
      suppress.push_back(bounce_suppression(r, it->second, now, settings_.suppression_ttl));
    if (rec.new_status == store::kDeferred) {
      auto again = r;
      again.attempts += 1;
      again.next_attempt_at = *rec.next_attempt_at;
      again.status = std::string(store::kDeferred);
      retry.push_back(again);
    }
    if (rec.new_status == store::kExpired) it->second.outcome = Outcome::bounced;
    records.push_back(std::move(rec));
  }
  // Durable before the scheduler sees the recipients again (group commit with other jobs).
  // A named local, not a braced temporary in the co_await: GCC 12 destroyed that twice.
  spool::Spool::Outcome outcome{records, std::move(suppress)};
  auto r = co_await spool::await_record_outcome(spool_, std::move(outcome));
  if (r && !retry.empty()) {
    // A `queue hold` or `delete` during the attempt wins over its deferral (the store kept
    // the operator's status): only rows really deferred are scheduled again.
    co_await on_workers([&] {
      std::erase_if(retry, [&](const store::PendingRecipient& p) {
        auto row = store_.find_recipient(p.id);
        return !row || !row->has_value() || (*row)->status != store::kDeferred;
      });
      return 0;
    });
  }
  if (!r) {
    spdlog::error("cannot record delivery attempts for {}: {}", job.recipients[0].queue_id,
                  r.error().message);
    co_return std::vector<store::PendingRecipient>{};  // rows unchanged: retried later
  }
  for (const auto& rec : records)
    spdlog::info("delivery {} rcpt#{} {} {}", job.recipients[0].queue_id, rec.recipient_id,
                 rec.new_status, rec.response);
  co_await send_dsn(job, attempt);
  co_return retry;
}

asio::awaitable<void> DeliveryEngine::send_dsn(const queue::Job& job, const Attempt& attempt) {
  const auto& first = job.recipients[0];
  std::vector<DsnRecipient> failed;
  for (const auto& r : job.recipients) {
    auto it = attempt.status.find(r.id);
    if (it != attempt.status.end() && it->second.outcome == Outcome::bounced)
      failed.push_back(dsn_recipient(r.recipient, DsnAction::failed, it->second, now_millis()));
  }
  if (failed.empty() || first.sender.empty()) co_return;
  auto built = co_await on_workers([&]() -> Result<std::optional<store::NewMessage>> {
    auto sender = store_.find_sender(first.sender);
    if (sender && sender->has_value() && !(*sender)->bounces) return std::nullopt;
    auto body = store_.message_body(first.queue_id);
    if (!body || !body->has_value()) return std::nullopt;
    if (is_bounce_or_auto(first.sender, **body)) return std::nullopt;
    DsnInput in{first.sender, settings_.hostname, first.queue_id, first.accepted_at, **body,
                failed,       now_millis()};
    auto dsn = build_dsn(in);
    if (!dsn) return dsn.error();
    return dsn_message(first.sender, std::move(*dsn), now_millis());
  });
  if (!built) {
    spdlog::error("cannot build a DSN for {}: {}", first.queue_id, built.error().message);
    co_return;
  }
  if (!built->has_value()) co_return;
  spool_.submit(std::move(**built), [this](Result<void> r) {
    if (r) poke();
  });
}

}  // namespace herald::delivery
