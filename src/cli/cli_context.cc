#include "cli/cli_context.h"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace herald::cli {

Result<const config::Config*> Context::config() {
  if (config_) return config_.get();
  std::string file = options_.config_file;
  if (file.empty()) {
    const char* env = std::getenv("HERALD_CONFIG");
    if (env) file = env;
  }
  if (file.empty()) {
    config_ = std::make_unique<config::Config>(config::defaults());
    return config_.get();
  }
  auto loaded = config::load_file(file);
  if (!loaded) return loaded.error();
  config_ = std::make_unique<config::Config>(std::move(*loaded));
  return config_.get();
}

std::string store_path(const config::Config& c) {
  return (std::filesystem::path(c.data_dir) / "herald.db").string();
}

Result<store::Store*> Context::store() {
  if (store_) return store_.get();
  auto cfg = config();
  if (!cfg) return cfg.error();
  std::error_code ec;
  std::filesystem::create_directories((*cfg)->data_dir, ec);
  if (ec) return make_error("data_dir " + (*cfg)->data_dir + " is not usable: " + ec.message());
  store::SqliteOptions options;
  options.busy_timeout_ms = (*cfg)->store.busy_timeout_ms;
  auto opened = store::open_sqlite(store_path(**cfg), options);
  if (!opened) return opened.error();
  store_ = std::move(*opened);
  return store_.get();
}

// Reads one line from stdin; on a terminal, with echo off so the password is not shown.
std::optional<std::string> read_secret_line(const std::string& prompt) {
  bool tty = ::isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    std::cerr << prompt << std::flush;
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int report(const Error& e) {
  std::istringstream lines(e.message);
  std::string line;
  while (std::getline(lines, line)) std::cerr << "herald: error: " << line << "\n";
  return 1;
}

}  // namespace herald::cli
