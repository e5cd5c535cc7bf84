// skiff inspect [OPTIONS] NAME... (containers first, then images, as docker),
// skiff image inspect IMAGE... and skiff container inspect CONTAINER...
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "engine/container_inspect.hpp"
#include "engine/container_state.hpp"
#include "engine/images.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {
struct InspectFlags {
    std::string format;
    std::string type; // "", container, image
    std::vector<std::string> names;
};

std::optional<nlohmann::ordered_json> find_container(Context& ctx, const std::string& name) {
    engine::ContainerStore store(ctx.paths().root);
    if (!store.find(name)) return std::nullopt;
    return engine::inspect_container(ctx.paths(), engine::lookup_fresh(store, name));
}

int run_inspect(Context& ctx, const InspectFlags& f, InspectKind kind) {
    bool images_only = kind == InspectKind::images || f.type == "image";
    bool containers_only = kind == InspectKind::containers || f.type == "container";
    if (!f.type.empty() && f.type != "image" && f.type != "container")
        throw Error(fmt::format("invalid --type '{}': use container or image", f.type));
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    std::vector<std::string> errors;
    for (const auto& n : f.names) {
        std::optional<nlohmann::ordered_json> j;
        if (!images_only) j = find_container(ctx, n);
        if (!j && !containers_only) j = engine::inspect_image(ctx.paths(), ctx.config(), n);
        if (j) all.push_back(std::move(*j));
        else
            errors.push_back(images_only       ? fmt::format("{}: image not known", n)
                             : containers_only ? fmt::format("no such container \"{}\"", n)
                                               : fmt::format("no such object: \"{}\"", n));
    }
    print_inspected(f.format, all, errors);
    return 0;
}
} // namespace

void add_inspect_command(CLI::App& parent, Context& ctx, InspectKind kind) {
    const char* what = kind == InspectKind::images       ? "Display the details of images"
                       : kind == InspectKind::containers ? "Display the details of containers"
                                                         : "Display the details of containers or images";
    auto* cmd = parent.add_subcommand("inspect", what);
    auto f = std::make_shared<InspectFlags>();
    cmd->add_option("-f,--format", f->format, "Output format: json (the default) or a Go template")
        ->type_name("FORMAT");
    if (kind == InspectKind::any)
        cmd->add_option("-t,--type", f->type, "Only look for this kind of object: container or image")
            ->type_name("TYPE");
    const char* arg = kind == InspectKind::images ? "IMAGE" : kind == InspectKind::containers ? "CONTAINER" : "NAME";
    cmd->add_option(arg, f->names, "What to inspect")->required();
    cmd->callback([&ctx, f, kind] {
        ctx.action = [&ctx, f, kind] {
            ctx.paths().ensure();
            return run_inspect(ctx, *f, kind);
        };
    });
}

} // namespace skiff::cli
