// Registration of every CLI command group on the CLI11 app. Each register_* adds its
// subcommands and sets `exit_code` when one of them runs.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace herald::cli {

void register_config_commands(CLI::App& app, Context& ctx, int& exit_code);
void register_domain_commands(CLI::App& app, Context& ctx, int& exit_code);
void register_sender_commands(CLI::App& app, Context& ctx, int& exit_code);
void register_log_commands(CLI::App& app, Context& ctx, int& exit_code);
void register_send_command(CLI::App& app, Context& ctx, int& exit_code);
void register_queue_commands(CLI::App& app, Context& ctx, int& exit_code);

}  // namespace herald::cli
