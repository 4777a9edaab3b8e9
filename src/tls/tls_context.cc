#include "tls/tls_context.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>

namespace herald::tls {

namespace {

namespace ssl = boost::asio::ssl;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct FileClose {
  void operator()(FILE* f) const { std::fclose(f); }
};

bool add_san(X509* cert, const std::string& hostname) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  std::string san = "DNS:" + hostname;
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

Result<std::unique_ptr<X509, X509Free>> make_certificate(EVP_PKEY* key,
                                                         const std::string& hostname) {
  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) return make_error("out of memory");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return make_error("no randomness for a serial");
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (!add_san(cert.get(), hostname)) return make_error("cannot add subjectAltName " + hostname);
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) return make_error("cannot sign certificate");
  return cert;
}

}  // namespace

Result<void> generate_self_signed(const std::filesystem::path& cert_path,
                                  const std::filesystem::path& key_path,
                                  const std::string& hostname) {
  // ECDSA P-256: every TLS 1.2+ client supports it, and its handshake costs a fraction of
  // RSA-2048's (measured in docs/performance.md) — it matters for clients that connect per mail.
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) return make_error("cannot generate a TLS key");
  auto cert = make_certificate(key.get(), hostname);
  if (!cert) return cert.error();
  mode_t old = ::umask(077);  // the key file must never be readable by others
  std::unique_ptr<FILE, FileClose> kf(std::fopen(key_path.c_str(), "wx"));
  ::umask(old);
  if (!kf) return make_error("cannot create " + key_path.string());
  if (!PEM_write_PrivateKey(kf.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
    return make_error("cannot write " + key_path.string());
  std::unique_ptr<FILE, FileClose> cf(std::fopen(cert_path.c_str(), "w"));
  if (!cf || !PEM_write_X509(cf.get(), cert->get()))
    return make_error("cannot write " + cert_path.string());
  return {};
}

Result<CertificateFiles> ensure_certificate(const std::string& configured_cert,
                                            const std::string& configured_key,
                                            const std::filesystem::path& dir,
                                            const std::string& hostname) {
  if (!configured_cert.empty()) return CertificateFiles{configured_cert, configured_key, false};
  CertificateFiles files{dir / "cert.pem", dir / "key.pem", false};
  std::error_code ec;
  if (std::filesystem::exists(files.cert, ec) && std::filesystem::exists(files.key, ec))
    return files;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("cannot create " + dir.string() + ": " + ec.message());
  std::filesystem::remove(files.key, ec);
  if (auto r = generate_self_signed(files.cert, files.key, hostname); !r) return r.error();
  files.generated = true;
  return files;
}

Result<ContextPtr> make_server_context(const CertificateFiles& files,
                                       const std::string& min_version) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::single_dh_use,
                   ec);
  SSL_CTX_set_min_proto_version(ctx->native_handle(),
                                min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
  // Renegotiation is an attack surface SMTP never needs.
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION);
  // One TLS 1.3 session ticket instead of OpenSSL's two: less work and one write fewer for
  // clients that connect once per message.
  SSL_CTX_set_num_tickets(ctx->native_handle(), 1);
  ctx->use_certificate_chain_file(files.cert.string(), ec);
  if (ec) return make_error("TLS certificate " + files.cert.string() + ": " + ec.message());
  ctx->use_private_key_file(files.key.string(), ssl::context::pem, ec);
  if (ec) return make_error("TLS key " + files.key.string() + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    return make_error("TLS key " + files.key.string() + " does not match the certificate");
  return ctx;
}

ContextPtr ContextHolder::current() const {
  std::lock_guard lock(mutex_);
  return ctx_;
}

Result<void> ContextHolder::reload() {
  auto fresh = make_server_context(files_, min_version_);
  if (!fresh) return fresh.error();
  std::lock_guard lock(mutex_);
  ctx_ = std::move(*fresh);
  return {};
}

}  // namespace herald::tls
