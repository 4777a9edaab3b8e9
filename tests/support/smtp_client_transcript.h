// One smtp::ClientSession driven by a test in place of a real server, shared by the client
// transcript tests (smtp_client_{session,transaction,auth}_test.cc) and the script driver behind
// their tables (smtp_client_script.h).
//
// Every event goes through a ClientTranscript method named like the session's handler, which
// then drains next_action(), as the I/O layer must (client_session.h); so after any call
// the session has nothing left to emit. What the client wrote is kept whole (written()) and
// Send by Send; the MessageDones and the StartTls/Ready/Close signals are kept until the test
// takes them, so a test can check both "what was written" and "what was emitted" in order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "smtp/client_session.h"

namespace herald::smtp::testing {

// A message from `from` to `rcpts`. `data` is a view: it must outlive the session's use of it.
OutgoingMessage msg(std::vector<std::string> rcpts, std::string_view data,
                    std::string from = "a@herald.test");
// `m` with SMTPUTF8 and 8-bit body flags set as given.
OutgoingMessage flags(OutgoingMessage m, bool utf8, bool eight_bit);

inline constexpr std::string_view kBody = "Subject: hi\r\n\r\nHello\r\n";  // 22 octets

class ClientTranscript {
 public:
  explicit ClientTranscript(ClientSettings settings = {});

  ClientSession& session() { return session_; }

  // The session's handler of the same name, then collect().
  void connect();                       // on_connected()
  void server(std::string_view bytes);  // receive(): what the server sends
  void tls_started();                   // on_tls_started()
  void tls_failed(std::string_view reason);
  void timeout();  // on_timeout()
  void closed(std::string_view detail);
  void submit(const OutgoingMessage& m);
  void quit();

  // Drains next_action() into the records below (the methods above do it themselves).
  void collect();

  const std::string& written() const { return written_; }  // every byte written, in order

  // Each returns what was emitted since the last call of the same one, and forgets it.
  std::vector<std::string> take_sends();  // one entry a Send
  std::vector<client::MessageDone> take_dones();
  int take_start_tls();
  int take_readies();
  int take_closes();

 private:
  ClientSession session_;
  std::string written_;
  std::vector<std::string> sends_;
  std::vector<client::MessageDone> dones_;
  int start_tls_ = 0;
  int readies_ = 0;
  int closes_ = 0;
};

}  // namespace herald::smtp::testing
