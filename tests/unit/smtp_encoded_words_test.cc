#include "smtp/encoded_words.h"

#include <gtest/gtest.h>

namespace herald::smtp {
namespace {

TEST(EncodedWords, DecodesAsRfc2047Says) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"plain subject", "plain subject"},
      {"Passwort =?utf-8?Q?zur=C3=BCcksetzen_f=C3=BCr_J=C3=BCrgen?=",
       "Passwort zur\xc3\xbc"
       "cksetzen f\xc3\xbcr J\xc3\xbcrgen"},
      {"=?UTF-8?B?SGVsbG8gV29ybGQ=?=", "Hello World"},
      {"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},  // space between encoded words dropped
      {"=?utf-8?q?a?= b", "a b"},
      {"x =?iso-8859-1?Q?=E9t=E9?=", "x \xc3\xa9t\xc3\xa9"},
      {"=?koi8-r?B?8NLJ18XU?=", "=?koi8-r?B?8NLJ18XU?="},  // unknown charset kept
      {"=?utf-8?Q?bad=Z1?=", "=?utf-8?Q?bad=Z1?="},        // malformed kept
      {"=?utf-8?X?abc?=", "=?utf-8?X?abc?="},
      {"", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(decode_encoded_words(c.in), c.out) << c.in;
}

}  // namespace
}  // namespace herald::smtp
