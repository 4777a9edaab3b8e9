#include "smtp/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace herald::smtp {
namespace {

bool is_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// RFC 5322 §3.2.3 atext; RFC 6531 §3.3 extends it with UTF-8 non-ASCII.
bool is_atext(unsigned char c, bool allow_utf8) {
  if (is_alpha(c) || is_digit(c)) return true;
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  if (kSpecials.find(static_cast<char>(c)) != std::string_view::npos) return true;
  return allow_utf8 && c >= 0x80;
}

bool is_dot_atom(std::string_view s, bool allow_utf8) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (s[i + 1] == '.') return false;  // i + 1 < size: s.back() != '.'
    } else if (!is_atext(c, allow_utf8)) {
      return false;
    }
  }
  return true;
}

// RFC 5321 §4.1.2 Quoted-string: qtextSMTP is %d32-33 / %d35-91 / %d93-126, quoted-pair is
// "\" %d32-126. Decodes into `out`. `s` includes the surrounding quotes.
bool decode_quoted(std::string_view s, bool allow_utf8, std::string& out) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  out.clear();
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      if (i + 2 >= s.size()) return false;
      unsigned char n = static_cast<unsigned char>(s[++i]);
      if (n < 32 || n > 126) return false;
      out.push_back(static_cast<char>(n));
    } else if (c == '"') {
      return false;
    } else if ((c >= 32 && c <= 126) || (allow_utf8 && c >= 0x80)) {
      out.push_back(static_cast<char>(c));
    } else {
      return false;
    }
  }
  return true;
}

bool is_ldh_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char ch) {
    unsigned char c = static_cast<unsigned char>(ch);
    return is_alpha(c) || is_digit(c) || c == '-';
  });
}

// A U-label accepted syntactically: 1..63 octets, valid UTF-8 (checked by the caller), no
// ASCII other than LDH.
bool is_utf8_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char ch) {
    unsigned char c = static_cast<unsigned char>(ch);
    return is_alpha(c) || is_digit(c) || c == '-' || c >= 0x80;
  });
}

bool is_domain(std::string_view d, bool allow_utf8) {
  if (d.empty() || d.size() > 253) return false;
  std::size_t labels = 0;
  std::string_view last;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = d.find('.', start);
    std::string_view label = d.substr(start, dot == std::string_view::npos ? d.npos : dot - start);
    if (!(allow_utf8 ? is_utf8_label(label) : is_ldh_label(label))) return false;
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < 2) return false;
  return !std::all_of(last.begin(), last.end(), [](char c) { return is_digit(c); });
}

// RFC 5321 §4.1.3 address literals: IPv4, or "IPv6:" followed by an IPv6 address.
bool is_address_literal(std::string_view d) {
  if (d.size() < 3 || d.front() != '[' || d.back() != ']') return false;
  std::string inner(d.substr(1, d.size() - 2));
  std::array<unsigned char, 16> buf{};
  if (inner.size() > 5 &&
      (inner.compare(0, 5, "IPv6:") == 0 || inner.compare(0, 5, "ipv6:") == 0)) {
    return inet_pton(AF_INET6, inner.c_str() + 5, buf.data()) == 1;
  }
  return inet_pton(AF_INET, inner.c_str(), buf.data()) == 1;
}

// Splits "local@domain" at the '@' that ends the local part (the last '@' outside quotes).
std::optional<std::size_t> find_at(std::string_view text) {
  bool quoted = false;
  std::optional<std::size_t> at;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == '@') {
      at = i;
    }
  }
  if (quoted) return std::nullopt;
  return at;
}

}  // namespace

std::string Mailbox::str() const {
  if (is_dot_atom(local, true)) return local + "@" + domain;
  std::string out = "\"";
  for (char c : local) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out += "\"@";
  out += domain;
  return out;
}

bool is_valid_domain(std::string_view domain) {
  return is_domain(domain, false);
}

std::optional<Mailbox> parse_mailbox(std::string_view text, bool allow_utf8) {
  if (!allow_utf8 && has_non_ascii(text)) return std::nullopt;
  if (allow_utf8 && !is_valid_utf8(text)) return std::nullopt;
  auto at = find_at(text);
  if (!at) return std::nullopt;
  std::string_view local = text.substr(0, *at);
  std::string_view domain = text.substr(*at + 1);
  Mailbox m;
  if (local.size() > kMaxLocalPartLength || domain.size() > kMaxDomainLength) return std::nullopt;
  if (!local.empty() && local.front() == '"') {
    if (!decode_quoted(local, allow_utf8, m.local)) return std::nullopt;
  } else if (is_dot_atom(local, allow_utf8)) {
    m.local = std::string(local);
  } else {
    return std::nullopt;
  }
  if (is_address_literal(domain)) {
    m.domain = std::string(domain);
  } else if (is_domain(domain, allow_utf8)) {
    m.domain.reserve(domain.size());
    for (char c : domain) m.domain.push_back(lower(c));
  } else {
    return std::nullopt;
  }
  return m;
}

PathResult parse_path(std::string_view text, bool allow_null, bool allow_utf8) {
  PathResult r;
  if (text.size() < 2 || text.front() != '<' || text.back() != '>') return r;
  if (text.size() > kMaxPathLength) {
    r.error = PathError::too_long;
    return r;
  }
  std::string_view inner = text.substr(1, text.size() - 2);
  if (inner.empty()) {
    if (allow_null) r.path = Path{true, {}};
    return r;
  }
  // Source route "@a,@b:" — accepted and ignored (RFC 5321 §4.1.2, Appendix C).
  if (inner.front() == '@') {
    std::size_t colon = inner.find(':');
    if (colon == std::string_view::npos) return r;
    inner.remove_prefix(colon + 1);
  }
  if (auto m = parse_mailbox(inner, true)) {
    if (!allow_utf8 && has_non_ascii(inner)) {
      r.error = PathError::non_ascii_without_utf8;
      return r;
    }
    r.path = Path{false, std::move(*m)};
  }
  return r;
}

bool same_mailbox(const Mailbox& a, const Mailbox& b) {
  if (a.local != b.local || a.domain.size() != b.domain.size()) return false;
  for (std::size_t i = 0; i < a.domain.size(); ++i) {
    if (lower(a.domain[i]) != lower(b.domain[i])) return false;
  }
  return true;
}

bool has_non_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace herald::smtp
