#include "sasl/password_hash.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

namespace herald::sasl {
namespace {

// Cheap parameters for tests that are about behaviour, not cost (argon2id minimums).
HashParams cheap() {
  return HashParams{1, 8192};
}

std::string hash_or_die(std::string_view password, HashParams params = cheap()) {
  auto hashed = hash_password(password, params);
  EXPECT_TRUE(hashed.has_value());
  return hashed ? *hashed : std::string();
}

TEST(PasswordHash, DefaultIsArgon2idWithInteractiveCost) {
  const std::string hash = hash_or_die("Ab1Cd2efgh", HashParams::interactive());
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=65536,t=2,p=1$")) << hash;
  EXPECT_TRUE(verify_password(hash, "Ab1Cd2efgh"));
  EXPECT_FALSE(needs_rehash(hash));
}

TEST(PasswordHash, RoundTrip) {
  for (std::string_view password : {"Ab1Cd2efgh", "x", "", "p\xC3\xA4ss w0rd"}) {
    const std::string hash = hash_or_die(password);
    EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
    EXPECT_TRUE(verify_password(hash, password)) << password;
  }
}

TEST(PasswordHash, EmbeddedNulIsPartOfThePassword) {
  const std::string with_nul("ab\0cd", 5);
  const std::string hash = hash_or_die(with_nul);
  EXPECT_TRUE(verify_password(hash, with_nul));
  EXPECT_FALSE(verify_password(hash, "ab"));
}

TEST(PasswordHash, WrongPasswordFails) {
  const std::string hash = hash_or_die("Ab1Cd2efgh");
  EXPECT_FALSE(verify_password(hash, "Ab1Cd2efgH"));
  EXPECT_FALSE(verify_password(hash, "Ab1Cd2efg"));
  EXPECT_FALSE(verify_password(hash, "Ab1Cd2efghi"));
  EXPECT_FALSE(verify_password(hash, ""));
}

TEST(PasswordHash, SamePasswordGivesDifferentSaltedHashes) {
  const std::string a = hash_or_die("Ab1Cd2efgh");
  const std::string b = hash_or_die("Ab1Cd2efgh");
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password(a, "Ab1Cd2efgh"));
  EXPECT_TRUE(verify_password(b, "Ab1Cd2efgh"));
}

TEST(PasswordHash, MalformedHashNeverVerifies) {
  const std::string good = hash_or_die("Ab1Cd2efgh");
  std::string tampered = good;
  char& c = tampered[tampered.size() - 5];  // a full 6-bit digit inside the hash
  c = c == 'A' ? 'B' : 'A';
  const std::string with_nul = good + std::string(1, '\0');
  for (std::string_view bad :
       {std::string_view(""), std::string_view("$argon2id$"), std::string_view("Ab1Cd2efgh"),
        std::string_view("$2y$10$abc"), std::string_view(good).substr(0, good.size() / 2),
        std::string_view(tampered), std::string_view(with_nul)}) {
    EXPECT_FALSE(verify_password(bad, "Ab1Cd2efgh")) << bad;
    EXPECT_TRUE(needs_rehash(bad)) << bad;
  }
  EXPECT_FALSE(verify_password(std::string(300, 'a'), "Ab1Cd2efgh"));
}

TEST(PasswordHash, NeedsRehashWhenParametersDiffer) {
  const std::string cheap_hash = hash_or_die("Ab1Cd2efgh");
  EXPECT_TRUE(needs_rehash(cheap_hash));            // against the interactive default
  EXPECT_FALSE(needs_rehash(cheap_hash, cheap()));  // against its own parameters
  EXPECT_TRUE(needs_rehash(cheap_hash, HashParams{2, 8192}));
}

TEST(PasswordHash, Argon2iHashVerifiesButNeedsRehash) {
  // Older libsodium defaulted to argon2i; such a hash still verifies but is upgraded.
  ensure_sodium_initialized();
  char out[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str_alg(out, "Ab1Cd2efgh", 10, 3, 8192, crypto_pwhash_ALG_ARGON2I13), 0);
  const std::string argon2i = out;
  ASSERT_TRUE(argon2i.starts_with("$argon2i$")) << argon2i;
  EXPECT_TRUE(verify_password(argon2i, "Ab1Cd2efgh"));
  EXPECT_FALSE(verify_password(argon2i, "Ab1Cd2efgH"));
  EXPECT_TRUE(needs_rehash(argon2i, HashParams{3, 8192}));  // same cost, wrong algorithm
}

TEST(PasswordHash, ImpossibleParametersAreAnError) {
  auto hashed = hash_password("Ab1Cd2efgh", HashParams{0, 0});
  ASSERT_FALSE(hashed.has_value());
  EXPECT_FALSE(hashed.error().message.empty());
  EXPECT_EQ(hashed.error().message.find("Ab1Cd2efgh"), std::string::npos);
}

}  // namespace
}  // namespace herald::sasl
