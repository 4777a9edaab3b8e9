// The wire form of a message body sent by the delivery client.
//   DATA (RFC 5321 §4.5.2): every line that starts with '.' gets one more '.', and the
//   body ends with CRLF "." CRLF.
//   BDAT (RFC 3030 §2): sent as is, no stuffing and no terminator (the chunk size frames it).
// Both first normalise line endings: a bare CR or a bare LF becomes CRLF (RFC 5321 §2.3.8
// forbids them on the wire) and a body that does not end with CRLF gets one, so that the
// terminator of DATA always stands on a line of its own.
// Pure functions; the output is at most 2x the input plus 5 octets (every line a lone '.').
#pragma once

#include <string>
#include <string_view>

namespace herald::smtp {

// The DATA payload: normalised, dot-stuffed, ending with ".\r\n".
std::string dot_stuff(std::string_view message);

// The BDAT payload: normalised only.
std::string normalize_line_endings(std::string_view message);

}  // namespace herald::smtp
