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

}  // namespace
}  // namespace herald::spool
