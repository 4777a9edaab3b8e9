#include "spool/spool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "support/temp_dir.h"

namespace herald::spool {
namespace {

store::NewMessage message(std::string qid) {
  store::NewMessage m;
  m.queue_id = std::move(qid);
  m.message_id = m.queue_id + "@test";
  m.sender = "a@example.com";
  m.recipients = {"x@example.net", "y@example.net"};
  m.body = "Subject: hi\r\n\r\nhello\r\n";
  m.accepted_at = now_millis();
  return m;
}

TEST(Spool, ConcurrentSubmitsAreGroupCommittedAndAllComplete) {
  testing::TempDir dir;
  auto store = store::open_sqlite(dir.path() / "herald.db");
  ASSERT_TRUE(store);
  Spool spool(**store);
  constexpr int kThreads = 8, kEach = 40;
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::atomic<bool> done{false};
        spool.submit(message("T" + std::to_string(t) + "-" + std::to_string(i)),
                     [&](Result<void> r) {
                       (r ? ok : failed)++;
                       done = true;
                       done.notify_one();
                     });
        done.wait(false);  // like a session: the next message only after the 250
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_EQ(failed.load(), 0);
  // Group commit: fewer transactions than messages when sessions overlap.
  EXPECT_LT(spool.batches_committed(), static_cast<std::uint64_t>(kThreads * kEach));
  store::LogFilter all;
  all.limit = 10000;
  EXPECT_EQ((*store)->query_log(all)->size(), 2u * kThreads * kEach);
}

TEST(Spool, OneBadMessageDoesNotFailItsBatch) {
  testing::TempDir dir;
  auto store = store::open_sqlite(dir.path() / "herald.db");
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->accept_messages(std::vector{message("DUP")}));
  Spool spool(**store);
  std::atomic<int> ok{0}, failed{0}, done{0};
  for (auto qid : {"A1", "DUP", "A2"})
    spool.submit(message(qid), [&](Result<void> r) {
      (r ? ok : failed)++;
      done++;
    });
  spool.stop();
  EXPECT_EQ(done.load(), 3);
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(failed.load(), 1);
}

TEST(Spool, SubmitAfterStopFailsInsteadOfHanging) {
  testing::TempDir dir;
  auto store = store::open_sqlite(dir.path() / "herald.db");
  ASSERT_TRUE(store);
  Spool spool(**store);
  spool.stop();
  bool called = false, success = true;
  spool.submit(message("LATE"), [&](Result<void> r) {
    called = true;
    success = static_cast<bool>(r);
  });
  EXPECT_TRUE(called);
  EXPECT_FALSE(success);
}

TEST(Spool, QueueIdsAreUniqueAndFixedLength) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) {
    auto id = Spool::new_queue_id();
    EXPECT_EQ(id.size(), 16u);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(Spool, EventsAreWritten) {
  testing::TempDir dir;
  auto store = store::open_sqlite(dir.path() / "herald.db");
  ASSERT_TRUE(store);
  {
    Spool spool(**store);
    spool.record({1, "auth_failed", "", "", "127.0.0.1", "u@e.com", "wrong password"});
  }
  auto ev = (*store)->query_events({});
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->size(), 1u);
  EXPECT_EQ((*ev)[0].kind, "auth_failed");
}

// Accepts `n` one-recipient messages and returns their recipient row ids.
std::vector<std::int64_t> accepted_recipients(store::Store& store, int n) {
  std::vector<store::NewMessage> batch;
  for (int i = 0; i < n; ++i) {
    auto m = message("OUT" + std::to_string(i));
    m.recipients = {"r" + std::to_string(i) + "@example.net"};
    batch.push_back(std::move(m));
  }
  EXPECT_TRUE(store.accept_messages(batch));
  std::vector<std::int64_t> ids;
  for (const auto& p : *store.load_pending()) ids.push_back(p.id);
  return ids;
}

Spool::Outcome delivered(std::int64_t id) {
  store::AttemptRecord a;
  a.recipient_id = id;
  a.at = now_millis();
  a.new_status = std::string(store::kDelivered);
  a.dsn_status = "2.0.0";
  a.response = "250 ok";
  return Spool::Outcome{{a}, {}};
}

// Completions run on the writer thread: one that waits holds the writer, so everything
// queued meanwhile is waiting together when it resumes.
struct WriterGate {
  std::atomic<bool> entered{false}, open{false};
  void hold(Spool& spool) {
    spool.submit(message("GATE"), [this](Result<void>) {
      entered = true;
      entered.notify_one();
      open.wait(false);
    });
    entered.wait(false);
  }
  void release() {
    open = true;
    open.notify_one();
  }
};

TEST(Spool, DeliveryOutcomesOfManyJobsShareOneCommit) {
  testing::TempDir dir;
  auto store = store::open_sqlite(dir.path() / "herald.db");
  ASSERT_TRUE(store);
  auto ids = accepted_recipients(**store, 6);
  ASSERT_EQ(ids.size(), 6u);
  Spool spool(**store);
  WriterGate gate;
  gate.hold(spool);
  std::atomic<int> ok{0}, failed{0};
  for (auto id : ids)
    spool.record_outcome(delivered(id), [&](Result<void> r) { (r ? ok : failed)++; });
  gate.release();
  spool.stop();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(spool.outcome_batches_committed(), 1u);
  for (auto id : ids) {
    auto row = (*store)->find_recipient(id);
    ASSERT_TRUE(row && row->has_value());
    EXPECT_EQ((*row)->status, store::kDelivered);
  }
  EXPECT_EQ((*store)->query_attempts("OUT3")->size(), 1u);
}

TEST(Spool, OneBadDeliveryOutcomeDoesNotFailTheOthers) {
  testing::TempDir dir;
  auto store = store::open_sqlite(dir.path() / "herald.db");
  ASSERT_TRUE(store);
  auto ids = accepted_recipients(**store, 3);
  ASSERT_EQ(ids.size(), 3u);
  Spool spool(**store);
  WriterGate gate;
  gate.hold(spool);
  std::vector<int> result(3, -1);  // 1 = ok, 0 = failed
  for (int i = 0; i < 3; ++i) {
    auto outcome = delivered(ids[static_cast<std::size_t>(i)]);
    if (i == 1)  // violates the suppressions.source CHECK constraint: this job's commit fails
      outcome.suppressions.push_back({"r1@example.net", false, "bad", "bogus", now_millis(), {}});
    spool.record_outcome(std::move(outcome), [&result, i](Result<void> r) {
      result[static_cast<std::size_t>(i)] = r ? 1 : 0;
    });
  }
  gate.release();
  spool.stop();
  EXPECT_EQ(result, (std::vector<int>{1, 0, 1}));
  EXPECT_EQ((*(*store)->find_recipient(ids[0]))->status, store::kDelivered);
  EXPECT_EQ((*(*store)->find_recipient(ids[1]))->status, store::kQueued);  // rolled back whole
  EXPECT_EQ((*(*store)->find_recipient(ids[2]))->status, store::kDelivered);
  EXPECT_TRUE((*store)->list_suppressions(now_millis())->empty());
}

TEST(Spool, OutcomeAfterStopFailsInsteadOfHanging) {
  testing::TempDir dir;
  auto store = store::open_sqlite(dir.path() / "herald.db");
  ASSERT_TRUE(store);
  Spool spool(**store);
  spool.stop();
  bool called = false, success = true;
  spool.record_outcome(delivered(1), [&](Result<void> r) {
    called = true;
    success = static_cast<bool>(r);
  });
  EXPECT_TRUE(called);
  EXPECT_FALSE(success);
}

}  // namespace
}  // namespace herald::spool
