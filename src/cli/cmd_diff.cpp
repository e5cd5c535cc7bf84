// skiff diff CONTAINER: the changes in a container's writable layer.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "engine/container_diff.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {
struct DiffFlags {
    std::string container;
    std::string format;
};

int run_diff(Context& ctx, const DiffFlags& f) {
    auto changes = engine::container_changes(ctx.paths(), f.container);
    OutputFormat of = parse_output_format(f.format);
    if (of.kind == OutputFormat::json) {
        nlohmann::ordered_json j = {{"changed", nlohmann::json::array()},
                                    {"added", nlohmann::json::array()},
                                    {"deleted", nlohmann::json::array()}};
        for (const auto& c : changes)
            j[c.kind == 'A' ? "added" : c.kind == 'C' ? "changed" : "deleted"].push_back(c.path);
        fmt::print("{}\n", j.dump(4));
        return 0;
    }
    if (of.kind == OutputFormat::tmpl) throw skiff::Error("diff --format takes json only");
    for (const auto& c : changes) fmt::print("{} {}\n", c.kind, c.path);
    return 0;
}
} // namespace

void add_diff_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("diff", "Show the changes in a container's file system");
    auto f = std::make_shared<DiffFlags>();
    cmd->add_option("--format", f->format, "Output format: json, or the default A/C/D lines")->type_name("FORMAT");
    cmd->add_option("CONTAINER", f->container, "The container")->required();
    cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_diff(ctx, *f); }; });
}

} // namespace skiff::cli
