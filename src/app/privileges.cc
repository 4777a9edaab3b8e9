#include "app/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace herald::app {

Result<void> drop_privileges(const std::string& user, const std::string& data_dir) {
  if (::geteuid() != 0) return {};
  if (user.empty()) {
    spdlog::warn("running as root: set `user` in the configuration to drop privileges");
    return {};
  }
  errno = 0;
  const passwd* pw = ::getpwnam(user.c_str());
  if (!pw) return make_error("user '" + user + "' (configuration key `user`) does not exist");
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(data_dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    (void)::lchown(it->path().c_str(), pw->pw_uid, pw->pw_gid);
  (void)::chown(data_dir.c_str(), pw->pw_uid, pw->pw_gid);
  if (::setgroups(0, nullptr) != 0 || ::setgid(pw->pw_gid) != 0 || ::setuid(pw->pw_uid) != 0)
    return make_error("cannot switch to user '" + user + "': " + std::strerror(errno));
  if (::setuid(0) == 0) return make_error("privileges could not be dropped for good");
  spdlog::info("running as user {}", user);
  return {};
}

}  // namespace herald::app
