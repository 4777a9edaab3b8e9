// DKIM's "relaxed" canonicalization (RFC 6376 §3.4.2 header, §3.4.4 body) and the header
// selection of §5.4.2, as pure functions over bytes: no I/O, no crypto. dkim_signer.h hashes
// what these produce; tests/unit/dkim_canon_test.cc checks them against the RFC's examples
// and the signer's output against libopendkim's verifier.
//
// Input is a message as Herald spools it: CRLF line endings (the SMTP server refuses bare CR
// and LF), not dot-stuffed. Only CRLF ends a line here; a stray CR or LF is an ordinary octet.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace herald::delivery::dkim {

// One header field as it appears in the message: `name` without the colon, `raw` the whole
// field including its continuation lines and the final CRLF.
struct HeaderField {
  std::string_view name;
  std::string_view raw;
};

struct SplitMessage {
  std::vector<HeaderField> fields;  // top to bottom
  std::string_view body;            // after the empty line; empty if there is none
};

// Splits at the first empty line (RFC 5322 §2.1). Fails on a header line that is neither a
// field ("name:", the name printable ASCII, §3.6.8) nor a continuation (starts with SP or
// HTAB), as libopendkim does.
Result<SplitMessage> split_message(std::string_view message);

// "name:value\r\n" per §3.4.2: name lower-cased, the value unfolded, runs of SP/HTAB made one
// SP, whitespace around the colon and at the end of the value removed.
std::string relaxed_header(std::string_view raw_field);

// Calls `emit` with consecutive pieces whose concatenation is the relaxed body (§3.4.4):
// SP/HTAB runs made one SP, whitespace at line ends removed, empty lines at the end removed,
// a final CRLF added to a non-empty body that lacks one; an empty body stays empty (RFC 6376
// erratum 3133). Pieces, not one string, so a 25 MB body is hashed without a second copy.
void relaxed_body(std::string_view body, const std::function<void(std::string_view)>& emit);
std::string relaxed_body(std::string_view body);  // the same, collected (tests)

// The fields a verifier hashes for the h= list `names` (§5.4.2): each occurrence of a name
// takes the next instance of that field counting from the bottom; a name with no instance
// left (oversigning) selects nothing. Names match case-insensitively.
std::vector<std::string_view> select_fields(const std::vector<HeaderField>& fields,
                                            const std::vector<std::string>& names);

}  // namespace herald::delivery::dkim
