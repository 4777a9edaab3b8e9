// Delivery part of the SQLite store: pending recipients, attempts, queue control, suppressions.
#include "store/sqlite/sqlite_store.h"

namespace herald::store::sqlite {

namespace {

constexpr std::string_view kPendingColumns =
    "SELECT r.id, m.queue_id, m.sender, r.recipient, r.domain, r.status, r.attempts, "
    "m.accepted_at, coalesce(r.next_attempt_at, 0), r.last_response "
    "FROM recipients r JOIN messages m ON m.id = r.message ";

PendingRecipient read_pending(const Statement& st) {
  return PendingRecipient{st.integer(0),
                          st.text(1),
                          st.text(2),
                          st.text(3),
                          st.text(4),
                          st.text(5),
                          static_cast<std::uint32_t>(st.integer(6)),
                          st.integer(7),
                          st.integer(8),
                          st.text(9)};
}

Suppression read_suppression(const Statement& st) {
  return Suppression{st.text(0), st.integer(1) != 0, st.text(2),
                     st.text(3), st.integer(4),      st.optional_integer(5)};
}

Result<void> bump_generation(Connection& c) {
  auto st = c.prepare("UPDATE queue_control SET generation = generation + 1 WHERE id = 1");
  if (!st) return st.error();
  return st->run();
}

Result<void> insert_suppression(Connection& c, const Suppression& s) {
  auto st = c.prepare(
      "INSERT OR REPLACE INTO suppressions(entry, is_domain, reason, source, created_at, "
      "expires_at) VALUES(?,?,?,?,?,?)");
  if (!st) return st.error();
  st->bind(1, s.entry).bind(2, std::int64_t{s.is_domain ? 1 : 0}).bind(3, s.reason);
  st->bind(4, s.source).bind(5, s.created_at).bind(6, s.expires_at);
  return st->run();
}

}  // namespace

Result<void> SqliteStore::set_sender_bounces(std::string_view address, bool enabled) {
  std::lock_guard lock(write_mutex_);
  auto st = writer_.prepare("UPDATE senders SET bounces = ? WHERE address = ?");
  if (!st) return st.error();
  st->bind(1, std::int64_t{enabled ? 1 : 0}).bind(2, address);
  if (auto r = st->run(); !r) return r;
  if (writer_.changes() == 0) return make_error("no such sender address: " + std::string(address));
  return {};
}

Result<std::vector<PendingRecipient>> SqliteStore::select_pending(std::string_view where,
                                                                  const QueueFilter* filter,
                                                                  std::optional<std::int64_t> id) {
  std::lock_guard lock(read_mutex_);
  std::string sql(kPendingColumns);
  sql += where;
  auto st = reader_.prepare(sql);
  if (!st) return st.error();
  if (filter) {
    if (filter->status) st->bind(1, *filter->status);
    if (filter->domain) st->bind(2, *filter->domain);
    st->bind(3, static_cast<std::int64_t>(filter->limit));
  }
  if (id) st->bind(1, *id);
  return st->collect([](const Statement& s) { return read_pending(s); });
}

Result<std::vector<PendingRecipient>> SqliteStore::load_pending() {
  return select_pending("WHERE r.status IN ('queued', 'deferred') ORDER BY r.next_attempt_at",
                        nullptr, std::nullopt);
}

Result<std::vector<PendingRecipient>> SqliteStore::load_queued_after(std::int64_t after,
                                                                     std::uint32_t limit) {
  std::lock_guard lock(read_mutex_);
  auto st = reader_.cached(std::string(kPendingColumns) +
                           "WHERE r.id > ?1 AND r.status = 'queued' ORDER BY r.id LIMIT ?2");
  if (!st) return st.error();
  st->bind(1, after).bind(2, static_cast<std::int64_t>(limit));
  return st->collect([](const Statement& s) { return read_pending(s); });
}

Result<std::optional<PendingRecipient>> SqliteStore::find_recipient(std::int64_t id) {
  auto rows = select_pending("WHERE r.id = ?1", nullptr, id);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<PendingRecipient>();
  return std::optional<PendingRecipient>(std::move(rows->front()));
}

Result<std::vector<PendingRecipient>> SqliteStore::queue_list(const QueueFilter& f) {
  return select_pending(
      "WHERE (?1 IS NULL AND r.status IN ('queued', 'deferred', 'held') OR r.status = ?1) "
      "AND (?2 IS NULL OR r.domain = lower(?2)) ORDER BY r.next_attempt_at, r.id LIMIT ?3",
      &f, std::nullopt);
}

Result<void> SqliteStore::record_attempts(std::span<const AttemptRecord> attempts) {
  return record_outcomes(attempts, {});
}

Result<void> SqliteStore::record_outcomes(std::span<const AttemptRecord> attempts,
                                          std::span<const Suppression> suppressions) {
  std::lock_guard lock(write_mutex_);
  auto tx = Transaction::begin(writer_);
  if (!tx) return tx.error();
  for (const auto& s : suppressions)
    if (auto r = insert_suppression(writer_, s); !r) return r;
  // Only a recipient still waiting is updated: a `queue delete` or `hold` that happened while
  // the attempt ran wins over a deferral (but a delivery is always recorded).
  auto upd = writer_.cached(
      "UPDATE recipients SET status = ?2, attempts = attempts + 1, next_attempt_at = ?3, "
      "last_response = ?4, updated_at = ?5 WHERE id = ?1 "
      "AND (status IN ('queued', 'deferred') OR ?2 = 'delivered')");
  auto ins = writer_.cached(
      "INSERT INTO attempts(recipient, at, outcome, status, mx_host, ip, tls, response, "
      "duration_ms) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 "
      "WHERE EXISTS (SELECT 1 FROM recipients WHERE id = ?1)");
  if (!upd) return upd.error();
  if (!ins) return ins.error();
  for (const auto& a : attempts) {
    upd->reset();
    upd->bind(1, a.recipient_id).bind(2, a.new_status).bind(3, a.next_attempt_at);
    upd->bind(4, a.response).bind(5, a.at);
    if (auto r = upd->run(); !r) return r;
    ins->reset();
    ins->bind(1, a.recipient_id).bind(2, a.at).bind(3, a.new_status).bind(4, a.dsn_status);
    ins->bind(5, a.mx_host).bind(6, a.ip).bind(7, a.tls).bind(8, a.response);
    ins->bind(9, a.duration_ms);
    if (auto r = ins->run(); !r) return r;
  }
  return tx->commit();
}

Result<std::vector<AttemptRow>> SqliteStore::query_attempts(std::string_view queue_id) {
  std::lock_guard lock(read_mutex_);
  auto st = reader_.prepare(
      "SELECT a.at, r.recipient, a.outcome, a.status, a.mx_host, a.ip, a.tls, a.response, "
      "a.duration_ms FROM attempts a JOIN recipients r ON r.id = a.recipient "
      "JOIN messages m ON m.id = r.message WHERE m.queue_id = ? ORDER BY a.at, a.id");
  if (!st) return st.error();
  st->bind(1, queue_id);
  return st->collect([](const Statement& s) {
    return AttemptRow{s.integer(0), s.text(1), s.text(2), s.text(3),   s.text(4),
                      s.text(5),    s.text(6), s.text(7), s.integer(8)};
  });
}

Result<std::uint64_t> SqliteStore::queue_control(QueueAction action, const QueueSelector& sel) {
  static constexpr std::string_view kSelect =
      " WHERE (?1 OR (?2 IS NOT NULL AND domain = lower(?2)) OR (?3 IS NOT NULL AND message = "
      "(SELECT id FROM messages WHERE queue_id = ?3)))";
  std::string sql;
  switch (action) {
    case QueueAction::retry:
      sql = "UPDATE recipients SET next_attempt_at = 0, status = 'queued'";
      sql += std::string(kSelect) + " AND status IN ('queued', 'deferred')";
      break;
    case QueueAction::hold:
      sql = "UPDATE recipients SET status = 'held'";
      sql += std::string(kSelect) + " AND status IN ('queued', 'deferred')";
      break;
    case QueueAction::release:
      sql = "UPDATE recipients SET status = 'queued', next_attempt_at = 0";
      sql += std::string(kSelect) + " AND status = 'held'";
      break;
    case QueueAction::remove:
      sql = "UPDATE recipients SET status = 'deleted', last_response = 'deleted by operator'";
      sql += std::string(kSelect) + " AND status IN ('queued', 'deferred', 'held')";
      break;
  }
  std::lock_guard lock(write_mutex_);
  auto tx = Transaction::begin(writer_);
  if (!tx) return tx.error();
  auto st = writer_.prepare(sql);
  if (!st) return st.error();
  st->bind(1, std::int64_t{sel.all ? 1 : 0});
  if (sel.domain) st->bind(2, *sel.domain);
  if (sel.queue_id) st->bind(3, *sel.queue_id);
  if (auto r = st->run(); !r) return r.error();
  auto changed = static_cast<std::uint64_t>(writer_.changes());
  if (auto r = bump_generation(writer_); !r) return r.error();
  if (auto r = tx->commit(); !r) return r.error();
  return changed;
}

Result<std::int64_t> SqliteStore::queue_generation() {
  std::lock_guard lock(read_mutex_);
  auto st = reader_.cached("SELECT generation FROM queue_control WHERE id = 1");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return *row ? st->integer(0) : 0;
}

Result<void> SqliteStore::add_suppression(const Suppression& s) {
  std::lock_guard lock(write_mutex_);
  return insert_suppression(writer_, s);
}

Result<void> SqliteStore::remove_suppression(std::string_view entry) {
  std::lock_guard lock(write_mutex_);
  auto st = writer_.prepare("DELETE FROM suppressions WHERE entry = ?");
  if (!st) return st.error();
  st->bind(1, entry);
  if (auto r = st->run(); !r) return r;
  if (writer_.changes() == 0)
    return make_error("not on the suppression list: " + std::string(entry));
  return {};
}

Result<std::vector<Suppression>> SqliteStore::list_suppressions(UnixMillis now) {
  std::lock_guard lock(read_mutex_);
  auto st = reader_.prepare(
      "SELECT entry, is_domain, reason, source, created_at, expires_at FROM suppressions "
      "WHERE expires_at IS NULL OR expires_at > ? ORDER BY created_at DESC");
  if (!st) return st.error();
  st->bind(1, now);
  return st->collect([](const Statement& s) { return read_suppression(s); });
}

Result<std::optional<Suppression>> SqliteStore::find_suppression(std::string_view address,
                                                                 UnixMillis now) {
  auto at = address.rfind('@');
  std::string domain(at == std::string_view::npos ? address : address.substr(at + 1));
  std::lock_guard lock(read_mutex_);
  auto st = reader_.cached(  // per delivery job
      "SELECT entry, is_domain, reason, source, created_at, expires_at FROM suppressions "
      "WHERE ((entry = ?1 AND is_domain = 0) OR (entry = ?2 AND is_domain = 1)) "
      "AND (expires_at IS NULL OR expires_at > ?3) ORDER BY is_domain LIMIT 1");
  if (!st) return st.error();
  st->bind(1, address).bind(2, domain).bind(3, now);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<Suppression>();
  return std::optional<Suppression>(read_suppression(*st));
}

}  // namespace herald::store::sqlite
