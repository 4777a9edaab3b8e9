// Secrets referenced by the configuration (relay passwords) are read from files at start, so
// that neither the configuration file nor `herald config show` ever holds one. Error messages
// name the path and the problem, never the content.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/config.h"

namespace herald::config {

Result<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error("cannot read " + path + ": read error");
  std::string secret = std::move(text).str();
  // `echo pw > file` adds a line end; editors do too. One is not part of the secret.
  if (secret.ends_with("\r\n"))
    secret.resize(secret.size() - 2);
  else if (secret.ends_with('\n'))
    secret.resize(secret.size() - 1);
  if (secret.empty()) return make_error(path + " is empty (expected the password)");
  if (secret.size() > 1024) return make_error(path + " holds more than 1024 octets");
  if (secret.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos)
    return make_error(path + " must hold the password on one line (NUL, CR or LF inside)");
  return Result<std::string>(boost::system::in_place_value, std::move(secret));
}

}  // namespace herald::config
