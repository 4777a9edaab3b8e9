#include "smtp/encoded_words.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace herald::smtp {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode_q(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      out += ' ';
    } else if (s[i] == '=') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<std::string> decode_b(std::string_view s) {
  if (s.size() % 4 != 0) return std::nullopt;
  std::string out(s.size() / 4 * 3 + 1, '\0');
  int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  for (auto it = s.rbegin(); it != s.rend() && *it == '='; ++it) --len;
  out.resize(len);
  return out;
}

std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

// Decodes one "=?charset?enc?text?=" word; nullopt when it is not one we can decode.
std::optional<std::string> decode_word(std::string_view word) {
  if (word.size() < 8 || word.substr(0, 2) != "=?" || word.substr(word.size() - 2) != "?=")
    return std::nullopt;
  auto inner = word.substr(2, word.size() - 4);
  auto q1 = inner.find('?');
  if (q1 == std::string_view::npos) return std::nullopt;
  auto q2 = inner.find('?', q1 + 1);
  if (q2 == std::string_view::npos || q2 != q1 + 2) return std::nullopt;
  std::string charset = lower(inner.substr(0, q1));
  if (auto star = charset.find('*'); star != std::string::npos) charset.resize(star);  // RFC 2231
  char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(inner[q1 + 1])));
  auto payload = inner.substr(q2 + 1);
  std::optional<std::string> raw = enc == 'Q'   ? decode_q(payload)
                                   : enc == 'B' ? decode_b(payload)
                                                : std::nullopt;
  if (!raw) return std::nullopt;
  if (charset == "utf-8" || charset == "us-ascii") return raw;
  if (charset == "iso-8859-1" || charset == "latin1") return latin1_to_utf8(*raw);
  return std::nullopt;
}

}  // namespace

std::string decode_encoded_words(std::string_view text) {
  std::string out;
  std::string pending_space;  // white space after a decoded word, dropped if another follows
  bool last_was_word = false;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t') {
      std::size_t j = i;
      while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
      if (last_was_word)
        pending_space.assign(text.substr(i, j - i));
      else
        out.append(text.substr(i, j - i));
      i = j;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t') ++j;
    auto token = text.substr(i, j - i);
    auto decoded = decode_word(token);
    if (decoded) {
      if (!last_was_word) out += pending_space;
      out += *decoded;
    } else {
      out += pending_space;
      out.append(token);
    }
    pending_space.clear();
    last_was_word = decoded.has_value();
    i = j;
  }
  out += pending_space;
  return out;
}

}  // namespace herald::smtp
