// One function per command file: adds the subcommand and its flags to the
// app and sets ctx.action when it is chosen. Nothing here does the work.
#pragma once

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

// Registers every command, in the order `skiff --help` lists them.
inline void add_all_commands(CLI::App& app, Context& ctx) {
    add_run_command(app, ctx);
    add_create_command(app, ctx);
    add_ps_command(app, ctx);
    add_start_command(app, ctx);
    add_stop_command(app, ctx);
    add_kill_command(app, ctx);
    add_restart_command(app, ctx);
    add_rm_command(app, ctx);
    add_wait_command(app, ctx);
    add_rename_command(app, ctx);
    add_logs_command(app, ctx);
    add_attach_command(app, ctx);
    add_exec_command(app, ctx);
    add_top_command(app, ctx);
    add_pause_commands(app, ctx);
    add_container_command(app, ctx);
    add_port_command(app, ctx);
    add_pull_command(app, ctx);
    add_images_command(app, ctx);
    add_image_command(app, ctx);
    add_inspect_command(app, ctx, InspectKind::any);
    add_tag_command(app, ctx);
    add_rmi_command(app, ctx);
    add_history_command(app, ctx);
    add_cp_command(app, ctx);
    add_diff_command(app, ctx);
    add_volume_command(app, ctx);
    add_login_command(app, ctx);
    add_logout_command(app, ctx);
    add_info_command(app, ctx);
    add_version_command(app, ctx);
    add_monitor_callbacks(app, ctx);
}

} // namespace skiff::cli
