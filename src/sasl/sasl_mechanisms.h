// SASL PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login) server exchanges as pure state
// machines, for SMTP AUTH (RFC 4954). No I/O, no verification: an exchange turns the client's
// base64 lines into Credentials; checking them (argon2id) happens elsewhere.
//
// Invariants: strict base64 (RFC 4648, padding required, no whitespace); a client line "*"
// cancels (RFC 4954 §4); PLAIN accepts an authorization identity only when it is empty or
// equal to the authentication identity (Herald has no proxy authorization). Decoded secrets
// live only in the returned Credentials; temporary buffers are wiped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/result.h"

namespace herald::sasl {

enum class Mechanism { plain, login };

// "PLAIN" / "LOGIN", case-insensitive; nullopt for anything else.
std::optional<Mechanism> parse_mechanism(std::string_view name);
std::string_view mechanism_name(Mechanism m);

struct Credentials {
  std::string user;
  std::string password;
};

// RFC 4648 §4 base64 with padding; fails on any other character, including whitespace.
Result<std::string> decode_base64(std::string_view text);
std::string encode_base64(std::string_view bytes);

// Decodes the PLAIN message "authzid NUL authcid NUL passwd" (already base64-decoded).
Result<Credentials> decode_plain_message(std::string_view message);

// One server-side exchange. Feed the optional initial response with start(), then each client
// line with respond() while the result is a Challenge.
class Exchange {
 public:
  struct Challenge {
    std::string base64;  // send as "334 <base64>"
  };
  struct Done {
    Credentials credentials;
  };
  enum class Failure {
    cancelled,   // client sent "*": 501 5.0.0
    bad_base64,  // 501 5.5.2
    malformed,   // decoded message unusable (missing NULs, empty user...): 501 5.5.2
  };
  struct Failed {
    Failure failure;
  };
  using Step = std::variant<Challenge, Done, Failed>;

  explicit Exchange(Mechanism m) : mechanism_(m) {}
  Mechanism mechanism() const { return mechanism_; }

  // initial: the AUTH command's initial response, if any ("=" stands for an empty one).
  Step start(std::optional<std::string_view> initial);
  Step respond(std::string_view line);

 private:
  enum class Stage { plain_wait, login_user, login_password, finished };
  Step accept_plain(std::string_view base64);
  Step accept_login_user(std::string_view base64);

  Mechanism mechanism_;
  Stage stage_ = Stage::finished;
  std::string user_;
};

}  // namespace herald::sasl
