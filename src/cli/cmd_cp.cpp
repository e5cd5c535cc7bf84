// skiff cp [-a] SRC DST: files between the host and a container.
#include "cli/commands.hpp"
#include "engine/container_copy.hpp"

namespace skiff::cli {

void add_cp_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("cp", "Copy files between a container and the host");
    auto r = std::make_shared<engine::CopyRequest>();
    cmd->add_flag("-a,--archive", r->archive, "Keep owners (mapped through the container's ID mapping)");
    cmd->add_option("SRC", r->src, "CONTAINER:PATH or a host path")->required();
    cmd->add_option("DST", r->dst, "CONTAINER:PATH or a host path")->required();
    cmd->callback([&ctx, r] {
        ctx.action = [&ctx, r] {
            engine::copy_files(ctx.paths(), *r);
            return 0;
        };
    });
}

} // namespace skiff::cli
