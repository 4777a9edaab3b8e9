#include "accounts/dkim_key.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace herald::accounts {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string base64(const unsigned char* data, int len) {
  std::string out(static_cast<size_t>(4 * ((len + 2) / 3)) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, len);
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace

Result<DkimKeyPair> generate_dkim_key(unsigned bits) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_RSA_gen(bits));
  if (!key) return make_error("cannot generate an RSA key");
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
    return make_error("cannot encode the DKIM private key");
  DkimKeyPair out;
  out.private_pem = bio_contents(bio.get());
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key.get(), &der);
  if (len <= 0) return make_error("cannot encode the DKIM public key");
  out.public_b64 = base64(der, len);
  OPENSSL_free(der);
  return out;
}

Result<void> write_private_key(const std::filesystem::path& file, const std::string& pem) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return make_error("cannot create " + file.parent_path().string() + ": " + ec.message());
  ::chmod(file.parent_path().c_str(), 0700);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("cannot create " + file.string() + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  size_t done = 0;
  while (done < pem.size()) {
    ssize_t n = ::write(fd, pem.data() + done, pem.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(file.c_str());
      return make_error("cannot write " + file.string() + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(file.c_str());
    return make_error("cannot write " + file.string() + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace herald::accounts
