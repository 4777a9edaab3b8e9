// ServerSession behaviour that transcripts cannot show well: arbitrary input splits, bounded
// buffering, action order.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "sasl/sasl_mechanisms.h"
#include "smtp/server_session.h"

namespace herald::smtp {
namespace {

std::string plain(const std::string& password) {
  return sasl::encode_base64(std::string(1, '\0') + "a@example.com" + '\0' + password);
}

ServerSettings settings() {
  ServerSettings s;
  s.hostname = "mx.herald.test";
  s.max_message_size = 1000;
  s.tls_available = false;
  s.tls_active = true;
  return s;
}

// Feeds `input` in pieces of `split` octets, answering every pending action with success;
// returns everything sent.
std::string run(std::string_view input, std::size_t split, std::vector<Transaction>* commits) {
  ServerSession s(settings(), PeerInfo{"192.0.2.1", 1});
  s.start();
  std::string out;
  auto drain = [&] {
    bool again = true;
    while (again) {
      again = false;
      while (auto a = s.next_action()) {
        if (auto* send = std::get_if<Send>(&*a)) out += send->bytes;
        if (std::holds_alternative<VerifyCredentials>(*a)) {
          s.on_auth_result(AuthOutcome{AuthStatus::ok});
          again = true;
        }
        if (auto* c = std::get_if<CommitMessage>(&*a)) {
          commits->push_back(c->tx);
          s.on_commit_result(CommitOutcome::success("Q" + std::to_string(commits->size())));
          again = true;
        }
      }
    }
  };
  for (std::size_t i = 0; i < input.size(); i += split) {
    s.receive(input.substr(i, split));
    drain();
  }
  drain();
  return out;
}

const std::string kDialog = "EHLO c.example\r\nAUTH PLAIN " + plain("pw") +
                            "\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
                            "From: a@example.com\r\nSubject: s\r\n\r\n..x\r\n.\r\n"
                            "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nBDAT 21\r\n"
                            "From: a@example.com\r\nBDAT 8 LAST\r\n\r\nbody\r\nQUIT\r\n";

TEST(SmtpSession, AnySplitGivesTheSameDialog) {
  std::vector<Transaction> whole_commits;
  std::string whole = run(kDialog, kDialog.size(), &whole_commits);
  ASSERT_EQ(whole_commits.size(), 2u);
  EXPECT_EQ(whole_commits[0].data, "From: a@example.com\r\nSubject: s\r\n\r\n.x\r\n");
  EXPECT_EQ(whole_commits[0].subject, "s");
  EXPECT_EQ(whole_commits[0].auth_user, "a@example.com");
  EXPECT_EQ(whole_commits[0].rcpt_to, std::vector<std::string>{"b@example.org"});
  EXPECT_TRUE(whole_commits[0].tls);
  EXPECT_TRUE(whole_commits[0].esmtp);
  EXPECT_FALSE(whole_commits[0].chunking);
  EXPECT_EQ(whole_commits[1].data, "From: a@example.com\r\n\r\nbody\r\n");
  EXPECT_TRUE(whole_commits[1].chunking);
  EXPECT_NE(whole.find("250 2.0.0 Ok: queued as Q1\r\n"), std::string::npos);
  EXPECT_NE(whole.find("250 2.0.0 Ok: queued as Q2\r\n"), std::string::npos);
  EXPECT_TRUE(whole.ends_with("221 2.0.0 Bye\r\n"));
  for (std::size_t split : {1, 2, 3, 7, 64}) {
    std::vector<Transaction> commits;
    EXPECT_EQ(run(kDialog, split, &commits), whole) << "split " << split;
    ASSERT_EQ(commits.size(), 2u);
    EXPECT_EQ(commits[1].data, whole_commits[1].data);
  }
}

TEST(SmtpSession, OverlongLineIsNotBuffered) {
  ServerSession s(settings(), PeerInfo{"192.0.2.1", 1});
  s.start();
  std::string junk(4096, 'x');
  for (int i = 0; i < 1000; ++i) s.receive(junk);  // 4 MB without a line end
  s.receive("\r\nNOOP\r\n");
  std::string out;
  while (auto a = s.next_action()) {
    if (auto* send = std::get_if<Send>(&*a)) out += send->bytes;
  }
  EXPECT_EQ(out,
            "220 mx.herald.test ESMTP Herald\r\n500 5.5.2 Line too long (max 512 octets)\r\n"
            "250 2.0.0 Ok\r\n");
}

TEST(SmtpSession, InputWhileWaitingIsCapped) {
  ServerSession s(settings(), PeerInfo{"192.0.2.1", 1});
  s.start();
  s.receive("EHLO c\r\nAUTH PLAIN " + plain("pw") + "\r\n");
  ASSERT_TRUE(s.waiting());
  std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 20 && !s.closed(); ++i) s.receive(chunk);
  EXPECT_TRUE(s.closed());
  bool saw_close = false;
  while (auto a = s.next_action()) saw_close |= std::holds_alternative<Close>(*a);
  EXPECT_TRUE(saw_close);
}

TEST(SmtpSession, RepliesPrecedeTheActionsThatFollowThem) {
  ServerSession s(settings(), PeerInfo{"192.0.2.1", 1});
  s.start();
  s.receive("EHLO c\r\nAUTH PLAIN " + plain("pw") + "\r\n");
  std::vector<std::size_t> kinds;
  while (auto a = s.next_action()) kinds.push_back(a->index());
  // Send(greeting), Send(EHLO reply), VerifyCredentials
  ASSERT_EQ(kinds.size(), 3u);
  EXPECT_EQ(kinds[0], 0u);
  EXPECT_EQ(kinds[1], 0u);
  EXPECT_EQ(kinds[2], 2u);
  EXPECT_TRUE(s.waiting());
  s.on_auth_result(AuthOutcome{AuthStatus::ok, "", "A@Example.com", ""});
  EXPECT_FALSE(s.waiting());
  EXPECT_EQ(s.auth_user(), "A@example.com");
}

TEST(SmtpSession, VerifyCredentialsCarriesThePasswordButEventsDoNot) {
  ServerSession s(settings(), PeerInfo{"192.0.2.1", 1});
  s.start();
  s.receive("EHLO c\r\nAUTH PLAIN " + plain("hunter2") + "\r\n");
  std::string password;
  while (auto a = s.next_action()) {
    if (auto* v = std::get_if<VerifyCredentials>(&*a)) password = v->password;
  }
  EXPECT_EQ(password, "hunter2");
  s.on_auth_result(AuthOutcome{AuthStatus::bad_credentials, "", "", "wrong password"});
  bool saw_event = false;
  while (auto a = s.next_action()) {
    if (auto* e = std::get_if<Event>(&*a)) {
      saw_event = true;
      EXPECT_EQ(e->kind, EventKind::auth_failed);
      EXPECT_EQ(e->detail.find("hunter2"), std::string::npos);
      EXPECT_NE(e->detail.find("a@example.com"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_event);
}

// A failed or refused AUTH names the attempted user in the event's user field (what `herald
// events` and /api/v1/events show in their user column), never the password.
TEST(SmtpSession, AuthEventsCarryTheAttemptedUserNeverThePassword) {
  struct Case {
    std::string name;
    std::string auth_line;               // after EHLO
    std::optional<AuthOutcome> outcome;  // the verifier's answer, if asked
    EventKind kind;
    std::string user;
  };
  const std::string pw = "hunter2XYZ";
  const std::vector<Case> cases = {
      {"wrong password", "AUTH PLAIN " + plain(pw),
       AuthOutcome{AuthStatus::bad_credentials, "", "", "wrong password"}, EventKind::auth_failed,
       "a@example.com"},
      {"throttled", "AUTH PLAIN " + plain(pw), AuthOutcome{AuthStatus::throttled, "", "", ""},
       EventKind::auth_unavailable, "a@example.com"},
      {"not an address",
       "AUTH PLAIN " + sasl::encode_base64(std::string(1, '\0') + "alerts\x01" + '\0' + pw),
       std::nullopt, EventKind::auth_failed, "alerts?"},
      {"malformed exchange", "AUTH PLAIN !!!notbase64", std::nullopt, EventKind::auth_failed, ""},
  };
  for (const auto& c : cases) {
    ServerSession s(settings(), PeerInfo{"192.0.2.1", 1});
    s.start();
    s.receive("EHLO c\r\n" + c.auth_line + "\r\n");
    std::vector<Event> events;
    bool asked = false;
    while (auto a = s.next_action()) {
      asked |= std::holds_alternative<VerifyCredentials>(*a);
      if (auto* e = std::get_if<Event>(&*a)) events.push_back(*e);
    }
    EXPECT_EQ(asked, c.outcome.has_value()) << c.name;
    if (c.outcome) s.on_auth_result(*c.outcome);
    while (auto a = s.next_action())
      if (auto* e = std::get_if<Event>(&*a)) events.push_back(*e);
    ASSERT_EQ(events.size(), 1u) << c.name;
    EXPECT_EQ(events[0].kind, c.kind) << c.name;
    EXPECT_EQ(events[0].user, c.user) << c.name;
    EXPECT_EQ(events[0].user.find(pw), std::string::npos) << c.name;
    EXPECT_EQ(events[0].detail.find(pw), std::string::npos) << c.name;
  }
}

}  // namespace
}  // namespace herald::smtp
