// smtpd::Authenticator: a cached AUTH is answered on the session's strand (no worker-pool hop),
// and a password changed or a sender removed through another store connection - what
// `herald sender password` does from another process - takes effect at the next AUTH.
#include "smtpd/authenticator.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <optional>
#include <vector>

#include "sasl/password_hash.h"
#include "support/temp_dir.h"

namespace herald::smtpd {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using smtp::AuthStatus;

constexpr const char* kUser = "app@example.com";
constexpr const char* kOld = "Old-Secret-1";
constexpr const char* kNew = "New-Secret-2";

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_sqlite(file());
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->add_domain({"example.com", "t", "s", "/k", "p", 1, std::nullopt}));
    ASSERT_TRUE(store_->add_sender({kUser, "example.com", store::SenderType::triggered,
                                    *sasl::hash_password(kOld), 1, std::nullopt}));
    auth_.emplace(*store_, cache_, throttle_, workers_);
  }
  void TearDown() override {
    unblock_workers();
    workers_.join();
  }
  std::filesystem::path file() const { return dir_.path() / "herald.db"; }

  using Pending = std::shared_ptr<std::optional<smtp::AuthOutcome>>;
  Pending start(const std::string& user, const std::string& password) {
    auto out = std::make_shared<std::optional<smtp::AuthOutcome>>();
    asio::co_spawn(io_, auth_->verify("192.0.2.1", user, password),
                   [out](std::exception_ptr, smtp::AuthOutcome o) { *out = std::move(o); });
    return out;
  }
  // Drives the session side for at most `limit`; nullopt when not answered by then.
  std::optional<smtp::AuthOutcome> wait(const Pending& p, std::chrono::milliseconds limit = 30s) {
    io_.restart();
    for (auto end = std::chrono::steady_clock::now() + limit;
         !*p && std::chrono::steady_clock::now() < end;)
      io_.run_for(10ms);
    return *p;
  }
  std::optional<smtp::AuthOutcome> auth(const std::string& user, const std::string& password,
                                        std::chrono::milliseconds limit = 30s) {
    return wait(start(user, password), limit);
  }
  // Occupies the only worker thread until unblock_workers().
  void block_workers() {
    gate_.emplace();
    asio::post(workers_, [f = gate_->get_future().share()] { f.wait(); });
  }
  void unblock_workers() {
    if (gate_) gate_->set_value();
    gate_.reset();
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  sasl::AuthCache cache_{std::chrono::seconds(300), 100};
  sasl::AuthThrottle throttle_{1000, std::chrono::seconds(1)};
  asio::thread_pool workers_{1};
  asio::io_context io_;
  std::optional<Authenticator> auth_;
  std::optional<std::promise<void>> gate_;
};

TEST_F(AuthenticatorTest, CacheHitIsAnsweredWithoutTheWorkerPool) {
  auto first = auth(kUser, kOld);  // a miss: argon2id on the worker pool, then cached
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, AuthStatus::ok);
  EXPECT_EQ(cache_.size(), 1u);

  block_workers();
  auto again = auth("APP@example.com", kOld, 5s);  // user names compare case-insensitively
  ASSERT_TRUE(again) << "a cached AUTH waited for the (blocked) worker pool";
  EXPECT_EQ(again->status, AuthStatus::ok);
  EXPECT_EQ(again->canonical_user, kUser);
}

TEST_F(AuthenticatorTest, SimultaneousColdMissesPayArgon2idOnce) {
  // 20 connections AUTH at the same moment on an empty cache: all miss on their strands, then
  // queue on the worker pool, where only the first verifies and the rest find its cache entry.
  block_workers();
  std::vector<Pending> pending;
  for (int i = 0; i < 20; ++i) pending.push_back(start(kUser, kOld));
  EXPECT_FALSE(wait(pending.front(), 200ms));
  unblock_workers();
  for (const auto& p : pending) {
    auto out = wait(p);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->status, AuthStatus::ok);
  }
  EXPECT_EQ(auth_->verifications(), 1u);
}

TEST_F(AuthenticatorTest, MissesStillGoToTheWorkerPool) {
  ASSERT_EQ(auth(kUser, kOld)->status, AuthStatus::ok);
  struct Case {
    const char* user;
    const char* password;
    const char* detail;
  } cases[] = {{kUser, "Wrong-Secret-9", "wrong password"},
               {"nobody@example.com", kOld, "unknown user"}};
  for (const auto& c : cases) {
    block_workers();
    auto pending = start(c.user, c.password);
    EXPECT_FALSE(wait(pending, 300ms)) << c.user << ": answered without the worker pool";
    unblock_workers();
    auto out = wait(pending);
    ASSERT_TRUE(out) << c.user;
    EXPECT_EQ(out->status, AuthStatus::bad_credentials) << c.user;
    EXPECT_EQ(out->detail, c.detail);
  }
}

TEST_F(AuthenticatorTest, PasswordChangedByAnotherConnectionInvalidatesTheCacheAtOnce) {
  ASSERT_EQ(auth(kUser, kOld)->status, AuthStatus::ok);
  ASSERT_EQ(auth(kUser, kOld)->status, AuthStatus::ok);  // now a cache hit
  {
    // Like `herald sender password` in another process: its own connections, its own commit.
    auto cli = store::open_sqlite(file());
    ASSERT_TRUE(cli);
    ASSERT_TRUE((*cli)->set_sender_password(kUser, *sasl::hash_password(kNew), 2));
  }
  auto old_pw = auth(kUser, kOld);
  ASSERT_TRUE(old_pw);
  EXPECT_EQ(old_pw->status, AuthStatus::bad_credentials);
  EXPECT_EQ(auth(kUser, kNew)->status, AuthStatus::ok);
}

TEST_F(AuthenticatorTest, SenderRemovedByAnotherConnectionIsRefusedAtOnce) {
  ASSERT_EQ(auth(kUser, kOld)->status, AuthStatus::ok);
  {
    auto cli = store::open_sqlite(file());
    ASSERT_TRUE(cli);
    ASSERT_TRUE((*cli)->remove_sender(kUser));
  }
  auto out = auth(kUser, kOld);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, AuthStatus::bad_credentials);
  EXPECT_EQ(out->detail, "unknown user");
}

}  // namespace
}  // namespace herald::smtpd
