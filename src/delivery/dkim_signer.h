// DKIM signing (RFC 6376) of outgoing messages: rsa-sha256, relaxed/relaxed canonicalization
// (§3.4.2, §3.4.4: survives the whitespace and header refolding that relays do), a fixed list
// of header fields, From oversigned. Canonicalization is dkim_canon.h; hashing and the RSA
// signature are OpenSSL's EVP API with a key parsed once (docs/adr/0003-dkim-signing-on-evp.md:
// libopendkim re-parses the key for every message, which cost 2/3 of delivery's CPU;
// libopendkim stays the reference verifier of these signatures in the tests).
//
// Signed header fields: from, to, cc, subject, date, message-id, reply-to, mime-version,
// content-type, content-transfer-encoding, in-reply-to, references, list-unsubscribe and
// list-unsubscribe-post (RFC 8058 §4: both List-Unsubscribe fields MUST be covered by a DKIM
// signature for one-click unsubscribe to be honoured). Only fields present in the message are
// listed in h=. From is also oversigned: h= names it once more than it occurs (RFC 6376
// §5.4.2, §8.15), so a From field added after signing breaks the signature instead of being
// displayed above a valid one.
//
// Threading: a DkimSigner and a DkimKey are immutable after creation; signature_header() may
// run concurrently from any number of threads with the same key (OpenSSL locks the key's
// blinding state itself).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY; its headers stay out of Herald's headers
struct evp_md_st;    // EVP_MD

namespace herald::delivery {

// A private key parsed and checked once. Parsing is the expensive part of a signature after
// the RSA operation itself, and a key object that lives on keeps OpenSSL's per-key state
// (Montgomery contexts, blinding) from one message to the next.
// Immutable; share it across threads (DkimKeyCache hands out shared_ptr<const DkimKey>).
class DkimKey {
 public:
  // `pem`: the domain's RSA private key (PEM, PKCS#1 or PKCS#8), >= 1024 bits (RFC 8301 §3.2).
  static Result<DkimKey> from_pem(std::string_view pem);
  evp_pkey_st* pkey() const { return pkey_.get(); }
  int bits() const { return bits_; }

 private:
  DkimKey(std::shared_ptr<evp_pkey_st> pkey, int bits) : pkey_(std::move(pkey)), bits_(bits) {}
  std::shared_ptr<evp_pkey_st> pkey_;
  int bits_ = 0;
};

class DkimSigner {
 public:
  static Result<DkimSigner> create();

  // The "DKIM-Signature: ...\r\n" field (folded with CRLF + tab) to prepend to `message`.
  // `message`: the complete message as it will be sent, CRLF line endings, not dot-stuffed.
  // `private_key_pem`: the domain's RSA private key (PEM, PKCS#1 or PKCS#8), >= 1024 bits
  // (RFC 8301 §3.2).
  // Fails on such a bad key, on a message without a From field or with a malformed header,
  // or on a domain/selector that is not a DNS name.
  Result<std::string> signature_header(std::string_view message, std::string_view domain,
                                       std::string_view selector,
                                       std::string_view private_key_pem) const;
  // The same with a key already parsed (the delivery path).
  Result<std::string> signature_header(std::string_view message, std::string_view domain,
                                       std::string_view selector, const DkimKey& key) const;

  // The header field names Herald signs (lower case), for documentation and tests.
  static std::span<const char* const> signed_header_names();

 private:
  explicit DkimSigner(std::shared_ptr<const evp_md_st> sha256) : sha256_(std::move(sha256)) {}
  std::shared_ptr<const evp_md_st> sha256_;  // fetched once, not per message
};

}  // namespace herald::delivery
