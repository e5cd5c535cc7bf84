// skiff rmi [OPTIONS] IMAGE... (and `skiff image rm`)
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "engine/images.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {
struct RmiFlags {
    bool force = false, all = false;
    std::vector<std::string> images;
};

// As podman: every image is tried; each failure is reported; the exit code
// is 125 if any failed.
int run_rmi(Context& ctx, const RmiFlags& f) {
    std::vector<std::string> names = f.images;
    if (f.all) {
        if (!names.empty()) throw Error("--all and image names cannot be combined");
        for (const auto& img : engine::list_images(ctx.paths(), {})) names.push_back(img.id);
    } else if (names.empty()) {
        throw Error("rmi needs at least one image name or ID (or --all)");
    }
    int rc = 0;
    for (const auto& n : names) {
        try {
            engine::RmiResult r = engine::remove_image(ctx.paths(), ctx.config(), n, f.force);
            for (const auto& t : r.untagged) fmt::print("Untagged: {}\n", t);
            for (const auto& d : r.deleted) fmt::print("Deleted: {}\n", d);
            std::fflush(stdout);
        } catch (const Error& e) {
            fmt::print(stderr, "Error: {}\n", e.what());
            rc = kExitSkiffError;
        }
    }
    return rc;
}
} // namespace

void add_rmi_command(CLI::App& parent, Context& ctx, const std::string& name) {
    auto* cmd = parent.add_subcommand(name, "Remove local images");
    auto f = std::make_shared<RmiFlags>();
    cmd->add_flag("-f,--force", f->force, "Remove images even when containers use them (their layers stay)");
    cmd->add_flag("-a,--all", f->all, "Remove every image");
    cmd->add_option("IMAGE", f->images, "Images to remove: names, tags or ID prefixes");
    cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_rmi(ctx, *f); }; });
}

} // namespace skiff::cli
