#include "smtp/reply_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace herald::smtp {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Length of the run of 1-3 digits at `pos`, 0 when there is none or more than three.
std::size_t digit_run(std::string_view s, std::size_t pos) {
  std::size_t n = 0;
  while (pos + n < s.size() && is_digit(s[pos + n])) ++n;
  return n >= 1 && n <= 3 ? n : 0;
}

// Length of the valid UTF-8 sequence at the start of `s` (RFC 3629 §4), 0 when invalid.
std::size_t utf8_sequence(std::string_view s) {
  auto u = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = u(0);
  std::size_t len = lead >= 0xC2 && lead <= 0xDF   ? 2
                    : lead >= 0xE0 && lead <= 0xEF ? 3
                    : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                   : 0;
  if (len == 0 || s.size() < len) return 0;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second octet
  if (lead == 0xE0) lo = 0xA0;         // overlong
  if (lead == 0xED) hi = 0x9F;         // surrogates
  if (lead == 0xF0) lo = 0x90;         // overlong
  if (lead == 0xF4) hi = 0x8F;         // beyond U+10FFFF
  if (u(1) < lo || u(1) > hi) return 0;
  for (std::size_t i = 2; i < len; ++i) {
    if (u(i) < 0x80 || u(i) > 0xBF) return 0;
  }
  return len;
}

// Cuts `s` to at most `max` octets without splitting a UTF-8 sequence.
void cap_text(std::string& s, std::size_t max) {
  if (s.size() <= max) return;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  s += "...";
}

// A short printable quote of offending server input for error messages.
std::string quote(std::string_view s) {
  std::string out = sanitize_reply_text(s.substr(0, 80));
  if (s.size() > 80) out += "...";
  return '"' + out + '"';
}

}  // namespace

std::size_t enhanced_code_length(std::string_view text) {
  if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') {
    return 0;
  }
  std::size_t subject = digit_run(text, 2);
  if (subject == 0 || 2 + subject >= text.size() || text[2 + subject] != '.') return 0;
  std::size_t detail = digit_run(text, 3 + subject);
  if (detail == 0) return 0;
  std::size_t len = 3 + subject + detail;
  if (len < text.size() && text[len] != ' ') return 0;
  return len;
}

std::string sanitize_reply_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    unsigned char c = static_cast<unsigned char>(text[0]);
    std::size_t len = 1;
    if (c == '\t') {
      out.push_back(' ');
    } else if (c < 0x20 || c == 0x7F) {
      out.push_back('?');
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((len = utf8_sequence(text)) != 0) {
      out.append(text.substr(0, len));
    } else {
      len = 1;
      out.push_back('?');
    }
    text.remove_prefix(len);
  }
  return out;
}

std::string ServerReply::text(std::size_t max) const {
  std::string out;
  for (const std::string& line : lines) {
    if (line.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out += line;
    if (out.size() > max) break;
  }
  cap_text(out, max);
  return out;
}

std::string ServerReply::summary(std::size_t max) const {
  std::string out = std::to_string(code);
  if (!enhanced.empty()) out += " " + enhanced;
  std::string t = text(max);
  if (!t.empty()) out += " " + t;
  return out;
}

Result<std::optional<ServerReply>> ReplyParser::fail(std::string message) {
  failed_ = true;
  line_.clear();
  lines_.clear();
  return make_error(std::move(message));
}

Result<std::optional<ServerReply>> ReplyParser::parse(std::string_view& input) {
  if (failed_) return make_error("reply parser already failed");
  while (!input.empty()) {
    std::size_t lf = input.find('\n');
    std::size_t take = lf == std::string_view::npos ? input.size() : lf;
    // The line plus its LF (still to come when lf is npos) must fit.
    if (line_.size() + take + 1 > kMaxReplyLine) {
      return fail("reply line longer than " + std::to_string(kMaxReplyLine) + " octets");
    }
    line_.append(input.substr(0, take));
    if (lf == std::string_view::npos) {
      input = {};
      return std::optional<ServerReply>{};
    }
    input.remove_prefix(lf + 1);
    std::string line = std::move(line_);
    line_.clear();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto r = take_line(line);
    if (!r || r->has_value()) return r;
  }
  return std::optional<ServerReply>{};
}

// RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF )
//                             Reply-code [ SP textstring ] CRLF
//                Reply-code = %x32-35 %x30-35 %x30-39
Result<std::optional<ServerReply>> ReplyParser::take_line(std::string_view line) {
  bool code_ok = line.size() >= 3 && line[0] >= '2' && line[0] <= '5' && line[1] >= '0' &&
                 line[1] <= '5' && is_digit(line[2]);
  bool sep_ok = line.size() == 3 || (line.size() > 3 && (line[3] == ' ' || line[3] == '-'));
  if (!code_ok || !sep_ok) return fail("malformed reply line " + quote(line));
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  bool last = line.size() == 3 || line[3] == ' ';
  if (!lines_.empty() && code != code_) {
    return fail("multi-line reply changes its code from " + std::to_string(code_) + " to " +
                std::to_string(code));
  }
  if (lines_.size() >= kMaxReplyLines) {
    return fail("reply longer than " + std::to_string(kMaxReplyLines) + " lines");
  }
  code_ = code;
  lines_.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view{});
  if (!last) return std::optional<ServerReply>{};

  ServerReply reply;
  reply.code = code;
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    std::string_view text = lines_[i];
    // RFC 2034 §4: the enhanced code's class must agree with the reply code's.
    std::size_t elen = enhanced_code_length(text);
    if (elen != 0 && text[0] == line[0]) {
      if (i == 0) reply.enhanced = std::string(text.substr(0, elen));
      text.remove_prefix(std::min(elen + 1, text.size()));
    }
    reply.lines.push_back(sanitize_reply_text(text));
  }
  lines_.clear();
  code_ = 0;
  return std::optional<ServerReply>(std::move(reply));
}

Capabilities parse_capabilities(const ServerReply& ehlo_reply) {
  Capabilities caps;
  caps.esmtp = ehlo_reply.klass() == 2;
  if (!caps.esmtp) return caps;
  for (std::size_t i = 1; i < ehlo_reply.lines.size(); ++i) {
    std::string_view line = ehlo_reply.lines[i];
    std::size_t sp = line.find(' ');
    std::string keyword(line.substr(0, sp));
    for (char& c : keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    // Pre-RFC 4954 servers (old Exchange, some appliances) write "AUTH=LOGIN PLAIN".
    if (keyword.starts_with("AUTH=")) {
      sp = 4;
      keyword = "AUTH";
    }
    std::string_view param = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    if (keyword == "PIPELINING") {
      caps.pipelining = true;
    } else if (keyword == "STARTTLS") {
      caps.starttls = true;
    } else if (keyword == "8BITMIME") {
      caps.eightbitmime = true;
    } else if (keyword == "SMTPUTF8") {
      caps.smtputf8 = true;
    } else if (keyword == "CHUNKING") {
      caps.chunking = true;
    } else if (keyword == "ENHANCEDSTATUSCODES") {
      caps.enhanced_status_codes = true;
    } else if (keyword == "SIZE") {
      // RFC 1870 §4: "SIZE" alone or "SIZE 0" means no fixed limit; garbage is read likewise.
      caps.size = true;
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(param.data(), param.data() + param.size(), n);
      caps.size_limit = ec == std::errc{} && end == param.data() + param.size() ? n : 0;
    } else if (keyword == "AUTH") {
      // RFC 4954 §3: space-separated SASL mechanism names, case-insensitive.
      for (std::size_t at = 0; at < param.size();) {
        std::size_t next = std::min(param.find(' ', at), param.size());
        std::string mech(param.substr(at, next - at));
        for (char& c : mech) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        caps.auth_plain = caps.auth_plain || mech == "PLAIN";
        caps.auth_login = caps.auth_login || mech == "LOGIN";
        at = next + 1;
      }
    }
  }
  return caps;
}

}  // namespace herald::smtp
