// skiff volume SUBCOMMAND: create, ls, inspect, rm, prune.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "engine/volumes.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {

nlohmann::ordered_json volume_json(const engine::VolumeRecord& v) {
    return {{"Name", v.name},           {"Driver", v.driver}, {"Mountpoint", v.mountpoint},
            {"CreatedAt", v.created_at}, {"Labels", v.labels}, {"Scope", "local"},
            {"Options", v.options},     {"Anonymous", v.anonymous}};
}

struct CreateFlags {
    engine::VolumeCreateOptions opts;
};

struct LsFlags {
    bool quiet = false;
    std::string format;
    std::vector<std::string> filters;
};

int run_ls(Context& ctx, const LsFlags& f) {
    auto vols = engine::list_volumes(ctx.paths(), f.filters);
    OutputFormat of = parse_output_format(f.format);
    if (of.kind == OutputFormat::json) {
        nlohmann::ordered_json all = nlohmann::ordered_json::array();
        for (const auto& v : vols) all.push_back(volume_json(v));
        fmt::print("{}\n", all.dump(4));
        return 0;
    }
    if (f.quiet) {
        for (const auto& v : vols) fmt::print("{}\n", v.name);
        return 0;
    }
    std::vector<nlohmann::json> rows;
    for (const auto& v : vols) rows.push_back(nlohmann::json::parse(volume_json(v).dump()));
    std::string tmpl = of.kind == OutputFormat::tmpl ? of.text : "table {{.Driver}}\t{{.Name}}";
    fmt::print("{}", render_rows(tmpl, rows, {{"Name", "VOLUME NAME"}, {"CreatedAt", "CREATED AT"}}));
    return 0;
}

struct InspectFlags {
    std::string format;
    std::vector<std::string> names;
};

int run_inspect(Context& ctx, const InspectFlags& f) {
    engine::VolumeStore store(ctx.paths().root);
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    std::vector<std::string> errors;
    for (const auto& n : f.names) {
        if (auto v = store.find(n)) all.push_back(volume_json(*v));
        else errors.push_back(fmt::format("no such volume: {}", n));
    }
    print_inspected(f.format, all, errors);
    return 0;
}

struct RmFlags {
    bool force = false;
    std::vector<std::string> names;
};

struct PruneFlags {
    bool force = false;
    std::vector<std::string> filters;
};

int run_prune(Context& ctx, const PruneFlags& f) {
    if (!f.force && ::isatty(STDIN_FILENO)) {
        fmt::print("WARNING! This will remove all volumes not used by containers.\nAre you sure you want to "
                   "continue? [y/N] ");
        std::fflush(stdout);
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "y" && answer != "Y" && answer != "yes") return 0;
    }
    for (const auto& n : engine::prune_volumes(ctx.paths(), f.filters)) fmt::print("{}\n", n);
    return 0;
}

void add_create(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("create", "Create a named volume");
    auto f = std::make_shared<CreateFlags>();
    cmd->add_option("-l,--label", f->opts.labels, "Set a label on the volume: KEY=VALUE")
        ->type_name("LABEL")->allow_extra_args(false);
    cmd->add_option("-o,--opt", f->opts.options,
                    "Driver option (none are supported: skiff volumes are plain directories)")
        ->type_name("OPT")->allow_extra_args(false);
    cmd->add_option("NAME", f->opts.name, "The volume's name (default: a random one)");
    cmd->callback([&ctx, f] {
        ctx.action = [&ctx, f] {
            fmt::print("{}\n", engine::create_volume(ctx.paths(), f->opts).name);
            return 0;
        };
    });
}

void add_ls(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("ls", "List volumes");
    cmd->alias("list");
    auto f = std::make_shared<LsFlags>();
    cmd->add_flag("-q,--quiet", f->quiet, "Print only the volume names");
    cmd->add_option("--format", f->format, "Output format: table, json, or a Go template")->type_name("FORMAT");
    cmd->add_option("-f,--filter", f->filters, "Filter: name=TEXT, label=KEY[=VALUE], dangling=true|false")
        ->type_name("FILTER")->allow_extra_args(false);
    cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_ls(ctx, *f); }; });
}

void add_inspect(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("inspect", "Display the details of volumes");
    auto f = std::make_shared<InspectFlags>();
    cmd->add_option("-f,--format", f->format, "Output format: json (the default) or a Go template")
        ->type_name("FORMAT");
    cmd->add_option("VOLUME", f->names, "Volumes to inspect")->required();
    cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_inspect(ctx, *f); }; });
}

void add_rm(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("rm", "Remove volumes");
    cmd->alias("remove");
    auto f = std::make_shared<RmFlags>();
    cmd->add_flag("-f,--force", f->force, "Remove a volume even while a container uses it");
    cmd->add_option("VOLUME", f->names, "Volumes to remove")->required();
    cmd->callback([&ctx, f] {
        ctx.action = [&ctx, f] {
            for (const auto& n : engine::remove_volumes(ctx.paths(), f->names, f->force)) fmt::print("{}\n", n);
            return 0;
        };
    });
}

void add_prune(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("prune", "Remove every volume no container uses");
    auto f = std::make_shared<PruneFlags>();
    cmd->add_flag("-f,--force", f->force, "Do not ask for confirmation");
    cmd->add_option("--filter", f->filters, "Only prune volumes that match: name=TEXT, label=KEY[=VALUE]")
        ->type_name("FILTER")->allow_extra_args(false);
    cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_prune(ctx, *f); }; });
}

} // namespace

void add_volume_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("volume", "Manage volumes");
    cmd->require_subcommand(1);
    add_create(*cmd, ctx);
    add_ls(*cmd, ctx);
    add_inspect(*cmd, ctx);
    add_rm(*cmd, ctx);
    add_prune(*cmd, ctx);
}

} // namespace skiff::cli
