// SMTP password hashing: argon2id (RFC 9106) through libsodium's crypto_pwhash_str_alg,
// stored as the self-describing PHC string "$argon2id$v=19$m=...,t=...,p=1$salt$hash".
//
// Cost: OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE (t=2, 64 MiB) by default, not MODERATE or
// SENSITIVE. Applications such as Nextcloud open a fresh SMTP connection and AUTH for every
// mail, so verification sits on the submission path; a burst of mails would otherwise queue
// behind seconds of hashing and hundreds of MiB. AuthCache (auth_cache.h) absorbs repeated
// verifications of the same credentials, AuthThrottle (auth_throttle.h) bounds guessing, and
// SMTP passwords are generated or policy-checked (policy/password_policy.h), so the interactive
// parameters are the right trade. Stronger parameters can be passed; needs_rehash() then
// reports old hashes so they are upgraded at the next successful login.
//
// Invariants: every function is thread-safe and may run on any worker thread (hashing takes
// ~0.1 s and 64 MiB: never call it on an I/O thread). The password is never logged or copied
// into an Error. verify_password() compares in constant time (libsodium does) and never
// throws; a malformed stored hash simply does not verify.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace herald::sasl {

struct HashParams {
  unsigned long long opslimit;
  std::size_t memlimit;  // bytes

  static HashParams interactive();  // the default, see above
};

// Initialises libsodium exactly once per process (std::call_once); aborts if it cannot,
// because without a working CSPRNG no credential can be handled safely. Idempotent.
void ensure_sodium_initialized();

// A fresh random salt each call, so equal passwords give different strings.
// Fails only when the memory limit cannot be allocated.
Result<std::string> hash_password(std::string_view password,
                                  HashParams params = HashParams::interactive());

// True iff `stored_hash` is a well-formed argon2 PHC string for `password`.
bool verify_password(std::string_view stored_hash, std::string_view password);

// True when `stored_hash` is not argon2id with exactly `params` (or is malformed): the caller
// should re-hash the password it just verified and store the new string.
bool needs_rehash(std::string_view stored_hash, HashParams params = HashParams::interactive());

}  // namespace herald::sasl
