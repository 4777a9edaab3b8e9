// Thin RAII over the SQLite C API: a Connection and prepared Statements with typed binds.
// Private to store/sqlite/. Errors come back as Result values carrying sqlite3_errmsg text.
//
// Statement cache: Connection::cached(sql) hands out the connection's one prepared statement for
// that SQL text (prepared once, SQLITE_PREPARE_PERSISTENT), so the hot paths (the spool's group
// commit, AUTH's sender lookup) do not parse and plan SQL on every call.
// Invariants: a cached statement is leased to one holder at a time; it is reset and its binds
// cleared when the holder releases it (so an idle cached statement never holds a read snapshot,
// which would keep WAL checkpoints from completing) and again when leased. Cached statements
// are finalized when their Connection closes; no Statement may outlive its Connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace herald::store::sqlite {

class Statement {
 public:
  // `lease` is null for an owned statement (finalized at the end); for one borrowed from a
  // Connection's cache it is the cache entry's in-use flag, cleared on release.
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool* lease = nullptr)
      : db_(db), stmt_(stmt), lease_(lease) {}
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_), lease_(o.lease_) {
    o.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { release(); }

  // Binds are 1-based like SQLite's. Empty optional binds NULL.
  Statement& bind(int i, std::string_view v);
  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, const std::optional<std::int64_t>& v);
  Statement& bind_blob(int i, std::string_view v);

  // Steps once: true when a row is available, false when done; error otherwise.
  Result<bool> step();
  // Steps through every row, mapping each with `row_fn(const Statement&)`.
  template <class F>
  auto collect(F row_fn) -> Result<std::vector<decltype(row_fn(*this))>> {
    std::vector<decltype(row_fn(*this))> out;
    for (;;) {
      auto row = step();
      if (!row) return row.error();
      if (!*row) return out;
      out.push_back(row_fn(*this));
    }
  }
  // Steps to the end, for statements that return no rows.
  Result<void> run();
  void reset();

  std::string text(int col) const;
  std::int64_t integer(int col) const;
  std::optional<std::int64_t> optional_integer(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  void release();

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* lease_;
};

// Outcome of one sqlite3_wal_checkpoint_v2 call.
struct CheckpointResult {
  bool busy = false;     // could not finish (readers or a writer in the way); not an error
  int wal_frames = 0;    // frames in the WAL when it ran (-1 if not in WAL mode)
  int checkpointed = 0;  // of those, how many are now copied into the database file
};

enum class CheckpointMode { passive, restart, truncate };

class Connection {
 public:
  static Result<Connection> open(const std::filesystem::path& file, std::uint32_t busy_ms);
  Connection(Connection&& o) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  Result<void> exec(const char* sql);
  // A new statement, finalized when the Statement ends: for SQL that is built per call.
  Result<Statement> prepare(std::string_view sql);
  // The cached statement for this SQL text (see the header comment). Falls back to a fresh,
  // owned statement when that text is already leased (nested use) or the cache is full.
  Result<Statement> cached(std::string_view sql);
  std::size_t cached_statements() const { return cache_.size(); }

  std::int64_t changes() const { return sqlite3_changes64(db_); }
  std::string last_error() const { return sqlite3_errmsg(db_); }
  void set_busy_timeout(std::uint32_t ms) { sqlite3_busy_timeout(db_, static_cast<int>(ms)); }

  // Replaces SQLite's automatic checkpoint after commits (wal_autocheckpoint, which is itself a
  // WAL hook) with `hook(frames in the WAL)`, called on the committing thread after each commit.
  // An empty hook unregisters it (automatic checkpoints stay off).
  Result<void> set_wal_hook(std::function<void(int)> hook);
  Result<CheckpointResult> checkpoint(CheckpointMode mode);

 private:
  struct CachedEntry {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  static constexpr std::size_t kMaxCached = 64;  // the hot statements are a handful

  explicit Connection(sqlite3* db) : db_(db) {}
  static int on_wal_commit(void* self, sqlite3*, const char*, int frames);

  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<CachedEntry>, TextHash, std::equal_to<>> cache_;
  std::unique_ptr<std::function<void(int)>> wal_hook_;  // stable address for the C callback
};

// RAII write transaction: BEGIN IMMEDIATE, COMMIT on commit(), ROLLBACK otherwise.
class Transaction {
 public:
  static Result<Transaction> begin(Connection& c);
  Transaction(Transaction&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
  ~Transaction() {
    if (c_) (void)c_->exec("ROLLBACK");
  }
  Result<void> commit();

 private:
  explicit Transaction(Connection& c) : c_(&c) {}
  Connection* c_;
};

}  // namespace herald::store::sqlite
