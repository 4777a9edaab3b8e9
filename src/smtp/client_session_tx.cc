// ClientSession: one mail transaction per submitted message (RFC 5321 §3.3), lock-step or
// pipelined (RFC 2920), with DATA (RFC 5321 §4.1.1.4) or BDAT (RFC 3030).
#include <cstdlib>
#include <string>

#include "smtp/client_session.h"
#include "smtp/client_session_internal.h"
#include "smtp/dot_stuff.h"

namespace herald::smtp {

using client_detail::local_result;
using client_detail::server_result;

namespace {

// Control octets would let an address inject commands; they have no place in a path.
bool has_control(std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

void ClientSession::start_next() {
  auto [index, msg] = std::move(queue_.front());
  queue_.pop_front();
  ready_emitted_ = false;
  Transaction& tx = tx_.emplace();
  tx.index = index;
  tx.msg = std::move(msg);
  tx.state.assign(tx.msg.rcpt_to.size(), RcptState::pending);
  tx.results.resize(tx.msg.rcpt_to.size());
  for (std::size_t i = 0; i < tx.results.size(); ++i) tx.results[i].rcpt = tx.msg.rcpt_to[i];
  if (!local_checks(tx)) return finish_tx();
  tx.pipelined = caps_.pipelining && settings_.use_pipelining;
  tx.chunking = caps_.chunking && settings_.use_chunking;
  if (needs_rset_) {
    // The previous MAIL was accepted but its transaction never completed.
    needs_rset_ = false;
    send_command("RSET", ClientStage::rset);
    if (!tx.pipelined) return;  // MAIL follows RSET's 250
  }
  send_mail_group();
}

// Decisions that need no round trip. Returns false when no recipient is left to try.
bool ClientSession::local_checks(Transaction& tx) {
  auto settle_pending = [&tx](const RecipientResult& r) {
    for (std::size_t i = 0; i < tx.state.size(); ++i) {
      if (tx.state[i] != RcptState::pending) continue;
      tx.state[i] = RcptState::done;
      tx.results[i] = r;
      tx.results[i].rcpt = tx.msg.rcpt_to[i];
    }
  };
  const OutgoingMessage& m = tx.msg;
  if (has_control(m.mail_from)) {
    settle_pending(local_result(553, "5.1.7", "invalid sender address", ClientStage::local));
  }
  bool all_ascii = is_ascii(m.mail_from);
  for (std::size_t i = 0; i < m.rcpt_to.size(); ++i) {
    all_ascii = all_ascii && is_ascii(m.rcpt_to[i]);
    if (tx.state[i] != RcptState::pending) continue;
    if (m.rcpt_to[i].empty() || has_control(m.rcpt_to[i])) {
      tx.state[i] = RcptState::done;
      tx.results[i] = local_result(553, "5.1.3", "invalid recipient address", ClientStage::local);
      tx.results[i].rcpt = m.rcpt_to[i];
    }
  }
  tx.smtputf8 = m.needs_smtputf8 || !all_ascii;
  if (tx.smtputf8 && !caps_.smtputf8) {
    // RFC 6531 §3.2: without the extension there is no way to carry the message; it is a
    // property of that server, so retrying it would not help.
    settle_pending(local_result(
        554, "5.6.7",
        "recipient's server does not support SMTPUTF8, which this message requires (RFC 6531)",
        ClientStage::local));
  }
  if (caps_.size && caps_.size_limit != 0 && m.data.size() > caps_.size_limit) {
    // RFC 1870 §6.1: a message above the server's fixed maximum is a permanent failure.
    settle_pending(local_result(552, "5.3.4",
                                "message size (" + std::to_string(m.data.size()) +
                                    " octets) exceeds the recipient server's limit (" +
                                    std::to_string(caps_.size_limit) + " octets)",
                                ClientStage::local));
  }
  return next_rcpt(0) != std::string::npos;
}

// MAIL, and when pipelining every RCPT and DATA too (RFC 2920 §3.1: DATA ends the group).
// With BDAT the group stops after the RCPTs so that the body is not sent for nothing.
void ClientSession::send_mail_group() {
  Transaction& tx = *tx_;
  std::string mail = "MAIL FROM:<" + tx.msg.mail_from + ">";
  if (caps_.esmtp) {
    if (caps_.size) mail += " SIZE=" + std::to_string(tx.msg.data.size());  // RFC 1870 §6
    // RFC 6152: declared when offered. When it is not, the body goes as it is: converting to
    // 7 bit (RFC 6152 §3) is not done; nearly every server takes 8-bit text regardless.
    if (tx.msg.body_8bit && caps_.eightbitmime) mail += " BODY=8BITMIME";
    if (tx.smtputf8) mail += " SMTPUTF8";  // RFC 6531 §3.4 (local_checks made sure it's offered)
  }
  send_command(std::move(mail), ClientStage::mail);
  if (!tx.pipelined) return;
  for (std::size_t i = next_rcpt(0); i != std::string::npos; i = next_rcpt(i + 1)) {
    send_command("RCPT TO:<" + tx.msg.rcpt_to[i] + ">", ClientStage::rcpt, i);
  }
  if (!tx.chunking) send_command("DATA", ClientStage::data);
}

std::size_t ClientSession::next_rcpt(std::size_t from) const {
  for (std::size_t i = from; i < tx_->state.size(); ++i) {
    if (tx_->state[i] == RcptState::pending) return i;
  }
  return std::string::npos;
}

void ClientSession::on_rset(const ServerReply& reply) {
  if (reply.klass() != 2) {
    // A server that cannot reset is not one to send the next message to.
    return fail_connection(
        local_result(451, "4.5.0", "RSET failed: " + reply.summary(), ClientStage::rset), false);
  }
  if (!tx_->pipelined) send_mail_group();
}

void ClientSession::on_mail(const ServerReply& reply) {
  Transaction& tx = *tx_;
  tx.mail_ok = reply.klass() == 2;
  if (!tx.mail_ok) tx.mail_failure = server_result(reply, ClientStage::mail);
  if (tx.pipelined) return;  // the RCPT replies follow and are matched to mail_failure
  if (!tx.mail_ok) {
    for (std::size_t i = next_rcpt(0); i != std::string::npos; i = next_rcpt(i + 1)) {
      tx.state[i] = RcptState::done;
      tx.results[i] = tx.mail_failure;
      tx.results[i].rcpt = tx.msg.rcpt_to[i];
    }
    return finish_tx();
  }
  std::size_t first = next_rcpt(0);
  send_command("RCPT TO:<" + tx.msg.rcpt_to[first] + ">", ClientStage::rcpt, first);
}

void ClientSession::on_rcpt(std::size_t i, const ServerReply& reply) {
  Transaction& tx = *tx_;
  if (!tx.mail_ok) {
    // Pipelined after a refused MAIL: the RCPT replies (503 ...) say less than MAIL's did.
    tx.results[i] = tx.mail_failure;
    tx.results[i].rcpt = tx.msg.rcpt_to[i];
    tx.state[i] = RcptState::done;
  } else if (reply.klass() == 2) {
    tx.state[i] = RcptState::accepted;
    ++tx.accepted;
  } else {
    tx.results[i] = server_result(reply, ClientStage::rcpt);
    tx.results[i].rcpt = tx.msg.rcpt_to[i];
    tx.state[i] = RcptState::done;
  }
  if (tx.pipelined) {
    // With DATA in the group its reply comes next; with BDAT, decide after the last RCPT.
    if (tx.chunking && expects_.empty()) after_rcpts();
    return;
  }
  std::size_t next = next_rcpt(i + 1);
  if (next != std::string::npos) {
    return send_command("RCPT TO:<" + tx.msg.rcpt_to[next] + ">", ClientStage::rcpt, next);
  }
  after_rcpts();
}

void ClientSession::after_rcpts() {
  Transaction& tx = *tx_;
  if (tx.accepted == 0) {
    needs_rset_ = tx.mail_ok;  // lazily, before the next MAIL; QUIT needs none
    return finish_tx();
  }
  if (!tx.chunking) return send_command("DATA", ClientStage::data);
  // RFC 3030 §2: one chunk, BDAT <size> LAST, its octets right after the command line.
  std::string body = normalize_line_endings(tx.msg.data);
  send_command("BDAT " + std::to_string(body.size()) + " LAST", ClientStage::bdat);
  out_ += body;
}

void ClientSession::on_data(const ServerReply& reply) {
  Transaction& tx = *tx_;
  if (reply.code == 354) {
    if (tx.mail_ok && tx.accepted > 0) {
      out_ += dot_stuff(tx.msg.data);
      expects_.push_back(Expect{ClientStage::end_of_data, 0, false, epoch_});
    } else {
      // RFC 2920 §3.1: DATA was accepted although no recipient was; end it with a lone dot.
      out_ += ".\r\n";
      expects_.push_back(Expect{ClientStage::end_of_data, 0, true, epoch_});
    }
    return;
  }
  settle_accepted(server_result(reply, ClientStage::data));
  needs_rset_ = tx.mail_ok;
  finish_tx();
}

// The reply after the message data applies to every recipient accepted at RCPT.
void ClientSession::on_final(const ServerReply& reply, ClientStage stage, bool discard) {
  if (!discard) settle_accepted(server_result(reply, stage));
  // RFC 3030 §2: after a failed BDAT the transaction state is unclear; reset it.
  if (stage == ClientStage::bdat && reply.klass() != 2) needs_rset_ = true;
  finish_tx();
}

void ClientSession::settle_accepted(const RecipientResult& result) {
  Transaction& tx = *tx_;
  for (std::size_t i = 0; i < tx.state.size(); ++i) {
    if (tx.state[i] != RcptState::accepted) continue;
    tx.state[i] = RcptState::done;
    tx.results[i] = result;
    tx.results[i].rcpt = tx.msg.rcpt_to[i];
  }
}

void ClientSession::finish_tx() {
  for (RcptState s : tx_->state) {
    if (s != RcptState::done) std::abort();  // broken invariant: a recipient without result
  }
  client::MessageDone done{tx_->index, std::move(tx_->results)};
  tx_.reset();
  emit(std::move(done));
}

}  // namespace herald::smtp
