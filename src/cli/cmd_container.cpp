// skiff container SUBCOMMAND: the container group (the top-level commands
// under their docker names, plus prune), and top, pause, unpause.
#include <unistd.h>

#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/for_each_container.hpp"
#include "engine/container_state.hpp"
#include "engine/lifecycle.hpp"
#include "engine/pause.hpp"
#include "engine/top.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {

int run_prune(Context& ctx, bool force) {
    if (!force && ::isatty(STDIN_FILENO)) {
        fmt::print("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ");
        std::fflush(stdout);
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "y" && answer != "Y" && answer != "yes") return 0;
    }
    for (const auto& id : engine::prune_containers(ctx.paths())) fmt::print("{}\n", id);
    return 0;
}

} // namespace

void add_container_prune_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("prune", "Remove all stopped containers");
    auto force = std::make_shared<bool>(false);
    cmd->add_flag("-f,--force", *force, "Do not ask for confirmation");
    cmd->callback([&ctx, force] { ctx.action = [&ctx, force] { return run_prune(ctx, *force); }; });
}

void add_top_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("top", "Show the processes of a running container");
    auto name = std::make_shared<std::string>();
    cmd->add_option("CONTAINER", *name, "The container")->required();
    cmd->callback([&ctx, name] {
        ctx.action = [&ctx, name] {
            fmt::print("{}", engine::container_top(ctx.paths(), *name));
            return 0;
        };
    });
}

void add_pause_commands(CLI::App& parent, Context& ctx) {
    for (const char* verb : {"pause", "unpause"}) {
        auto* cmd = parent.add_subcommand(verb, std::string(verb == std::string("pause") ? "Pause" : "Unpause") +
                                                    " the processes of running containers");
        auto names = std::make_shared<std::vector<std::string>>();
        cmd->add_option("CONTAINER", *names, "Containers")->required();
        std::string v = verb;
        cmd->callback([&ctx, names, v] {
            ctx.action = [&ctx, names, v]() -> int {
                return for_each_container(*names, [&](const std::string& n) {
                    if (v == "pause") engine::pause_container(ctx.paths(), n);
                    else engine::unpause_container(ctx.paths(), n);
                });
            };
        });
    }
}

void add_container_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("container", "Manage containers");
    cmd->require_subcommand(1);
    add_ps_command(*cmd, ctx, "ls");
    add_create_command(*cmd, ctx);
    add_start_command(*cmd, ctx);
    add_stop_command(*cmd, ctx);
    add_kill_command(*cmd, ctx);
    add_restart_command(*cmd, ctx);
    add_rm_command(*cmd, ctx);
    add_wait_command(*cmd, ctx);
    add_rename_command(*cmd, ctx);
    add_logs_command(*cmd, ctx);
    add_attach_command(*cmd, ctx);
    add_exec_command(*cmd, ctx);
    add_inspect_command(*cmd, ctx, InspectKind::containers);
    add_top_command(*cmd, ctx);
    add_pause_commands(*cmd, ctx);
    add_container_prune_command(*cmd, ctx);
}

} // namespace skiff::cli
