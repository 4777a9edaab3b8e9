#include "delivery/dkim_signer.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <memory>
#include <vector>

#include "delivery/dkim_canon.h"
#include "sasl/sasl_mechanisms.h"

namespace herald::delivery {

namespace {

// The h= candidates, lower case.
constexpr std::array<const char*, 14> kSignedHeaders = {"from",
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
                                                        "list-unsubscribe-post"};
constexpr std::string_view kOversigned = "from";
constexpr std::string_view kFieldName = "DKIM-Signature";
constexpr std::size_t kFoldWidth = 76;  // RFC 5322 §2.1.1: lines SHOULD stay within 78

std::string failure(std::string_view why) {
  return "DKIM signing failed: " + std::string(why);
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

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string base64(const unsigned char* data, std::size_t size) {
  return sasl::encode_base64(std::string_view(reinterpret_cast<const char*>(data), size));
}

// h=: every listed field present in the message, as often as it occurs, in message order,
// and From once more (oversigned).
std::vector<std::string> header_list(const std::vector<dkim::HeaderField>& fields) {
  std::vector<std::string> names;
  for (const auto& field : fields) {
    std::string name = lower(field.name);
    for (const char* signed_name : kSignedHeaders)
      if (name == signed_name) names.push_back(name);
  }
  names.emplace_back(kOversigned);
  return names;
}

// Builds a folded header field; folds (CRLF + HTAB) only where RFC 6376 allows FWS.
class FieldWriter {
 public:
  explicit FieldWriter(std::string_view start) : out_(start), column_(start.size()) {}
  void put(std::string_view s) {
    out_.append(s);
    column_ += s.size();
  }
  void fold_if_needed(std::size_t next) {
    if (column_ + next <= kFoldWidth) return;
    out_.append("\r\n\t");
    column_ = 8;
  }
  // base64 may be folded anywhere (§3.5 b=, bh=: FWS between any two characters).
  void put_base64(std::string_view b64) {
    while (!b64.empty()) {
      fold_if_needed(1);
      std::size_t n = std::min(b64.size(), kFoldWidth - column_);
      put(b64.substr(0, n));
      b64.remove_prefix(n);
    }
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
  std::size_t column_;
};

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

Result<std::string> body_hash(std::string_view body, const EVP_MD* sha256) {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), sha256, nullptr) != 1)
    return make_error(failure("cannot start SHA-256"));
  bool ok = true;
  dkim::relaxed_body(body, [&](std::string_view piece) {
    ok = ok && EVP_DigestUpdate(ctx.get(), piece.data(), piece.size()) == 1;
  });
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ok || EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1)
    return make_error(failure("cannot hash the body"));
  return Result<std::string>(boost::system::in_place_value, base64(digest, len));
}

// The field up to and including "b=" (its value empty, as it is hashed: §3.7).
FieldWriter unsigned_field(std::string_view domain, std::string_view selector,
                           const std::vector<std::string>& names, std::string_view bh) {
  FieldWriter w(std::string(kFieldName) + ": v=1; a=rsa-sha256; c=relaxed/relaxed;");
  const std::string tags[] = {"d=" + std::string(domain) + ";", "s=" + std::string(selector) + ";",
                              "t=" + std::to_string(std::time(nullptr)) + ";"};
  for (const std::string& tag : tags) {
    w.fold_if_needed(tag.size() + 1);
    w.put(" " + tag);
  }
  w.fold_if_needed(3 + names[0].size());
  w.put(" h=");
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string item = names[i] + (i + 1 < names.size() ? ":" : ";");
    w.fold_if_needed(item.size());
    w.put(item);
  }
  w.fold_if_needed(4 + bh.size() + 1);
  w.put(" bh=" + std::string(bh) + ";");
  w.fold_if_needed(3);
  w.put(" b=");
  return w;
}

// RSASSA-PKCS1-v1_5 with SHA-256 over the selected fields and the signature field itself
// (§3.7), all canonicalized relaxed; the signature field without its final CRLF.
Result<std::string> sign_headers(const std::vector<std::string_view>& selected,
                                 std::string_view field, const EVP_MD* sha256, EVP_PKEY* key) {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, sha256, nullptr, key) != 1)
    return make_error(failure("cannot start the RSA signature"));
  for (std::string_view raw : selected) {
    std::string canon = dkim::relaxed_header(raw);
    if (EVP_DigestSignUpdate(ctx.get(), canon.data(), canon.size()) != 1)
      return make_error(failure("cannot hash the header"));
  }
  std::string own = dkim::relaxed_header(field);
  own.resize(own.size() - 2);  // §3.7: the DKIM-Signature field is hashed without its CRLF
  std::size_t len = 0;
  if (EVP_DigestSignUpdate(ctx.get(), own.data(), own.size()) != 1 ||
      EVP_DigestSignFinal(ctx.get(), nullptr, &len) != 1)
    return make_error(failure("cannot sign the header"));
  std::vector<unsigned char> signature(len);
  if (EVP_DigestSignFinal(ctx.get(), signature.data(), &len) != 1)
    return make_error(failure("cannot sign the header"));
  return Result<std::string>(boost::system::in_place_value, base64(signature.data(), len));
}

}  // namespace

Result<DkimKey> DkimKey::from_pem(std::string_view pem) {
  // rsa-sha256 needs an RSA key; verifiers ignore keys under 1024 bits (RFC 8301 §3.2).
  if (pem.size() > 64 * 1024) return make_error(failure("key too large"));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return make_error(failure("out of memory"));
  std::shared_ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                &EVP_PKEY_free);
  if (!key) return make_error(failure("the private key is not a PEM private key"));
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
    return make_error(failure("the private key is not an RSA key"));
  int bits = EVP_PKEY_get_bits(key.get());
  if (bits < 1024) return make_error(failure("the RSA key is shorter than 1024 bits"));
  return DkimKey(std::move(key), bits);
}

std::span<const char* const> DkimSigner::signed_header_names() {
  return kSignedHeaders;
}

Result<DkimSigner> DkimSigner::create() {
  std::shared_ptr<const EVP_MD> sha256(
      EVP_MD_fetch(nullptr, "SHA256", nullptr),
      [](const EVP_MD* md) { EVP_MD_free(const_cast<EVP_MD*>(md)); });
  if (!sha256) return make_error("DKIM signing unavailable: OpenSSL has no SHA-256");
  return DkimSigner(std::move(sha256));
}

Result<std::string> DkimSigner::signature_header(std::string_view message, std::string_view domain,
                                                 std::string_view selector,
                                                 std::string_view private_key_pem) const {
  auto key = DkimKey::from_pem(private_key_pem);
  if (!key) return key.error();
  return signature_header(message, domain, selector, *key);
}

Result<std::string> DkimSigner::signature_header(std::string_view message, std::string_view domain,
                                                 std::string_view selector,
                                                 const DkimKey& key) const {
  if (!is_dns_name(domain) || !is_dns_name(selector))
    return make_error(failure("invalid domain or selector"));
  auto split = dkim::split_message(message);
  if (!split) return make_error(failure(split.error().message));
  std::vector<std::string> names = header_list(split->fields);
  // The list ends with the oversigned From: one more means the message has a From field.
  if (std::count(names.begin(), names.end(), kOversigned) < 2)
    return make_error(failure("the message has no From field"));
  auto bh = body_hash(split->body, sha256_.get());
  if (!bh) return bh.error();
  FieldWriter w = unsigned_field(domain, selector, names, *bh);
  auto b =
      sign_headers(dkim::select_fields(split->fields, names), w.str(), sha256_.get(), key.pkey());
  if (!b) return b.error();
  w.put_base64(*b);
  // in_place_value: Error is constructible from a string too.
  return Result<std::string>(boost::system::in_place_value, w.str() + "\r\n");
}

}  // namespace herald::delivery
