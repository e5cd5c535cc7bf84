// skiff tag SOURCE TARGET... (and `skiff image tag`)
#include "cli/commands.hpp"
#include "engine/images.hpp"

namespace skiff::cli {

void add_tag_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("tag", "Add names to a local image");
    auto source = std::make_shared<std::string>();
    auto targets = std::make_shared<std::vector<std::string>>();
    cmd->add_option("SOURCE", *source, "Image to tag")->required();
    cmd->add_option("TARGET", *targets, "New names (unqualified names go to localhost/)")->required();
    cmd->callback([&ctx, source, targets] {
        ctx.action = [&ctx, source, targets] {
            engine::tag_image(ctx.paths(), ctx.config(), *source, *targets);
            return 0;
        };
    });
}

} // namespace skiff::cli
