#include "sasl/auth_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace herald::sasl {
namespace {

using std::chrono::seconds;

const TimePoint t0{};  // fake steady clock: tests add durations to this
constexpr std::string_view kUser = "app@example.org";
constexpr std::string_view kPass = "Ab1Cd2efgh";
constexpr std::string_view kHash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";

TEST(AuthCache, HitAfterInsert) {
  AuthCache cache(seconds(60), 100);
  EXPECT_FALSE(cache.contains(kUser, kPass, kHash, t0));
  cache.insert(kUser, kPass, kHash, t0);
  EXPECT_TRUE(cache.contains(kUser, kPass, kHash, t0));
  EXPECT_TRUE(cache.contains(kUser, kPass, kHash, t0 + seconds(59)));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(AuthCache, MissOnAnyDifferentField) {
  AuthCache cache(seconds(60), 100);
  cache.insert(kUser, kPass, kHash, t0);
  EXPECT_FALSE(cache.contains(kUser, "Ab1Cd2efgH", kHash, t0));  // wrong password
  EXPECT_FALSE(cache.contains(kUser, "", kHash, t0));
  EXPECT_FALSE(cache.contains("other@example.org", kPass, kHash, t0));
}

TEST(AuthCache, MissAfterStoredHashChanges) {
  AuthCache cache(seconds(60), 100);
  cache.insert(kUser, kPass, kHash, t0);
  const std::string new_hash = std::string(kHash) + "x";
  EXPECT_FALSE(cache.contains(kUser, kPass, new_hash, t0 + seconds(1)));
}

TEST(AuthCache, FramingIsUnambiguous) {
  // Same concatenation of bytes, different field boundaries: must not collide.
  AuthCache cache(seconds(60), 100);
  cache.insert("ab", "cd", "ef", t0);
  EXPECT_FALSE(cache.contains("a", "bcd", "ef", t0));
  EXPECT_FALSE(cache.contains("abc", "d", "ef", t0));
  EXPECT_FALSE(cache.contains("ab", "c", "def", t0));
  EXPECT_FALSE(cache.contains("", "abcd", "ef", t0));
  EXPECT_TRUE(cache.contains("ab", "cd", "ef", t0));
}

TEST(AuthCache, ExpiresAfterTtlAndHitsDoNotExtendIt) {
  AuthCache cache(seconds(60), 100);
  cache.insert(kUser, kPass, kHash, t0);
  EXPECT_TRUE(cache.contains(kUser, kPass, kHash, t0 + seconds(30)));
  EXPECT_FALSE(cache.contains(kUser, kPass, kHash, t0 + seconds(60)));
  EXPECT_EQ(cache.size(), 0u);  // the expired entry was dropped on the miss
  // Re-inserting restarts the TTL.
  cache.insert(kUser, kPass, kHash, t0 + seconds(100));
  EXPECT_TRUE(cache.contains(kUser, kPass, kHash, t0 + seconds(159)));
  EXPECT_FALSE(cache.contains(kUser, kPass, kHash, t0 + seconds(160)));
}

TEST(AuthCache, InvalidateUserDropsOnlyThatUser) {
  AuthCache cache(seconds(60), 100);
  cache.insert(kUser, kPass, kHash, t0);
  cache.insert(kUser, "Zz9Yy8xwvu", kHash, t0);  // a second credential of the same user
  cache.insert("other@example.org", kPass, kHash, t0);
  ASSERT_EQ(cache.size(), 3u);
  cache.invalidate_user(kUser);
  EXPECT_FALSE(cache.contains(kUser, kPass, kHash, t0));
  EXPECT_FALSE(cache.contains(kUser, "Zz9Yy8xwvu", kHash, t0));
  EXPECT_TRUE(cache.contains("other@example.org", kPass, kHash, t0));
  EXPECT_EQ(cache.size(), 1u);
  cache.invalidate_user("nobody@example.org");  // unknown user: no effect
  EXPECT_EQ(cache.size(), 1u);
  // The user can be cached again afterwards.
  cache.insert(kUser, kPass, kHash, t0);
  EXPECT_TRUE(cache.contains(kUser, kPass, kHash, t0));
}

TEST(AuthCache, BoundedEvictsOldestLiveEntry) {
  AuthCache cache(seconds(60), 3);
  for (int i = 0; i < 3; ++i) cache.insert("u" + std::to_string(i), kPass, kHash, t0 + seconds(i));
  cache.insert("u3", kPass, kHash, t0 + seconds(3));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.contains("u0", kPass, kHash, t0 + seconds(3)));  // oldest went
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(cache.contains("u" + std::to_string(i), kPass, kHash, t0 + seconds(3))) << i;
  }
  // Evicted entries leave no per-user residue: invalidating them is harmless.
  cache.invalidate_user("u0");
  EXPECT_EQ(cache.size(), 3u);
}

TEST(AuthCache, BoundedEvictsExpiredEntriesFirst) {
  AuthCache cache(seconds(10), 3);
  cache.insert("old1", kPass, kHash, t0);
  cache.insert("old2", kPass, kHash, t0 + seconds(1));
  cache.insert("a", kPass, kHash, t0 + seconds(8));
  // At t=12 both "old" entries have expired: all of them go, not just one for the newcomer.
  cache.insert("b", kPass, kHash, t0 + seconds(12));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.contains("a", kPass, kHash, t0 + seconds(12)));
  // Full of live entries: the oldest live one ("a") makes room.
  cache.insert("c", kPass, kHash, t0 + seconds(12));
  cache.insert("d", kPass, kHash, t0 + seconds(12));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.contains("a", kPass, kHash, t0 + seconds(12)));
  for (const char* user : {"b", "c", "d"}) {
    EXPECT_TRUE(cache.contains(user, kPass, kHash, t0 + seconds(12))) << user;
  }
}

TEST(AuthCache, ReinsertDoesNotDuplicate) {
  AuthCache cache(seconds(60), 10);
  cache.insert(kUser, kPass, kHash, t0);
  cache.insert(kUser, kPass, kHash, t0 + seconds(1));
  EXPECT_EQ(cache.size(), 1u);
  cache.invalidate_user(kUser);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(AuthCache, ZeroTtlOrCapacityDisables) {
  for (auto [ttl, cap] : {std::pair{seconds(0), std::size_t{100}}, {seconds(60), 0}}) {
    AuthCache cache(ttl, cap);
    EXPECT_FALSE(cache.enabled());
    cache.insert(kUser, kPass, kHash, t0);
    EXPECT_FALSE(cache.contains(kUser, kPass, kHash, t0));
    EXPECT_EQ(cache.size(), 0u);
  }
}

TEST(AuthCache, KeysDifferBetweenInstances) {
  // The MAC key is random per instance: one cache's entries mean nothing to another.
  AuthCache a(seconds(60), 10);
  AuthCache b(seconds(60), 10);
  a.insert(kUser, kPass, kHash, t0);
  EXPECT_FALSE(b.contains(kUser, kPass, kHash, t0));
}

TEST(AuthCache, ConcurrentUseStaysConsistent) {
  AuthCache cache(seconds(60), 50);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string user = "u" + std::to_string((t * 7 + i) % 80);
        cache.insert(user, kPass, kHash, t0 + seconds(i / 100));
        (void)cache.contains(user, kPass, kHash, t0 + seconds(i / 100));
        if (i % 50 == 0) cache.invalidate_user(user);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.size(), 50u);
}

}  // namespace
}  // namespace herald::sasl
