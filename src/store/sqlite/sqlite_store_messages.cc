// Messages part of the SQLite store: the group-committed acceptance, events and the delivery
// log queries.
#include "store/sqlite/sqlite_store.h"

namespace herald::store::sqlite {

Result<void> SqliteStore::accept_messages(std::span<const NewMessage> batch) {
  std::lock_guard lock(write_mutex_);
  auto tx = Transaction::begin(writer_);
  if (!tx) return tx.error();
  auto msg = writer_.cached(
      "INSERT INTO messages(queue_id, message_id, sender, auth_user, subject, client_ip, helo, "
      "size, body, accepted_at) VALUES(?,?,?,?,?,?,?,?,?,?) RETURNING id");
  if (!msg) return msg.error();
  auto rcpt = writer_.cached(
      "INSERT INTO recipients(message, recipient, domain, status, next_attempt_at, updated_at) "
      "VALUES(?1, ?2, lower(substr(?2, instr(?2, '@') + 1)), 'queued', ?3, ?4)");
  if (!rcpt) return rcpt.error();
  for (const auto& m : batch) {
    msg->reset();
    msg->bind(1, m.queue_id).bind(2, m.message_id).bind(3, m.sender).bind(4, m.auth_user);
    msg->bind(5, m.subject).bind(6, m.client_ip).bind(7, m.helo);
    msg->bind(8, static_cast<std::int64_t>(m.body.size())).bind_blob(9, m.body);
    msg->bind(10, m.accepted_at);
    auto row = msg->step();
    if (!row) return row.error();
    std::int64_t id = msg->integer(0);
    if (auto r = msg->run(); !r) return r;
    for (const auto& to : m.recipients) {
      rcpt->reset();
      rcpt->bind(1, id).bind(2, to).bind(3, m.accepted_at).bind(4, m.accepted_at);
      if (auto r = rcpt->run(); !r) return r;
    }
  }
  return tx->commit();
}

Result<void> SqliteStore::record_events(std::span<const Event> events) {
  std::lock_guard lock(write_mutex_);
  auto tx = Transaction::begin(writer_);
  if (!tx) return tx.error();
  auto st = writer_.cached(
      "INSERT INTO events(at, kind, queue_id, recipient, client_ip, user, detail) "
      "VALUES(?,?,?,?,?,?,?)");
  if (!st) return st.error();
  for (const auto& e : events) {
    st->reset();
    st->bind(1, e.at).bind(2, e.kind).bind(3, e.queue_id).bind(4, e.recipient);
    st->bind(5, e.client_ip).bind(6, e.user).bind(7, e.detail);
    if (auto r = st->run(); !r) return r;
  }
  return tx->commit();
}

Result<std::vector<LogRow>> SqliteStore::query_log(const LogFilter& f) {
  // Each filter is optional; `?N IS NULL OR ...` keeps one statement for every combination.
  static constexpr std::string_view kSql =
      "SELECT m.message_id, m.queue_id, m.sender, r.recipient, m.subject, r.status, "
      "m.accepted_at, r.updated_at, r.attempts, r.last_response "
      "FROM recipients r JOIN messages m ON m.id = r.message "
      "WHERE (?1 IS NULL OR r.status = ?1) "
      "AND (?2 IS NULL OR m.sender = ?2 COLLATE NOCASE) "
      "AND (?3 IS NULL OR r.recipient = ?3 COLLATE NOCASE) "
      "AND (?4 IS NULL OR m.accepted_at >= ?4) AND (?5 IS NULL OR m.accepted_at < ?5) "
      "AND (?6 IS NULL OR m.queue_id = ?6) "
      "ORDER BY m.accepted_at DESC, r.id DESC LIMIT ?7";
  std::lock_guard lock(read_mutex_);
  auto st = reader_.prepare(kSql);
  if (!st) return st.error();
  auto bind_opt = [&](int i, const std::optional<std::string>& v) {
    if (v) st->bind(i, *v);
  };
  bind_opt(1, f.status);
  bind_opt(2, f.sender);
  bind_opt(3, f.recipient);
  st->bind(4, f.since).bind(5, f.until);
  bind_opt(6, f.queue_id);
  st->bind(7, static_cast<std::int64_t>(f.limit));
  return st->collect([](const Statement& s) {
    return LogRow{s.text(0),    s.text(1),    s.text(2),
                  s.text(3),    s.text(4),    s.text(5),
                  s.integer(6), s.integer(7), static_cast<std::uint32_t>(s.integer(8)),
                  s.text(9)};
  });
}

Result<std::vector<Event>> SqliteStore::query_events(const EventFilter& f) {
  std::lock_guard lock(read_mutex_);
  auto st = reader_.prepare(
      "SELECT at, kind, queue_id, recipient, client_ip, user, detail FROM events "
      "WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR at >= ?2) "
      "ORDER BY at DESC, id DESC LIMIT ?3");
  if (!st) return st.error();
  if (f.kind) st->bind(1, *f.kind);
  st->bind(2, f.since).bind(3, static_cast<std::int64_t>(f.limit));
  return st->collect([](const Statement& s) {
    return Event{s.integer(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6)};
  });
}

Result<std::optional<std::string>> SqliteStore::message_body(std::string_view queue_id) {
  std::lock_guard lock(read_mutex_);
  auto st = reader_.cached("SELECT body FROM messages WHERE queue_id = ?");
  if (!st) return st.error();
  st->bind(1, queue_id);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(st->text(0));
}

}  // namespace herald::store::sqlite
