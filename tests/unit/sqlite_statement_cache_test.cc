// The SQLite connection layer's statement cache and WAL plumbing (store/sqlite/sqlite_db.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "support/temp_dir.h"

namespace herald::store::sqlite {
namespace {

class SqliteDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Connection::open(file(), 1000);
    ASSERT_TRUE(c) << c.error().message;
    db_.emplace(std::move(*c));
    ASSERT_TRUE(db_->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, blob BLOB)"));
  }
  std::filesystem::path file() const { return dir_.path() / "t.db"; }
  std::uintmax_t wal_size() const {
    std::error_code ec;
    auto n = std::filesystem::file_size(file().string() + "-wal", ec);
    return ec ? 0 : n;
  }
  void insert_rows(int n, std::size_t blob_bytes) {
    auto tx = Transaction::begin(*db_);
    ASSERT_TRUE(tx);
    for (int i = 0; i < n; ++i) {
      auto st = db_->cached("INSERT INTO t(v, blob) VALUES(?, ?)");
      ASSERT_TRUE(st);
      st->bind(1, "row").bind_blob(2, std::string(blob_bytes, 'x'));
      ASSERT_TRUE(st->run());
    }
    ASSERT_TRUE(tx->commit());
  }
  testing::TempDir dir_;
  std::optional<Connection> db_;
};

TEST_F(SqliteDbTest, OpenedConnectionsKeepWalAndFullSync) {
  // The durability contract of ADR 0002: every connection is WAL + synchronous=FULL (2).
  struct Case {
    const char* pragma;
    std::string want;
  } cases[] = {{"PRAGMA journal_mode", "wal"}, {"PRAGMA synchronous", "2"}};
  for (const auto& c : cases) {
    auto st = db_->prepare(c.pragma);
    ASSERT_TRUE(st);
    ASSERT_TRUE(*st->step());
    EXPECT_EQ(st->text(0), c.want) << c.pragma;
  }
}

TEST_F(SqliteDbTest, CachedStatementIsPreparedOnceAndRebound) {
  insert_rows(3, 1);  // BEGIN IMMEDIATE, the INSERT and COMMIT are cached
  const std::size_t after_insert = db_->cached_statements();
  EXPECT_EQ(after_insert, 3u);
  for (std::int64_t id = 1; id <= 3; ++id) {
    auto st = db_->cached("SELECT id FROM t WHERE id = ?");
    ASSERT_TRUE(st);
    st->bind(1, id);
    ASSERT_TRUE(*st->step());
    EXPECT_EQ(st->integer(0), id);
  }
  EXPECT_EQ(db_->cached_statements(), after_insert + 1);
  // Reuse clears the previous binds: unbound is NULL, which matches no row.
  auto st = db_->cached("SELECT id FROM t WHERE id = ?");
  ASSERT_TRUE(st);
  EXPECT_FALSE(*st->step());
}

TEST_F(SqliteDbTest, NestedUseOfTheSameTextGetsItsOwnStatement) {
  insert_rows(2, 1);
  auto outer = db_->cached("SELECT id FROM t ORDER BY id");
  ASSERT_TRUE(outer);
  ASSERT_TRUE(*outer->step());
  EXPECT_EQ(outer->integer(0), 1);
  {
    auto inner = db_->cached("SELECT id FROM t ORDER BY id");  // leased: a fresh one
    ASSERT_TRUE(inner);
    ASSERT_TRUE(*inner->step());
    EXPECT_EQ(inner->integer(0), 1);
  }
  ASSERT_TRUE(*outer->step());  // the outer cursor was not disturbed
  EXPECT_EQ(outer->integer(0), 2);
}

TEST_F(SqliteDbTest, CacheIsBoundedAndStillServesBeyondTheBound) {
  for (int i = 0; i < 100; ++i) {
    auto st = db_->cached("SELECT " + std::to_string(i));
    ASSERT_TRUE(st);
    ASSERT_TRUE(*st->step());
    EXPECT_EQ(st->integer(0), i);
  }
  EXPECT_EQ(db_->cached_statements(), 64u);
}

TEST_F(SqliteDbTest, BadSqlIsAnErrorAndNotCached) {
  auto st = db_->cached("SELECT FROM nowhere");
  EXPECT_FALSE(st);
  EXPECT_EQ(db_->cached_statements(), 0u);
}

TEST_F(SqliteDbTest, ReleasedCachedStatementHoldsNoSnapshot) {
  insert_rows(5, 100);
  {
    // Stop after the first row: without a reset on release this read transaction would stay
    // open and pin the WAL.
    auto st = db_->cached("SELECT id FROM t ORDER BY id");
    ASSERT_TRUE(st);
    ASSERT_TRUE(*st->step());
  }
  auto other = Connection::open(file(), 1000);
  ASSERT_TRUE(other);
  auto r = other->checkpoint(CheckpointMode::truncate);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->busy);
  EXPECT_EQ(wal_size(), 0u);
}

TEST_F(SqliteDbTest, WalHookReplacesAutomaticCheckpoints) {
  std::vector<int> frames;
  ASSERT_TRUE(db_->set_wal_hook([&](int n) { frames.push_back(n); }));
  // 40 commits of ~100 KiB: ~1,000 pages, past SQLite's 1,000-page auto-checkpoint threshold.
  for (int i = 0; i < 40; ++i) insert_rows(1, 100 * 1024);
  ASSERT_EQ(frames.size(), 40u);
  for (std::size_t i = 1; i < frames.size(); ++i) EXPECT_GT(frames[i], frames[i - 1]);
  EXPECT_GT(frames.back(), 1000);
  // Nothing was copied back: the WAL holds every frame the hook reported.
  EXPECT_GE(wal_size(), static_cast<std::uintmax_t>(frames.back()) * 4096);
  auto r = db_->checkpoint(CheckpointMode::passive);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->wal_frames, frames.back());
  EXPECT_EQ(r->checkpointed, frames.back());
}

}  // namespace
}  // namespace herald::store::sqlite
