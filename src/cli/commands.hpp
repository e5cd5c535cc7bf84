// One function per command file: adds the subcommand and its flags to the
// app and sets ctx.action when it is chosen. Nothing here does the work.
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace skiff::cli {

void add_version_command(CLI::App& app, Context& ctx);
void add_info_command(CLI::App& app, Context& ctx);
// skiff __complete WORDS...: not a subcommand (CLI11 would read a word that
// names a command as that command); cli::main calls it before parsing.
int run_complete(const CLI::App& app, Context& ctx, std::vector<std::string> words);
void add_run_command(CLI::App& app, Context& ctx);
void add_create_command(CLI::App& app, Context& ctx);
// Containers (parent: the app, or the `container` group).
void add_start_command(CLI::App& parent, Context& ctx);
void add_stop_command(CLI::App& parent, Context& ctx);
void add_kill_command(CLI::App& parent, Context& ctx);
void add_restart_command(CLI::App& parent, Context& ctx);
void add_rm_command(CLI::App& parent, Context& ctx, const std::string& name = "rm");
void add_wait_command(CLI::App& parent, Context& ctx);
void add_rename_command(CLI::App& parent, Context& ctx);
void add_monitor_callbacks(CLI::App& app, Context& ctx);
void add_ps_command(CLI::App& parent, Context& ctx, const std::string& name = "ps");
void add_logs_command(CLI::App& parent, Context& ctx);
void add_attach_command(CLI::App& parent, Context& ctx);
void add_exec_command(CLI::App& parent, Context& ctx);
void add_top_command(CLI::App& parent, Context& ctx);
void add_pause_commands(CLI::App& parent, Context& ctx);
void add_container_prune_command(CLI::App& parent, Context& ctx);
void add_container_command(CLI::App& app, Context& ctx);
void add_port_command(CLI::App& app, Context& ctx);
// Images (parent: the app, or the `image` group for its aliases).
void add_pull_command(CLI::App& parent, Context& ctx);
void add_images_command(CLI::App& parent, Context& ctx, const std::string& name = "images");
enum class InspectKind { any, images, containers };
void add_inspect_command(CLI::App& parent, Context& ctx, InspectKind kind);
void add_tag_command(CLI::App& parent, Context& ctx);
void add_rmi_command(CLI::App& parent, Context& ctx, const std::string& name = "rmi");
void add_history_command(CLI::App& parent, Context& ctx);
void add_image_prune_command(CLI::App& parent, Context& ctx);
void add_image_command(CLI::App& app, Context& ctx);
void add_login_command(CLI::App& parent, Context& ctx);
void add_logout_command(CLI::App& parent, Context& ctx);
void add_volume_command(CLI::App& app, Context& ctx);
void add_cp_command(CLI::App& app, Context& ctx);
void add_diff_command(CLI::App& app, Context& ctx);

// The top-level commands, in the order `skiff --help` lists them. Each
// entry names every top-level command its adder registers; a unit test
// checks the names against what the adders do.
struct CommandEntry {
    std::array<std::string_view, 2> names; // the second may be empty
    void (*add)(CLI::App& app, Context& ctx);
};
const std::vector<CommandEntry>& command_table();

// Registers every command (for help, completion and unknown words).
void add_all_commands(CLI::App& app, Context& ctx);

// The entry for the command that args (argv[1..]) selects, skipping the
// global options; nullptr when there is none (help, version, an unknown
// word). Building one command's flags instead of all of them is what
// keeps each skiff invocation cheap (see docs/ARCHITECTURE.md).
const CommandEntry* command_for_args(const std::vector<std::string>& args);

} // namespace skiff::cli
