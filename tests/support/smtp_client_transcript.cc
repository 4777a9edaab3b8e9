#include "support/smtp_client_transcript.h"

#include <utility>
#include <variant>

namespace herald::smtp::testing {
namespace {

template <class T>
T take(T& held) {
  return std::exchange(held, T{});
}

}  // namespace

OutgoingMessage msg(std::vector<std::string> rcpts, std::string_view data, std::string from) {
  OutgoingMessage m;
  m.mail_from = std::move(from);
  m.rcpt_to = std::move(rcpts);
  m.data = data;
  return m;
}

OutgoingMessage flags(OutgoingMessage m, bool utf8, bool eight_bit) {
  m.needs_smtputf8 = utf8;
  m.body_8bit = eight_bit;
  return m;
}

ClientTranscript::ClientTranscript(ClientSettings settings) : session_(std::move(settings)) {}

void ClientTranscript::connect() {
  session_.on_connected();
  collect();
}

void ClientTranscript::server(std::string_view bytes) {
  session_.receive(bytes);
  collect();
}

void ClientTranscript::tls_started() {
  session_.on_tls_started();
  collect();
}

void ClientTranscript::tls_failed(std::string_view reason) {
  session_.on_tls_failed(reason);
  collect();
}

void ClientTranscript::timeout() {
  session_.on_timeout();
  collect();
}

void ClientTranscript::closed(std::string_view detail) {
  session_.on_closed(detail);
  collect();
}

void ClientTranscript::submit(const OutgoingMessage& m) {
  session_.submit(m);
  collect();
}

void ClientTranscript::quit() {
  session_.quit();
  collect();
}

void ClientTranscript::collect() {
  while (auto a = session_.next_action()) {
    if (auto* send = std::get_if<client::Send>(&*a)) {
      written_ += send->bytes;
      sends_.push_back(std::move(send->bytes));
    } else if (std::holds_alternative<client::StartTls>(*a)) {
      ++start_tls_;
    } else if (auto* done = std::get_if<client::MessageDone>(&*a)) {
      dones_.push_back(std::move(*done));
    } else if (std::holds_alternative<client::Ready>(*a)) {
      ++readies_;
    } else if (std::holds_alternative<client::Close>(*a)) {
      ++closes_;
    }
  }
}

std::vector<std::string> ClientTranscript::take_sends() {
  return take(sends_);
}

std::vector<client::MessageDone> ClientTranscript::take_dones() {
  return take(dones_);
}

int ClientTranscript::take_start_tls() {
  return take(start_tls_);
}

int ClientTranscript::take_readies() {
  return take(readies_);
}

int ClientTranscript::take_closes() {
  return take(closes_);
}

}  // namespace herald::smtp::testing
