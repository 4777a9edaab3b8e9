#include "delivery/engine_outcome.h"

#include <algorithm>

#include "smtp/message.h"
#include "spool/spool.h"

namespace herald::delivery {

namespace {

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

}  // namespace

smtp::OutgoingMessage outgoing_message(const std::vector<store::PendingRecipient>& rcpts,
                                       const std::string& message) {
  smtp::OutgoingMessage out;
  out.mail_from = rcpts.empty() ? "" : rcpts[0].sender;
  bool utf8_address = has_8bit(out.mail_from);
  for (const auto& r : rcpts) {
    out.rcpt_to.push_back(r.recipient);
    utf8_address = utf8_address || has_8bit(r.recipient);
  }
  out.data = message;
  auto header_end = message.find("\r\n\r\n");
  std::string_view headers = std::string_view(message).substr(0, header_end);
  out.needs_smtputf8 = utf8_address || has_8bit(headers);
  out.body_8bit = has_8bit(message);
  return out;
}

bool connection_level_failure(const std::vector<smtp::RecipientResult>& results) {
  if (results.empty()) return true;
  return std::all_of(results.begin(), results.end(), [](const smtp::RecipientResult& r) {
    using smtp::ClientStage;
    bool before_transaction = r.stage == ClientStage::connect || r.stage == ClientStage::greeting ||
                              r.stage == ClientStage::ehlo || r.stage == ClientStage::helo ||
                              r.stage == ClientStage::starttls ||
                              r.stage == ClientStage::tls_handshake || r.stage == ClientStage::auth;
    return r.code / 100 == 4 && (before_transaction || (r.local && r.stage != ClientStage::local));
  });
}

bool all_local_failures(const std::vector<smtp::RecipientResult>& results) {
  return !results.empty() &&
         std::all_of(results.begin(), results.end(),
                     [](const smtp::RecipientResult& r) { return r.local && r.code / 100 == 4; });
}

DeliveryStatus status_from_result(const smtp::RecipientResult& r, const Hop& hop,
                                  const std::string& tls) {
  DeliveryStatus s;
  if (r.local) {
    Outcome o = r.code / 100 == 5 ? Outcome::bounced : Outcome::deferred;
    std::string code = r.enhanced;
    if (code.empty() || code[0] != (o == Outcome::bounced ? '5' : '4'))
      code = o == Outcome::bounced ? "5.0.0" : "4.0.0";
    s = local_failure(o, code, r.text);
  } else {
    s = status_from_reply(RemoteReply{r.code, r.enhanced, r.text});
  }
  s.remote_host = hop.host;
  s.remote_ip = hop.ip;
  s.tls = tls;
  return s;
}

store::AttemptRecord attempt_record(const store::PendingRecipient& r, const DeliveryStatus& s,
                                    UnixMillis now, UnixMillis duration,
                                    const queue::RetryPolicy& policy, double jitter_unit) {
  store::AttemptRecord rec;
  rec.recipient_id = r.id;
  rec.at = now;
  rec.dsn_status = s.status;
  rec.mx_host = s.remote_host;
  rec.ip = s.remote_ip;
  rec.tls = s.tls.empty() ? "none" : s.tls;
  rec.response = s.reply ? s.reply->str() : s.diagnostic;
  rec.duration_ms = duration;
  switch (s.outcome) {
    case Outcome::delivered:
      rec.new_status = std::string(store::kDelivered);
      break;
    case Outcome::bounced:
      rec.new_status = std::string(store::kBounced);
      break;
    case Outcome::deferred: {
      auto age = std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::milliseconds(now - r.accepted_at));
      auto d = queue::backoff(r.attempts + 1, age, jitter_unit, policy);
      if (d.expired) {
        rec.new_status = std::string(store::kExpired);
      } else {
        rec.new_status = std::string(store::kDeferred);
        rec.next_attempt_at = now + d.delay.count() * 1000;
      }
      break;
    }
  }
  return rec;
}

std::string suppression_reason(const store::Suppression& s) {
  return "suppressed: " + s.entry + " is on the suppression list (" + s.reason + ")";
}

store::AttemptRecord suppressed_record(const store::PendingRecipient& r, const std::string& why,
                                       UnixMillis now) {
  store::AttemptRecord rec;
  rec.recipient_id = r.id;
  rec.at = now;
  rec.new_status = std::string(store::kSuppressed);
  rec.dsn_status = "5.1.1";
  rec.tls = "none";
  rec.response = why;
  return rec;
}

bool is_hard_bounce(const std::string& status) {
  return status.rfind("5.1.", 0) == 0 || status == "5.2.1";
}

store::Suppression bounce_suppression(const store::PendingRecipient& r, const DeliveryStatus& s,
                                      UnixMillis now, UnixMillis ttl) {
  return store::Suppression{
      r.recipient, false, "hard bounce " + (s.reply ? s.reply->str() : s.diagnostic),
      "bounce",    now,   now + ttl};
}

store::NewMessage dsn_message(const std::string& to, std::string dsn, UnixMillis now) {
  store::NewMessage m;
  m.queue_id = spool::Spool::new_queue_id();
  auto h = smtp::parse_headers(dsn);
  m.message_id = h.message_id;
  if (m.message_id.size() > 2 && m.message_id.front() == '<')
    m.message_id = m.message_id.substr(1, m.message_id.size() - 2);
  m.subject = h.subject;
  m.sender = "";
  m.auth_user = "";
  m.client_ip = "";
  m.helo = "";
  m.recipients = {to};
  m.body = std::move(dsn);
  m.accepted_at = now;
  return m;
}

}  // namespace herald::delivery
