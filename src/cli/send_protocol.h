// The client side of SMTP that `herald send` needs, without I/O: reply assembly (RFC 5321
// section 4.2), EHLO capabilities (section 4.1.1.1), AUTH PLAIN/LOGIN encoding (RFC 4954,
// RFC 4616) and the masking of secrets in the printed dialogue.
//
// Invariants: a Command's `shown` text never contains the password or any encoding of it;
// Redactor::redact() removes the secrets it was given (and their base64 forms) from any line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace herald::cli::send {

// One complete (possibly multi-line) server reply.
struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // the text after "ddd-"/"ddd " of each line

  int klass() const { return code / 100; }  // 2 ok, 3 go on, 4 temporary, 5 permanent
  // "535 5.7.8 Authentication credentials invalid": the code and all lines' text, for
  // error messages.
  std::string summary() const;
};

// Collects reply lines (without CRLF) until the last line of a reply.
class ReplyAssembler {
 public:
  // true when `line` completed the reply (take() it), false when more lines follow; an
  // error when the line is not an SMTP reply line or its code differs from the first line's.
  Result<bool> add_line(std::string_view line);
  Reply take();

 private:
  Reply reply_;
};

// The EHLO reply's extensions (RFC 5321 section 4.1.1.1); keywords are upper-cased.
struct Capabilities {
  std::vector<std::string> keywords;
  std::vector<std::string> auth_mechanisms;  // from "AUTH ..." and the old "AUTH=..." form
  bool starttls = false;
  bool auth = false;

  bool has(std::string_view keyword) const;
};
Capabilities parse_ehlo(const Reply& reply);

enum class AuthMechanism { plain, login };
std::string_view to_string(AuthMechanism m);
// PLAIN when advertised, else LOGIN, else nullopt.
std::optional<AuthMechanism> choose_auth_mechanism(const Capabilities& caps);

std::string base64_encode(std::string_view data);

// What goes on the wire (without CRLF) and what the dialogue prints for it.
struct Command {
  std::string wire;
  std::string shown;
};
inline Command visible(std::string text) {
  return Command{text, text};
}

inline constexpr std::string_view kMask = "********";

// RFC 4954 section 4 with the initial response; RFC 4616: authzid empty, NUL, authcid, NUL,
// password.
Command auth_plain(std::string_view user, std::string_view password);
// AUTH LOGIN (draft-murchison-sasl-login): the user name and the password, each base64, in
// answer to the server's 334 prompts.
Command auth_login_user(std::string_view user);
Command auth_login_password(std::string_view password);

// Replaces every occurrence of the registered secrets in a line with ********.
class Redactor {
 public:
  // Registers the password (when at least 4 characters: shorter strings would mask ordinary
  // words), its base64 form and the AUTH PLAIN blob for `user`.
  void add_password(std::string_view user, std::string_view password);
  std::string redact(std::string_view line) const;

 private:
  std::vector<std::string> secrets_;  // longest first, so a blob is masked before its parts
};

}  // namespace herald::cli::send
