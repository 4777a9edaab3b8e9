// DKIM key material for a domain: an RSA key pair generated with OpenSSL, the private key
// written as PEM with mode 0600 (never readable by others, whatever the umask), and the
// public key as the base64 DER SubjectPublicKeyInfo that goes into the DKIM TXT record's p=.
#pragma once

#include <filesystem>
#include <string>

#include "common/result.h"

namespace herald::accounts {

struct DkimKeyPair {
  std::string private_pem;
  std::string public_b64;  // the p= value (RFC 6376 §3.6.1)
};

Result<DkimKeyPair> generate_dkim_key(unsigned bits = 2048);

// Writes `pem` to `file` (creating parent directories 0700), refusing to overwrite.
Result<void> write_private_key(const std::filesystem::path& file, const std::string& pem);

}  // namespace herald::accounts
