// placeholder replaced by the info work below
#include "cli/commands.hpp"
namespace skiff::cli {
void add_info_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("info", "Show what this host can do and which paths skiff will take");
    cmd->callback([&ctx] { ctx.action = [] { return 0; }; });
}
}
