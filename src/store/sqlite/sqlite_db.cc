#include "store/sqlite/sqlite_db.h"

namespace herald::store::sqlite {

namespace {
Error sqlite_error(sqlite3* db, std::string_view what) {
  return make_error(std::string(what) + ": " + sqlite3_errmsg(db));
}
}  // namespace

Statement& Statement::bind(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Statement& Statement::bind(int i, const std::optional<std::int64_t>& v) {
  if (v) return bind(i, *v);
  sqlite3_bind_null(stmt_, i);
  return *this;
}

Statement& Statement::bind_blob(int i, std::string_view v) {
  sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db_, "store query failed");
}

Result<void> Statement::run() {
  for (;;) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::release() {
  if (!stmt_) return;
  if (!lease_) {
    sqlite3_finalize(stmt_);
  } else {
    // Back to the cache: an un-reset statement would keep its read snapshot (and so block
    // checkpoints from finishing) and its bound copies of message bodies.
    reset();
    *lease_ = false;
  }
  stmt_ = nullptr;
}

std::string Statement::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

std::int64_t Statement::integer(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

std::optional<std::int64_t> Statement::optional_integer(int col) const {
  if (is_null(col)) return std::nullopt;
  return integer(col);
}

Result<Connection> Connection::open(const std::filesystem::path& file, std::uint32_t busy_ms) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(file.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string msg =
        "cannot open store " + file.string() + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close_v2(db);
    return make_error(msg);
  }
  sqlite3_busy_timeout(db, static_cast<int>(busy_ms));
  sqlite3_extended_result_codes(db, 1);
  Connection c(db);
  // WAL lets the CLI read while the server writes; FULL makes every commit durable.
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    auto r = c.exec(pragma);
    if (!r) return make_error("cannot open store " + file.string() + ": " + r.error().message);
  }
  return c;
}

Connection::Connection(Connection&& o) noexcept
    : db_(o.db_), cache_(std::move(o.cache_)), wal_hook_(std::move(o.wal_hook_)) {
  o.db_ = nullptr;
  o.cache_.clear();
}

Connection::~Connection() {
  for (auto& [sql, entry] : cache_) sqlite3_finalize(entry->stmt);
  sqlite3_close_v2(db_);
}

Result<void> Connection::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return make_error(msg);
  }
  return {};
}

Result<Statement> Connection::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK)
    return sqlite_error(db_, "store statement failed");
  return Statement(db_, stmt);
}

Result<Statement> Connection::cached(std::string_view sql) {
  auto found = cache_.find(sql);
  if (found == cache_.end()) {
    if (cache_.size() >= kMaxCached) return prepare(sql);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK)
      return sqlite_error(db_, "store statement failed");
    auto entry = std::make_unique<CachedEntry>();
    entry->stmt = stmt;
    found = cache_.emplace(std::string(sql), std::move(entry)).first;
  }
  CachedEntry& entry = *found->second;
  if (entry.in_use) return prepare(sql);
  entry.in_use = true;
  sqlite3_reset(entry.stmt);
  sqlite3_clear_bindings(entry.stmt);
  return Statement(db_, entry.stmt, &entry.in_use);
}

int Connection::on_wal_commit(void* self, sqlite3*, const char*, int frames) {
  (*static_cast<std::function<void(int)>*>(self))(frames);
  return SQLITE_OK;
}

Result<void> Connection::set_wal_hook(std::function<void(int)> hook) {
  if (!hook) {
    sqlite3_wal_hook(db_, nullptr, nullptr);
    wal_hook_.reset();
    return {};
  }
  // Documents the intent (and stays in force if the hook is ever removed); sqlite3_wal_hook
  // then replaces the auto-checkpoint callback altogether.
  if (auto r = exec("PRAGMA wal_autocheckpoint=0"); !r) return r;
  wal_hook_ = std::make_unique<std::function<void(int)>>(std::move(hook));
  sqlite3_wal_hook(db_, &Connection::on_wal_commit, wal_hook_.get());
  return {};
}

Result<CheckpointResult> Connection::checkpoint(CheckpointMode mode) {
  CheckpointResult out;
  int sqlite_mode = mode == CheckpointMode::passive   ? SQLITE_CHECKPOINT_PASSIVE
                    : mode == CheckpointMode::restart ? SQLITE_CHECKPOINT_RESTART
                                                      : SQLITE_CHECKPOINT_TRUNCATE;
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, sqlite_mode, &out.wal_frames, &out.checkpointed);
  if (rc == SQLITE_BUSY || (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
    out.busy = true;
    return out;
  }
  if (rc != SQLITE_OK) return sqlite_error(db_, "store checkpoint failed");
  return out;
}

Result<Transaction> Transaction::begin(Connection& c) {
  // Cached: the spool's writer begins and commits a transaction for every batch.
  auto st = c.cached("BEGIN IMMEDIATE");
  if (!st) return st.error();
  if (auto r = st->run(); !r) return make_error("store busy: " + r.error().message);
  return Transaction(c);
}

Result<void> Transaction::commit() {
  auto st = c_->cached("COMMIT");
  if (!st) return st.error();
  if (auto r = st->run(); !r) return r;
  c_ = nullptr;
  return {};
}

}  // namespace herald::store::sqlite
