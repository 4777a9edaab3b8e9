#include "policy/password_policy.h"

#include <algorithm>
#include <bitset>

namespace herald::policy {
namespace {

// Number of code points in `s`, read as UTF-8. Malformed input is counted the way decoders
// substitute U+FFFD: a stray byte, or a lead byte with its (truncated) continuation bytes, is
// one character. Such a candidate can never be ok anyway (printable_ascii).
std::size_t count_code_points(std::string_view s) {
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      extra = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      extra = 2;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      extra = 3;
    }
    std::size_t j = 1;
    while (j <= extra && i + j < s.size() &&
           (static_cast<unsigned char>(s[i + j]) & 0xC0) == 0x80) {
      ++j;
    }
    i += j;
    ++count;
  }
  return count;
}

bool is_printable_ascii_no_space(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b >= 0x21 && b <= 0x7E;
}

}  // namespace

bool PasswordVerdict::breaks(PasswordRule rule) const {
  return std::find(broken.begin(), broken.end(), rule) != broken.end();
}

PasswordVerdict check_smtp_password(std::string_view candidate, bool same_as_previous) {
  PasswordVerdict verdict;
  verdict.length = count_code_points(candidate);

  // Distinct characters per class: a set, not a counter, so repeats count once.
  std::bitset<10> digits;
  std::bitset<26> upper;
  std::bitset<26> lower;
  bool printable = true;
  for (char c : candidate) {
    if (!is_printable_ascii_no_space(c)) {
      printable = false;
    } else if (c >= '0' && c <= '9') {
      digits.set(static_cast<std::size_t>(c - '0'));
    } else if (c >= 'A' && c <= 'Z') {
      upper.set(static_cast<std::size_t>(c - 'A'));
    } else if (c >= 'a' && c <= 'z') {
      lower.set(static_cast<std::size_t>(c - 'a'));
    }
  }

  auto& b = verdict.broken;
  if (verdict.length < kSmtpPasswordMinLength) b.push_back(PasswordRule::min_length);
  if (verdict.length > kSmtpPasswordMaxLength) b.push_back(PasswordRule::max_length);
  if (!printable) b.push_back(PasswordRule::printable_ascii);
  if (digits.count() < 2) b.push_back(PasswordRule::two_distinct_digits);
  if (upper.count() < 2) b.push_back(PasswordRule::two_distinct_upper);
  if (lower.count() < 2) b.push_back(PasswordRule::two_distinct_lower);
  if (same_as_previous) b.push_back(PasswordRule::not_previous);
  return verdict;
}

// The messages spell the bounds out; keep them in step with the constants.
static_assert(kSmtpPasswordMinLength == 10 && kSmtpPasswordMaxLength == 20);

std::string_view describe(PasswordRule rule) {
  switch (rule) {
    case PasswordRule::min_length:
      return "must be at least 10 characters long";
    case PasswordRule::max_length:
      return "must be at most 20 characters long";
    case PasswordRule::printable_ascii:
      return "may contain only printable ASCII characters without spaces (0x21-0x7E)";
    case PasswordRule::two_distinct_digits:
      return "must contain at least two different digits";
    case PasswordRule::two_distinct_upper:
      return "must contain at least two different upper-case letters";
    case PasswordRule::two_distinct_lower:
      return "must contain at least two different lower-case letters";
    case PasswordRule::not_previous:
      return "must differ from the previous password";
  }
  return "is not acceptable";  // unreachable for valid enumerators; keeps GCC quiet
}

std::string explain(const PasswordVerdict& verdict) {
  std::string out;
  for (PasswordRule rule : verdict.broken) {
    out += "password ";
    out += describe(rule);
    if (rule == PasswordRule::min_length || rule == PasswordRule::max_length) {
      out += " (it has " + std::to_string(verdict.length) + ")";
    }
    out += '\n';
  }
  return out;
}

}  // namespace herald::policy
