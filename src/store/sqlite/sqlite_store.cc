// Accounts part of the SQLite store: domains and sender addresses, and opening the store.
#include "store/sqlite/sqlite_store.h"

#include <spdlog/spdlog.h>

#include "store/sqlite/migrations.h"

namespace herald::store {

using sqlite::Connection;
using sqlite::SqliteStore;
using sqlite::Transaction;

Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& file,
                                           const SqliteOptions& options) {
  auto writer = Connection::open(file, options.busy_timeout_ms);
  if (!writer) return writer.error();
  auto version = sqlite::migrate(*writer);
  if (!version) return make_error("store " + file.string() + ": " + version.error().message);
  auto reader = Connection::open(file, options.busy_timeout_ms);
  if (!reader) return reader.error();
  auto credentials = Connection::open(file, options.busy_timeout_ms);
  if (!credentials) return credentials.error();
  SqliteStore::Connections connections{std::move(*writer), std::move(*reader),
                                       std::move(*credentials), std::nullopt};
  if (options.background_checkpoints) {
    auto checkpointer = Connection::open(file, options.busy_timeout_ms);
    if (!checkpointer) return checkpointer.error();
    connections.checkpointer.emplace(std::move(*checkpointer));
  }
  return std::unique_ptr<Store>(new SqliteStore(std::move(connections), *version, file, options));
}

}  // namespace herald::store

namespace herald::store::sqlite {

namespace {

// Columns: address, domain, type, password_hash, created_at, password_changed_at, bounces.
Sender read_sender(const Statement& s) {
  return Sender{s.text(0),
                s.text(1),
                sender_type_from_string(s.text(2)).value_or(SenderType::triggered),
                s.text(3),
                s.integer(4),
                s.optional_integer(5),
                s.integer(6) != 0};
}

}  // namespace

SqliteStore::SqliteStore(Connections connections, int version, const std::filesystem::path& file,
                         const SqliteOptions& options)
    : writer_(std::move(connections.writer)),
      reader_(std::move(connections.reader)),
      credentials_(std::move(connections.credentials)),
      version_(version) {
  if (!connections.checkpointer) return;
  CheckpointPolicy policy;
  policy.interval = std::chrono::milliseconds(options.checkpoint_interval_ms);
  policy.wal_limit_bytes = options.wal_limit_bytes;
  policy.page_size = static_cast<std::uint32_t>(writer_page_size());
  checkpointer_ = std::make_unique<Checkpointer>(std::move(*connections.checkpointer),
                                                 std::filesystem::path(file.string() + "-wal"),
                                                 write_mutex_, policy);
  // Normally only wakes the checkpointer: the COMMIT that calls it copies no pages. When the
  // checkpointer says so (its writer backstop), the writer checkpoints itself.
  auto hooked = writer_.set_wal_hook([this, cp = checkpointer_.get()](int n) {
    if (cp->on_commit(n)) (void)writer_.checkpoint(CheckpointMode::passive);
  });
  if (!hooked) spdlog::warn("store: keeping automatic checkpoints: {}", hooked.error().message);
  checkpointer_->start();
}

std::uint64_t SqliteStore::writer_page_size() {
  auto st = writer_.prepare("PRAGMA page_size");
  if (!st) return 4096;
  auto row = st->step();
  if (!row || !*row || st->integer(0) <= 0) return 4096;  // SQLite's default
  return static_cast<std::uint64_t>(st->integer(0));
}

SqliteStore::~SqliteStore() {
  if (!checkpointer_) return;
  (void)writer_.set_wal_hook({});  // the hook points at the checkpointer
  // Final checkpoint: the store is closing, so no write is in flight.
  if (auto r = checkpointer_->stop(); !r) spdlog::warn("store: {}", r.error().message);
}

Result<void> SqliteStore::add_domain(const Domain& d) {
  std::lock_guard lock(write_mutex_);
  auto st = writer_.prepare(
      "INSERT INTO domains(name, verify_token, dkim_selector, dkim_key_path, dkim_public_key, "
      "created_at, verified_at) VALUES(?,?,?,?,?,?,?) ON CONFLICT DO NOTHING");
  if (!st) return st.error();
  st->bind(1, d.name).bind(2, d.verify_token).bind(3, d.dkim_selector).bind(4, d.dkim_key_path);
  st->bind(5, d.dkim_public_key).bind(6, d.created_at).bind(7, d.verified_at);
  if (auto r = st->run(); !r) return r;
  if (writer_.changes() == 0) return make_error("domain " + d.name + " already exists");
  return {};
}

namespace {

// The pending and previous keys are four nullable columns each, starting at `col`; a NULL
// selector means no key.
std::optional<DkimKey> dkim_key_at(const Statement& s, int col) {
  if (s.is_null(col)) return std::nullopt;
  return DkimKey{s.text(col), s.text(col + 1), s.text(col + 2), s.integer(col + 3)};
}

void bind_dkim_key(Statement& st, int first, const std::optional<DkimKey>& k) {
  if (!k) {
    for (int i = first; i < first + 4; ++i) st.bind(i, std::optional<std::int64_t>());
    return;
  }
  st.bind(first, k->selector).bind(first + 1, k->key_path).bind(first + 2, k->public_key);
  st.bind(first + 3, k->created_at);
}

}  // namespace

Result<std::vector<Domain>> SqliteStore::select_domains(std::string_view where,
                                                        std::string_view arg) {
  std::lock_guard lock(read_mutex_);
  std::string sql =
      "SELECT name, verify_token, dkim_selector, dkim_key_path, dkim_public_key, created_at, "
      "verified_at, pending_selector, pending_key_path, pending_public_key, pending_created_at, "
      "previous_selector, previous_key_path, previous_public_key, previous_created_at, "
      "dkim_activated_at FROM domains ";
  sql += where;
  sql += " ORDER BY name";
  auto st = reader_.cached(sql);  // a handful of WHERE shapes; find_domain runs per delivery
  if (!st) return st.error();
  if (!arg.empty()) st->bind(1, arg);
  return st->collect([](const Statement& s) {
    return Domain{s.text(0),
                  s.text(1),
                  s.text(2),
                  s.text(3),
                  s.text(4),
                  s.integer(5),
                  s.optional_integer(6),
                  dkim_key_at(s, 7),
                  dkim_key_at(s, 11),
                  s.optional_integer(15)};
  });
}

Result<std::optional<Domain>> SqliteStore::find_domain(std::string_view name) {
  auto rows = select_domains("WHERE name = ?1", name);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Domain>();
  return std::optional<Domain>(std::move(rows->front()));
}

Result<std::vector<Domain>> SqliteStore::list_domains() {
  return select_domains("", "");
}

Result<void> SqliteStore::set_domain_verified(std::string_view name, std::optional<UnixMillis> at) {
  std::lock_guard lock(write_mutex_);
  auto st = writer_.prepare("UPDATE domains SET verified_at = ? WHERE name = ?");
  if (!st) return st.error();
  st->bind(1, at).bind(2, name);
  if (auto r = st->run(); !r) return r;
  if (writer_.changes() == 0) return make_error("no such domain: " + std::string(name));
  return {};
}

Result<void> SqliteStore::update_domain_dkim(const Domain& current, const Domain& next) {
  std::lock_guard lock(write_mutex_);
  auto st = writer_.prepare(
      "UPDATE domains SET dkim_selector = ?, dkim_key_path = ?, dkim_public_key = ?, "
      "dkim_activated_at = ?, pending_selector = ?, pending_key_path = ?, "
      "pending_public_key = ?, pending_created_at = ?, previous_selector = ?, "
      "previous_key_path = ?, previous_public_key = ?, previous_created_at = ? "
      "WHERE name = ? AND dkim_key_path = ? AND pending_key_path IS ?");
  if (!st) return st.error();
  st->bind(1, next.dkim_selector).bind(2, next.dkim_key_path).bind(3, next.dkim_public_key);
  st->bind(4, next.dkim_activated_at);
  bind_dkim_key(*st, 5, next.dkim_pending);
  bind_dkim_key(*st, 9, next.dkim_previous);
  st->bind(13, next.name).bind(14, current.dkim_key_path);
  if (current.dkim_pending)
    st->bind(15, current.dkim_pending->key_path);
  else
    st->bind(15, std::optional<std::int64_t>());  // NULL: "IS NULL", no key pending
  if (auto r = st->run(); !r) return r;
  if (writer_.changes() == 0)
    return make_error("the DKIM keys of " + next.name +
                      " changed meanwhile (another rotation?); nothing was changed, try again");
  return {};
}

Result<void> SqliteStore::remove_domain(std::string_view name, bool with_senders) {
  std::lock_guard lock(write_mutex_);
  auto tx = Transaction::begin(writer_);
  if (!tx) return tx.error();
  auto count = writer_.prepare("SELECT count(*) FROM senders WHERE domain = ?");
  if (!count) return count.error();
  count->bind(1, name);
  if (auto r = count->step(); !r) return r.error();
  std::int64_t senders = count->integer(0);
  if (senders > 0 && !with_senders)
    return make_error("domain " + std::string(name) + " still has " + std::to_string(senders) +
                      " sender address(es); remove them first or pass --with-senders");
  for (const char* sql : {"DELETE FROM senders WHERE domain = ?",
                          "DELETE FROM domains WHERE "
                          "name = ?"}) {
    auto st = writer_.prepare(sql);
    if (!st) return st.error();
    st->bind(1, name);
    if (auto r = st->run(); !r) return r;
  }
  if (writer_.changes() == 0) return make_error("no such domain: " + std::string(name));
  return tx->commit();
}

Result<void> SqliteStore::add_sender(const Sender& s) {
  std::lock_guard lock(write_mutex_);
  auto st = writer_.prepare(
      "INSERT INTO senders(address, domain, type, password_hash, created_at, "
      "password_changed_at) VALUES(?,?,?,?,?,?) ON CONFLICT DO NOTHING");
  if (!st) return st.error();
  st->bind(1, s.address).bind(2, s.domain).bind(3, to_string(s.type)).bind(4, s.password_hash);
  st->bind(5, s.created_at).bind(6, s.password_changed_at);
  if (auto r = st->run(); !r) return r;
  if (writer_.changes() == 0) return make_error("sender address " + s.address + " already exists");
  return {};
}

Result<std::vector<Sender>> SqliteStore::select_senders(std::string_view where,
                                                        std::string_view arg) {
  std::lock_guard lock(read_mutex_);
  std::string sql =
      "SELECT address, domain, type, password_hash, created_at, password_changed_at, bounces "
      "FROM senders ";
  sql += where;
  sql += " ORDER BY domain, address";
  auto st = reader_.prepare(sql);
  if (!st) return st.error();
  if (!arg.empty()) st->bind(1, arg);
  return st->collect([](const Statement& s) { return read_sender(s); });
}

Result<std::optional<Sender>> SqliteStore::find_sender(std::string_view address) {
  // Every AUTH: a cached statement on its own connection (see the class comment).
  std::lock_guard lock(credentials_mutex_);
  auto st = credentials_.cached(
      "SELECT address, domain, type, password_hash, created_at, password_changed_at, bounces "
      "FROM senders WHERE address = ?1");
  if (!st) return st.error();
  st->bind(1, address);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<Sender>();
  return std::optional<Sender>(read_sender(*st));
}

Result<std::vector<Sender>> SqliteStore::list_senders() {
  return select_senders("", "");
}

Result<void> SqliteStore::remove_sender(std::string_view address) {
  std::lock_guard lock(write_mutex_);
  auto st = writer_.prepare("DELETE FROM senders WHERE address = ?");
  if (!st) return st.error();
  st->bind(1, address);
  if (auto r = st->run(); !r) return r;
  if (writer_.changes() == 0) return make_error("no such sender address: " + std::string(address));
  return {};
}

Result<void> SqliteStore::set_sender_password(std::string_view address, const std::string& hash,
                                              UnixMillis at) {
  std::lock_guard lock(write_mutex_);
  auto st = writer_.prepare(
      "UPDATE senders SET password_hash = ?, password_changed_at = ? "
      "WHERE address = ?");
  if (!st) return st.error();
  st->bind(1, hash).bind(2, at).bind(3, address);
  if (auto r = st->run(); !r) return r;
  if (writer_.changes() == 0) return make_error("no such sender address: " + std::string(address));
  return {};
}

}  // namespace herald::store::sqlite
