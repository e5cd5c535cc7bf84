// skiff image SUBCOMMAND: the image group. Its subcommands are the same
// commands as the top-level ones (images, rmi, inspect, pull, tag, history),
// plus prune.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "engine/images.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {
struct PruneFlags {
    bool all = false, force = false;
};

int run_prune(Context& ctx, const PruneFlags& f) {
    if (!f.force && ::isatty(STDIN_FILENO)) {
        fmt::print("WARNING! This will remove all {}images not used by containers.\nAre you sure you want to "
                   "continue? [y/N] ", f.all ? "" : "dangling ");
        std::fflush(stdout);
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "y" && answer != "Y" && answer != "yes") return 0;
    }
    engine::ImagePruneResult r = engine::prune_images(ctx.paths(), f.all);
    for (const auto& id : r.images_removed) fmt::print("{}\n", id);
    if (r.store.gc_skipped)
        fmt::print(stderr, "Warning: a pull is in progress: unreferenced layers and blobs were kept\n");
    return 0;
}
} // namespace

void add_image_prune_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("prune", "Remove unused images and leftovers of interrupted pulls");
    auto f = std::make_shared<PruneFlags>();
    cmd->add_flag("-a,--all", f->all, "Remove every image not used by a container, not only untagged ones");
    cmd->add_flag("-f,--force", f->force, "Do not ask for confirmation");
    cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_prune(ctx, *f); }; });
}

void add_image_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("image", "Manage images");
    cmd->require_subcommand(1);
    add_images_command(*cmd, ctx, "ls");
    add_rmi_command(*cmd, ctx, "rm");
    add_inspect_command(*cmd, ctx, InspectKind::images);
    add_image_prune_command(*cmd, ctx);
    add_pull_command(*cmd, ctx);
    add_tag_command(*cmd, ctx);
    add_history_command(*cmd, ctx);
}

} // namespace skiff::cli
