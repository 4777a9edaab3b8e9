#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "store/sqlite/migrations.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace herald::store {
namespace {

Domain example_domain(std::string name = "example.com") {
  Domain d;
  d.name = name;
  d.verify_token = "tok";
  d.dkim_selector = "herald1";
  d.dkim_key_path = "/k";
  d.dkim_public_key = "MIIB";
  d.created_at = 1000;
  return d;
}

NewMessage message(std::string qid, std::string sender, std::vector<std::string> rcpts,
                   UnixMillis at) {
  NewMessage m;
  m.queue_id = qid;
  m.message_id = qid + "@example.com";
  m.sender = sender;
  m.auth_user = sender;
  m.subject = "Subject " + qid;
  m.client_ip = "127.0.0.1";
  m.helo = "client";
  m.recipients = std::move(rcpts);
  m.body = "Subject: x\r\n\r\nbody\r\n";
  m.accepted_at = at;
  return m;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(dir_.path() / "herald.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, EmptyStoreIsMigratedToLatest) {
  EXPECT_EQ(store_->schema_version(), sqlite::latest_schema_version());
  EXPECT_GE(sqlite::latest_schema_version(), 2);
}

TEST(StoreMigrations, ExistingVersionOneStoreKeepsDataAndReachesLatest) {
  testing::TempDir dir;
  auto file = dir.path() / "herald.db";
  {
    auto c = sqlite::Connection::open(file, 1000);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->exec(sqlite::migrations()[0].sql));
    ASSERT_TRUE(c->exec("PRAGMA user_version=1"));
    ASSERT_TRUE(c->exec("INSERT INTO domains VALUES('old.example','t','s','/k','p',1,NULL)"));
  }
  auto s = open_sqlite(file);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ((*s)->schema_version(), sqlite::latest_schema_version());
  auto d = (*s)->find_domain("old.example");
  ASSERT_TRUE(d && d->has_value());
  EXPECT_EQ((*d)->verify_token, "t");
  // Reopening an up-to-date store changes nothing.
  s->reset();
  auto again = open_sqlite(file);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->schema_version(), sqlite::latest_schema_version());
}

TEST(StoreMigrations, NewerSchemaIsRefused) {
  testing::TempDir dir;
  auto file = dir.path() / "herald.db";
  {
    auto c = sqlite::Connection::open(file, 1000);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->exec("PRAGMA user_version=999"));
  }
  auto s = open_sqlite(file);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("newer"), std::string::npos);
}

TEST(StoreOpen, UnreadableLocationIsAnError) {
  auto s = open_sqlite("/nonexistent-dir/herald.db");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("/nonexistent-dir/herald.db"), std::string::npos);
}

TEST_F(StoreTest, DomainRoundTripAndDuplicates) {
  ASSERT_TRUE(store_->add_domain(example_domain()));
  auto dup = store_->add_domain(example_domain("EXAMPLE.com"));
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("already exists"), std::string::npos);
  auto list = store_->list_domains();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].dkim_selector, "herald1");
  ASSERT_TRUE(store_->set_domain_verified("example.com", 5000));
  EXPECT_EQ((*store_->find_domain("example.com"))->verified_at, 5000);
  EXPECT_FALSE(store_->set_domain_verified("nope.com", 1));
}

TEST_F(StoreTest, SendersAndDomainRemoval) {
  ASSERT_TRUE(store_->add_domain(example_domain()));
  Sender s{"alerts@example.com", "example.com", SenderType::triggered, "", 1, std::nullopt};
  ASSERT_TRUE(store_->add_sender(s));
  EXPECT_FALSE(store_->add_sender(s));
  auto found = store_->find_sender("ALERTS@example.com");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->type, SenderType::triggered);
  ASSERT_TRUE(store_->set_sender_password("alerts@example.com", "$argon2id$x", 77));
  EXPECT_EQ((*store_->find_sender("alerts@example.com"))->password_hash, "$argon2id$x");
  EXPECT_FALSE(store_->set_sender_password("nobody@example.com", "h", 1));

  auto refused = store_->remove_domain("example.com", false);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("sender"), std::string::npos);
  EXPECT_TRUE(store_->find_domain("example.com")->has_value());
  ASSERT_TRUE(store_->remove_domain("example.com", true));
  EXPECT_FALSE(store_->find_sender("alerts@example.com")->has_value());
  EXPECT_FALSE(store_->remove_domain("example.com", true));
}

TEST_F(StoreTest, SenderNeedsExistingDomain) {
  Sender s{"a@missing.com", "missing.com", SenderType::batch, "", 1, std::nullopt};
  EXPECT_FALSE(store_->add_sender(s));
}

TEST_F(StoreTest, AcceptedMessagesAppearInTheLogWithFilters) {
  std::vector<NewMessage> batch{message("Q1", "a@example.com", {"x@d.com", "y@d.com"}, 1000),
                                message("Q2", "b@example.com", {"x@d.com"}, 2000)};
  ASSERT_TRUE(store_->accept_messages(batch));
  auto all = store_->query_log({});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].queue_id, "Q2");  // newest first
  EXPECT_EQ((*all)[0].status, "queued");
  EXPECT_EQ((*all)[0].subject, "Subject Q2");

  LogFilter by_rcpt;
  by_rcpt.recipient = "X@D.COM";
  EXPECT_EQ(store_->query_log(by_rcpt)->size(), 2u);
  LogFilter by_sender;
  by_sender.sender = "a@example.com";
  EXPECT_EQ(store_->query_log(by_sender)->size(), 2u);
  LogFilter since;
  since.since = 1500;
  EXPECT_EQ(store_->query_log(since)->size(), 1u);
  LogFilter status;
  status.status = "delivered";
  EXPECT_EQ(store_->query_log(status)->size(), 0u);
  EXPECT_EQ(**store_->message_body("Q1"), "Subject: x\r\n\r\nbody\r\n");
  EXPECT_FALSE(store_->message_body("nope")->has_value());
}

TEST_F(StoreTest, DuplicateQueueIdFailsTheWholeBatch) {
  ASSERT_TRUE(store_->accept_messages(std::vector{message("Q1", "a@e.com", {"x@d.com"}, 1)}));
  std::vector<NewMessage> batch{message("Q3", "a@e.com", {"x@d.com"}, 2),
                                message("Q1", "a@e.com", {"x@d.com"}, 3)};
  EXPECT_FALSE(store_->accept_messages(batch));
  EXPECT_EQ(store_->query_log({})->size(), 1u);  // Q3 rolled back with the batch
}

TEST_F(StoreTest, EventsAreRecordedAndFiltered) {
  std::vector<Event> ev{{10, "auth_failed", "", "", "127.0.0.1", "a@e.com", "bad password"},
                        {20, "message_accepted", "Q1", "", "127.0.0.1", "a@e.com", ""}};
  ASSERT_TRUE(store_->record_events(ev));
  EventFilter f;
  f.kind = "auth_failed";
  auto rows = store_->query_events(f);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].detail, "bad password");
}

TEST(StoreConcurrency, TwoProcessesStyleHandlesWriteAtOnce) {
  testing::TempDir dir;
  auto file = dir.path() / "herald.db";
  auto a = open_sqlite(file);
  auto b = open_sqlite(file);
  ASSERT_TRUE(a && b);
  constexpr int kPerThread = 50;
  auto writer = [&](Store* s, std::string prefix) {
    for (int i = 0; i < kPerThread; ++i) {
      auto qid = prefix + std::to_string(i);
      ASSERT_TRUE(s->accept_messages(std::vector{message(qid, "a@e.com", {"x@d.com"}, i)}));
      ASSERT_TRUE(s->add_domain(example_domain(qid + ".example")));
      ASSERT_TRUE(s->list_domains());
    }
  };
  std::thread t1(writer, a->get(), "A");
  std::thread t2(writer, b->get(), "B");
  t1.join();
  t2.join();
  LogFilter all;
  all.limit = 1000;
  EXPECT_EQ((*a)->query_log(all)->size(), 2u * kPerThread);
  EXPECT_EQ((*b)->list_domains()->size(), 2u * kPerThread);
}

}  // namespace
}  // namespace herald::store
