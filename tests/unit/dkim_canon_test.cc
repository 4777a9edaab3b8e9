#include "delivery/dkim_canon.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::delivery::dkim {
namespace {

// RFC 6376 §3.4.5, the worked example, with the spaces and tabs written out.
const std::string kRfcExample =
    "A: X\r\n"
    "B : Y\t\r\n"
    "\tZ  \r\n"
    "\r\n"
    " C \r\n"
    "D \t E\r\n"
    "\r\n"
    "\r\n";

TEST(DkimCanon, RfcExampleRelaxedHeaders) {
  auto split = split_message(kRfcExample);
  ASSERT_TRUE(split) << split.error().message;
  ASSERT_EQ(split->fields.size(), 2u);
  EXPECT_EQ(split->fields[0].name, "A");
  EXPECT_EQ(split->fields[1].name, "B");
  EXPECT_EQ(split->fields[1].raw, "B : Y\t\r\n\tZ  \r\n");
  EXPECT_EQ(relaxed_header(split->fields[0].raw), "a:X\r\n");
  EXPECT_EQ(relaxed_header(split->fields[1].raw), "b:Y Z\r\n");
}

TEST(DkimCanon, RfcExampleRelaxedBody) {
  auto split = split_message(kRfcExample);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->body, " C \r\nD \t E\r\n\r\n\r\n");
  EXPECT_EQ(relaxed_body(split->body), " C\r\nD E\r\n");
}

TEST(DkimCanon, RelaxedBodyTable) {
  const struct {
    const char* name;
    std::string in;
    std::string out;
  } rows[] = {
      {"empty body stays empty (erratum 3133)", "", ""},
      {"only empty lines", "\r\n\r\n\r\n", ""},
      {"only whitespace lines", " \r\n\t\r\n", ""},
      {"missing final CRLF is added", "abc", "abc\r\n"},
      {"trailing whitespace without CRLF", "abc \t", "abc\r\n"},
      {"inner empty lines kept", "a\r\n\r\n\r\nb\r\n", "a\r\n\r\n\r\nb\r\n"},
      {"whitespace-only inner line becomes empty", "a\r\n  \r\nb\r\n", "a\r\n\r\nb\r\n"},
      {"leading whitespace becomes one SP", "\t\t a\r\n", " a\r\n"},
      {"runs inside a line", "a \t  b\t\tc\r\n", "a b c\r\n"},
      {"bare LF is not a line end", "a\nb \r\n", "a\nb\r\n"},
      {"bare CR is not a line end", "a\rb\r\n", "a\rb\r\n"},
      {"trailing empty lines after text", "a\r\n\r\n \r\n", "a\r\n"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(relaxed_body(row.in), row.out);
  }
}

TEST(DkimCanon, RelaxedBodyPiecesConcatenate) {
  std::string body = "line one\r\n\r\n\r\nline  two \r\n\r\n";
  std::vector<std::string> pieces;
  relaxed_body(body, [&](std::string_view p) { pieces.emplace_back(p); });
  std::string joined;
  for (const auto& p : pieces) joined += p;
  EXPECT_EQ(joined, "line one\r\n\r\n\r\nline two\r\n");
  EXPECT_GT(pieces.size(), 1u);  // streamed, not collected
}

TEST(DkimCanon, RelaxedHeaderTable) {
  const struct {
    const char* name;
    std::string in;
    std::string out;
  } rows[] = {
      {"name lower-cased, space after colon dropped", "Subject: Hi\r\n", "subject:Hi\r\n"},
      {"value case kept", "To: Alice <A@Example.ORG>\r\n", "to:Alice <A@Example.ORG>\r\n"},
      {"space before colon", "Subject \t: x\r\n", "subject:x\r\n"},
      {"folded value unfolded", "Subject: a\r\n b\r\n\tc\r\n", "subject:a b c\r\n"},
      {"trailing whitespace", "Subject: a  \t\r\n", "subject:a\r\n"},
      {"empty value", "Subject:\r\n", "subject:\r\n"},
      {"whitespace-only value", "Subject:   \r\n", "subject:\r\n"},
      {"no final CRLF", "Subject: a", "subject:a\r\n"},
      {"colon inside the value kept", "Date: Fri, 04 Dec 2026 16:51:09 +0000\r\n",
       "date:Fri, 04 Dec 2026 16:51:09 +0000\r\n"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(relaxed_header(row.in), row.out);
  }
}

TEST(DkimCanon, SplitMessageShapes) {
  auto no_body = split_message("From: a@b\r\nTo: c@d\r\n");
  ASSERT_TRUE(no_body);
  EXPECT_EQ(no_body->fields.size(), 2u);
  EXPECT_TRUE(no_body->body.empty());

  auto empty_body = split_message("From: a@b\r\n\r\n");
  ASSERT_TRUE(empty_body);
  EXPECT_TRUE(empty_body->body.empty());

  // The first empty line ends the header; a later "Name:" line is body.
  auto later = split_message("From: a@b\r\n\r\nTo: not a field\r\n");
  ASSERT_TRUE(later);
  EXPECT_EQ(later->fields.size(), 1u);
  EXPECT_EQ(later->body, "To: not a field\r\n");

  EXPECT_FALSE(split_message(" continued first\r\nFrom: a@b\r\n\r\n"));
  EXPECT_FALSE(split_message("From: a@b\r\nno colon here\r\n\r\nbody\r\n"));
  EXPECT_FALSE(split_message(": no name\r\n\r\n"));
  EXPECT_FALSE(split_message("Z  From: a@b\r\n\r\n"));               // space inside a name (fuzzer)
  EXPECT_FALSE(split_message("Fr\x7fom: a@b\r\n\r\n"));              // control character
  EXPECT_TRUE(split_message("Subject \t: obsolete space\r\n\r\n"));  // RFC 5322 §4.5.3
}

TEST(DkimCanon, SelectFieldsBottomUpWithOversigning) {
  auto split = split_message(
      "Received: r1\r\n"
      "To: first\r\n"
      "From: sender\r\n"
      "to: second\r\n"
      "\r\n");
  ASSERT_TRUE(split);
  // §5.4.2: each "to" takes the next instance from the bottom; the second "from" has none.
  auto selected = select_fields(split->fields, {"to", "from", "TO", "from"});
  ASSERT_EQ(selected.size(), 3u);
  EXPECT_EQ(selected[0], "to: second\r\n");
  EXPECT_EQ(selected[1], "From: sender\r\n");
  EXPECT_EQ(selected[2], "To: first\r\n");
  EXPECT_TRUE(select_fields(split->fields, {"subject"}).empty());
}

}  // namespace
}  // namespace herald::delivery::dkim
