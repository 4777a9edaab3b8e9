#include "queue/scheduler.h"

#include <gtest/gtest.h>

namespace herald::queue {
namespace {

store::PendingRecipient rcpt(std::int64_t id, std::string qid, std::string domain,
                             UnixMillis due = 0, std::uint32_t attempts = 0) {
  store::PendingRecipient r;
  r.id = id;
  r.queue_id = std::move(qid);
  r.recipient = "u" + std::to_string(id) + "@" + domain;
  r.domain = std::move(domain);
  r.next_attempt_at = due;
  r.attempts = attempts;
  return r;
}

TEST(Scheduler, GroupsRecipientsOfOneMessageAndDomain) {
  Scheduler s;
  s.add(rcpt(1, "Q1", "a.com"));
  s.add(rcpt(2, "Q1", "a.com"));
  s.add(rcpt(3, "Q1", "b.com"));
  s.add(rcpt(4, "Q2", "a.com"));
  auto j1 = s.next(10);
  ASSERT_TRUE(j1);
  EXPECT_EQ(j1->domain, "a.com");
  ASSERT_EQ(j1->recipients.size(), 2u);
  EXPECT_EQ(j1->recipients[0].queue_id, "Q1");
  EXPECT_EQ(s.in_flight(), 2u);
  EXPECT_EQ(s.waiting(), 2u);
}

TEST(Scheduler, AJobTakesOnlyItsMessagesDueRecipients) {
  Scheduler s;
  for (int i = 0; i < 1000; ++i) s.add(rcpt(100 + i, "M" + std::to_string(i), "a.com"));
  s.add(rcpt(1, "Q", "a.com", 0));
  s.add(rcpt(2, "Q", "a.com", 50, 1));  // a retry of the same message, due later
  s.add(rcpt(3, "Q", "a.com", 10, 1));  // a retry, due now
  auto j = s.next(20);
  ASSERT_TRUE(j);
  // Other messages' jobs come first or in between: serve them until Q's comes up.
  while (j && j->recipients[0].queue_id != "Q") {
    s.finished(*j, true, "", 20);
    j = s.next(20);
  }
  ASSERT_TRUE(j);
  ASSERT_EQ(j->recipients.size(), 2u);
  EXPECT_EQ(j->recipients[0].id, 1);
  EXPECT_EQ(j->recipients[1].id, 3);
  s.finished(*j, true, "", 20);
  // Id 2 waits for its time, alone.
  while (auto k = s.next(20)) s.finished(*k, true, "", 20);
  EXPECT_EQ(s.waiting(), 1u);
  auto later = s.next(50);
  ASSERT_TRUE(later);
  ASSERT_EQ(later->recipients.size(), 1u);
  EXPECT_EQ(later->recipients[0].id, 2);
}

TEST(Scheduler, RoundRobinAcrossDestinations) {
  Scheduler s;
  for (int i = 0; i < 4; ++i) s.add(rcpt(i, "A" + std::to_string(i), "a.com"));
  s.add(rcpt(10, "B", "b.com"));
  s.add(rcpt(11, "C", "c.com"));
  std::vector<std::string> order;
  while (auto j = s.next(0)) order.push_back(j->domain);
  ASSERT_GE(order.size(), 3u);
  EXPECT_EQ(order[0], "a.com");
  EXPECT_EQ(order[1], "b.com");
  EXPECT_EQ(order[2], "c.com");
}

TEST(Scheduler, NothingBeforeItIsDue) {
  Scheduler s;
  s.add(rcpt(1, "Q1", "a.com", 1000));
  EXPECT_FALSE(s.next(999));
  EXPECT_EQ(s.next_due(), 1000);
  EXPECT_TRUE(s.next(1000));
}

// The destination's slot is free once the SMTP transaction ends, but the recipients stay in
// flight until their outcome is durable: a reload or re-add meanwhile must not hand them out.
TEST(Scheduler, AttemptedFreesTheSlotSettledFreesTheRecipients) {
  SchedulerLimits limits;
  limits.initial_concurrency = 1;
  limits.max_concurrency = 1;
  Scheduler s(limits);
  s.add(rcpt(1, "Q1", "a.com"));
  s.add(rcpt(2, "Q2", "a.com"));
  auto j1 = s.next(0);
  ASSERT_TRUE(j1);
  EXPECT_FALSE(s.next(0));  // limit 1: the second waits
  s.attempted(*j1, true, "", 0);
  auto j2 = s.next(0);
  ASSERT_TRUE(j2);  // the slot is free
  EXPECT_EQ(j2->recipients[0].id, 2);
  // Q1's outcome is not durable yet: neither add() nor a reload brings it back.
  s.add(rcpt(1, "Q1", "a.com", 0, 1));
  s.replace({rcpt(1, "Q1", "a.com", 0, 1)});
  EXPECT_EQ(s.waiting(), 0u);
  EXPECT_EQ(s.in_flight(), 2u);
  s.settled(*j1);
  EXPECT_EQ(s.in_flight(), 1u);
  s.add(rcpt(1, "Q1", "a.com", 0, 1));  // deferred: scheduled again
  EXPECT_EQ(s.waiting(), 1u);
}

TEST(Scheduler, ConcurrencyLimitAndSlowStart) {
  SchedulerLimits limits;
  limits.initial_concurrency = 2;
  limits.max_concurrency = 3;
  Scheduler s(limits);
  for (int i = 0; i < 10; ++i) s.add(rcpt(i, "Q" + std::to_string(i), "a.com"));
  auto j1 = s.next(0), j2 = s.next(0);
  ASSERT_TRUE(j1 && j2);
  EXPECT_FALSE(s.next(0)) << "initial concurrency is 2";
  s.finished(*j1, true, "", 0);
  EXPECT_EQ(s.concurrency_limit("a.com"), 3u);
  auto j3 = s.next(0), j4 = s.next(0);
  EXPECT_TRUE(j3 && j4);
  EXPECT_FALSE(s.next(0)) << "grew to 3, the maximum";
  s.finished(*j2, false, "refused", 0);
  EXPECT_EQ(s.concurrency_limit("a.com"), 2u);
}

TEST(Scheduler, DeadDestinationIsHandedOutWithoutConnecting) {
  SchedulerLimits limits;
  limits.initial_concurrency = 1;
  limits.dead_after = 2;
  limits.dead_for = 60'000;
  Scheduler s(limits);
  for (int i = 0; i < 5; ++i) s.add(rcpt(i, "Q" + std::to_string(i), "dead.com"));
  for (int i = 0; i < 2; ++i) {
    auto j = s.next(0);
    ASSERT_TRUE(j);
    EXPECT_FALSE(j->destination_dead);
    s.finished(*j, false, "connection refused", 0);
  }
  EXPECT_TRUE(s.is_dead("dead.com", 1));
  auto j = s.next(1);
  ASSERT_TRUE(j);
  EXPECT_TRUE(j->destination_dead);
  EXPECT_EQ(j->dead_reason, "connection refused");
  s.finished(*j, false, "", 1);
  EXPECT_FALSE(s.is_dead("dead.com", 60'001));
}

TEST(Scheduler, FreshAndRetriesAlternate) {
  Scheduler s;
  s.add(rcpt(1, "R1", "a.com", 0, 3));
  s.add(rcpt(2, "R2", "a.com", 0, 3));
  s.add(rcpt(3, "F1", "a.com", 0, 0));
  s.add(rcpt(4, "F2", "a.com", 0, 0));
  std::vector<std::string> order;
  while (auto j = s.next(0)) order.push_back(j->recipients[0].queue_id);
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order[0], "F1");
  EXPECT_EQ(order[1], "R1");
  EXPECT_EQ(order[2], "F2");
  EXPECT_EQ(order[3], "R2");
}

TEST(Scheduler, DuplicatesAndInFlightAreIgnoredAndReplaceReloads) {
  Scheduler s;
  s.add(rcpt(1, "Q1", "a.com"));
  s.add(rcpt(1, "Q1", "a.com"));
  EXPECT_EQ(s.waiting(), 1u);
  auto j = s.next(0);
  ASSERT_TRUE(j);
  s.add(rcpt(1, "Q1", "a.com"));  // still in flight
  EXPECT_EQ(s.waiting(), 0u);
  s.replace({rcpt(7, "Q7", "b.com"), rcpt(8, "Q8", "b.com")});
  EXPECT_EQ(s.waiting(), 2u);
  s.finished(*j, true, "", 0);
  EXPECT_EQ(s.in_flight(), 0u);
}

}  // namespace
}  // namespace herald::queue
