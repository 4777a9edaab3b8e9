// Thin RAII over the SQLite C API: a Connection and prepared Statements with typed binds.
// Private to store/sqlite/. Errors come back as Result values carrying sqlite3_errmsg text.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace herald::store::sqlite {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

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
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  static Result<Connection> open(const std::filesystem::path& file, std::uint32_t busy_ms);
  Connection(Connection&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { sqlite3_close_v2(db_); }

  Result<void> exec(const char* sql);
  Result<Statement> prepare(std::string_view sql);
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  std::string last_error() const { return sqlite3_errmsg(db_); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
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
