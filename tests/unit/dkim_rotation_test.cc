// DKIM key rotation: the store round trip of pending/previous keys and its guard against
// racing rotations, migration 4 from a version-3 store, the pure transitions, the records to
// publish, and the Accounts operations end to end (real keys in a temporary data_dir).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "accounts/accounts.h"
#include "accounts/dkim_rotation.h"
#include "accounts/domain_records.h"
#include "store/sqlite/migrations.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace herald::accounts {
namespace {

using store::DkimKey;
using store::Domain;

Domain domain(std::optional<DkimKey> pending = std::nullopt,
              std::optional<DkimKey> previous = std::nullopt) {
  Domain d;
  d.name = "example.com";
  d.verify_token = "tok";
  d.dkim_selector = "herald1";
  d.dkim_key_path = "/keys/herald1.key";
  d.dkim_public_key = "PUB1";
  d.created_at = 1000;
  d.dkim_pending = std::move(pending);
  d.dkim_previous = std::move(previous);
  return d;
}

DkimKey key(std::string selector, std::string path, std::string pub, UnixMillis at) {
  return DkimKey{std::move(selector), std::move(path), std::move(pub), at};
}

// ---- store ------------------------------------------------------------------------------

class DkimStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_sqlite(dir_.path() / "herald.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->add_domain(domain()));
  }
  Domain stored() { return **store_->find_domain("example.com"); }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(DkimStoreTest, NewDomainHasOnlyAnActiveKey) {
  auto d = stored();
  EXPECT_EQ(d.dkim_selector, "herald1");
  EXPECT_FALSE(d.dkim_pending);
  EXPECT_FALSE(d.dkim_previous);
  EXPECT_FALSE(d.dkim_activated_at);
  EXPECT_EQ(d.dkim_active(), key("herald1", "/keys/herald1.key", "PUB1", 1000));
}

TEST_F(DkimStoreTest, PendingAndPreviousKeysRoundTrip) {
  auto before = stored();
  auto with_pending = domain(key("herald2", "/keys/herald2-5.key", "PUB2", 5000));
  ASSERT_TRUE(store_->update_domain_dkim(before, with_pending));
  auto d = stored();
  ASSERT_TRUE(d.dkim_pending);
  EXPECT_EQ(*d.dkim_pending, key("herald2", "/keys/herald2-5.key", "PUB2", 5000));
  EXPECT_EQ(d.dkim_selector, "herald1");

  auto activated = with_pending;
  activated.dkim_selector = "herald2";
  activated.dkim_key_path = "/keys/herald2-5.key";
  activated.dkim_public_key = "PUB2";
  activated.dkim_activated_at = 9000;
  activated.dkim_pending.reset();
  activated.dkim_previous = key("herald1", "/keys/herald1.key", "PUB1", 1000);
  ASSERT_TRUE(store_->update_domain_dkim(d, activated));
  d = stored();
  EXPECT_EQ(d.dkim_active(), key("herald2", "/keys/herald2-5.key", "PUB2", 9000));
  EXPECT_FALSE(d.dkim_pending);
  ASSERT_TRUE(d.dkim_previous);
  EXPECT_EQ(*d.dkim_previous, key("herald1", "/keys/herald1.key", "PUB1", 1000));
  EXPECT_EQ(d.verify_token, "tok");  // the other columns are left alone
  EXPECT_EQ(d.created_at, 1000);
}

TEST_F(DkimStoreTest, UpdateFromStaleKeysIsRefusedAndChangesNothing) {
  auto with_pending = domain(key("herald2", "/keys/herald2-5.key", "PUB2", 5000));
  ASSERT_TRUE(store_->update_domain_dkim(stored(), with_pending));
  struct Case {
    const char* what;
    Domain current;
  };
  auto stale_active = with_pending;
  stale_active.dkim_key_path = "/keys/other.key";
  auto unknown = with_pending;
  unknown.name = "other.example";
  const Case cases[] = {
      {"a rotation started meanwhile (expected no pending key)", domain()},
      {"the pending key was replaced meanwhile",
       domain(key("herald2", "/keys/herald2-4.key", "PUB0", 4000))},
      {"the active key changed meanwhile", stale_active},
  };
  auto next = domain(key("herald2", "/keys/herald2-7.key", "PUB3", 7000));
  for (const auto& c : cases) {
    auto r = store_->update_domain_dkim(c.current, next);
    ASSERT_FALSE(r) << c.what;
    EXPECT_NE(r.error().message.find("changed meanwhile"), std::string::npos) << c.what;
    EXPECT_EQ(stored().dkim_pending->key_path, "/keys/herald2-5.key") << c.what;
  }
  auto other = next;
  other.name = "other.example";
  EXPECT_FALSE(store_->update_domain_dkim(unknown, other));
}

TEST(DkimMigration, VersionThreeStoreKeepsItsDomainsKeys) {
  testing::TempDir dir;
  auto file = dir.path() / "herald.db";
  {
    auto c = store::sqlite::Connection::open(file, 1000);
    ASSERT_TRUE(c);
    for (const auto& m : store::sqlite::migrations()) {
      if (m.version <= 3) {
        ASSERT_TRUE(c->exec(m.sql)) << m.version;
      }
    }
    ASSERT_TRUE(c->exec("PRAGMA user_version=3"));
    ASSERT_TRUE(
        c->exec("INSERT INTO domains VALUES('old.example','t','herald1',"
                "'/data/dkim/old.example/herald1.key','MIIBpub',1,77)"));
  }
  auto s = store::open_sqlite(file);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ((*s)->schema_version(), store::sqlite::latest_schema_version());
  EXPECT_GE(store::sqlite::latest_schema_version(), 4);
  auto d = (*s)->find_domain("old.example");
  ASSERT_TRUE(d && d->has_value());
  EXPECT_EQ((*d)->dkim_active(),
            key("herald1", "/data/dkim/old.example/herald1.key", "MIIBpub", 1));
  EXPECT_EQ((*d)->verified_at, 77);
  EXPECT_FALSE((*d)->dkim_pending);
  EXPECT_FALSE((*d)->dkim_previous);
  EXPECT_FALSE((*d)->dkim_activated_at);
}

// ---- pure transitions -------------------------------------------------------------------

TEST(DkimRotationRules, NextSelectorAlternatesBetweenTheTwo) {
  const std::pair<const char*, const char*> cases[] = {
      {"herald1", "herald2"}, {"herald2", "herald1"}, {"custom", "herald1"}};
  for (const auto& [active, next] : cases) EXPECT_EQ(next_dkim_selector(active), next) << active;
}

TEST(DkimRotationRules, PendingKeyReplacesEarlierPendingAndSameSelectorPrevious) {
  auto k2 = key("herald2", "/k/herald2-9.key", "P9", 9);
  struct Case {
    const char* what;
    Domain current;
    std::vector<std::string> dropped;
    std::optional<DkimKey> previous_after;
  };
  const Case cases[] = {
      {"first rotation", domain(), {}, std::nullopt},
      {"--new-key over a pending key",
       domain(key("herald2", "/k/herald2-5.key", "P5", 5)),
       {"/k/herald2-5.key"},
       std::nullopt},
      {"previous key under the same selector",
       domain(std::nullopt, key("herald2", "/k/herald2-3.key", "P3", 3)),
       {"/k/herald2-3.key"},
       std::nullopt},
      {"previous key under another selector is kept",
       domain(std::nullopt, key("old", "/k/old.key", "PO", 2)),
       {},
       key("old", "/k/old.key", "PO", 2)},
  };
  for (const auto& c : cases) {
    auto change = with_pending_key(c.current, k2);
    EXPECT_EQ(change.next.dkim_pending, k2) << c.what;
    EXPECT_EQ(change.next.dkim_active(), c.current.dkim_active()) << c.what;
    EXPECT_EQ(change.dropped_key_files, c.dropped) << c.what;
    EXPECT_EQ(change.next.dkim_previous, c.previous_after) << c.what;
  }
}

TEST(DkimRotationRules, ActivationPromotesPendingAndKeepsTheOldKeyAsPrevious) {
  auto none = activate_pending_key(domain(), 50);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("rotate-dkim example.com"), std::string::npos);

  auto k2 = key("herald2", "/k/herald2-9.key", "P9", 9);
  auto change = activate_pending_key(domain(k2), 50);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->next.dkim_active(), key("herald2", "/k/herald2-9.key", "P9", 50));
  EXPECT_EQ(change->next.dkim_previous, key("herald1", "/keys/herald1.key", "PUB1", 1000));
  EXPECT_FALSE(change->next.dkim_pending);
  EXPECT_TRUE(change->dropped_key_files.empty());

  auto with_old = activate_pending_key(domain(k2, key("old", "/k/old.key", "PO", 2)), 50);
  ASSERT_TRUE(with_old);
  EXPECT_EQ(with_old->dropped_key_files, std::vector<std::string>{"/k/old.key"});
}

TEST(DkimRotationRecords, PendingAndPreviousAreListedButNotRequired) {
  auto d = domain(key("herald2", "/k/herald2-9.key", "P9", 9),
                  key("herald0", "/k/herald0.key", "P0", 0));
  auto records = records_to_publish(d, "mail.example.net");
  std::vector<std::string> purposes;
  for (const auto& r : records) purposes.push_back(r.purpose);
  EXPECT_EQ(purposes, (std::vector<std::string>{"ownership", "spf", "dkim", "dkim-next",
                                                "dkim-previous", "dmarc"}));
  const auto& next = records[3];
  EXPECT_EQ(next.name, "herald2._domainkey.example.com");
  EXPECT_EQ(next.value, "v=DKIM1; k=rsa; p=P9");
  EXPECT_FALSE(next.required);
  EXPECT_NE(next.hint.find("--activate"), std::string::npos);
  EXPECT_EQ(records[4].name, "herald0._domainkey.example.com");
  EXPECT_NE(records[4].hint.find("few days"), std::string::npos);
  EXPECT_TRUE(records[2].hint.empty());

  // The pending record is checked like the active one: by its public key.
  struct Case {
    std::vector<std::string> seen;
    bool pass;
  };
  const Case cases[] = {
      {{"v=DKIM1; k=rsa; p=P9"}, true}, {{"v=DKIM1; k=rsa; p=PUB1"}, false}, {{}, false}};
  for (const auto& c : cases) {
    auto check = check_record(next, TxtLookup{false, "", c.seen}, "mail.example.net");
    EXPECT_EQ(check.pass, c.pass) << (c.seen.empty() ? "(none)" : c.seen[0]);
  }
  auto plain = records_to_publish(domain(), "mail.example.net");
  EXPECT_EQ(plain.size(), 4u);
}

// ---- Accounts end to end ----------------------------------------------------------------

class DkimAccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_sqlite(dir_.path() / "herald.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    accounts_.emplace(*store_, dir_.path());
    ASSERT_TRUE(accounts_->add_domain("example.com"));
  }
  Domain stored() { return **store_->find_domain("example.com"); }
  static bool private_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && (st.st_mode & 0777) == 0600;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::optional<Accounts> accounts_;
};

TEST_F(DkimAccountsTest, FullRotationCycle) {
  auto first = stored();
  auto started = accounts_->start_dkim_rotation("Example.COM", false);
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_TRUE(started->generated);
  EXPECT_FALSE(started->discarded_previous);
  ASSERT_TRUE(started->domain.dkim_pending);
  auto pending = *started->domain.dkim_pending;
  EXPECT_EQ(pending.selector, "herald2");
  EXPECT_NE(pending.public_key, first.dkim_public_key);
  EXPECT_TRUE(private_file(pending.key_path));
  EXPECT_EQ(stored().dkim_active(), first.dkim_active());  // still signing with herald1

  // Asking again shows the same pending key; --new-key replaces it and deletes its file.
  auto again = accounts_->start_dkim_rotation("example.com", false);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->generated);
  EXPECT_EQ(again->domain.dkim_pending, pending);
  auto fresh = accounts_->start_dkim_rotation("example.com", true);
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_TRUE(fresh->generated);
  EXPECT_NE(fresh->domain.dkim_pending->public_key, pending.public_key);
  EXPECT_EQ(fresh->domain.dkim_pending->selector, "herald2");
  EXPECT_FALSE(std::filesystem::exists(pending.key_path));
  pending = *fresh->domain.dkim_pending;

  // Activation from a stale read (the pending key was replaced since) is refused.
  EXPECT_FALSE(accounts_->activate_dkim_key(again->domain));
  auto active = accounts_->activate_dkim_key(stored());
  ASSERT_TRUE(active) << active.error().message;
  auto now = stored();
  EXPECT_EQ(now.dkim_selector, "herald2");
  EXPECT_EQ(now.dkim_key_path, pending.key_path);
  EXPECT_FALSE(now.dkim_pending);
  ASSERT_TRUE(now.dkim_previous);
  EXPECT_EQ(now.dkim_previous->key_path, first.dkim_key_path);
  EXPECT_TRUE(std::filesystem::exists(first.dkim_key_path));  // kept while previous
  EXPECT_FALSE(accounts_->activate_dkim_key(now));            // nothing pending any more

  // The next rotation reuses herald1 and only now deletes the first key.
  auto second = accounts_->start_dkim_rotation("example.com", false);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->domain.dkim_pending->selector, "herald1");
  EXPECT_NE(second->domain.dkim_pending->key_path, first.dkim_key_path);
  ASSERT_TRUE(second->discarded_previous);
  EXPECT_EQ(second->discarded_previous->key_path, first.dkim_key_path);
  EXPECT_FALSE(stored().dkim_previous);
  EXPECT_FALSE(std::filesystem::exists(first.dkim_key_path));
  EXPECT_TRUE(std::filesystem::exists(pending.key_path));  // the active key is untouched
}

TEST_F(DkimAccountsTest, UnknownDomainIsAnError) {
  auto r = accounts_->start_dkim_rotation("nope.example", false);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no such domain"), std::string::npos);
}

}  // namespace
}  // namespace herald::accounts
