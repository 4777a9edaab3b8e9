// Runs every SMTP dialog transcript in tests/dialogs/*.cmy against smtp::ServerSession.
// Transcript syntax (one directive per line, '#' starts a comment line):
//   set <key> <value>   settings before the first exchange: hostname, tls_available,
//                       tls_active, max_message_size, max_recipients, max_commands, max_errors
//   c: <text>           client sends <text> + CRLF
//   c~ <text>           client sends <text> with escapes (\r \n \t \0 \\ \xHH), nothing added
//   s: <line>           next reply line is exactly <line>
//   s^ <prefix>         next reply line starts with <prefix>
//   silent              no reply line is pending
//   tls / tls-fail      a StartTls action is pending; complete / fail the handshake
//   auth-ok|auth-bad|auth-temp|auth-throttled [user [password]]
//                       a VerifyCredentials is pending (user/password checked if given)
//   commit-ok <id> / commit-fail     a CommitMessage is pending; answer it
//   data~ <text>        the pending CommitMessage's data equals <text> (escapes as c~)
//   event <kind>        an event of that kind was emitted (consumed once)
//   closed              the session emitted Close
//   storage on|off      set_storage_available
//   idle-timeout        on_idle_timeout()
//   login <user>        shorthand: EHLO, STARTTLS, handshake, EHLO, AUTH PLAIN, auth-ok
// At the end every reply line must have been matched and no result may be left pending.
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sasl/sasl_mechanisms.h"
#include "smtp/server_session.h"

namespace herald::smtp {
namespace {

std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 'r':
        out.push_back('\r');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case '0':
        out.push_back('\0');
        break;
      case 'x':
        out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
        break;
      default:
        out.push_back(e);
    }
  }
  return out;
}

class Driver {
 public:
  explicit Driver(std::string file) : file_(std::move(file)) {}

  void run() {
    std::ifstream in(file_);
    ASSERT_TRUE(in) << "cannot open " << file_;
    std::string line;
    while (std::getline(in, line)) {
      ++lineno_;
      if (line.empty() || line[0] == '#') continue;
      step(line);
      if (::testing::Test::HasFatalFailure() || failed_) return;
    }
    ensure_session();
    drain();
    EXPECT_TRUE(lines_.empty()) << file_ << ": unmatched reply line: " << lines_.front();
    EXPECT_FALSE(pending_tls_) << file_ << ": StartTls left pending";
    EXPECT_FALSE(pending_auth_) << file_ << ": VerifyCredentials left pending";
    EXPECT_FALSE(pending_commit_) << file_ << ": CommitMessage left pending";
  }

 private:
  void fail(const std::string& what) {
    ADD_FAILURE() << file_ << ":" << lineno_ << ": " << what;
    failed_ = true;
  }

  void ensure_session() {
    if (session_) return;
    session_.emplace(settings_, PeerInfo{"192.0.2.7", 40000, "client.example"});
    session_->start();
  }

  void drain() {
    while (auto a = session_->next_action()) {
      if (auto* send = std::get_if<Send>(&*a)) {
        partial_ += send->bytes;
        std::size_t pos;
        while ((pos = partial_.find("\r\n")) != std::string::npos) {
          lines_.push_back(partial_.substr(0, pos));
          partial_.erase(0, pos + 2);
        }
      } else if (std::holds_alternative<StartTls>(*a)) {
        pending_tls_ = true;
      } else if (auto* v = std::get_if<VerifyCredentials>(&*a)) {
        pending_auth_ = *v;
      } else if (auto* c = std::get_if<CommitMessage>(&*a)) {
        pending_commit_ = c->tx;
      } else if (auto* e = std::get_if<Event>(&*a)) {
        events_.push_back(std::string(event_kind_name(e->kind)));
      } else if (std::holds_alternative<Close>(*a)) {
        closed_ = true;
      }
    }
  }

  void set(std::string_view key, const std::string& value) {
    if (session_) return fail("set after the session started");
    if (key == "hostname")
      settings_.hostname = value;
    else if (key == "tls_available")
      settings_.tls_available = value == "true";
    else if (key == "tls_active")
      settings_.tls_active = value == "true";
    else if (key == "max_message_size")
      settings_.max_message_size = std::stoull(value);
    else if (key == "max_recipients")
      settings_.max_recipients = std::stoul(value);
    else if (key == "max_commands")
      settings_.max_commands = std::stoul(value);
    else if (key == "max_errors")
      settings_.max_errors = std::stoul(value);
    else
      fail("unknown setting " + std::string(key));
  }

  void expect_line(const std::string& want, bool prefix) {
    if (lines_.empty()) return fail("expected reply '" + want + "', got nothing");
    std::string got = lines_.front();
    lines_.pop_front();
    bool ok = prefix ? got.rfind(want, 0) == 0 : got == want;
    if (!ok)
      fail("expected reply '" + want + "'" + (prefix ? " (prefix)" : "") + ", got '" + got + "'");
  }

  void answer_auth(std::string_view kind, const std::string& rest) {
    if (!pending_auth_) return fail("no VerifyCredentials pending");
    std::istringstream words(rest);
    std::string user, password;
    words >> user >> password;
    if (!user.empty() && pending_auth_->user != user) {
      return fail("auth user '" + pending_auth_->user + "' != '" + user + "'");
    }
    if (!password.empty() && pending_auth_->password != password) {
      return fail("auth password '" + pending_auth_->password + "' != '" + password + "'");
    }
    pending_auth_.reset();
    AuthOutcome o;
    if (kind == "auth-ok")
      o.status = AuthStatus::ok;
    else if (kind == "auth-bad")
      o.status = AuthStatus::bad_credentials, o.detail = "wrong password";
    else if (kind == "auth-temp")
      o.status = AuthStatus::temp_fail;
    else
      o.status = AuthStatus::throttled, o.text = "Too many failures, try later";
    session_->on_auth_result(o);
  }

  void login(const std::string& user) {
    send("EHLO client.example\r\n");
    send("STARTTLS\r\n");
    if (!pending_tls_) return fail("login: STARTTLS did not start TLS");
    pending_tls_ = false;
    session_->on_tls_started();
    send("EHLO client.example\r\n");
    send("AUTH PLAIN " + sasl::encode_base64(std::string("\0", 1) + user + '\0' + "secret") +
         "\r\n");
    answer_auth("auth-ok", user + " secret");
    drain();
    if (lines_.empty() || lines_.back() != "235 2.7.0 Authentication successful") {
      return fail("login did not succeed");
    }
    lines_.clear();
  }

  void send(const std::string& bytes) {
    session_->receive(bytes);
    drain();
  }

  void step(const std::string& line) {
    std::size_t sp = line.find(' ');
    std::string cmd = line.substr(0, sp);
    std::string rest = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (cmd == "set") {
      std::size_t sp2 = rest.find(' ');
      return set(rest.substr(0, sp2), sp2 == std::string::npos ? "" : rest.substr(sp2 + 1));
    }
    ensure_session();
    drain();
    if (cmd == "c:") return send(rest + "\r\n");
    if (cmd == "c~") return send(unescape(rest));
    if (cmd == "s:") return expect_line(rest, false);
    if (cmd == "s^") return expect_line(rest, true);
    if (cmd == "silent") {
      if (!lines_.empty()) fail("expected no reply, got '" + lines_.front() + "'");
      return;
    }
    if (cmd == "tls" || cmd == "tls-fail") {
      if (!pending_tls_) return fail("no StartTls pending");
      pending_tls_ = false;
      cmd == "tls" ? session_->on_tls_started() : session_->on_tls_failed();
      return drain();
    }
    if (cmd.rfind("auth-", 0) == 0) {
      answer_auth(cmd, rest);
      return drain();
    }
    if (cmd == "commit-ok" || cmd == "commit-fail") {
      if (!pending_commit_) return fail("no CommitMessage pending");
      pending_commit_.reset();
      session_->on_commit_result(cmd == "commit-ok" ? CommitOutcome::success(rest)
                                                    : CommitOutcome::failure(""));
      return drain();
    }
    if (cmd == "data~") {
      if (!pending_commit_) return fail("no CommitMessage pending");
      if (pending_commit_->data != unescape(rest))
        fail("data differs: '" + pending_commit_->data + "'");
      return;
    }
    if (cmd == "event") {
      auto it = std::find(events_.begin(), events_.end(), rest);
      if (it == events_.end()) return fail("no event " + rest);
      events_.erase(it);
      return;
    }
    if (cmd == "closed") {
      if (!closed_ || !session_->closed()) fail("session not closed");
      return;
    }
    if (cmd == "storage") return session_->set_storage_available(rest == "on");
    if (cmd == "idle-timeout") {
      session_->on_idle_timeout();
      return drain();
    }
    if (cmd == "login") return login(rest);
    fail("unknown directive " + cmd);
  }

  std::string file_;
  int lineno_ = 0;
  bool failed_ = false;
  ServerSettings settings_{"mx.herald.test", 10000, 3, 100, 10, true, false};
  std::optional<ServerSession> session_;
  std::string partial_;
  std::deque<std::string> lines_;
  std::vector<std::string> events_;
  bool pending_tls_ = false;
  bool closed_ = false;
  std::optional<VerifyCredentials> pending_auth_;
  std::optional<Transaction> pending_commit_;
};

std::vector<std::string> dialog_files() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(HERALD_SOURCE_DIR "/tests/dialogs")) {
    if (e.path().extension() == ".cmy") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class SmtpDialog : public ::testing::TestWithParam<std::string> {};

TEST_P(SmtpDialog, Transcript) {
  Driver(GetParam()).run();
}

INSTANTIATE_TEST_SUITE_P(Dialogs, SmtpDialog, ::testing::ValuesIn(dialog_files()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = std::filesystem::path(param.param).stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(SmtpDialogFiles, Exist) {
  EXPECT_GE(dialog_files().size(), 20u);
}

}  // namespace
}  // namespace herald::smtp
