// A fresh directory per test under $HERALD_TEST_TMP (or /tmp), removed at the end.
#pragma once

#include <filesystem>

namespace herald::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace herald::testing
