#include "support/temp_dir.h"

#include <cstdlib>
#include <random>
#include <string>

namespace herald::testing {

TempDir::TempDir() {
  const char* base = std::getenv("HERALD_TEST_TMP");
  std::filesystem::path root = base ? base : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(root);
  std::random_device rd;
  for (;;) {
    path_ = root / ("t" + std::to_string(rd()));
    if (std::filesystem::create_directory(path_)) break;
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace herald::testing
