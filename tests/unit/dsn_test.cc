#include "delivery/dsn.h"
#include "smtp/message.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/delivery_status.h"

namespace herald::delivery {
namespace {

// ---- DeliveryStatus ----------------------------------------------------------------------

TEST(DeliveryStatus, RemoteReplyStr) {
  EXPECT_EQ((RemoteReply{550, "5.1.1", "User unknown"}).str(), "550 5.1.1 User unknown");
  EXPECT_EQ((RemoteReply{421, "", "Try later"}).str(), "421 Try later");
  EXPECT_EQ((RemoteReply{250, "2.0.0", ""}).str(), "250 2.0.0");
}

TEST(DeliveryStatus, ValidStatusCodes) {
  const struct {
    const char* code;
    bool valid;
  } rows[] = {{"2.0.0", true},     {"4.4.1", true},   {"5.1.10", true}, {"5.123.456", true},
              {"3.0.0", false},    {"5.1", false},    {"5..1", false},  {"5.1.", false},
              {"5.1234.1", false}, {"5.1.1 ", false}, {"", false},      {"x.1.1", false},
              {"5.1.1.1", false}};
  for (const auto& row : rows) EXPECT_EQ(is_valid_status(row.code), row.valid) << row.code;
}

TEST(DeliveryStatus, ClassifiesReplies) {
  const struct {
    RemoteReply reply;
    Outcome outcome;
    const char* status;
  } rows[] = {
      {{250, "2.0.0", "Ok: queued as X"}, Outcome::delivered, "2.0.0"},
      {{250, "", "Ok"}, Outcome::delivered, "2.0.0"},
      {{451, "4.7.1", "Greylisted"}, Outcome::deferred, "4.7.1"},
      {{421, "", "Service not available"}, Outcome::deferred, "4.0.0"},
      {{550, "5.1.1", "User unknown"}, Outcome::bounced, "5.1.1"},
      {{554, "", "Rejected"}, Outcome::bounced, "5.0.0"},
      {{550, "4.1.1", "class mismatch"}, Outcome::bounced, "5.0.0"},  // basic code wins
      {{450, "5.2.2", "class mismatch"}, Outcome::deferred, "4.0.0"},
      {{550, "5.1", "malformed"}, Outcome::bounced, "5.0.0"},
      {{354, "", "go ahead"}, Outcome::deferred, "4.5.0"},  // protocol error
      {{0, "", ""}, Outcome::deferred, "4.5.0"},
      {{600, "", "nonsense"}, Outcome::deferred, "4.5.0"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.reply.str());
    DeliveryStatus s = status_from_reply(row.reply);
    EXPECT_EQ(s.outcome, row.outcome);
    EXPECT_EQ(s.status, row.status);
    EXPECT_EQ(s.diagnostic, "smtp; " + row.reply.str());
    ASSERT_TRUE(s.reply.has_value());
    EXPECT_EQ(s.reply->code, row.reply.code);
  }
}

TEST(DeliveryStatus, DiagnosticHasNoLineBreaks) {
  DeliveryStatus s = status_from_reply({550, "5.7.1", "evil\r\nX-Injected: yes"});
  EXPECT_EQ(s.diagnostic.find_first_of("\r\n"), std::string::npos);
  DeliveryStatus l = local_failure(Outcome::deferred, "4.4.1", "refused\nagain");
  EXPECT_EQ(l.diagnostic, "X-Herald; refused again");
}

TEST(DeliveryStatus, LocalFailures) {
  DeliveryStatus s = local_failure(Outcome::deferred, std::string(codes::no_answer),
                                   "connect to mx.example.org[192.0.2.1]:25: timed out");
  EXPECT_EQ(s.outcome, Outcome::deferred);
  EXPECT_EQ(s.status, "4.4.1");
  EXPECT_EQ(s.diagnostic, "X-Herald; connect to mx.example.org[192.0.2.1]:25: timed out");
  EXPECT_FALSE(s.reply.has_value());
  DeliveryStatus n = local_failure(Outcome::bounced, std::string(codes::null_mx), "null MX");
  EXPECT_EQ(n.outcome, Outcome::bounced);
  EXPECT_EQ(n.status, "5.1.10");
  // Every code constant is well-formed and says whether it is transient or permanent.
  for (std::string_view c : {codes::no_answer, codes::bad_connection, codes::dns_failure,
                             codes::tls_failed, codes::tls_not_offered, codes::expired})
    EXPECT_TRUE(is_valid_status(c) && c[0] == '4') << c;
  for (std::string_view c : {codes::no_route, codes::no_such_domain, codes::null_mx,
                             codes::smtputf8_address, codes::smtputf8_header})
    EXPECT_TRUE(is_valid_status(c) && c[0] == '5') << c;
}

// ---- A small MIME reader for the DSN tests ----------------------------------------------

struct Part {
  std::multimap<std::string, std::string> headers;  // lower-case name -> unfolded value
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(s.begin());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(pos, end - pos));
    pos = end + 2;
  }
  return lines;
}

// Header fields (unfolded) up to the first empty line.
std::multimap<std::string, std::string> parse_fields(std::string_view text) {
  std::multimap<std::string, std::string> out;
  std::string name, value;
  auto flush = [&] {
    if (!name.empty()) out.emplace(lower(name), trim(value));
    name.clear();
    value.clear();
  };
  for (const std::string& line : split_lines(text)) {
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      value += line;
      continue;
    }
    flush();
    auto colon = line.find(':');
    EXPECT_NE(colon, std::string::npos) << line;
    name = line.substr(0, colon);
    value = line.substr(colon + 1);
  }
  flush();
  return out;
}

Part parse_part(std::string_view text) {
  Part p;
  std::size_t sep = text.find("\r\n\r\n");
  if (text.starts_with("\r\n")) {  // no header fields at all
    p.body = std::string(text.substr(2));
    return p;
  }
  p.headers = parse_fields(text.substr(0, sep == std::string_view::npos ? text.size() : sep + 2));
  if (sep != std::string_view::npos) p.body = std::string(text.substr(sep + 4));
  return p;
}

// Content-Type "type/sub; a=b; c="d"" -> {"", "type/sub"}, {"a", "b"}, {"c", "d"}.
std::map<std::string, std::string> content_type(const std::string& value) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  bool first = true;
  while (pos <= value.size()) {
    std::size_t semi = value.find(';', pos);
    if (semi == std::string::npos) semi = value.size();
    std::string item = trim(value.substr(pos, semi - pos));
    if (first) {
      out[""] = lower(item);
      first = false;
    } else if (auto eq = item.find('='); eq != std::string::npos) {
      std::string v = trim(item.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      out[lower(trim(item.substr(0, eq)))] = v;
    }
    pos = semi + 1;
  }
  return out;
}

struct Dsn {
  Part top;
  std::map<std::string, std::string> type;
  std::vector<Part> parts;
  bool closed = false;
};

Dsn parse_dsn(const std::string& message) {
  Dsn d;
  d.top = parse_part(message);
  d.type = content_type(d.top.header("content-type"));
  const std::string delim = "--" + d.type["boundary"];
  const std::string& body = d.top.body;
  std::size_t pos = body.find(delim);
  EXPECT_NE(pos, std::string::npos);
  while (pos != std::string::npos) {
    std::size_t start = pos + delim.size();
    if (body.compare(start, 2, "--") == 0) {
      d.closed = body.compare(start, 4, "--\r\n") == 0 && start + 4 == body.size();
      break;
    }
    EXPECT_EQ(body.compare(start, 2, "\r\n"), 0);
    std::size_t next = body.find("\r\n" + delim, start);
    if (next == std::string::npos) break;
    d.parts.push_back(parse_part(std::string_view(body).substr(start + 2, next - start - 2)));
    pos = next + 2;
  }
  return d;
}

// The message/delivery-status body: groups of fields separated by empty lines.
std::vector<std::multimap<std::string, std::string>> status_groups(const std::string& body) {
  std::vector<std::multimap<std::string, std::string>> groups;
  std::string text = body + "\r\n";
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find("\r\n\r\n", pos);
    if (end == std::string::npos) end = text.size();
    std::string chunk = text.substr(pos, end - pos + 2);
    if (chunk.find_first_not_of("\r\n") != std::string::npos) groups.push_back(parse_fields(chunk));
    pos = end + 4;
  }
  return groups;
}

void expect_wire_form(const std::string& message) {
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n') {
      ASSERT_TRUE(i > 0 && message[i - 1] == '\r') << "bare LF at " << i;
    } else if (message[i] == '\r') {
      ASSERT_TRUE(i + 1 < message.size() && message[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  ASSERT_TRUE(message.ends_with("\r\n"));
  for (const std::string& line : split_lines(message)) EXPECT_LE(line.size(), 998u);
}

// The human-readable text with its indented line wrapping undone.
std::string unwrap(std::string text) {
  for (std::size_t p; (p = text.find("\r\n    ")) != std::string::npos;) text.replace(p, 6, " ");
  return text;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 128; });
}

// ---- DSN fixtures -------------------------------------------------------------------------

constexpr UnixMillis kArrival = 1796403069123;  // Fri, 04 Dec 2026 16:51:09 +0000
constexpr UnixMillis kNow = kArrival + 3600 * 1000;

const std::string kOriginal =
    "Received: from app (app.example.com [192.0.2.10])\r\n"
    "\tby herald.example.com with ESMTPSA id 7QX2K\r\n"
    "From: Shop <orders@shop.example>\r\n"
    "To: alice@example.org, bob@nowhere.invalid\r\n"
    "Subject: Your order\r\n"
    "Message-ID: <order-42@shop.example>\r\n"
    "\r\n"
    "SECRET BODY LINE that must not be returned\r\n";

DsnInput failed_input() {
  DsnInput in;
  in.envelope_sender = "bounces@shop.example";
  in.reporting_host = "herald.example.com";
  in.queue_id = "7QX2K";
  in.arrival = kArrival;
  in.original_message = kOriginal;
  in.now = kNow;
  DeliveryStatus rejected = status_from_reply({550, "5.1.1", "<alice@example.org>: User unknown"});
  rejected.remote_host = "mx1.example.org";
  in.recipients.push_back(dsn_recipient("alice@example.org", DsnAction::failed, rejected, kNow));
  DeliveryStatus nxdomain = local_failure(Outcome::bounced, std::string(codes::no_such_domain),
                                          "domain nowhere.invalid does not exist");
  in.recipients.push_back(dsn_recipient("bob@nowhere.invalid", DsnAction::failed, nxdomain, kNow));
  return in;
}

TEST(Dsn, FailedRecipientsReportStructure) {
  auto built = build_dsn(failed_input());
  ASSERT_TRUE(built) << built.error().message;
  const std::string& msg = *built;
  expect_wire_form(msg);
  EXPECT_TRUE(is_ascii(msg));
  Dsn d = parse_dsn(msg);

  EXPECT_EQ(d.top.header("from"), "Mail Delivery System <MAILER-DAEMON@herald.example.com>");
  EXPECT_EQ(d.top.header("to"), "<bounces@shop.example>");
  EXPECT_EQ(d.top.header("subject"), "Undelivered Mail Returned to Sender");
  EXPECT_EQ(d.top.header("auto-submitted"), "auto-replied");
  EXPECT_EQ(d.top.header("mime-version"), "1.0");
  EXPECT_EQ(d.top.header("date"), "Fri, 04 Dec 2026 17:51:09 +0000");
  EXPECT_EQ(d.top.header("message-id"), "<1796406669123.7QX2K.dsn@herald.example.com>");
  EXPECT_EQ(d.type[""], "multipart/report");
  EXPECT_EQ(d.type["report-type"], "delivery-status");
  ASSERT_FALSE(d.type["boundary"].empty());
  EXPECT_LE(d.type["boundary"].size(), 70u);
  ASSERT_EQ(d.parts.size(), 3u);
  EXPECT_TRUE(d.closed);

  // 1. Human-readable: every recipient with the remote server's own words.
  EXPECT_EQ(content_type(d.parts[0].header("content-type"))[""], "text/plain");
  EXPECT_EQ(content_type(d.parts[0].header("content-type"))["charset"], "us-ascii");
  const std::string human = unwrap(d.parts[0].body);
  EXPECT_NE(human.find("<alice@example.org>: delivery failed permanently (status 5.1.1)."),
            std::string::npos)
      << human;
  EXPECT_NE(human.find("The remote server mx1.example.org said: 550 5.1.1 <alice@example.org>: "
                       "User unknown"),
            std::string::npos)
      << human;
  EXPECT_NE(human.find("Reason: domain nowhere.invalid does not exist"), std::string::npos);

  // 2. Machine-readable report.
  EXPECT_EQ(d.parts[1].header("content-type"), "message/delivery-status");
  auto groups = status_groups(d.parts[1].body);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].find("reporting-mta")->second, "dns; herald.example.com");
  EXPECT_EQ(groups[0].find("arrival-date")->second, "Fri, 04 Dec 2026 16:51:09 +0000");
  EXPECT_EQ(groups[0].find("x-herald-queue-id")->second, "7QX2K");
  EXPECT_EQ(groups[0].find("x-herald-sender")->second, "rfc822; bounces@shop.example");
  EXPECT_EQ(groups[1].find("final-recipient")->second, "rfc822; alice@example.org");
  EXPECT_EQ(groups[1].find("action")->second, "failed");
  EXPECT_EQ(groups[1].find("status")->second, "5.1.1");
  EXPECT_EQ(groups[1].find("remote-mta")->second, "dns; mx1.example.org");
  EXPECT_EQ(groups[1].find("diagnostic-code")->second,
            "smtp; 550 5.1.1 <alice@example.org>: User unknown");
  EXPECT_EQ(groups[1].find("last-attempt-date")->second, "Fri, 04 Dec 2026 17:51:09 +0000");
  EXPECT_EQ(groups[1].count("will-retry-until"), 0u);
  EXPECT_EQ(groups[2].find("final-recipient")->second, "rfc822; bob@nowhere.invalid");
  EXPECT_EQ(groups[2].find("status")->second, "5.1.2");
  EXPECT_EQ(groups[2].count("remote-mta"), 0u);  // no host was reached
  EXPECT_EQ(groups[2].find("diagnostic-code")->second,
            "X-Herald; domain nowhere.invalid does not exist");

  // 3. The original header section, and nothing of the body.
  EXPECT_EQ(d.parts[2].header("content-type"), "text/rfc822-headers");
  const std::string headers_only = kOriginal.substr(0, kOriginal.find("\r\n\r\n") + 2);
  EXPECT_EQ(d.parts[2].body, headers_only);
  EXPECT_EQ(msg.find("SECRET BODY"), std::string::npos);
}

TEST(Dsn, DelayedWarning) {
  DsnInput in = failed_input();
  in.recipients.clear();
  DeliveryStatus timeout = local_failure(Outcome::deferred, std::string(codes::no_answer),
                                         "connect to mx1.example.org: timed out");
  DsnRecipient r = dsn_recipient("alice@example.org", DsnAction::delayed, timeout, kNow);
  r.will_retry_until = kArrival + 3LL * 24 * 3600 * 1000;
  in.recipients.push_back(r);
  auto built = build_dsn(in);
  ASSERT_TRUE(built) << built.error().message;
  expect_wire_form(*built);
  Dsn d = parse_dsn(*built);
  EXPECT_EQ(d.top.header("subject"), "Delayed Mail (still being retried)");
  auto groups = status_groups(d.parts[1].body);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].find("action")->second, "delayed");
  EXPECT_EQ(groups[1].find("status")->second, "4.4.1");
  EXPECT_EQ(groups[1].find("will-retry-until")->second, "Mon, 07 Dec 2026 16:51:09 +0000");
  EXPECT_NE(d.parts[0].body.find("not delivered yet"), std::string::npos);
  EXPECT_NE(d.parts[0].body.find("do not need to send it again"), std::string::npos);
}

TEST(Dsn, ExpiryCarriesTheLastTransientStatus) {
  DsnInput in = failed_input();
  in.recipients.resize(1);
  in.recipients[0].status = "4.4.1";
  in.recipients[0].diagnostic = "X-Herald; connect to mx1.example.org: Connection refused";
  auto built = build_dsn(in);
  ASSERT_TRUE(built) << built.error().message;
  Dsn d = parse_dsn(*built);
  EXPECT_EQ(d.top.header("subject"), "Undelivered Mail Returned to Sender");
  auto groups = status_groups(d.parts[1].body);
  EXPECT_EQ(groups[1].find("action")->second, "failed");
  EXPECT_EQ(groups[1].find("status")->second, "4.4.1");
  EXPECT_NE(d.parts[0].body.find("expired in the queue"), std::string::npos);
}

TEST(Dsn, LongLinesAreFoldedNeverOver998) {
  DsnInput in = failed_input();
  std::string words;
  for (int i = 0; i < 300; ++i) words += "word" + std::to_string(i) + " ";
  in.recipients[0].diagnostic = "smtp; 550 5.7.1 " + words + std::string(2500, 'x');
  // Header lines at and around the fold points (998 + 997 octets), plus a stray CR.
  const std::string original = "Subject: " + std::string(2100, 's') + "\r\nX-Long: " + words +
                               "\r\nX-A: " + std::string(1995 - 5, 'a') +  //
                               "\r\nX-B: " + std::string(1996 - 5, 'b') +  //
                               "\r\nX-C: " + std::string(999 - 5, 'c') +   //
                               "\r\nX-D: stray\rCR\r\n\r\nbody\r\n";
  in.original_message = original;
  auto built = build_dsn(in);
  ASSERT_TRUE(built) << built.error().message;
  expect_wire_form(*built);
  Dsn d = parse_dsn(*built);
  ASSERT_EQ(d.parts.size(), 3u);
  // Folding keeps the words: the unfolded Diagnostic-Code starts with the reply.
  auto groups = status_groups(d.parts[1].body);
  EXPECT_TRUE(groups[1].find("diagnostic-code")->second.starts_with("smtp; 550 5.7.1 word0 word1"));
  // Folded header lines keep every octet (the fold adds only the continuation's space).
  auto returned = parse_fields(d.parts[2].body);
  auto no_spaces = [&](const char* name) {
    std::string v = returned.find(name)->second;
    v.erase(std::remove(v.begin(), v.end(), ' '), v.end());
    return v;
  };
  EXPECT_EQ(no_spaces("x-a"), std::string(1990, 'a'));
  EXPECT_EQ(no_spaces("x-b"), std::string(1991, 'b'));
  EXPECT_EQ(returned.find("x-c")->second, std::string(993, 'c') + " c");
  EXPECT_EQ(returned.find("x-d")->second, "stray CR");
  // Short fields stay within 78 columns where the words allow.
  for (const std::string& line : split_lines(d.parts[1].body))
    if (line.find("xxxxxxxxxx") == std::string::npos) {
      EXPECT_LE(line.size(), 78u) << line;
    }
}

TEST(Dsn, LfOnlyOriginalIsReturnedWithCrlf) {
  DsnInput in = failed_input();
  const std::string lf = "From: a@shop.example\nSubject: hi\n\nbody\n";
  in.original_message = lf;
  auto built = build_dsn(in);
  ASSERT_TRUE(built);
  expect_wire_form(*built);
  Dsn d = parse_dsn(*built);
  EXPECT_EQ(d.parts[2].body, "From: a@shop.example\r\nSubject: hi\r\n");
}

TEST(Dsn, BoundaryNeverOccursInAPart) {
  DsnInput in = failed_input();
  // The boundary Herald would pick first, planted in the original headers.
  const std::string planted = "X-Trap: --=_herald-dsn-7QX2K-" + std::to_string(kNow) + "\r\n";
  const std::string original = planted + kOriginal;
  in.original_message = original;
  auto built = build_dsn(in);
  ASSERT_TRUE(built);
  Dsn d = parse_dsn(*built);
  ASSERT_EQ(d.parts.size(), 3u);
  EXPECT_TRUE(d.closed);
  EXPECT_NE(d.type["boundary"], "=_herald-dsn-7QX2K-" + std::to_string(kNow));
  for (const Part& p : d.parts) EXPECT_EQ(p.body.find(d.type["boundary"]), std::string::npos);
  EXPECT_TRUE(d.parts[2].body.starts_with(planted));
}

TEST(Dsn, EightBitRepliesAreMadeSevenBit) {
  DsnInput in = failed_input();
  in.recipients[0].diagnostic = "smtp; 550 5.1.1 Benutzer unbekannt \xc3\xa4";
  auto built = build_dsn(in);
  ASSERT_TRUE(built);
  EXPECT_TRUE(is_ascii(*built));
  EXPECT_NE(built->find("Benutzer unbekannt ??"), std::string::npos);
}

TEST(Dsn, Utf8RecipientUsesGlobalTypes) {
  DsnInput in = failed_input();
  in.recipients.resize(1);
  in.recipients[0].recipient = "j\xc3\xbcrgen@example.org";
  in.recipients[0].diagnostic = "smtp; 550 5.1.1 unbekannt \xc3\xa4";
  auto built = build_dsn(in);
  ASSERT_TRUE(built) << built.error().message;
  expect_wire_form(*built);
  Dsn d = parse_dsn(*built);
  EXPECT_EQ(d.type["report-type"], "global-delivery-status");
  ASSERT_EQ(d.parts.size(), 3u);
  EXPECT_EQ(content_type(d.parts[0].header("content-type"))["charset"], "utf-8");
  EXPECT_EQ(d.parts[1].header("content-type"), "message/global-delivery-status");
  EXPECT_EQ(d.parts[1].header("content-transfer-encoding"), "8bit");
  EXPECT_EQ(d.parts[2].header("content-type"), "message/global-headers");
  auto groups = status_groups(d.parts[1].body);
  EXPECT_EQ(groups[1].find("final-recipient")->second, "utf-8; j\xc3\xbcrgen@example.org");
  EXPECT_EQ(groups[1].find("diagnostic-code")->second, "smtp; 550 5.1.1 unbekannt \xc3\xa4");
}

TEST(Dsn, RejectsInputThatCannotMakeAValidDsn) {
  const struct {
    const char* name;
    void (*mutate)(DsnInput&);
  } rows[] = {
      {"no recipients", [](DsnInput& in) { in.recipients.clear(); }},
      {"null sender", [](DsnInput& in) { in.envelope_sender = ""; }},
      {"null sender <>", [](DsnInput& in) { in.envelope_sender = "<>"; }},
      {"no host", [](DsnInput& in) { in.reporting_host = ""; }},
      {"header injection in sender",
       [](DsnInput& in) { in.envelope_sender = "a@b.example\r\nBcc: x@y.example"; }},
      {"header injection in recipient",
       [](DsnInput& in) { in.recipients[0].recipient = "a@b.example\nX: y"; }},
      {"malformed status", [](DsnInput& in) { in.recipients[0].status = "5.1"; }},
      {"success status", [](DsnInput& in) { in.recipients[0].status = "2.0.0"; }},
      {"delayed with a permanent status",
       [](DsnInput& in) { in.recipients[0].action = DsnAction::delayed; }},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    DsnInput in = failed_input();
    row.mutate(in);
    EXPECT_FALSE(build_dsn(in));
  }
}

TEST(Dsn, NeverBounceABounce) {
  const struct {
    const char* name;
    const char* sender;
    const char* message;
    bool suppressed;
  } rows[] = {
      {"ordinary message", "app@shop.example", "From: a@shop.example\r\n\r\nhi\r\n", false},
      {"null sender", "", "From: a@shop.example\r\n\r\nhi\r\n", true},
      {"null sender in brackets", "<>", "From: a@shop.example\r\n\r\nhi\r\n", true},
      {"auto-replied", "app@shop.example", "Auto-Submitted: auto-replied\r\n\r\n", true},
      {"auto-replied, case and parameters", "app@shop.example",
       "auto-submitted:  Auto-Replied; owner-email=x@y\r\n\r\n", true},
      {"auto-generated notifications still get DSNs", "app@shop.example",
       "Auto-Submitted: auto-generated\r\n\r\n", false},
      {"auto-submitted no", "app@shop.example", "Auto-Submitted: no\r\n\r\n", false},
      {"a relayed DSN", "app@shop.example",
       "Content-Type: multipart/report;\r\n report-type=\"delivery-status\"; boundary=b\r\n\r\n",
       true},
      {"a relayed global DSN", "app@shop.example",
       "Content-Type: Multipart/Report; report-type=global-delivery-status; boundary=b\n\n", true},
      {"other report types are not bounces", "app@shop.example",
       "Content-Type: multipart/report; report-type=disposition-notification\r\n\r\n", false},
      {"only the header section counts", "app@shop.example",
       "Subject: hi\r\n\r\nAuto-Submitted: auto-replied\r\n", false},
  };
  for (const auto& row : rows)
    EXPECT_EQ(is_bounce_or_auto(row.sender, row.message), row.suppressed) << row.name;
}

TEST(Dsn, Rfc5322Dates) {
  EXPECT_EQ(smtp::format_rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(smtp::format_rfc5322_date(951782400000), "Tue, 29 Feb 2000 00:00:00 +0000");
  EXPECT_EQ(smtp::format_rfc5322_date(kArrival), "Fri, 04 Dec 2026 16:51:09 +0000");
}

TEST(Dsn, RecipientFromDeliveryStatus) {
  DeliveryStatus s = status_from_reply({552, "5.2.2", "Mailbox full"});
  s.remote_host = "mx.example.net";
  DsnRecipient r = dsn_recipient("c@example.net", DsnAction::failed, s, 1234);
  EXPECT_EQ(r.recipient, "c@example.net");
  EXPECT_EQ(r.status, "5.2.2");
  EXPECT_EQ(r.diagnostic, "smtp; 552 5.2.2 Mailbox full");
  EXPECT_EQ(r.remote_mta, "mx.example.net");
  EXPECT_EQ(r.last_attempt, 1234);
}

}  // namespace
}  // namespace herald::delivery
