#include "delivery/dsn.h"

#include "smtp/message.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <utility>

namespace herald::delivery {

namespace {

constexpr std::size_t kFoldAt = 78;    // RFC 5322 §2.1.1 "SHOULD" line length
constexpr std::size_t kMaxLine = 998;  // RFC 5322 §2.1.1 "MUST" line length
constexpr std::string_view kCrlf = "\r\n";

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool has_line_break_or_nul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Controls become spaces; in 7-bit mode 8-bit bytes become '?'.
std::string clean_text(std::string_view s, bool allow_8bit) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      out.push_back(' ');
    else if (u >= 0x80 && !allow_8bit)
      out.push_back('?');
    else
      out.push_back(c);
  }
  return out;
}

// The words of `text` (split at spaces); a word longer than kMaxWord is cut into pieces so
// that no line can exceed 998 octets whatever the server sent.
constexpr std::size_t kMaxWord = 900;

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view word = text.substr(i, j - i);
    i = j + 1;
    for (; word.size() > kMaxWord; word.remove_prefix(kMaxWord))
      out.push_back(word.substr(0, kMaxWord));
    if (!word.empty()) out.push_back(word);
  }
  return out;
}

// Lays out `text` in lines of at most `width` columns where the words allow it: the first line
// starts with `first`, the following ones with `next`. Lines end in CRLF.
std::string layout(std::string_view first, std::string_view next, std::string_view text,
                   std::size_t width = kFoldAt) {
  std::string out;
  std::string line(first);
  bool has_word = false;
  for (std::string_view w : words(text)) {
    if (has_word && line.size() + 1 + w.size() > width) {
      out += line;
      out += kCrlf;
      line.assign(next);
      has_word = false;
    }
    if (has_word) line += ' ';
    line += w;
    has_word = true;
  }
  out += line;
  out += kCrlf;
  return out;
}

// "Name: value", folded with CRLF + space (RFC 5322 §2.2.3), ending in CRLF.
std::string field(std::string_view name, std::string_view value) {
  return layout(std::string(name) + ": ", " ", value);
}

// The header section of `message` (up to the first empty line), CRLF, every line <= 998.
std::string header_section(std::string_view message) {
  std::string out;
  std::size_t pos = 0;
  while (pos < message.size()) {
    std::size_t nl = message.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? message.size() : nl;
    std::string_view line = message.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header section
    std::string text(line);
    std::replace(text.begin(), text.end(), '\r', ' ');  // a stray CR would end the line early
    std::replace(text.begin(), text.end(), '\0', ' ');
    // An overlong line is folded (continuation lines start with a space), never truncated.
    std::size_t room = kMaxLine;
    std::string_view rest = text;
    while (rest.size() > room) {
      out.append(rest.substr(0, room));
      out += "\r\n ";
      rest.remove_prefix(room);
      room = kMaxLine - 1;  // the continuation's leading space takes one octet
    }
    out.append(rest);
    out += kCrlf;
    pos = nl == std::string_view::npos ? message.size() : nl + 1;
  }
  return out;
}

// The value of the first header field `name` (case-insensitive), unfolded; "" when absent.
std::string header_value(std::string_view headers, std::string_view name) {
  std::string want = lower(name) + ":";
  std::string unfolded;
  bool in_field = false;
  std::size_t pos = 0;
  while (pos < headers.size()) {
    std::size_t nl = headers.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? headers.size() : nl;
    std::string_view line = headers.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    const bool continuation = line[0] == ' ' || line[0] == '\t';
    if (in_field && continuation) {
      unfolded.append(line);
      continue;
    }
    if (in_field) break;
    if (!continuation && line.size() >= want.size() && lower(line.substr(0, want.size())) == want) {
      in_field = true;
      unfolded.assign(line.substr(want.size()));
    }
  }
  return unfolded;
}

std::string trim(std::string_view s) {
  const char* ws = " \t";
  std::size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  std::size_t e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

std::string address_type(std::string_view address) {
  // RFC 3464 §2.3.2 "rfc822" for ASCII addresses; RFC 6533 §3 "utf-8" for the others.
  return std::string(is_ascii(address) ? "rfc822; " : "utf-8; ") + std::string(address);
}

std::string alnum_only(std::string_view s) {
  std::string out;
  for (char c : s)
    if (std::isalnum(static_cast<unsigned char>(c))) out.push_back(c);
  return out;
}

Result<void> validate(const DsnInput& in) {
  if (in.recipients.empty()) return make_error("a DSN needs at least one recipient");
  if (in.envelope_sender.empty() || in.envelope_sender == "<>")
    return make_error("no DSN for a null envelope sender (never bounce a bounce)");
  if (in.reporting_host.empty() || in.reporting_host.find(' ') != std::string::npos ||
      has_line_break_or_nul(in.reporting_host))
    return make_error("invalid reporting host name for a DSN");
  if (has_line_break_or_nul(in.envelope_sender) || has_line_break_or_nul(in.queue_id))
    return make_error("line break in the DSN sender or queue id");
  for (const DsnRecipient& r : in.recipients) {
    if (r.recipient.empty() || has_line_break_or_nul(r.recipient))
      return make_error("invalid DSN recipient address");
    // failed: 5.x.x, or 4.x.x after expiry; delayed: still transient, 4.x.x only.
    const bool status_ok =
        is_valid_status(r.status) &&
        (r.status[0] == '4' || (r.status[0] == '5' && r.action == DsnAction::failed));
    if (!status_ok) return make_error("invalid DSN status \"" + r.status + "\" for " + r.recipient);
  }
  return ok();
}

// The diagnostic in words for people: the remote server's own reply, or our local reason.
std::string explain(const DsnRecipient& r, bool allow_8bit) {
  std::string diag = clean_text(r.diagnostic, allow_8bit);
  if (diag.empty()) return {};
  std::size_t semi = diag.find(';');
  std::string type = semi == std::string::npos ? "" : lower(trim(diag.substr(0, semi)));
  std::string text = trim(semi == std::string::npos ? diag : diag.substr(semi + 1));
  if (type == "smtp") {
    std::string who = r.remote_mta.empty() ? "The remote server"
                                           : "The remote server " + clean_text(r.remote_mta, false);
    return who + " said: " + text;
  }
  return "Reason: " + text;
}

std::string headline(const DsnRecipient& r) {
  if (r.action == DsnAction::delayed) {
    std::string out = "not delivered yet (status " + r.status + "); delivery will be retried";
    if (r.will_retry_until) out += " until " + smtp::format_rfc5322_date(*r.will_retry_until);
    return out + ".";
  }
  if (r.status[0] == '4')
    return "delivery failed: the message expired in the queue before it could be delivered "
           "(last status " +
           r.status + ").";
  return "delivery failed permanently (status " + r.status + ").";
}

std::string human_part(const DsnInput& in, bool any_failed, bool allow_8bit) {
  std::string out =
      layout("", "", "This is the mail delivery system at " + in.reporting_host + ".");
  out += kCrlf;
  out += layout("", "",
                any_failed ? "Your message could not be delivered to one or more of its "
                             "recipients. They are listed below with the reason; the headers of "
                             "your message are attached."
                           : "Your message has not been delivered yet to one or more of its "
                             "recipients. It stays queued and delivery is being retried; you do "
                             "not need to send it again.");
  for (const DsnRecipient& r : in.recipients) {
    out += kCrlf;
    out += layout("", "    ", "<" + clean_text(r.recipient, allow_8bit) + ">: " + headline(r));
    std::string words = explain(r, allow_8bit);
    if (!words.empty()) out += layout("    ", "    ", words);
  }
  return out;
}

// The message/delivery-status body (RFC 3464 §2.1): per-message fields, then one group of
// per-recipient fields each, groups separated by empty lines.
std::string status_part(const DsnInput& in, bool allow_8bit) {
  std::string out = field("Reporting-MTA", "dns; " + in.reporting_host);
  out += field("X-Herald-Queue-ID", clean_text(in.queue_id, false));
  out += field("X-Herald-Sender", address_type(in.envelope_sender));
  out += field("Arrival-Date", smtp::format_rfc5322_date(in.arrival));
  for (const DsnRecipient& r : in.recipients) {
    out += kCrlf;
    out += field("Final-Recipient", address_type(r.recipient));
    out += field("Action", to_string(r.action));
    out += field("Status", r.status);
    if (!r.remote_mta.empty())
      out += field("Remote-MTA", "dns; " + clean_text(r.remote_mta, false));
    if (!r.diagnostic.empty())
      out += field("Diagnostic-Code", clean_text(r.diagnostic, allow_8bit));
    if (r.last_attempt)
      out += field("Last-Attempt-Date", smtp::format_rfc5322_date(*r.last_attempt));
    if (r.will_retry_until && r.action == DsnAction::delayed)
      out += field("Will-Retry-Until", smtp::format_rfc5322_date(*r.will_retry_until));
  }
  return out;
}

// A boundary that occurs in none of the parts (RFC 2046 §5.1.1), at most 70 characters.
std::string choose_boundary(const DsnInput& in, std::initializer_list<std::string_view> parts) {
  const std::string base =
      "=_herald-dsn-" + alnum_only(in.queue_id).substr(0, 30) + "-" + std::to_string(in.now);
  for (int n = 0;; ++n) {
    std::string b = n == 0 ? base : base + "-" + std::to_string(n);
    if (std::none_of(parts.begin(), parts.end(),
                     [&](std::string_view p) { return p.find(b) != std::string_view::npos; }))
      return b;
  }
}

std::string part(std::string_view boundary, std::string_view description, std::string_view type,
                 bool eight_bit, std::string_view body) {
  std::string out = "--" + std::string(boundary) + "\r\n";
  out += field("Content-Description", description);
  out += field("Content-Type", type);
  if (eight_bit) out += field("Content-Transfer-Encoding", "8bit");
  out += kCrlf;
  out += body;
  // The CRLF before the next delimiter belongs to the delimiter (RFC 2046 §5.1.1): without
  // this one the part would lose the CRLF that ends its last line (or header field).
  out += kCrlf;
  return out;
}

}  // namespace

std::string_view to_string(DsnAction action) {
  return action == DsnAction::failed ? "failed" : "delayed";
}

DsnRecipient dsn_recipient(std::string recipient, DsnAction action, const DeliveryStatus& last,
                           UnixMillis last_attempt) {
  DsnRecipient r;
  r.recipient = std::move(recipient);
  r.action = action;
  r.status = last.status;
  r.diagnostic = last.diagnostic;
  r.remote_mta = last.remote_host;
  r.last_attempt = last_attempt;
  return r;
}

bool is_bounce_or_auto(std::string_view envelope_sender, std::string_view message) {
  if (envelope_sender.empty() || envelope_sender == "<>") return true;
  std::string auto_submitted = lower(trim(header_value(message, "Auto-Submitted")));
  // The keyword may carry parameters or a comment: "auto-replied; owner-email=..." (§5).
  auto_submitted = auto_submitted.substr(0, auto_submitted.find_first_of("; \t("));
  if (auto_submitted == "auto-replied") return true;
  std::string type = lower(header_value(message, "Content-Type"));
  std::string compact;
  for (char c : type)
    if (c != ' ' && c != '\t' && c != '"') compact.push_back(c);
  return compact.starts_with("multipart/report;") &&
         (compact.find(";report-type=delivery-status") != std::string::npos ||
          compact.find(";report-type=global-delivery-status") != std::string::npos);
}

}  // namespace herald::delivery

namespace herald::delivery {

Result<std::string> build_dsn(const DsnInput& in) {
  if (auto valid = validate(in); !valid) return valid.error();
  const std::string headers = header_section(in.original_message);
  bool global = !is_ascii(in.envelope_sender) || !is_ascii(headers);
  bool any_failed = false;
  for (const DsnRecipient& r : in.recipients) {
    global = global || !is_ascii(r.recipient);
    any_failed = any_failed || r.action == DsnAction::failed;
  }
  const std::string human = human_part(in, any_failed, global);
  const std::string status = status_part(in, global);
  const std::string boundary = choose_boundary(in, {human, status, headers});
  const std::string report_type = global ? "global-delivery-status" : "delivery-status";

  std::string out = field("Date", smtp::format_rfc5322_date(in.now));
  out += field("From", "Mail Delivery System <MAILER-DAEMON@" + in.reporting_host + ">");
  out += field("To", "<" + in.envelope_sender + ">");
  out += field("Subject", any_failed ? "Undelivered Mail Returned to Sender"
                                     : "Delayed Mail (still being retried)");
  out += field("Message-ID", "<" + std::to_string(in.now) + "." + alnum_only(in.queue_id) +
                                 ".dsn@" + in.reporting_host + ">");
  out += field("Auto-Submitted", "auto-replied");  // RFC 3834 §5
  out += field("MIME-Version", "1.0");
  out += field("Content-Type",
               "multipart/report; report-type=" + report_type + "; boundary=\"" + boundary + "\"");
  out += kCrlf;
  out += "This is a MIME-encapsulated message.\r\n\r\n";
  out += part(boundary, "Notification",
              global ? "text/plain; charset=utf-8" : "text/plain; charset=us-ascii", global, human);
  out += part(boundary, "Delivery report", "message/" + report_type, global, status);
  out += part(boundary, "Undelivered Message Headers",
              global ? "message/global-headers" : "text/rfc822-headers", global, headers);
  out += "--" + boundary + "--\r\n";
  // in_place_value: Error is constructible from a string too.
  return Result<std::string>(boost::system::in_place_value, std::move(out));
}

}  // namespace herald::delivery
