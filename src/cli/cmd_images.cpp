// skiff images [OPTIONS] (and `skiff image ls|list`)
#include <ctime>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "engine/container_store.hpp"
#include "engine/images.hpp"
#include "image/reference.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {

struct ImagesFlags {
    bool quiet = false, digests = false, no_trunc = false, all = false;
    std::string format;
    engine::ImageListOptions list;
};

std::string hex(const std::string& id) { return id.rfind("sha256:", 0) == 0 ? id.substr(7) : id; }

// One row per tag (one "<none>" row for an untagged image), for tables and templates.
std::vector<nlohmann::json> image_rows(const std::vector<storage::ImageRecord>& images, bool no_trunc) {
    int64_t now = ::time(nullptr);
    std::vector<nlohmann::json> rows;
    for (const auto& img : images) {
        int64_t created = parse_rfc3339(img.created);
        std::string digest = img.manifest_digest;
        nlohmann::json base = {
            {"ID", no_trunc ? img.id : hex(img.id).substr(0, 12)},
            {"Id", hex(img.id)},
            {"Digest", digest},
            {"Created", time_ago(created, now)},
            {"CreatedSince", time_ago(created, now)},
            {"CreatedAt", img.created},
            {"Size", human_size(img.size)},
            {"VirtualSize", human_size(img.size)},
            {"Names", img.repo_tags},
            {"Dangling", img.repo_tags.empty()},
        };
        if (img.repo_tags.empty()) {
            nlohmann::json r = base;
            r["Repository"] = "<none>";
            r["Tag"] = "<none>";
            rows.push_back(std::move(r));
        }
        for (const auto& t : img.repo_tags) {
            Reference ref = Reference::parse(t);
            nlohmann::json r = base;
            r["Repository"] = ref.name();
            r["Tag"] = ref.tag.empty() ? "<none>" : ref.tag;
            rows.push_back(std::move(r));
        }
    }
    return rows;
}

nlohmann::ordered_json images_json(Context& ctx, const std::vector<storage::ImageRecord>& images) {
    std::map<std::string, int> containers;
    for (const auto& c : engine::ContainerStore(ctx.paths().root).list()) ++containers[c.image_id];
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& img : images) {
        out.push_back({
            {"Id", hex(img.id)},
            {"ParentId", ""},
            {"RepoTags", img.repo_tags},
            {"RepoDigests", img.repo_digests},
            {"Size", img.size},
            {"SharedSize", 0},
            {"VirtualSize", img.size},
            {"Containers", containers[img.id]},
            {"Names", img.repo_tags},
            {"Digest", img.manifest_digest},
            {"Created", parse_rfc3339(img.created)},
            {"CreatedAt", img.created},
            {"Os", img.os},
            {"Architecture", img.architecture},
            {"Dangling", img.repo_tags.empty()},
        });
    }
    return out;
}

int print_images(Context& ctx, const ImagesFlags& f) {
    auto images = engine::list_images(ctx.paths(), f.list);
    OutputFormat of = parse_output_format(f.format);
    if (of.kind == OutputFormat::json) {
        fmt::print("{}\n", images_json(ctx, images).dump(4));
        return 0;
    }
    if (f.quiet) {
        std::set<std::string> seen;
        for (const auto& img : images)
            if (seen.insert(img.id).second) fmt::print("{}\n", f.no_trunc ? img.id : hex(img.id).substr(0, 12));
        return 0;
    }
    auto rows = image_rows(images, f.no_trunc);
    std::string tmpl = of.kind == OutputFormat::tmpl
                           ? of.text
                           : std::string("table {{.Repository}}\t{{.Tag}}\t") + (f.digests ? "{{.Digest}}\t" : "") +
                                 "{{.ID}}\t{{.Created}}\t{{.Size}}";
    fmt::print("{}", render_rows(tmpl, rows, {{"ID", "IMAGE ID"}, {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"}}));
    return 0;
}

} // namespace

void add_images_command(CLI::App& parent, Context& ctx, const std::string& name) {
    auto* cmd = parent.add_subcommand(name, "List images in local storage");
    if (name == "ls") cmd->alias("list");
    auto f = std::make_shared<ImagesFlags>();
    cmd->add_flag("-q,--quiet", f->quiet, "Print only the image IDs");
    cmd->add_flag("--digests", f->digests, "Show the manifest digests");
    cmd->add_flag("--no-trunc", f->no_trunc, "Do not truncate the image IDs");
    cmd->add_flag("-a,--all", f->all, "Show all images (skiff keeps no intermediate images: the same as without)");
    cmd->add_option("--format", f->format, "Output format: table, json, or a Go template")->type_name("FORMAT");
    cmd->add_option("-f,--filter", f->list.filters, "Filter: reference=PATTERN, dangling=true|false")
        ->type_name("FILTER")->allow_extra_args(false);
    cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return print_images(ctx, *f); }; });
}

} // namespace skiff::cli
