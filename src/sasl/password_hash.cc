#include "sasl/password_hash.h"

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>

namespace herald::sasl {
namespace {

constexpr std::string_view kArgon2idPrefix = crypto_pwhash_argon2id_STRPREFIX;

// libsodium reads stored hashes as C strings of fewer than STRBYTES bytes. A view that is too
// long or has an embedded NUL cannot be a hash we wrote; refusing it here also guarantees that
// libsodium sees exactly the bytes the caller passed.
std::optional<std::array<char, crypto_pwhash_STRBYTES>> to_c_string(std::string_view s) {
  if (s.size() >= crypto_pwhash_STRBYTES || s.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::array<char, crypto_pwhash_STRBYTES> buf{};
  std::memcpy(buf.data(), s.data(), s.size());
  return buf;
}

}  // namespace

HashParams HashParams::interactive() {
  return HashParams{crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                    crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

void ensure_sodium_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    // 0 = initialised now, 1 = already initialised (e.g. by a library); -1 = unusable.
    if (sodium_init() < 0) std::abort();
  });
}

Result<std::string> hash_password(std::string_view password, HashParams params) {
  ensure_sodium_initialized();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), params.opslimit,
                            params.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return make_error("argon2id hashing failed (out of memory or invalid cost parameters)");
  }
  // in_place_value: Error is constructible from a string too, so the plain conversion is
  // ambiguous.
  return Result<std::string>(boost::system::in_place_value, out.data());
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  ensure_sodium_initialized();
  auto hash = to_c_string(stored_hash);
  if (!hash) return false;
  return crypto_pwhash_str_verify(hash->data(), password.data(), password.size()) == 0;
}

bool needs_rehash(std::string_view stored_hash, HashParams params) {
  ensure_sodium_initialized();
  // crypto_pwhash_str_needs_rehash() accepts argon2i strings too; we want argon2id only.
  if (!stored_hash.starts_with(kArgon2idPrefix)) return true;
  auto hash = to_c_string(stored_hash);
  if (!hash) return true;
  // 0 = matches the parameters, 1 = different parameters, -1 = malformed.
  return crypto_pwhash_str_needs_rehash(hash->data(), params.opslimit, params.memlimit) != 0;
}

}  // namespace herald::sasl
