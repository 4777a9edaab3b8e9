#include <iostream>

#include "cli/commands.h"

namespace herald::cli {

void register_config_commands(CLI::App& app, Context& ctx, int& exit_code) {
  auto* cfg = app.add_subcommand("config", "Inspect the configuration");
  cfg->require_subcommand(1);
  auto* show = cfg->add_subcommand("show", "Print the effective configuration as TOML");
  show->callback([&ctx, &exit_code] {
    auto c = ctx.config();
    if (!c) {
      exit_code = report(c.error());
      return;
    }
    std::cout << config::to_toml(**c);
    exit_code = 0;
  });
}

}  // namespace herald::cli
