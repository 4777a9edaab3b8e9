#include "delivery/engine_outcome.h"

#include <gtest/gtest.h>

namespace herald::delivery {
namespace {

store::PendingRecipient rcpt(std::uint32_t attempts = 0, UnixMillis accepted = 0) {
  store::PendingRecipient r;
  r.id = 7;
  r.queue_id = "Q";
  r.sender = "a@example.com";
  r.recipient = "b@example.net";
  r.domain = "example.net";
  r.attempts = attempts;
  r.accepted_at = accepted;
  return r;
}

smtp::RecipientResult result(int code, std::string enhanced, smtp::ClientStage stage,
                             bool local = false) {
  return {"b@example.net", code, std::move(enhanced), "text", stage, local};
}

TEST(DeliveryOutcome, ReplyClassesMapToRecordedStatuses) {
  Hop hop{"mx.example.net", "127.0.0.10", 25};
  struct Case {
    smtp::RecipientResult r;
    std::string_view status;
  } cases[] = {
      {result(250, "2.0.0", smtp::ClientStage::end_of_data), store::kDelivered},
      {result(451, "4.3.0", smtp::ClientStage::rcpt), store::kDeferred},
      {result(550, "5.1.1", smtp::ClientStage::rcpt), store::kBounced},
      {result(421, "4.4.2", smtp::ClientStage::data, true), store::kDeferred},
  };
  for (const auto& c : cases) {
    auto s = status_from_result(c.r, hop, "TLSv1.3 X");
    auto rec = attempt_record(rcpt(), s, 60'000, 12, {}, 0.5);
    EXPECT_EQ(rec.new_status, c.status) << c.r.code;
    EXPECT_EQ(rec.mx_host, "mx.example.net");
    EXPECT_EQ(rec.tls, "TLSv1.3 X");
    if (c.status == store::kDeferred) {
      ASSERT_TRUE(rec.next_attempt_at);
      EXPECT_GT(*rec.next_attempt_at, 60'000);
    }
  }
}

TEST(DeliveryOutcome, RemoteWordsAreKeptInTheResponse) {
  smtp::RecipientResult r{"b@example.net",         550,  "5.1.1", "User unknown here",
                          smtp::ClientStage::rcpt, false};
  auto s = status_from_result(r, Hop{"mx", "127.0.0.1", 25}, "none");
  auto rec = attempt_record(rcpt(), s, 0, 0, {}, 0);
  EXPECT_NE(rec.response.find("User unknown here"), std::string::npos);
  EXPECT_EQ(rec.dsn_status, "5.1.1");
}

TEST(DeliveryOutcome, DeferralPastTheLifetimeExpires) {
  queue::RetryPolicy p;
  p.max_lifetime = std::chrono::seconds(60);
  auto s = local_failure(Outcome::deferred, "4.4.1", "no answer");
  auto rec = attempt_record(rcpt(3, 0), s, 120'000, 0, p, 0.5);
  EXPECT_EQ(rec.new_status, store::kExpired);
  EXPECT_FALSE(rec.next_attempt_at);
}

TEST(DeliveryOutcome, ConnectionLevelFailuresTryTheNextMx) {
  EXPECT_TRUE(connection_level_failure({result(421, "4.4.2", smtp::ClientStage::greeting)}));
  EXPECT_TRUE(connection_level_failure({result(451, "4.7.5", smtp::ClientStage::tls_handshake)}));
  EXPECT_TRUE(connection_level_failure({}));
  EXPECT_FALSE(connection_level_failure({result(550, "5.1.1", smtp::ClientStage::rcpt)}));
  EXPECT_FALSE(connection_level_failure({result(451, "4.3.0", smtp::ClientStage::rcpt)}));
  EXPECT_FALSE(connection_level_failure({result(554, "5.0.0", smtp::ClientStage::greeting)}));
}

TEST(DeliveryOutcome, OnlyAddressingBouncesSuppress) {
  EXPECT_TRUE(is_hard_bounce("5.1.1"));
  EXPECT_TRUE(is_hard_bounce("5.1.10"));
  EXPECT_TRUE(is_hard_bounce("5.2.1"));
  EXPECT_FALSE(is_hard_bounce("5.7.1"));
  EXPECT_FALSE(is_hard_bounce("5.3.4"));
  EXPECT_FALSE(is_hard_bounce("4.1.1"));
  auto s = status_from_result(result(550, "5.1.1", smtp::ClientStage::rcpt),
                              Hop{"mx", "127.0.0.1", 25}, "none");
  auto sup = bounce_suppression(rcpt(), s, 1000, 5000);
  EXPECT_EQ(sup.entry, "b@example.net");
  EXPECT_EQ(sup.source, "bounce");
  EXPECT_EQ(sup.expires_at, 6000);
}

TEST(DeliveryOutcome, OutgoingMessageFlagsUtf8AndEightBit) {
  std::string plain = "Subject: hi\r\n\r\nbody\r\n";
  auto m = outgoing_message({rcpt()}, plain);
  EXPECT_FALSE(m.needs_smtputf8);
  EXPECT_FALSE(m.body_8bit);
  std::string utf8_header = "Subject: h\xc3\xa9\r\n\r\nbody\r\n";
  EXPECT_TRUE(outgoing_message({rcpt()}, utf8_header).needs_smtputf8);
  std::string eight_body = "Subject: hi\r\n\r\nb\xc3\xa9\r\n";
  auto e = outgoing_message({rcpt()}, eight_body);
  EXPECT_FALSE(e.needs_smtputf8);
  EXPECT_TRUE(e.body_8bit);
}

TEST(DeliveryOutcome, DsnMessageHasNullSenderAndGoesToTheOriginalSender) {
  auto m =
      dsn_message("a@example.com", "Subject: Undelivered\r\nMessage-ID: <x@h>\r\n\r\nb\r\n", 5);
  EXPECT_EQ(m.sender, "");
  ASSERT_EQ(m.recipients.size(), 1u);
  EXPECT_EQ(m.recipients[0], "a@example.com");
  EXPECT_EQ(m.message_id, "x@h");
  EXPECT_EQ(m.subject, "Undelivered");
}

}  // namespace
}  // namespace herald::delivery
