#include "delivery/delivery_status.h"

#include <cassert>
#include <utility>

namespace herald::delivery {

namespace {

// Diagnostic-Code is a header-like field (RFC 3464 §2.3.6): no CR, LF or other controls.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

bool digits(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

[[maybe_unused]] char class_digit(Outcome outcome) {
  switch (outcome) {
    case Outcome::delivered:
      return '2';
    case Outcome::deferred:
      return '4';
    case Outcome::bounced:
      return '5';
  }
  return '?';
}

}  // namespace

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::delivered:
      return "delivered";
    case Outcome::deferred:
      return "deferred";
    case Outcome::bounced:
      return "bounced";
  }
  return "unknown";
}

std::string RemoteReply::str() const {
  std::string out = std::to_string(code);
  if (!enhanced.empty()) out += " " + enhanced;
  if (!text.empty()) out += " " + text;
  return out;
}

bool is_valid_status(std::string_view code) {
  // class "." subject "." detail (RFC 3463 §2); subject and detail are 1-3 digits.
  if (code.size() < 5 || (code[0] != '2' && code[0] != '4' && code[0] != '5') || code[1] != '.')
    return false;
  std::string_view rest = code.substr(2);
  auto dot = rest.find('.');
  if (dot == std::string_view::npos) return false;
  return digits(rest.substr(0, dot), 3) && digits(rest.substr(dot + 1), 3);
}

DeliveryStatus status_from_reply(const RemoteReply& reply) {
  DeliveryStatus out;
  const int klass = reply.code / 100;
  if (reply.code > 0 && (klass == 2 || klass == 4 || klass == 5)) {
    out.outcome =
        klass == 2 ? Outcome::delivered : (klass == 4 ? Outcome::deferred : Outcome::bounced);
    const char c = static_cast<char>('0' + klass);
    // An enhanced code whose class contradicts the basic code is ignored (the basic code wins).
    if (is_valid_status(reply.enhanced) && reply.enhanced[0] == c)
      out.status = reply.enhanced;
    else
      out.status = std::string(1, c) + ".0.0";
  } else {
    out.outcome = Outcome::deferred;
    out.status = "4.5.0";
  }
  out.diagnostic = "smtp; " + one_line(reply.str());
  out.reply = reply;
  return out;
}

DeliveryStatus local_failure(Outcome outcome, std::string status, std::string text) {
  assert(is_valid_status(status) && status[0] == class_digit(outcome));
  DeliveryStatus out;
  out.outcome = outcome;
  out.status = std::move(status);
  out.diagnostic = "X-Herald; " + one_line(text);
  return out;
}

}  // namespace herald::delivery
