#include "sasl/sasl_mechanisms.h"

#include <sodium.h>

#include <algorithm>

namespace herald::sasl {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto up = [](char c) { return (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c; };
           return up(x) == up(y);
         });
}

// LOGIN prompts, base64 of "Username:" and "Password:" as every implementation sends them.
constexpr std::string_view kUsernamePrompt = "VXNlcm5hbWU6";
constexpr std::string_view kPasswordPrompt = "UGFzc3dvcmQ6";

}  // namespace

std::optional<Mechanism> parse_mechanism(std::string_view name) {
  if (iequals(name, "PLAIN")) return Mechanism::plain;
  if (iequals(name, "LOGIN")) return Mechanism::login;
  return std::nullopt;
}

std::string_view mechanism_name(Mechanism m) {
  return m == Mechanism::plain ? "PLAIN" : "LOGIN";
}

Result<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return make_error("base64 length is not a multiple of 4");
  // Check the alphabet ourselves: libsodium 1.0.18 accepts some octets >= 0x80 as digits
  // (found by fuzz_smtp_command).
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  for (std::size_t i = 0; i + pad < text.size(); ++i) {
    char c = text[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok) return make_error("invalid base64");
  }
  std::string out(text.size() / 4 * 3, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  int rc = sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                             text.size(), nullptr, &len, &end, sodium_base64_VARIANT_ORIGINAL);
  if (rc != 0 || end != text.data() + text.size()) {
    sodium_memzero(out.data(), out.size());
    return make_error("invalid base64");
  }
  out.resize(len);
  return Result<std::string>(boost::system::in_place_value, std::move(out));
}

std::string encode_base64(std::string_view bytes) {
  std::size_t n = sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(n, '\0');
  sodium_bin2base64(out.data(), n, reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(n - 1);  // drop the terminating NUL
  return out;
}

Result<Credentials> decode_plain_message(std::string_view message) {
  std::size_t first = message.find('\0');
  if (first == std::string_view::npos) return make_error("PLAIN message has no NUL separator");
  std::size_t second = message.find('\0', first + 1);
  if (second == std::string_view::npos) return make_error("PLAIN message has one NUL separator");
  std::string_view authzid = message.substr(0, first);
  std::string_view authcid = message.substr(first + 1, second - first - 1);
  std::string_view passwd = message.substr(second + 1);
  if (authcid.empty()) return make_error("PLAIN authentication identity is empty");
  if (passwd.find('\0') != std::string_view::npos) return make_error("PLAIN has extra NULs");
  if (!authzid.empty() && authzid != authcid) {
    return make_error("PLAIN authorization identity differs from authentication identity");
  }
  return Credentials{std::string(authcid), std::string(passwd)};
}

Exchange::Step Exchange::start(std::optional<std::string_view> initial) {
  if (mechanism_ == Mechanism::plain) {
    stage_ = Stage::plain_wait;
    if (!initial) return Challenge{""};
    return respond(*initial);
  }
  stage_ = Stage::login_user;
  if (!initial) return Challenge{std::string(kUsernamePrompt)};
  return respond(*initial);
}

Exchange::Step Exchange::accept_plain(std::string_view base64) {
  auto decoded = decode_base64(base64 == "=" ? std::string_view{} : base64);
  if (!decoded) return Failed{Failure::bad_base64};
  auto creds = decode_plain_message(*decoded);
  sodium_memzero(decoded->data(), decoded->size());
  if (!creds) return Failed{Failure::malformed};
  return Done{std::move(*creds)};
}

Exchange::Step Exchange::accept_login_user(std::string_view base64) {
  auto decoded = decode_base64(base64);
  if (!decoded) return Failed{Failure::bad_base64};
  if (decoded->empty() || decoded->find('\0') != std::string::npos) {
    return Failed{Failure::malformed};
  }
  user_ = std::move(*decoded);
  stage_ = Stage::login_password;
  return Challenge{std::string(kPasswordPrompt)};
}

Exchange::Step Exchange::respond(std::string_view line) {
  Stage stage = stage_;
  stage_ = Stage::finished;
  if (line == "*") return Failed{Failure::cancelled};
  switch (stage) {
    case Stage::plain_wait:
      return accept_plain(line);
    case Stage::login_user:
      return accept_login_user(line);
    case Stage::login_password: {
      auto decoded = decode_base64(line == "=" ? std::string_view{} : line);
      if (!decoded) return Failed{Failure::bad_base64};
      if (decoded->find('\0') != std::string::npos) return Failed{Failure::malformed};
      return Done{Credentials{std::move(user_), std::move(*decoded)}};
    }
    case Stage::finished:
      break;
  }
  return Failed{Failure::malformed};
}

}  // namespace herald::sasl
