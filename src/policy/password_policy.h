// The SMTP password policy: a pure check of a candidate password against the rules an
// operator sees when setting a sender's SMTP password (modelled on Alibaba Cloud DirectMail's
// "Set SMTP password" rules):
//   - 10 to 20 characters long (counted in Unicode code points, so that a non-ASCII candidate
//     still gets a truthful length message; such a candidate fails printable_ascii anyway);
//   - only printable ASCII without space, 0x21..0x7E (so bytes == characters for any accepted
//     password, and nothing that a SASL client or a shell could mangle);
//   - at least two *distinct* digits, two distinct upper-case and two distinct lower-case
//     letters ("cannot be repeating characters": in "AAbb11xxxx" the 'A's count once);
//   - not the same as the previous password (the caller knows; it passes a flag, because
//     comparing against the previous password needs the stored hash, which lives in sasl/).
// Invariants: check_smtp_password() is total and deterministic; PasswordVerdict::broken lists
// every broken rule exactly once, in PasswordRule declaration order.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald::policy {

inline constexpr std::size_t kSmtpPasswordMinLength = 10;
inline constexpr std::size_t kSmtpPasswordMaxLength = 20;

enum class PasswordRule {
  min_length,
  max_length,
  printable_ascii,
  two_distinct_digits,
  two_distinct_upper,
  two_distinct_lower,
  not_previous,
};

struct PasswordVerdict {
  std::vector<PasswordRule> broken;  // empty when the password is acceptable
  std::size_t length = 0;            // of the candidate, in code points (for messages)

  bool ok() const { return broken.empty(); }
  bool breaks(PasswordRule rule) const;
};

// `same_as_previous`: the caller verified the candidate against the current stored hash.
PasswordVerdict check_smtp_password(std::string_view candidate, bool same_as_previous);

// One line without a trailing newline, e.g. "must be at least 10 characters long".
std::string_view describe(PasswordRule rule);

// Every broken rule, one per line ("password must be ..."), each line ending in '\n';
// the length rules mention the candidate's actual length. Empty when the verdict is ok.
std::string explain(const PasswordVerdict& verdict);

}  // namespace herald::policy
