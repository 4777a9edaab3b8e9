// The `herald` binary: one CLI11 app whose subcommands are the command groups in cli/ plus
// `serve`. Exit status: 0 ok, 1 the command failed, 2 usage error.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/server.h"
#include "cli/commands.h"

namespace {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("herald");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Herald: self-hosted transactional mail delivery"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  herald::cli::GlobalOptions options;
  app.add_option("--config", options.config_file,
                 "Configuration file (TOML); default $HERALD_CONFIG, else built-in defaults");
  herald::cli::Context ctx(options);
  int exit_code = 0;

  auto* serve = app.add_subcommand("serve", "Run the SMTP and HTTP server");
  serve->callback([&] {
    auto cfg = ctx.config();
    if (!cfg) {
      exit_code = herald::cli::report(cfg.error());
      return;
    }
    setup_logging((*cfg)->log_level);
    exit_code = herald::app::run_server(**cfg);
  });
  herald::cli::register_config_commands(app, ctx, exit_code);
  herald::cli::register_domain_commands(app, ctx, exit_code);
  herald::cli::register_sender_commands(app, ctx, exit_code);
  herald::cli::register_log_commands(app, ctx, exit_code);
  herald::cli::register_send_command(app, ctx, exit_code);
  herald::cli::register_queue_commands(app, ctx, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return exit_code;
}
