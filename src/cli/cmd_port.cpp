// skiff port CONTAINER [PRIVATE_PORT[/PROTO]]
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "engine/port_list.hpp"

namespace skiff::cli {

void add_port_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("port", "List the published ports of a container");
    auto container = std::make_shared<std::string>();
    auto filter = std::make_shared<std::string>();
    cmd->add_option("CONTAINER", *container, "Container name or ID")->required();
    cmd->add_option("PRIVATE_PORT", *filter, "Only this container port: PORT[/PROTO]");
    cmd->callback([&ctx, container, filter] {
        ctx.action = [&ctx, container, filter] {
            for (const auto& line : engine::container_ports(ctx.paths(), *container, *filter))
                fmt::print("{}\n", line);
            return 0;
        };
    });
}

} // namespace skiff::cli
