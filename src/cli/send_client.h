// The SMTP submission client behind `herald send`: one blocking test session (connect, TLS,
// EHLO, AUTH, MAIL, RCPT, DATA, QUIT) over Boost.Asio and OpenSSL, printing the dialogue as
// it goes. Every network step has a deadline; certificate verification (chain and host name)
// is on unless `insecure`.
//
// Invariants: the password never reaches the transcript or an error message (the dialogue
// shows ******** for it, and everything printed goes through a Redactor); credentials are
// never sent over an unencrypted connection unless allow_plaintext_auth; with STARTTLS
// requested, the session never continues in plain text.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/send_diagnosis.h"
#include "common/result.h"

namespace herald::cli::send {

struct SendOptions {
  std::string host;
  std::uint16_t port = 587;
  Encryption encryption = Encryption::starttls;
  std::string user;  // empty: no AUTH
  std::string password;
  bool allow_plaintext_auth = false;
  std::string from;
  std::vector<std::string> to;
  std::string subject = "Herald test email";
  bool insecure = false;  // do not verify the server certificate
  std::string cafile;     // extra trusted CA (or certificate), PEM
  std::string helo;       // empty: this machine's FQDN, else the local address literal
  std::chrono::seconds timeout{15};
  // none/starttls: how long to wait for the greeting before suspecting an implicit-TLS port
  // (capped at timeout).
  std::chrono::seconds greeting_wait{5};
};

// Receives the printed dialogue one line at a time: "C: ...", "S: ..." or "* ...".
using TranscriptSink = std::function<void(std::string_view)>;

// The checks that need no network: addresses, header text, credentials and their transport.
Result<void> check_options(const SendOptions& options);

// Runs the test session. On success the result is the server's reply to the message
// ("250 2.0.0 Ok: queued as ..."); on failure one plain-words explanation (may span lines).
Result<std::string> send_test_mail(const SendOptions& options, const TranscriptSink& sink);

}  // namespace herald::cli::send
