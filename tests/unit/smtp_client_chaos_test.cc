// smtp::ClientSession against a randomly misbehaving server (seeded, reproducible): plausible
// and broken replies, odd chunking, timeouts, disconnects, TLS results, new messages and QUIT
// in random order. Whatever happens, the session's promises hold: one MessageDone per
// message with one well-formed result per recipient, CRLF-clean writes, one Close, and no
// recipient left without a result once the connection is gone.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "smtp/client_session.h"

namespace herald::smtp {
namespace {

const std::string kBody = "Subject: chaos\r\n\r\n.dot\r\nlast";

const std::vector<std::string>& replies() {
  static const std::vector<std::string> all = {
      "220 mx ESMTP\r\n",
      "250 ok\r\n",
      "250 2.1.5 ok\r\n",
      "250-mx\r\n250-PIPELINING\r\n250-STARTTLS\r\n250-CHUNKING\r\n250 SIZE 100000\r\n",
      "250-mx\r\n250-SMTPUTF8\r\n250 8BITMIME\r\n",
      "354 go ahead\r\n",
      "220 2.0.0 ready for TLS\r\n",
      "221 bye\r\n",
      "421 4.4.2 closing\r\n",
      "451 4.3.0 later\r\n",
      "452 4.2.2 full\r\n",
      "502 5.5.2 what\r\n",
      "550-5.1.1 no such\r\n550 5.1.1 user\r\n",
      "554 5.7.1 rejected\r\n",
      "garbage\r\n",
      "250-unterminated",
      "\r\n",
      "250 " + std::string(3000, 'z') + "\r\n",
      std::string("25\0 x\r\n", 7),
  };
  return all;
}

class Chaos {
 public:
  explicit Chaos(std::uint32_t seed) : rng_(seed) {
    ClientSettings s;
    s.helo_name = "chaos.herald.test";
    s.use_pipelining = coin();
    s.use_chunking = coin();
    s.require_tls = rng_() % 4 == 0;
    s.tls_available = rng_() % 4 != 0;
    session_.emplace(s);
  }

  void run() {
    submit();
    if (coin()) session_->on_connected();
    drain();
    for (int step = 0; step < 60 && !::testing::Test::HasFailure(); ++step) {
      unsigned pick = rng_() % 100;
      if (tls_pending_ && pick < 70) {
        tls_pending_ = false;
        pick < 60 ? session_->on_tls_started() : session_->on_tls_failed("chaos");
      } else if (pick < 70 && !script_.empty()) {
        feed(script_.front());  // what a well-behaved server would answer next
        script_.pop_front();
      } else if (pick < 82) {
        feed(replies()[rng_() % replies().size()]);
      } else if (pick < 84) {
        tls_pending_ = false;
        coin() ? session_->on_tls_started() : session_->on_tls_failed("chaos");
      } else if (pick < 87) {
        session_->on_timeout();
      } else if (pick < 89) {
        session_->on_closed("chaos");
      } else if (pick < 96) {
        submit();
      } else {
        session_->quit();
      }
      drain();
    }
    session_->on_closed("end");
    drain();
    EXPECT_TRUE(session_->closed());
    EXPECT_TRUE(closed_);
    EXPECT_TRUE(rcpts_.empty()) << rcpts_.size() << " messages without MessageDone";
  }

  int delivered() const { return delivered_; }

 private:
  bool coin() { return rng_() % 2 == 0; }

  void submit() {
    OutgoingMessage m;
    m.mail_from = coin() ? "a@herald.test" : "";
    std::size_t n = rng_() % 4;
    for (std::size_t i = 0; i < n; ++i) m.rcpt_to.push_back("r" + std::to_string(i) + "@x.example");
    if (rng_() % 8 == 0) m.rcpt_to.push_back("pel\xc3\xa9@x.example");
    m.data = kBody;
    m.body_8bit = coin();
    std::size_t index = session_->submit(m);
    EXPECT_TRUE(rcpts_.emplace(index, m.rcpt_to).second);
  }

  void feed(const std::string& bytes) {
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      std::size_t n = 1 + rng_() % (bytes.size() - pos);
      session_->receive(std::string_view(bytes).substr(pos, n));
      pos += n;
    }
  }

  void drain() {
    while (auto a = session_->next_action()) {
      if (auto* done = std::get_if<client::MessageDone>(&*a)) {
        auto it = rcpts_.find(done->index);
        ASSERT_NE(it, rcpts_.end()) << "MessageDone twice or for nothing: " << done->index;
        ASSERT_EQ(done->results.size(), it->second.size());
        for (std::size_t i = 0; i < done->results.size(); ++i) {
          const RecipientResult& r = done->results[i];
          EXPECT_EQ(r.rcpt, it->second[i]);
          EXPECT_TRUE(r.code / 100 == 2 || r.code / 100 == 4 || r.code / 100 == 5) << r.code;
          ASSERT_FALSE(r.enhanced.empty());
          EXPECT_EQ(r.enhanced[0], '0' + r.code / 100) << r.code << " " << r.enhanced;
          EXPECT_FALSE(r.text.empty() && r.local);
          if (r.delivered()) ++delivered_;
        }
        rcpts_.erase(it);
        continue;
      }
      EXPECT_FALSE(closed_) << "an action after Close";
      if (auto* send = std::get_if<client::Send>(&*a)) {
        const std::string& b = send->bytes;
        EXPECT_TRUE(b.ends_with("\r\n"));
        std::size_t bare = 0;
        for (std::size_t i = 0; i < b.size(); ++i) {
          if (b[i] == '\r' && (i + 1 == b.size() || b[i + 1] != '\n')) ++bare;
          if (b[i] == '\n' && (i == 0 || b[i - 1] != '\r')) ++bare;
        }
        EXPECT_EQ(bare, 0u) << "bare CR or LF written";
        expect_replies(b);
      } else if (std::holds_alternative<client::StartTls>(*a)) {
        EXPECT_FALSE(tls_pending_);
        tls_pending_ = true;
      } else if (std::holds_alternative<client::Close>(*a)) {
        closed_ = true;
      }
    }
  }

  // Queues the replies a well-behaved server would give to the commands in `bytes`.
  void expect_replies(const std::string& bytes) {
    std::size_t pos = 0, end;
    while ((end = bytes.find("\r\n", pos)) != std::string::npos) {
      std::string_view line = std::string_view(bytes).substr(pos, end - pos);
      pos = end + 2;
      if (line.starts_with("EHLO")) {
        script_.push_back(replies()[rng_() % 2 ? 3 : 4]);
      } else if (line.starts_with("HELO") || line.starts_with("MAIL") || line.starts_with("RCPT") ||
                 line.starts_with("RSET") || line.starts_with("BDAT") || line == ".") {
        script_.push_back("250 2.0.0 ok\r\n");
      } else if (line == "DATA") {
        script_.push_back("354 go ahead\r\n");
      } else if (line == "STARTTLS") {
        script_.push_back("220 2.0.0 ready\r\n");
      } else if (line == "QUIT") {
        script_.push_back("221 bye\r\n");
      }
    }
  }

  std::mt19937 rng_;
  std::deque<std::string> script_ = {"220 mx ESMTP\r\n"};
  int delivered_ = 0;
  std::optional<ClientSession> session_;
  std::map<std::size_t, std::vector<std::string>> rcpts_;
  bool closed_ = false;
  bool tls_pending_ = false;
};

TEST(SmtpClientChaos, PromisesHoldUnderRandomServers) {
  int delivered = 0;
  for (std::uint32_t seed = 1; seed <= 3000 && !::testing::Test::HasFailure(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Chaos chaos(seed);
    chaos.run();
    delivered += chaos.delivered();
  }
  // The cooperative replies take enough runs deep into the dialog to mean something.
  EXPECT_GT(delivered, 300) << delivered;
}

}  // namespace
}  // namespace herald::smtp
