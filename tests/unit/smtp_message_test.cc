#include "smtp/message.h"

#include <gtest/gtest.h>

namespace herald::smtp {
namespace {

TEST(SmtpMessage, MailboxLists) {
  struct Case {
    std::string_view value;
    std::vector<std::string> mailboxes;  // empty: parse error
  };
  const Case cases[] = {
      {" alice@example.com", {"alice@example.com"}},
      {" Alice <alice@example.com>", {"alice@example.com"}},
      {" \"Alice, Ops\" <alice@example.com>", {"alice@example.com"}},
      {" =?utf-8?q?J=C3=B6rg?= <jorg@example.com>", {"jorg@example.com"}},
      {" alice@example.com (Alice (the real one))", {"alice@example.com"}},
      {" (c) Alice\r\n <alice@Example.COM>", {"alice@example.com"}},
      {" a@example.com, B <b@example.org>", {"a@example.com", "b@example.org"}},
      {" <@relay.example:a@example.com>", {"a@example.com"}},
      {" \"quoted local\"@example.com", {"\"quoted local\"@example.com"}},
      {" jörg@example.com", {"jörg@example.com"}},
      {" john doe@example.com", {}},
      {" undisclosed-recipients:;", {}},
      {" Alice <alice@example.com", {}},
      {" Alice <alice@example.com> x", {}},
      {" a@example.com,", {}},
      {" (unclosed comment a@example.com", {}},
      {" \"unclosed <a@example.com>", {}},
      {"", {}},
  };
  for (const auto& c : cases) {
    auto r = parse_mailbox_list(c.value);
    if (c.mailboxes.empty()) {
      EXPECT_FALSE(r) << c.value;
      continue;
    }
    ASSERT_TRUE(r) << c.value << ": " << r.error().message;
    ASSERT_EQ(r->size(), c.mailboxes.size()) << c.value;
    for (std::size_t i = 0; i < r->size(); ++i) EXPECT_EQ((*r)[i].str(), c.mailboxes[i]);
  }
}

TEST(SmtpMessage, ParsesHeaders) {
  std::string msg =
      "Received: from x\r\n\tby y\r\nfrom: Alice <alice@example.com>\r\n"
      "Subject: Hello\r\n  world\r\nMessage-ID: <1@example.com>\r\nDATE : Fri, 4 Dec 2026\r\n"
      "\r\nFrom: body@example.com\r\n";
  HeaderSummary h = parse_headers(msg);
  EXPECT_EQ(h.from_fields, 1u);
  ASSERT_TRUE(h.from_parsed);
  EXPECT_EQ(h.from.at(0).str(), "alice@example.com");
  EXPECT_EQ(h.subject, "Hello  world");
  EXPECT_EQ(h.message_id, "<1@example.com>");
  EXPECT_EQ(h.date, "Fri, 4 Dec 2026");
  EXPECT_EQ(msg.substr(h.header_end, 4), "\r\nFr");

  h = parse_headers("From: a@example.com\r\nFrom: b@example.com\r\n\r\n");
  EXPECT_EQ(h.from_fields, 2u);
  h = parse_headers("not a header\r\nFrom: a@example.com\r\n\r\n");
  EXPECT_EQ(h.from_fields, 0u);
  EXPECT_EQ(h.header_end, 0u);
  h = parse_headers("From: bad address\r\n\r\n");
  EXPECT_EQ(h.from_fields, 1u);
  EXPECT_FALSE(h.from_parsed);
}

TEST(SmtpMessage, Dates) {
  EXPECT_EQ(format_rfc5322_date(1'796'403'069'123), "Fri, 04 Dec 2026 16:51:09 +0000");
  EXPECT_EQ(format_rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(SmtpMessage, ReceivedProtocol) {
  EXPECT_EQ(received_protocol(true, true, true, false), "ESMTPSA");
  EXPECT_EQ(received_protocol(true, true, false, false), "ESMTPS");
  EXPECT_EQ(received_protocol(true, false, false, false), "ESMTP");
  EXPECT_EQ(received_protocol(true, true, true, true), "UTF8SMTPSA");
  EXPECT_EQ(received_protocol(false, true, true, false), "SMTP");
}

TEST(SmtpMessage, PreparesStoredMessage) {
  ReceivedInfo info{"client.example", "192.0.2.7", "host.example",   "mx.herald.test",
                    "ESMTPSA",        "Q1",        1'796'403'069'000};
  std::string out = prepare_message("From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n", info);
  EXPECT_EQ(out,
            "Received: from client.example (host.example [192.0.2.7])\r\n"
            "\tby mx.herald.test (Herald) with ESMTPSA id Q1;\r\n"
            "\tFri, 04 Dec 2026 16:51:09 +0000\r\n"
            "From: a@example.com\r\nSubject: x\r\n"
            "Message-ID: <Q1@mx.herald.test>\r\nDate: Fri, 04 Dec 2026 16:51:09 +0000\r\n"
            "\r\nbody\r\n");

  info.peer_rdns.clear();
  info.peer_ip = "2001:db8::1";
  out = prepare_message(
      "From: a@example.com\r\nMessage-ID: <m@x>\r\nDate: Thu, 1 Jan 2026\r\n\r\nb\r\n", info);
  EXPECT_EQ(out.find("Message-ID: <Q1"), std::string::npos);
  EXPECT_NE(out.find("(Herald)"), std::string::npos);
  EXPECT_EQ(out.rfind("Received: from client.example ([IPv6:2001:db8::1])\r\n", 0), 0u);
  EXPECT_NE(
      out.find(
          "\r\nFrom: a@example.com\r\nMessage-ID: <m@x>\r\nDate: Thu, 1 Jan 2026\r\n\r\nb\r\n"),
      std::string::npos);
}

}  // namespace
}  // namespace herald::smtp
