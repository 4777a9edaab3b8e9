#include "smtp/command.h"

#include <array>
#include <charconv>

namespace herald::smtp {
namespace {

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

constexpr unsigned kG = kNeedsGreeting, kT = kNeedsTls, kA = kNeedsAuth, kE = kEndsGroup,
                   kN = kNoArgs;

// RFC 2920 §3.1 lists EHLO, DATA, VRFY, EXPN, TURN, QUIT and NOOP as ending a group; RFC 3207
// §4.2 adds STARTTLS and RFC 4954 §4 AUTH. HELO is grouped with EHLO. BDAT is designed to be
// pipelined (RFC 3030 §4.2) and does not end a group; RSET, MAIL, RCPT do not either.
constexpr std::array kTable = {
    CommandSpec{"EHLO", Verb::ehlo, kE},
    CommandSpec{"HELO", Verb::helo, kE},
    CommandSpec{"STARTTLS", Verb::starttls, kG | kE | kN},
    CommandSpec{"AUTH", Verb::auth, kG | kT | kE},
    CommandSpec{"MAIL", Verb::mail, kG | kT | kA},
    CommandSpec{"RCPT", Verb::rcpt, kG | kT | kA},
    CommandSpec{"DATA", Verb::data, kG | kT | kA | kE | kN},
    CommandSpec{"BDAT", Verb::bdat, kG | kT | kA},
    CommandSpec{"RSET", Verb::rset, kN},
    CommandSpec{"NOOP", Verb::noop, kE},
    CommandSpec{"QUIT", Verb::quit, kE | kN},
    CommandSpec{"HELP", Verb::help, kE},
    CommandSpec{"VRFY", Verb::vrfy, kE},
    CommandSpec{"EXPN", Verb::expn, kE},
    CommandSpec{"TURN", Verb::not_implemented, kE},
    CommandSpec{"ETRN", Verb::not_implemented, kE},
    CommandSpec{"ATRN", Verb::not_implemented, kE},
    CommandSpec{"SEND", Verb::not_implemented, 0},
    CommandSpec{"SOML", Verb::not_implemented, 0},
    CommandSpec{"SAML", Verb::not_implemented, 0},
    CommandSpec{"GET", Verb::forbidden, 0},
    CommandSpec{"POST", Verb::forbidden, 0},
    CommandSpec{"PUT", Verb::forbidden, 0},
    CommandSpec{"HEAD", Verb::forbidden, 0},
    CommandSpec{"CONNECT", Verb::forbidden, 0},
};

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_keyword(std::string_view k) {
  if (k.empty()) return false;
  for (std::size_t i = 0; i < k.size(); ++i) {
    char c = k[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && !(i > 0 && c == '-')) return false;
  }
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126), RFC 6531 §3.3 also allows UTF-8.
bool is_param_value(std::string_view v) {
  if (v.empty()) return false;
  for (char ch : v) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '=' || (c < 33) || c == 127) return false;
  }
  return true;
}

// Finds the '>' closing a path that starts at text[0] == '<', skipping quoted strings.
std::optional<std::size_t> find_path_end(std::string_view text) {
  bool quoted = false;
  for (std::size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == '>') {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace

std::span<const CommandSpec> command_table() {
  return kTable;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (upper(a[i]) != upper(b[i])) return false;
  }
  return true;
}

Command parse_command(std::string_view line) {
  Command cmd;
  std::size_t sp = line.find(' ');
  cmd.verb = line.substr(0, sp);
  if (sp != std::string_view::npos) cmd.args = trim_right(line.substr(sp + 1));
  for (const auto& spec : kTable) {
    if (iequals(spec.name, cmd.verb)) {
      cmd.spec = &spec;
      break;
    }
  }
  return cmd;
}

std::optional<PathArgs> parse_path_args(std::string_view args, std::string_view prefix) {
  if (args.size() < prefix.size() + 1 || !iequals(args.substr(0, prefix.size()), prefix) ||
      args[prefix.size()] != ':') {
    return std::nullopt;
  }
  std::string_view rest = args.substr(prefix.size() + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty() || rest.front() != '<') return std::nullopt;
  auto end = find_path_end(rest);
  if (!end) return std::nullopt;
  PathArgs out;
  out.path = rest.substr(0, *end + 1);
  rest.remove_prefix(*end + 1);
  while (!rest.empty()) {
    if (rest.front() != ' ') return std::nullopt;
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    std::size_t sp = rest.find(' ');
    std::string_view param = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp);
    EsmtpParam p;
    std::size_t eq = param.find('=');
    std::string_view key = param.substr(0, eq);
    if (!is_keyword(key)) return std::nullopt;
    for (char c : key) p.keyword.push_back(upper(c));
    if (eq != std::string_view::npos) {
      std::string_view value = param.substr(eq + 1);
      if (!is_param_value(value)) return std::nullopt;
      p.value = std::string(value);
      p.has_value = true;
    }
    out.params.push_back(std::move(p));
  }
  return out;
}

std::optional<BdatArgs> parse_bdat_args(std::string_view args) {
  std::size_t sp = args.find(' ');
  std::string_view num = args.substr(0, sp);
  if (num.empty() || num.size() > 19) return std::nullopt;
  BdatArgs out;
  for (char c : num) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), out.size);
  if (ec != std::errc{} || ptr != num.data() + num.size()) return std::nullopt;
  if (sp != std::string_view::npos) {
    std::string_view rest = args.substr(sp);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (!iequals(rest, "LAST")) return std::nullopt;
    out.last = true;
  }
  return out;
}

}  // namespace herald::smtp
