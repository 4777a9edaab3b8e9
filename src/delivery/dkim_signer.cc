#include "delivery/dkim_signer.h"

// dkim.h is C99 and spells the boolean type _Bool, which C++ lacks; C's _Bool and C++'s bool
// have the same size and calling convention on every ABI GCC supports.
#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cctype>
#include <cstring>

namespace herald::delivery {

namespace {

// libopendkim keeps these pointers (it does not copy the lists), so they must outlive every
// library handle: static storage. Both lists end with nullptr, as dkim_options() expects.
constexpr std::array<const char*, 15> kSignedHeaders = {"from",
                                                        "to",
                                                        "cc",
                                                        "subject",
                                                        "date",
                                                        "message-id",
                                                        "reply-to",
                                                        "mime-version",
                                                        "content-type",
                                                        "content-transfer-encoding",
                                                        "in-reply-to",
                                                        "references",
                                                        "list-unsubscribe",
                                                        "list-unsubscribe-post",
                                                        nullptr};
constexpr std::array<const char*, 2> kOversignedHeaders = {"from", nullptr};

constexpr std::string_view kFieldName = "DKIM-Signature";

struct DkimFree {
  void operator()(DKIM* d) const { dkim_free(d); }
};
using DkimHandle = std::unique_ptr<DKIM, DkimFree>;

std::string dkim_error_text(DKIM* dkim, DKIM_STAT status, std::string_view step) {
  const char* detail = dkim != nullptr ? dkim_geterror(dkim) : nullptr;
  std::string out = "DKIM signing failed (" + std::string(step) + "): ";
  out += detail != nullptr && *detail != '\0' ? detail : dkim_getresultstr(status);
  return out;
}

// A DNS name (RFC 6376 §3.5 d= and s= are domain names): letters, digits, '-', '_', '.'.
// Anything else would be copied verbatim into the signature field.
bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

// Checks the key with OpenSSL before libopendkim sees it: libopendkim 2.11 leaks its key
// state when it fails to load a key (dkim_privkey_load), and its error text is less useful.
// rsa-sha256 needs an RSA key; verifiers ignore keys under 1024 bits (RFC 8301 §3.2).
// Returns the key as base64 DER (traditional RSAPrivateKey, what d2i_PrivateKey_bio reads).
Result<std::string> check_private_key(std::string_view pem) {
  if (pem.size() > 64 * 1024) return make_error("DKIM signing failed: key too large");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return make_error("DKIM signing failed: out of memory");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) return make_error("DKIM signing failed: the private key is not a PEM private key");
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
    return make_error("DKIM signing failed: the private key is not an RSA key");
  if (EVP_PKEY_get_bits(key.get()) < 1024)
    return make_error("DKIM signing failed: the RSA key is shorter than 1024 bits");
  unsigned char* der = nullptr;
  int der_len = i2d_PrivateKey(key.get(), &der);
  if (der_len <= 0) return make_error("DKIM signing failed: cannot encode the key");
  std::string b64(4 * ((static_cast<std::size_t>(der_len) + 2) / 3) + 1, '\0');
  int b64_len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der, der_len);
  OPENSSL_clear_free(der, static_cast<std::size_t>(der_len));
  b64.resize(static_cast<std::size_t>(b64_len));
  return Result<std::string>(boost::system::in_place_value, std::move(b64));
}

Result<void> set_option(DKIM_LIB* lib, int option, const void* value, std::size_t size) {
  DKIM_STAT st = dkim_options(lib, DKIM_OP_SETOPT, option, const_cast<void*>(value), size);
  if (st != DKIM_STAT_OK)
    return make_error(std::string("cannot configure libopendkim: ") + dkim_getresultstr(st));
  return ok();
}

}  // namespace

Result<DkimKey> DkimKey::from_pem(std::string_view pem) {
  auto der = check_private_key(pem);
  if (!der) return der.error();
  return DkimKey(std::move(*der));
}

std::span<const char* const> DkimSigner::signed_header_names() {
  return {kSignedHeaders.data(), kSignedHeaders.size() - 1};
}

Result<DkimSigner> DkimSigner::create() {
  std::shared_ptr<dkim_lib> lib(dkim_init(nullptr, nullptr), [](DKIM_LIB* l) {
    if (l != nullptr) dkim_close(l);
  });
  if (!lib) return make_error("cannot initialise libopendkim");
  // The option takes the array itself; its size argument is that of a pointer.
  if (auto r = set_option(lib.get(), DKIM_OPTS_SIGNHDRS, kSignedHeaders.data(), sizeof(char**)); !r)
    return r.error();
  if (auto r =
          set_option(lib.get(), DKIM_OPTS_OVERSIGNHDRS, kOversignedHeaders.data(), sizeof(char**));
      !r)
    return r.error();
  return DkimSigner(std::move(lib));
}

Result<std::string> DkimSigner::signature_header(std::string_view message, std::string_view domain,
                                                 std::string_view selector,
                                                 std::string_view private_key_pem) const {
  if (!is_dns_name(domain) || !is_dns_name(selector))
    return make_error("DKIM signing failed: invalid domain or selector");
  auto key = DkimKey::from_pem(private_key_pem);
  if (!key) return key.error();
  return signature_header(message, domain, selector, *key);
}

Result<std::string> DkimSigner::signature_header(std::string_view message, std::string_view domain,
                                                 std::string_view selector,
                                                 const DkimKey& signing_key) const {
  if (!is_dns_name(domain) || !is_dns_name(selector))
    return make_error("DKIM signing failed: invalid domain or selector");
  // libopendkim wants NUL-terminated strings and copies them into the handle.
  const std::string& key = signing_key.der_base64();
  const std::string dom(domain), sel(selector);
  DKIM_STAT st = DKIM_STAT_OK;
  DkimHandle dkim(dkim_sign(lib_.get(), reinterpret_cast<const unsigned char*>("herald"), nullptr,
                            reinterpret_cast<dkim_sigkey_t>(const_cast<char*>(key.c_str())),
                            reinterpret_cast<const unsigned char*>(sel.c_str()),
                            reinterpret_cast<const unsigned char*>(dom.c_str()), DKIM_CANON_RELAXED,
                            DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st));
  if (!dkim) return make_error(dkim_error_text(nullptr, st, "dkim_sign"));

  // dkim_chunk() only reads the buffer; its parameter is not const-qualified.
  auto* data = reinterpret_cast<unsigned char*>(const_cast<char*>(message.data()));
  if ((st = dkim_chunk(dkim.get(), data, message.size())) != DKIM_STAT_OK)
    return make_error(dkim_error_text(dkim.get(), st, "message"));
  if ((st = dkim_chunk(dkim.get(), nullptr, 0)) != DKIM_STAT_OK)
    return make_error(dkim_error_text(dkim.get(), st, "end of message"));
  if ((st = dkim_eom(dkim.get(), nullptr)) != DKIM_STAT_OK)
    return make_error(dkim_error_text(dkim.get(), st, "signature"));

  unsigned char* value = nullptr;
  std::size_t len = 0;
  // `initial` is the width already used on the first line: "DKIM-Signature: ".
  st = dkim_getsighdr_d(dkim.get(), kFieldName.size() + 2, &value, &len);
  if (st != DKIM_STAT_OK || value == nullptr)
    return make_error(dkim_error_text(dkim.get(), st, "signature field"));
  std::string out;
  out.reserve(kFieldName.size() + 2 + len + 2);
  out.append(kFieldName).append(": ");
  out.append(reinterpret_cast<const char*>(value), len);  // folded with "\r\n\t" by the library
  out.append("\r\n");
  // in_place_value: Error is constructible from a string too.
  return Result<std::string>(boost::system::in_place_value, std::move(out));
}

}  // namespace herald::delivery
