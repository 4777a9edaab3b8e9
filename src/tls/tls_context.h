// TLS for the SMTP listeners: the server certificate (configured, or a self-signed one
// generated for `hostname` on first start under <data_dir>/tls/), OpenSSL server contexts with
// a TLS 1.2 floor, and a holder that swaps the context on SIGHUP so new handshakes use renewed
// certificates while sessions in flight keep the one they started with.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.h"

namespace herald::tls {

struct CertificateFiles {
  std::filesystem::path cert;  // PEM chain
  std::filesystem::path key;   // PEM private key
  bool generated = false;      // true when ensure_certificate created them just now
};

// Returns the configured files, or the self-signed pair under `dir` (creating it when absent).
Result<CertificateFiles> ensure_certificate(const std::string& configured_cert,
                                            const std::string& configured_key,
                                            const std::filesystem::path& dir,
                                            const std::string& hostname);

// Writes a fresh self-signed ECDSA P-256 certificate for `hostname` (SAN DNS:hostname, 1 year).
Result<void> generate_self_signed(const std::filesystem::path& cert,
                                  const std::filesystem::path& key, const std::string& hostname);

using ContextPtr = std::shared_ptr<boost::asio::ssl::context>;

// min_version: "1.2" or "1.3".
Result<ContextPtr> make_server_context(const CertificateFiles& files,
                                       const std::string& min_version);

// Thread-safe current server context; reload() builds a new one and swaps it in only when
// it loads completely, so a bad file on SIGHUP keeps the old certificate serving.
class ContextHolder {
 public:
  ContextHolder(CertificateFiles files, std::string min_version, ContextPtr initial)
      : files_(std::move(files)), min_version_(std::move(min_version)), ctx_(std::move(initial)) {}
  ContextPtr current() const;
  Result<void> reload();

 private:
  CertificateFiles files_;
  std::string min_version_;
  mutable std::mutex mutex_;
  ContextPtr ctx_;
};

}  // namespace herald::tls
