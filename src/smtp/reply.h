// SMTP replies (RFC 5321 §4.2) with RFC 3463 enhanced status codes (RFC 2034).
// Invariant: every 2xx/4xx/5xx reply Herald sends after the greeting carries an enhanced code,
// except the EHLO keyword lines (RFC 2034 §3 convention); intermediate 334/354 replies have none.
#pragma once

#include <string>
#include <string_view>

namespace herald::smtp {

struct Reply {
  int code = 0;
  std::string enhanced;  // "2.0.0"; empty for 220 greeting, EHLO lines, 334, 354
  std::string text;      // may contain '\n' to produce a multi-line reply

  // Wire form: every line "<code>-<enhanced> <text>\r\n", the last with ' ' instead of '-'.
  std::string wire() const;
  bool is_error() const { return code >= 400; }
};

}  // namespace herald::smtp
