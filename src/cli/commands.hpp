// One function per command file: adds the subcommand and its flags to the
// app and sets ctx.action when it is chosen. Nothing here does the work.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace skiff::cli {

void add_version_command(CLI::App& app, Context& ctx);
void add_info_command(CLI::App& app, Context& ctx);
void add_complete_command(CLI::App& app, Context& ctx);
void add_run_command(CLI::App& app, Context& ctx);

// Registers every command, in the order `skiff --help` lists them.
inline void add_all_commands(CLI::App& app, Context& ctx) {
    add_run_command(app, ctx);
    add_info_command(app, ctx);
    add_version_command(app, ctx);
    add_complete_command(app, ctx);
}

} // namespace skiff::cli
