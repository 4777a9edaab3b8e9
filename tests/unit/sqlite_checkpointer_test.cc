// Background WAL checkpoints (store/sqlite/sqlite_checkpointer.h): the WAL stays bounded while
// commits never checkpoint, and shutdown leaves it empty.
#include "store/sqlite/sqlite_checkpointer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <thread>
#include <vector>

#include "store/store.h"
#include "support/temp_dir.h"

namespace herald::store::sqlite {
namespace {

using namespace std::chrono_literals;

std::uintmax_t file_size_or_zero(const std::filesystem::path& p) {
  std::error_code ec;
  auto n = std::filesystem::file_size(p, ec);
  return ec ? 0 : n;
}

NewMessage message(int n, std::size_t body_bytes) {
  NewMessage m;
  m.queue_id = "Q" + std::to_string(n);
  m.message_id = m.queue_id + "@test";
  m.sender = "a@example.com";
  m.recipients = {"x@example.net"};
  m.body = std::string(body_bytes, 'b');
  m.accepted_at = 1000 + n;
  return m;
}

class CheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto w = Connection::open(file(), 1000);
    ASSERT_TRUE(w);
    writer_.emplace(std::move(*w));
    ASSERT_TRUE(writer_->exec("CREATE TABLE t(blob BLOB)"));
  }
  std::filesystem::path file() const { return dir_.path() / "c.db"; }
  std::filesystem::path wal() const { return file().string() + "-wal"; }
  std::unique_ptr<Checkpointer> make(CheckpointPolicy policy) {
    auto c = Connection::open(file(), 1000);
    EXPECT_TRUE(c);
    auto cp = std::make_unique<Checkpointer>(std::move(*c), wal(), writer_mutex_, policy);
    EXPECT_TRUE(writer_->set_wal_hook([p = cp.get()](int frames) { (void)p->on_commit(frames); }));
    return cp;
  }
  void write(int commits, std::size_t bytes) {
    for (int i = 0; i < commits; ++i) {
      std::lock_guard lock(writer_mutex_);
      auto tx = Transaction::begin(*writer_);
      ASSERT_TRUE(tx);
      {
        auto st = writer_->cached("INSERT INTO t VALUES(?)");
        ASSERT_TRUE(st);
        st->bind_blob(1, std::string(bytes, 'x'));
        ASSERT_TRUE(st->run());
      }
      ASSERT_TRUE(tx->commit());
    }
  }
  std::int64_t rows() {
    auto c = Connection::open(file(), 1000);
    auto st = c->prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(*st->step());
    return st->integer(0);
  }
  testing::TempDir dir_;
  std::mutex writer_mutex_;
  std::optional<Connection> writer_;
};

TEST_F(CheckpointerTest, PassiveBelowTheLimitTruncateAboveIt) {
  CheckpointPolicy policy;
  policy.wal_limit_bytes = 512 * 1024;
  auto cp = make(policy);  // not started: rounds run by hand
  write(4, 50 * 1024);     // ~200 KiB: below the limit
  auto r = cp->run_once();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->truncated);
  EXPECT_GT(r->passive.wal_frames, 0);
  EXPECT_EQ(r->passive.checkpointed, r->passive.wal_frames);
  EXPECT_GT(file_size_or_zero(wal()), 0u);

  write(20, 50 * 1024);  // ~1 MiB more: the WAL file passes the limit
  ASSERT_GT(file_size_or_zero(wal()), policy.wal_limit_bytes);
  r = cp->run_once();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(file_size_or_zero(wal()), 0u);
  EXPECT_EQ(cp->truncate_runs(), 1u);
  EXPECT_EQ(rows(), 24);
}

TEST_F(CheckpointerTest, RestartReusesTheWalFromItsStartWithoutGrowingIt) {
  CheckpointPolicy policy;
  policy.restart_frames = 100;
  auto cp = make(policy);
  std::vector<int> seen;
  ASSERT_TRUE(writer_->set_wal_hook([&](int frames) { seen.push_back(frames); }));
  write(1, 100 * 1024);  // ~26 frames
  auto r = cp->run_once();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->restarted);  // below restart_frames
  write(4, 100 * 1024);        // ~130 frames in all
  const auto size = file_size_or_zero(wal());
  r = cp->run_once();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->restarted);
  EXPECT_FALSE(r->truncated);
  EXPECT_EQ(cp->restart_runs(), 1u);
  seen.clear();
  write(1, 10 * 1024);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_LT(seen[0], 10);                     // the commit went to the start of the WAL...
  EXPECT_EQ(file_size_or_zero(wal()), size);  // ...overwriting it: the file did not grow
  EXPECT_EQ(rows(), 6);
}

TEST_F(CheckpointerTest, TruncateWaitsForTheWriterInsteadOfFailing) {
  CheckpointPolicy policy;
  policy.wal_limit_bytes = 64 * 1024;
  auto cp = make(policy);
  write(10, 20 * 1024);
  std::atomic<bool> finished{false};
  std::unique_lock held(writer_mutex_);  // a commit "in flight"
  std::thread round([&] {
    auto r = cp->run_once();
    EXPECT_TRUE(r && r->truncated);
    finished = true;
  });
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(finished.load());  // the TRUNCATE queues behind the writer...
  held.unlock();
  round.join();
  EXPECT_TRUE(finished.load());  // ...and then completes
  EXPECT_EQ(file_size_or_zero(wal()), 0u);
}

TEST_F(CheckpointerTest, CommitsPastTheThresholdWakeTheThread) {
  CheckpointPolicy policy;
  policy.interval = std::chrono::hours(1);  // only a wake-up can trigger a round
  policy.wake_frames = 100;
  auto cp = make(policy);
  cp->start();
  write(1, 10 * 1024);  // ~3 frames: no wake-up
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(cp->passive_runs(), 0u);
  write(2, 300 * 1024);  // ~150 frames
  for (int i = 0; i < 500 && cp->passive_runs() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_GE(cp->passive_runs(), 1u);
}

TEST(WriterBackstop, DueFromTwiceTheWalLimitInFrames) {
  struct Case {
    std::uint64_t limit;
    std::uint32_t page_size;
    int frames;
    bool due;
  };
  const Case cases[] = {
      {64ull << 20, 4096, 0, false},     {64ull << 20, 4096, 1, false},
      {64ull << 20, 4096, 1000, false},  {64ull << 20, 4096, 16384, false},  // 1x the limit
      {64ull << 20, 4096, 32767, false}, {64ull << 20, 4096, 32768, true},   // 2x
      {64ull << 20, 4096, 100000, true}, {64ull << 20, 1024, 32768, false},  // smaller pages
      {64ull << 20, 1024, 131072, true}, {1 << 20, 4096, 511, false},
      {1 << 20, 4096, 512, true},        {1 << 20, 0, 512, true},  // unknown page size: 4096
      {1 << 20, 65536, 31, false},       {1 << 20, 65536, 32, true},
  };
  for (const auto& c : cases) {
    CheckpointPolicy policy;
    policy.wal_limit_bytes = c.limit;
    policy.page_size = c.page_size;
    EXPECT_EQ(writer_backstop_due(c.frames, policy), c.due)
        << c.limit << " bytes, " << c.page_size << "-byte pages, " << c.frames << " frames";
  }
}

TEST_F(CheckpointerTest, OnCommitAsksTheWriterForTheBackstopWithoutRunningARound) {
  CheckpointPolicy policy;
  policy.wal_limit_bytes = 1 << 20;  // backstop at 512 frames of 4 KiB
  policy.wake_frames = 100;
  auto cp = make(policy);  // not started: a wake-up runs nothing
  EXPECT_FALSE(cp->on_commit(50));
  EXPECT_FALSE(cp->on_commit(511));
  EXPECT_TRUE(cp->on_commit(512));
  EXPECT_TRUE(cp->on_commit(5000));
  EXPECT_EQ(cp->passive_runs(), 0u);
}

TEST(LockedCheckpointBackoff, DoublesPerBusyOneUpToTheBound) {
  CheckpointPolicy policy;
  policy.busy_backoff_first = 200ms;
  policy.busy_backoff_max = 5000ms;
  const std::pair<int, std::chrono::milliseconds> cases[] = {
      {-1, 0ms},
      {0, 0ms},
      {1, 200ms},
      {2, 400ms},
      {3, 800ms},
      {4, 1600ms},
      {5, 3200ms},
      {6, 5000ms},
      {7, 5000ms},
      {64, 5000ms},
      {std::numeric_limits<int>::max(), 5000ms},
  };
  for (const auto& [busy, wait] : cases)
    EXPECT_EQ(locked_checkpoint_backoff(busy, policy), wait) << busy << " busy in a row";
  policy.busy_backoff_first = 0ms;  // never zero once busy: at least 1 ms, still doubling
  EXPECT_EQ(locked_checkpoint_backoff(1, policy), 1ms);
  EXPECT_EQ(locked_checkpoint_backoff(3, policy), 4ms);
  policy.busy_backoff_first = 10000ms;  // a first wait above the bound is cut to it
  EXPECT_EQ(locked_checkpoint_backoff(1, policy), 5000ms);
}

TEST_F(CheckpointerTest, BusyRestartIsRetriedOnlyAfterABackoff) {
  CheckpointPolicy policy;
  policy.restart_frames = 10;
  policy.truncate_busy_ms = 10;
  policy.busy_backoff_first = 1000ms;
  policy.busy_backoff_max = 2000ms;
  auto cp = make(policy);
  write(1, 100 * 1024);  // ~26 frames: a RESTART is due every round
  // A reader holding a snapshot in the WAL keeps every RESTART busy.
  auto reader = Connection::open(file(), 1000);
  ASSERT_TRUE(reader);
  ASSERT_TRUE(reader->exec("BEGIN"));
  {
    auto st = reader->prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(st && *st->step());
  }
  const auto t0 = std::chrono::steady_clock::now();
  struct Step {
    std::chrono::milliseconds at;
    bool backed_off;
    std::uint64_t busy_runs;
  };
  const Step steps[] = {
      {0ms, false, 1},     // tried: busy; next try after 1 s
      {10ms, true, 1},     // held off
      {999ms, true, 1},    // still held off
      {1000ms, false, 2},  // tried again: busy; next after 2 s
      {2999ms, true, 2},   // held off
      {5000ms, false, 3},  // tried: busy; the wait stays at the 2 s bound
      {6999ms, true, 3},
  };
  for (const auto& s : steps) {
    auto r = cp->run_once(t0 + s.at);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->backed_off, s.backed_off) << "at " << s.at.count() << " ms";
    EXPECT_FALSE(r->restarted) << "at " << s.at.count() << " ms";
    EXPECT_EQ(cp->busy_runs(), s.busy_runs) << "at " << s.at.count() << " ms";
  }
  ASSERT_TRUE(reader->exec("COMMIT"));  // the reader leaves: the next try succeeds...
  auto r = cp->run_once(t0 + 7000ms);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->restarted);
  EXPECT_EQ(cp->restart_runs(), 1u);
  write(1, 100 * 1024);  // ...and resets the backoff: the next due RESTART runs at once
  r = cp->run_once(t0 + 7001ms);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->backed_off);
  EXPECT_TRUE(r->restarted);
  EXPECT_EQ(cp->busy_runs(), 3u);
}

TEST(StoreCheckpoints, WalStaysBoundedUnderManyBatchesAndIsEmptyAfterClose) {
  testing::TempDir dir;
  const auto file = dir.path() / "herald.db";
  const auto wal = std::filesystem::path(file.string() + "-wal");
  SqliteOptions options;
  options.background_checkpoints = true;
  options.checkpoint_interval_ms = 20;
  options.wal_limit_bytes = 1 << 20;
  auto store = open_sqlite(file, options);
  ASSERT_TRUE(store) << store.error().message;
  // Another process's connection (the CLI, say) keeps the WAL from being deleted at close.
  auto bystander = Connection::open(file, 1000);
  ASSERT_TRUE(bystander);

  constexpr int kBatches = 150, kPerBatch = 8;
  constexpr std::size_t kBody = 16 * 1024;  // ~19 MiB in all, 19x the limit
  std::uintmax_t max_wal = 0;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<NewMessage> batch;
    for (int i = 0; i < kPerBatch; ++i) batch.push_back(message(b * kPerBatch + i, kBody));
    ASSERT_TRUE((*store)->accept_messages(batch));
    max_wal = std::max(max_wal, file_size_or_zero(wal));
  }
  // Without checkpoints the WAL would hold all ~19 MiB; it is truncated again and again.
  EXPECT_LT(max_wal, 8u << 20) << "largest WAL seen: " << max_wal;
  std::uintmax_t settled = file_size_or_zero(wal);
  for (int i = 0; i < 500 && settled > options.wal_limit_bytes; ++i) {
    std::this_thread::sleep_for(10ms);
    settled = file_size_or_zero(wal);
  }
  EXPECT_LE(settled, options.wal_limit_bytes);

  LogFilter all;
  all.limit = 100000;
  EXPECT_EQ((*store)->query_log(all)->size(), static_cast<std::size_t>(kBatches * kPerBatch));
  store->reset();  // graceful close: a final TRUNCATE checkpoint
  EXPECT_EQ(file_size_or_zero(wal), 0u);
  auto st = bystander->prepare("SELECT count(*) FROM messages");
  ASSERT_TRUE(st && *st->step());
  EXPECT_EQ(st->integer(0), kBatches * kPerBatch);
}

}  // namespace
}  // namespace herald::store::sqlite
