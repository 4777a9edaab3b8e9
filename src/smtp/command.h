// SMTP command parsing (RFC 5321 §4.1) and the command table.
// The table is data, in the manner of Postfix smtpd.c: each verb's flags say whether it needs
// a greeting, TLS, or authentication first and whether it ends a pipelining group
// (RFC 2920 §3.1). The session applies these checks uniformly before the verb's own checks.
// Parsing is pure and never allocates beyond the returned values; input is one command line
// without its CRLF.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herald::smtp {

enum class Verb {
  helo,
  ehlo,
  starttls,
  auth,
  mail,
  rcpt,
  data,
  bdat,
  rset,
  noop,
  quit,
  help,
  vrfy,
  expn,
  not_implemented,  // TURN, ETRN, ... : 502
  forbidden,        // HTTP verbs (cross-protocol attacks): 421 and close, as Postfix does
};

enum CommandFlag : unsigned {
  kNeedsGreeting = 1u << 0,  // HELO/EHLO must come first (503 5.5.1)
  kNeedsTls = 1u << 1,       // refused before TLS (530 5.7.0; AUTH: 538 5.7.11)
  kNeedsAuth = 1u << 2,      // refused before AUTH (530 5.7.0)
  kEndsGroup = 1u << 3,      // RFC 2920 §3.1 (+ RFC 3207 STARTTLS, RFC 4954 AUTH): flush replies
  kNoArgs = 1u << 4,         // arguments are a syntax error (501 5.5.4)
};

struct CommandSpec {
  std::string_view name;
  Verb verb;
  unsigned flags;
};

// The whole table (for HELP and tests).
std::span<const CommandSpec> command_table();

struct Command {
  const CommandSpec* spec = nullptr;  // nullptr: unknown verb (500 5.5.2)
  std::string_view verb;              // as sent
  std::string_view args;              // after the first space, trailing spaces removed
};

// Splits a command line (without CRLF) into verb and arguments; verbs are case-insensitive.
Command parse_command(std::string_view line);

// One ESMTP parameter (RFC 5321 §4.1.2 esmtp-param): keyword upper-cased, value as sent.
struct EsmtpParam {
  std::string keyword;
  std::string value;
  bool has_value = false;
};

// "FROM:<path> params" or "TO:<path> params" (prefix given without the colon). The path text
// keeps its angle brackets; a space after the colon is tolerated (common client behaviour).
struct PathArgs {
  std::string_view path;
  std::vector<EsmtpParam> params;
};
std::optional<PathArgs> parse_path_args(std::string_view args, std::string_view prefix);

// RFC 3030: "BDAT <chunk-size> [LAST]".
struct BdatArgs {
  std::uint64_t size = 0;
  bool last = false;
};
std::optional<BdatArgs> parse_bdat_args(std::string_view args);

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

}  // namespace herald::smtp
