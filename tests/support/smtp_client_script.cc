#include "support/smtp_client_script.h"

#include <gtest/gtest.h>

#include <deque>
#include <sstream>
#include <string>
#include <vector>

#include "sasl/sasl_mechanisms.h"

namespace herald::smtp::testing {
namespace {

std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char e = s[++i];
    if (e == 'r') {
      out.push_back('\r');
    } else if (e == 'n') {
      out.push_back('\n');
    } else if (e == 't') {
      out.push_back('\t');
    } else if (e == '0') {
      out.push_back('\0');
    } else if (e == 'x') {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(e);
    }
  }
  return out;
}

ClientSettings settings_for(const Options& o) {
  ClientSettings s;
  s.helo_name = "client.herald.test";
  s.require_tls = o.require_tls;
  s.tls_available = o.tls_available;
  s.use_chunking = o.chunking;
  s.use_pipelining = o.pipelining;
  s.auth = o.auth;
  return s;
}

class Driver {
 public:
  explicit Driver(const Case& c) : case_(c), transcript_(settings_for(c.options)) {}

  void run() {
    std::istringstream in(case_.script);
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
      ++lineno_;
      std::size_t start = line.find_first_not_of(' ');
      if (start == std::string::npos) continue;
      line.erase(0, start);
      if (first && line != "unconnected") transcript_.connect();
      first = false;
      if (line == "unconnected") continue;
      step(line);
      if (failed_) return;
    }
    deliver();
    EXPECT_TRUE(lines_.empty()) << case_.name
                                << ": unmatched client line: " << lines_.front().first;
    EXPECT_EQ(readies_, 0) << case_.name << ": unmatched Ready";
    EXPECT_TRUE(dones_.empty()) << case_.name << ": unmatched MessageDone";
    EXPECT_EQ(closes_, 0) << case_.name << ": unmatched Close";
    EXPECT_EQ(tls_pending_, 0) << case_.name << ": StartTls left pending";
  }

 private:
  void fail(const std::string& what) {
    ADD_FAILURE() << case_.name << ":" << lineno_ << ": " << what;
    failed_ = true;
  }

  // Takes what the session emitted into the queues the directives match against.
  void drain() {
    transcript_.collect();
    for (std::string& bytes : transcript_.take_sends()) {
      ++send_id_;
      partial_ += bytes;
      std::size_t pos;
      while ((pos = partial_.find("\r\n")) != std::string::npos) {
        lines_.push_back({partial_.substr(0, pos), send_id_});
        partial_.erase(0, pos + 2);
      }
    }
    for (client::MessageDone& d : transcript_.take_dones()) {
      check_no_secret(d);
      dones_.push_back(std::move(d));
    }
    tls_pending_ += transcript_.take_start_tls();
    readies_ += transcript_.take_readies();
    closes_ += transcript_.take_closes();
  }

  // The password, its base64 form and the AUTH PLAIN blob must not leak into any result.
  void check_no_secret(const client::MessageDone& d) {
    if (!case_.options.auth) return;
    const ClientAuth& a = *case_.options.auth;
    std::string blob = std::string(1, '\0') + a.user + '\0' + a.password;
    for (const RecipientResult& r : d.results)
      for (const std::string& secret :
           {a.password, sasl::encode_base64(a.password), sasl::encode_base64(blob)})
        if (r.text.find(secret) != std::string::npos) fail("result text leaks a secret: " + r.text);
  }

  void deliver() {
    if (!server_.empty()) transcript_.server(server_);
    server_.clear();
    drain();
  }

  void expect_line(const std::string& want, bool same_send) {
    if (lines_.empty()) return fail("expected client line '" + want + "', got nothing");
    auto [got, id] = lines_.front();
    lines_.pop_front();
    if (got != want) return fail("expected client line '" + want + "', got '" + got + "'");
    if (same_send && id != last_send_) fail("'" + want + "' was written in a separate Send");
    last_send_ = id;
  }

  void expect_done(std::istringstream& words) {
    std::size_t index = 0;
    words >> index;
    if (dones_.empty()) return fail("expected MessageDone " + std::to_string(index));
    last_done_ = dones_.front();
    dones_.pop_front();
    if (last_done_.index != index) fail("MessageDone for " + std::to_string(last_done_.index));
    std::vector<std::string> got;
    for (const RecipientResult& r : last_done_.results) {
      got.push_back(std::to_string(r.code) + "/" + r.enhanced);
    }
    std::vector<std::string> want;
    for (std::string w; words >> w;) want.push_back(w);
    if (got != want) {
      std::string g, t;
      for (const auto& r : last_done_.results) g += " " + std::to_string(r.code) + "/" + r.enhanced;
      for (const auto& r : last_done_.results) t += " [" + r.text + "]";
      fail("results:" + g + t);
    }
    const auto& rcpts = case_.messages.at(index).rcpt_to;
    for (std::size_t i = 0; i < last_done_.results.size() && i < rcpts.size(); ++i) {
      if (last_done_.results[i].rcpt != rcpts[i]) fail("result rcpt " + last_done_.results[i].rcpt);
    }
  }

  const RecipientResult* result(std::istringstream& words) {
    std::size_t r = 0;
    words >> r;
    if (r >= last_done_.results.size()) {
      fail("no result " + std::to_string(r));
      return nullptr;
    }
    words >> std::ws;
    return &last_done_.results[r];
  }

  void step(const std::string& line) {
    std::size_t sp = line.find(' ');
    std::string cmd = line.substr(0, sp);
    std::string rest = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (cmd == "S:") return void(server_ += rest + "\r\n");
    if (cmd == "S~") return void(server_ += unescape(rest));
    if (cmd == "S%") {
      std::size_t sp2 = rest.find(' ');
      int n = std::stoi(rest.substr(0, sp2));
      std::string text = unescape(rest.substr(sp2 + 1));
      for (int i = 0; i < n; ++i) server_ += text;
      return;
    }
    deliver();
    std::istringstream words(rest);
    if (cmd == "C:" || cmd == "C+") return expect_line(rest, cmd == "C+");
    if (cmd == "silent") {
      if (!lines_.empty()) fail("expected silence, got '" + lines_.front().first + "'");
      return;
    }
    if (cmd == "submit") {
      transcript_.submit(case_.messages.at(std::stoul(rest)));
    } else if (cmd == "quit") {
      transcript_.quit();
    } else if (cmd == "timeout") {
      transcript_.timeout();
    } else if (cmd == "closed") {
      transcript_.closed(rest);
    } else if (cmd == "connect") {
      transcript_.connect();
    } else if (cmd == "tls" || cmd == "tls-fail") {
      if (tls_pending_ != 1) return fail("no StartTls pending");
      tls_pending_ = 0;
      cmd == "tls" ? transcript_.tls_started() : transcript_.tls_failed(rest);
    } else if (cmd == "starttls") {
      if (tls_pending_ != 1) return fail("no StartTls pending");
      tls_pending_ = 0;
    } else if (cmd == "ready") {
      if (readies_ == 0) return fail("no Ready");
      --readies_;
    } else if (cmd == "close") {
      if (closes_ != 1) return fail("expected one Close, got " + std::to_string(closes_));
      closes_ = 0;
      if (!session().closed()) fail("session not closed");
    } else if (cmd == "done") {
      expect_done(words);
    } else if (cmd == "reason") {
      const RecipientResult* r = result(words);
      std::string want;
      std::getline(words, want);
      if (r && r->text.find(want) == std::string::npos) fail("reason is '" + r->text + "'");
    } else if (cmd == "local" || cmd == "remote") {
      const RecipientResult* r = result(words);
      if (r && r->local != (cmd == "local")) fail("result is not " + cmd);
    } else if (cmd == "stage") {
      const RecipientResult* r = result(words);
      std::string want;
      std::getline(words, want);
      if (r && client_stage_name(r->stage) != want) {
        fail("stage is '" + std::string(client_stage_name(r->stage)) + "'");
      }
    } else if (cmd == "timeout-is") {
      auto got = session().current_timeout().count();
      if (got != std::stol(rest)) fail("current_timeout() is " + std::to_string(got));
    } else if (cmd == "tls-active") {
      if (session().tls_active() != (rest == "yes")) fail("tls_active() differs");
    } else {
      return fail("unknown directive " + cmd);
    }
    drain();
  }

  ClientSession& session() { return transcript_.session(); }

  const Case& case_;
  ClientTranscript transcript_;
  int lineno_ = 0;
  bool failed_ = false;
  std::string server_;
  std::string partial_;
  std::deque<std::pair<std::string, int>> lines_;
  int send_id_ = 0;
  int last_send_ = -1;
  int tls_pending_ = 0;
  int readies_ = 0;
  int closes_ = 0;
  std::deque<client::MessageDone> dones_;
  client::MessageDone last_done_;
};

}  // namespace

void run_client_script(const Case& c) {
  Driver(c).run();
}

}  // namespace herald::smtp::testing
