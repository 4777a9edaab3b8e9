// What every CLI command needs: the effective configuration (from --config FILE, else
// $HERALD_CONFIG, else embedded defaults) and, on demand, the store under data_dir.
// Commands print results on stdout, one "herald: error: ..." line on stderr per failure,
// and return the process exit status (0 ok, 1 failed, 2 usage).
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "config/config.h"
#include "store/store.h"

namespace herald::cli {

struct GlobalOptions {
  std::string config_file;  // empty: $HERALD_CONFIG or defaults
};

class Context {
 public:
  // Holds a reference: the options are filled in by the parser after construction.
  explicit Context(const GlobalOptions& options) : options_(options) {}

  // Loads the configuration once; every problem in it is in the error, one per line.
  Result<const config::Config*> config();
  // Opens (creating data_dir if needed) and migrates the store once.
  Result<store::Store*> store();

 private:
  const GlobalOptions& options_;
  std::unique_ptr<config::Config> config_;
  std::unique_ptr<store::Store> store_;
};

// Prints "herald: error: <line>" for each line of the message; returns 1.
int report(const Error& e);

// Reads one line from stdin; on a terminal it prints `prompt` and turns echo off so a password
// is not shown. nullopt at end of input.
std::optional<std::string> read_secret_line(const std::string& prompt);

// The path of the store inside a data directory.
std::string store_path(const config::Config& c);

}  // namespace herald::cli
