#include "delivery/dkim_key_cache.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "accounts/dkim_key.h"
#include "support/temp_dir.h"

namespace herald::delivery {
namespace {

const accounts::DkimKeyPair& key_a() {
  static const auto k = *accounts::generate_dkim_key(1024);
  return k;
}
const accounts::DkimKeyPair& key_b() {
  static const auto k = *accounts::generate_dkim_key(1024);
  return k;
}

void write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file, std::ios::trunc) << text;
}

// The cached key is the one in `pem` (same RSA parameters).
bool is_key(const DkimKey& key, const std::string& pem) {
  auto expected = DkimKey::from_pem(pem);
  return expected && EVP_PKEY_eq(key.pkey(), expected->pkey()) == 1;
}

TEST(DkimKeyCache, LoadsAKeyOnceForManyMessages) {
  testing::TempDir dir;
  auto file = (dir.path() / "k.pem").string();
  write(file, key_a().private_pem);
  DkimKeyCache cache;
  for (int i = 0; i < 5; ++i) {
    auto k = cache.get(file, "s1");
    ASSERT_TRUE(k) << k.error().message;
    EXPECT_TRUE(is_key(**k, key_a().private_pem));
  }
  EXPECT_EQ(cache.loads(), 1u);
}

TEST(DkimKeyCache, AKeyFileReplacedInPlaceIsReloaded) {
  testing::TempDir dir;
  auto file = dir.path() / "k.pem";
  write(file, key_a().private_pem);
  DkimKeyCache cache;
  ASSERT_TRUE(cache.get(file.string(), "s1"));
  write(file, key_b().private_pem);
  // Make the change visible even on a file system with coarse timestamps.
  std::filesystem::last_write_time(
      file, std::filesystem::last_write_time(file) + std::chrono::seconds(2));
  auto k = cache.get(file.string(), "s1");
  ASSERT_TRUE(k);
  EXPECT_TRUE(is_key(**k, key_b().private_pem));
  EXPECT_EQ(cache.loads(), 2u);
}

TEST(DkimKeyCache, ARotationToAnotherSelectorAndPathIsPickedUp) {
  testing::TempDir dir;
  auto old_file = (dir.path() / "old.pem").string(), new_file = (dir.path() / "new.pem").string();
  write(old_file, key_a().private_pem);
  write(new_file, key_b().private_pem);
  DkimKeyCache cache;
  auto before = cache.get(old_file, "s2026");
  auto after = cache.get(new_file, "s2027");
  ASSERT_TRUE(before && after);
  EXPECT_TRUE(is_key(**before, key_a().private_pem));
  EXPECT_TRUE(is_key(**after, key_b().private_pem));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(DkimKeyCache, EntriesAreBoundedLeastRecentlyUsedFirst) {
  testing::TempDir dir;
  auto file = (dir.path() / "k.pem").string();
  write(file, key_a().private_pem);
  DkimKeyCache cache(2);
  ASSERT_TRUE(cache.get(file, "a"));
  ASSERT_TRUE(cache.get(file, "b"));
  ASSERT_TRUE(cache.get(file, "a"));  // b is now the least recently used
  ASSERT_TRUE(cache.get(file, "c"));  // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.loads(), 3u);
  ASSERT_TRUE(cache.get(file, "a"));  // still cached
  EXPECT_EQ(cache.loads(), 3u);
  ASSERT_TRUE(cache.get(file, "b"));  // loaded again
  EXPECT_EQ(cache.loads(), 4u);
}

TEST(DkimKeyCache, FailuresAreValuesAndNotCached) {
  testing::TempDir dir;
  auto file = dir.path() / "k.pem";
  DkimKeyCache cache;
  auto missing = cache.get(file.string(), "s");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot read DKIM key"), std::string::npos);
  write(file, "-----BEGIN PRIVATE KEY-----\nnope\n");
  EXPECT_FALSE(cache.get(file.string(), "s"));
  EXPECT_EQ(cache.size(), 0u);
  write(file, key_a().private_pem);
  std::filesystem::last_write_time(
      file, std::filesystem::last_write_time(file) + std::chrono::seconds(2));
  EXPECT_TRUE(cache.get(file.string(), "s"));  // fixed file: loads now
}

}  // namespace
}  // namespace herald::delivery
