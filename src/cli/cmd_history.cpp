// skiff history [OPTIONS] IMAGE (and `skiff image history`)
#include <ctime>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "engine/images.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {
struct HistoryFlags {
    bool no_trunc = false, quiet = false;
    std::string format, image;
};

int run_history(Context& ctx, const HistoryFlags& f) {
    auto rows = engine::image_history(ctx.paths(), ctx.config(), f.image);
    if (f.quiet) {
        for (const auto& r : rows) fmt::print("{}\n", f.no_trunc || r.id == "<missing>" ? r.id : r.id.substr(0, 12));
        return 0;
    }
    OutputFormat of = parse_output_format(f.format);
    int64_t now = ::time(nullptr);
    if (of.kind == OutputFormat::json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& r : rows)
            out.push_back({{"id", r.id}, {"created", r.created}, {"createdBy", r.created_by}, {"size", r.size},
                           {"comment", r.comment}});
        fmt::print("{}\n", out.dump(4));
        return 0;
    }
    std::vector<nlohmann::json> data;
    for (const auto& r : rows) {
        std::string by = r.created_by;
        if (!f.no_trunc && by.size() > 45) by = by.substr(0, 42) + "...";
        data.push_back({{"ID", f.no_trunc || r.id == "<missing>" ? r.id : r.id.substr(0, 12)},
                        {"Created", time_ago(parse_rfc3339(r.created), now)},
                        {"CreatedSince", time_ago(parse_rfc3339(r.created), now)},
                        {"CreatedAt", r.created},
                        {"CreatedBy", by},
                        {"Size", human_size(r.size)},
                        {"Comment", r.comment}});
    }
    std::string tmpl = of.kind == OutputFormat::tmpl
                           ? of.text
                           : "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
    fmt::print("{}", render_rows(tmpl, data, {{"CreatedBy", "CREATED BY"}, {"CreatedAt", "CREATED AT"}}));
    return 0;
}
} // namespace

void add_history_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("history", "Show the history of an image");
    auto f = std::make_shared<HistoryFlags>();
    cmd->add_flag("--no-trunc", f->no_trunc, "Do not truncate IDs and commands");
    cmd->add_flag("-q,--quiet", f->quiet, "Print only the IDs");
    cmd->add_option("--format", f->format, "Output format: table, json, or a Go template")->type_name("FORMAT");
    cmd->add_option("IMAGE", f->image, "Image whose history to show")->required();
    cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_history(ctx, *f); }; });
}

} // namespace skiff::cli
