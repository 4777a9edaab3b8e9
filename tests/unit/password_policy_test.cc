#include "policy/password_policy.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <ostream>
#include <string>
#include <vector>

namespace herald::policy {
namespace {

using R = PasswordRule;

struct Case {
  const char* name;
  std::string candidate;
  bool same_as_previous;
  std::vector<PasswordRule> broken;  // exactly these, in declaration order
};

// Keeps ctest's test names readable (gtest would otherwise dump the struct's bytes).
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      // Acceptable passwords.
      {"minimal_ok", "Ab1Cd2efgh", false, {}},
      {"twenty_ok", "Ab1Cd2efghijklmnopqr", false, {}},
      {"punctuation_ok", "Ab1!Cd2#e$", false, {}},
      {"all_printable_edges_ok", "!~Ab12cD{}", false, {}},
      // Boundary lengths 9/10/20/21.
      {"nine_chars", "Ab1Cd2efg", false, {R::min_length}},
      {"ten_chars", "Ab1Cd2efgx", false, {}},
      {"twenty_chars", "Ab1Cd2efgxxxxxxxxxxx", false, {}},
      {"twenty_one_chars", "Ab1Cd2efgxxxxxxxxxxxx", false, {R::max_length}},
      // Each rule alone.
      {"space_inside", "Ab1 Cd2efgh", false, {R::printable_ascii}},
      {"tab_inside", "Ab1\tCd2efgh", false, {R::printable_ascii}},
      {"del_char",
       "Ab1\x7F"
       "Cd2efgh",
       false,
       {R::printable_ascii}},
      {"nul_byte", std::string("Ab1Cd2ef\0gh", 11), false, {R::printable_ascii}},
      {"one_digit_only", "AbCdefgh1x", false, {R::two_distinct_digits}},
      {"one_upper_only", "Ab12cdefgh", false, {R::two_distinct_upper}},
      {"one_lower_only", "AB12CDEFGh", false, {R::two_distinct_lower}},
      {"previous_password", "Ab1Cd2efgh", true, {R::not_previous}},
      // Repeats count once ("cannot be repeating characters").
      {"repeated_digit", "AAaa1111xx", false, {R::two_distinct_digits, R::two_distinct_upper}},
      {"repeated_upper", "AAAAbc12xy", false, {R::two_distinct_upper}},
      {"repeated_lower", "ABCDaaaa12", false, {R::two_distinct_lower}},
      {"repeats_of_everything",
       "AAbb11xxxx",
       false,
       {R::two_distinct_digits, R::two_distinct_upper}},
      {"no_digits_at_all", "AbCdefghij", false, {R::two_distinct_digits}},
      // Combined failures: every broken rule is named.
      {"empty",
       "",
       false,
       {R::min_length, R::two_distinct_digits, R::two_distinct_upper, R::two_distinct_lower}},
      {"empty_and_previous",
       "",
       true,
       {R::min_length, R::two_distinct_digits, R::two_distinct_upper, R::two_distinct_lower,
        R::not_previous}},
      {"short_lowercase",
       "abc",
       false,
       {R::min_length, R::two_distinct_digits, R::two_distinct_upper}},
      {"long_digits_with_space",
       "1234567890 1234567890",
       true,
       {R::max_length, R::printable_ascii, R::two_distinct_upper, R::two_distinct_lower,
        R::not_previous}},
      // Non-ASCII: length counts code points, not bytes.
      {"umlauts_ten_code_points",
       "\xC3\xA4\xC3\xB6"
       "Ab1Cd2ef",
       false,
       {R::printable_ascii}},
      {"umlauts_nine_code_points",
       "\xC3\xA4\xC3\xB6"
       "Ab1Cd2e",
       false,
       {R::min_length, R::printable_ascii}},
      {"emoji_twenty_code_points",  // 4 x 4-byte emoji + 16 ASCII = 20 code points, 32 bytes
       "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80"
       "Ab1Cd2efghijklmn",
       false,
       {R::printable_ascii}},
      {"invalid_utf8_bytes_count_singly",  // 9 ASCII + one stray continuation byte = 10
       "Ab1Cd2efg\x80",
       false,
       {R::printable_ascii}},
      {"truncated_sequence_counts_once",  // 8 ASCII + truncated 3-byte sequence = 9
       "Ab1Cd2ef\xE2\x82",
       false,
       {R::min_length, R::printable_ascii}},
  };
  return table;
}

class PasswordPolicyTable : public ::testing::TestWithParam<Case> {};

TEST_P(PasswordPolicyTable, ReportsExactlyTheBrokenRules) {
  const Case& c = GetParam();
  const PasswordVerdict verdict = check_smtp_password(c.candidate, c.same_as_previous);
  EXPECT_EQ(verdict.broken, c.broken) << "candidate: " << c.candidate;
  EXPECT_EQ(verdict.ok(), c.broken.empty());
  for (PasswordRule rule : c.broken) EXPECT_TRUE(verdict.breaks(rule));
}

INSTANTIATE_TEST_SUITE_P(Cases, PasswordPolicyTable, ::testing::ValuesIn(cases()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(PasswordPolicy, LengthCountsCodePoints) {
  EXPECT_EQ(check_smtp_password("", false).length, 0u);
  EXPECT_EQ(check_smtp_password("Ab1Cd2efgh", false).length, 10u);
  EXPECT_EQ(check_smtp_password("\xC3\xA4\xE2\x82\xAC\xF0\x9F\x98\x80", false).length, 3u);
}

TEST(PasswordPolicy, EveryRuleHasADistinctOneLineDescription) {
  const std::vector<PasswordRule> all = {
      R::min_length,         R::max_length,         R::printable_ascii, R::two_distinct_digits,
      R::two_distinct_upper, R::two_distinct_lower, R::not_previous};
  std::vector<std::string_view> seen;
  for (PasswordRule rule : all) {
    std::string_view text = describe(rule);
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(text.find('\n'), std::string_view::npos);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), text), 0) << text;
    seen.push_back(text);
  }
  EXPECT_EQ(describe(R::min_length), "must be at least 10 characters long");
  EXPECT_EQ(describe(R::max_length), "must be at most 20 characters long");
}

TEST(PasswordPolicy, ExplainListsEveryBrokenRuleOnItsOwnLine) {
  EXPECT_EQ(explain(check_smtp_password("Ab1Cd2efgh", false)), "");
  const std::string text = explain(check_smtp_password("abc", true));
  EXPECT_EQ(text,
            "password must be at least 10 characters long (it has 3)\n"
            "password must contain at least two different digits\n"
            "password must contain at least two different upper-case letters\n"
            "password must differ from the previous password\n");
}

TEST(PasswordPolicy, ExplainGivesCodePointLengthForNonAscii) {
  // 21 code points, 25 bytes: the message must say 21, not 25.
  const std::string candidate =
      "\xC3\xA4\xC3\xB6\xC3\xBC\xC3\x9F"
      "Ab1Cd2efghijklmno";
  const PasswordVerdict verdict = check_smtp_password(candidate, false);
  EXPECT_EQ(verdict.length, 21u);
  EXPECT_NE(explain(verdict).find("at most 20 characters long (it has 21)\n"), std::string::npos);
}

}  // namespace
}  // namespace herald::policy
