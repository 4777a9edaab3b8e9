#include "smtp/message.h"

#include <ctime>

#include "smtp/command.h"

namespace herald::smtp {
namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_wsp(s.front()) || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 5322 §3.2.1-3.2.3 lexical tokens of an address list; comments and folding whitespace
// are dropped, `spaced` records whether CFWS preceded the token.
struct Token {
  enum Kind { word, special, literal } kind;
  std::string text;
  bool spaced = false;
};

bool is_special(char c) {
  return c == '<' || c == '>' || c == ',' || c == ':' || c == ';' || c == '@' || c == '.';
}

bool skip_comment(std::string_view v, std::size_t& i) {
  int depth = 0;
  for (; i < v.size(); ++i) {
    if (v[i] == '\\') {
      ++i;
    } else if (v[i] == '(') {
      ++depth;
    } else if (v[i] == ')') {
      if (--depth == 0) {
        ++i;
        return true;
      }
    }
  }
  return false;
}

bool scan_delimited(std::string_view v, std::size_t& i, char close, std::string& out) {
  out.push_back(v[i++]);
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (c == '\r' || c == '\n') continue;  // folding inside quoted strings
    out.push_back(c);
    if (c == '\\' && i + 1 < v.size()) {
      out.push_back(v[++i]);
    } else if (c == close) {
      ++i;
      return true;
    }
  }
  return false;
}

std::optional<std::vector<Token>> tokenize(std::string_view v) {
  std::vector<Token> out;
  bool spaced = false;
  std::size_t i = 0;
  while (i < v.size()) {
    char c = v[i];
    if (is_wsp(c) || c == '\r' || c == '\n') {
      spaced = true;
      ++i;
    } else if (c == '(') {
      if (!skip_comment(v, i)) return std::nullopt;
      spaced = true;
    } else if (c == '"' || c == '[') {
      Token t{c == '"' ? Token::word : Token::literal, {}, spaced};
      if (!scan_delimited(v, i, c == '"' ? '"' : ']', t.text)) return std::nullopt;
      out.push_back(std::move(t));
      spaced = false;
    } else if (is_special(c)) {
      out.push_back(Token{Token::special, std::string(1, c), spaced});
      spaced = false;
      ++i;
    } else if (c == ')' || c == ']' || c == '\\' || static_cast<unsigned char>(c) < 32) {
      return std::nullopt;
    } else {
      Token t{Token::word, {}, spaced};
      while (i < v.size() && !is_wsp(v[i]) && !is_special(v[i]) && v[i] != '(' && v[i] != '"' &&
             v[i] != '[' && v[i] != '\r' && v[i] != '\n') {
        t.text.push_back(v[i++]);
      }
      out.push_back(std::move(t));
      spaced = false;
    }
  }
  return out;
}

// Rebuilds an addr-spec from tokens; whitespace between two words is kept so that
// "john doe@x" stays invalid.
std::optional<Mailbox> addr_spec(const std::vector<Token>& toks, std::size_t b, std::size_t e) {
  std::string text;
  for (std::size_t k = b; k < e; ++k) {
    const Token& t = toks[k];
    if (t.kind == Token::special && t.text != "." && t.text != "@") return std::nullopt;
    if (k > b && t.kind != Token::special && toks[k - 1].kind != Token::special)
      text.push_back(' ');
    text += t.text;
  }
  return parse_mailbox(text, true);
}

std::optional<Mailbox> one_mailbox(const std::vector<Token>& toks, std::size_t b, std::size_t e) {
  std::size_t open = e;
  for (std::size_t k = b; k < e; ++k) {
    if (toks[k].kind == Token::special && toks[k].text == "<") {
      open = k;
      break;
    }
  }
  if (open == e) return addr_spec(toks, b, e);
  // display-name: words and (obs-phrase) dots only.
  for (std::size_t k = b; k < open; ++k) {
    if (toks[k].kind != Token::word && toks[k].text != ".") return std::nullopt;
  }
  if (e - open < 3 || toks[e - 1].kind != Token::special || toks[e - 1].text != ">") {
    return std::nullopt;
  }
  std::size_t start = open + 1;
  // obs-route "@a,@b:" before the addr-spec.
  if (toks[start].text == "@") {
    while (start < e - 1 && toks[start].text != ":") ++start;
    if (start == e - 1) return std::nullopt;
    ++start;
  }
  return addr_spec(toks, start, e - 1);
}

}  // namespace

std::string unfold(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') {
      ++i;
      continue;
    }
    out.push_back(value[i]);
  }
  return std::string(trim(out));
}

Result<std::vector<Mailbox>> parse_mailbox_list(std::string_view value) {
  auto toks = tokenize(value);
  if (!toks) return make_error("unbalanced quotes, comments or brackets");
  std::vector<Mailbox> out;
  std::size_t begin = 0;
  bool in_angle = false;
  for (std::size_t k = 0; k <= toks->size(); ++k) {
    bool end = k == toks->size();
    if (!end) {
      const Token& t = (*toks)[k];
      if (t.kind != Token::special) continue;
      if (t.text == "<") in_angle = true;
      if (t.text == ">") in_angle = false;
      if (!in_angle && (t.text == ":" || t.text == ";")) {
        return make_error("groups are not allowed in a mailbox list");
      }
      if (in_angle || t.text != ",") continue;
    }
    if (k == begin) return make_error("empty mailbox in list");
    auto m = one_mailbox(*toks, begin, k);
    if (!m) return make_error("invalid mailbox");
    out.push_back(std::move(*m));
    begin = k + 1;
  }
  return out;
}

HeaderSummary parse_headers(std::string_view message) {
  HeaderSummary s;
  std::size_t pos = 0;
  while (pos < message.size()) {
    std::size_t eol = message.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = message.size();
    if (eol == pos) break;  // the empty line ending the header block
    std::size_t colon = message.find(':', pos);
    std::string_view name = colon < eol ? message.substr(pos, colon - pos) : std::string_view{};
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);  // obs-optional
    bool valid_name = !name.empty();
    for (char c : name) valid_name = valid_name && c > 32 && c < 127;
    if (!valid_name) break;  // not a header field: the header block ends here
    // The field continues over lines that begin with WSP (folding).
    std::size_t end = eol;
    while (end + 2 < message.size() && is_wsp(message[end + 2])) {
      std::size_t next = message.find("\r\n", end + 2);
      end = next == std::string_view::npos ? message.size() : next;
    }
    std::string_view value = message.substr(colon + 1, end - colon - 1);
    if (iequals(name, "From")) {
      if (++s.from_fields == 1) {
        auto list = parse_mailbox_list(value);
        s.from_parsed = list.has_value();
        if (list) s.from = std::move(*list);
      }
    } else if (iequals(name, "Subject") && s.subject.empty()) {
      s.subject = unfold(value);
    } else if (iequals(name, "Message-ID") && s.message_id.empty()) {
      s.message_id = unfold(value);
    } else if (iequals(name, "Date") && s.date.empty()) {
      s.date = unfold(value);
    }
    pos = end == message.size() ? end : end + 2;
  }
  s.header_end = pos;
  return s;
}

std::string format_rfc5322_date(UnixMillis t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string received_protocol(bool esmtp, bool tls, bool authenticated, bool smtputf8) {
  if (!esmtp) return "SMTP";
  std::string p = smtputf8 ? "UTF8SMTP" : "ESMTP";
  if (!smtputf8 && !tls && !authenticated) return p;
  if (tls) p += "S";
  if (authenticated) p += "A";
  return p;
}

std::string format_received(const ReceivedInfo& info) {
  std::string literal = info.peer_ip.find(':') != std::string::npos ? "[IPv6:" + info.peer_ip + "]"
                                                                    : "[" + info.peer_ip + "]";
  std::string tcp_info = info.peer_rdns.empty() ? literal : info.peer_rdns + " " + literal;
  return "Received: from " + info.helo + " (" + tcp_info + ")\r\n\tby " + info.hostname +
         " (Herald) with " + info.protocol + " id " + info.queue_id + ";\r\n\t" +
         format_rfc5322_date(info.time) + "\r\n";
}

std::string prepare_message(std::string_view message, const ReceivedInfo& info) {
  HeaderSummary s = parse_headers(message);
  std::string extra;
  if (s.message_id.empty())
    extra += "Message-ID: <" + info.queue_id + "@" + info.hostname + ">\r\n";
  if (s.date.empty()) extra += "Date: " + format_rfc5322_date(info.time) + "\r\n";
  std::string out = format_received(info);
  out.reserve(out.size() + message.size() + extra.size());
  out.append(message.substr(0, s.header_end));
  out += extra;
  out.append(message.substr(s.header_end));
  return out;
}

}  // namespace herald::smtp
