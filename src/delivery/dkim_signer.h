// DKIM signing (RFC 6376) of outgoing messages with libopendkim: rsa-sha256,
// relaxed/relaxed canonicalization (§3.4.2, §3.4.4: survives the whitespace and header
// refolding that relays do), a fixed list of header fields, From oversigned.
//
// Signed header fields: from, to, cc, subject, date, message-id, reply-to, mime-version,
// content-type, content-transfer-encoding, in-reply-to, references, list-unsubscribe and
// list-unsubscribe-post (RFC 8058 §4: both List-Unsubscribe fields MUST be covered by a DKIM
// signature for one-click unsubscribe to be honoured). Only fields present in the message are
// listed in h=. From is also oversigned: h= names it once more than it occurs (RFC 6376
// §5.4.2, §8.15), so a From field added after signing breaks the signature instead of being
// displayed above a valid one.
//
// Threading: create() makes one libopendkim library handle (options set once, then read-only);
// copies of a DkimSigner share it. signature_header() uses its own signing handle per call and
// may run concurrently from any number of threads. Create one signer per process at start.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

struct dkim_lib;  // libopendkim's DKIM_LIB; its header stays out of Herald's headers

namespace herald::delivery {

// A private key checked once with OpenSSL and kept in the form libopendkim parses cheapest:
// base64 of its DER encoding (dkim_sign() base64-decodes a key that does not start with
// "-----" and dkim_privkey_load() reads it with d2i_PrivateKey_bio(), skipping PEM armour).
// Immutable; share it across threads (DkimKeyCache hands out shared_ptr<const DkimKey>).
class DkimKey {
 public:
  // `pem`: the domain's RSA private key (PEM, PKCS#1 or PKCS#8), >= 1024 bits (RFC 8301 §3.2).
  static Result<DkimKey> from_pem(std::string_view pem);
  const std::string& der_base64() const { return der_base64_; }

 private:
  explicit DkimKey(std::string der_base64) : der_base64_(std::move(der_base64)) {}
  std::string der_base64_;
};

class DkimSigner {
 public:
  static Result<DkimSigner> create();

  // The "DKIM-Signature: ...\r\n" field (folded with CRLF + tab) to prepend to `message`.
  // `message`: the complete message as it will be sent, CRLF line endings, not dot-stuffed.
  // `private_key_pem`: the domain's RSA private key (PEM, PKCS#1 or PKCS#8), >= 1024 bits
  // (RFC 8301 §3.2), checked with OpenSSL before libopendkim sees it.
  // Fails on such a bad key, on a message without a From field (libopendkim's reason), or on
  // a domain/selector that is not a DNS name.
  Result<std::string> signature_header(std::string_view message, std::string_view domain,
                                       std::string_view selector,
                                       std::string_view private_key_pem) const;
  // The same with a key already checked and converted (the delivery path: no PEM parsing).
  Result<std::string> signature_header(std::string_view message, std::string_view domain,
                                       std::string_view selector, const DkimKey& key) const;

  // The header field names Herald signs (lower case), for documentation and tests.
  static std::span<const char* const> signed_header_names();

 private:
  explicit DkimSigner(std::shared_ptr<dkim_lib> lib) : lib_(std::move(lib)) {}
  std::shared_ptr<dkim_lib> lib_;
};

}  // namespace herald::delivery
