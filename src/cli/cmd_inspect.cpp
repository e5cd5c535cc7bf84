// skiff inspect [OPTIONS] NAME... and skiff image inspect [OPTIONS] IMAGE...
// (containers come to the top-level inspect later: it says "no such object").
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/format.hpp"
#include "engine/images.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {
struct InspectFlags {
    std::string format;
    std::vector<std::string> names;
};

int run_inspect(Context& ctx, const InspectFlags& f, bool images_only) {
    OutputFormat of = parse_output_format(f.format);
    std::optional<Template> tmpl;
    if (of.kind == OutputFormat::tmpl) tmpl = Template::parse(of.text);
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    std::vector<std::string> missing;
    for (const auto& n : f.names) {
        if (auto j = engine::inspect_image(ctx.paths(), ctx.config(), n))
            all.push_back(std::move(*j));
        else
            missing.push_back(n);
    }
    if (tmpl) {
        std::string out;
        for (const auto& j : all) out += tmpl->render(nlohmann::json::parse(j.dump())) + "\n";
        fmt::print("{}", out);
    } else {
        fmt::print("{}\n", all.dump(4));
    }
    for (size_t i = 0; i < missing.size(); ++i) {
        std::string msg = images_only ? fmt::format("{}: image not known", missing[i])
                                      : fmt::format("no such object: \"{}\"", missing[i]);
        if (i + 1 == missing.size()) throw Error(msg);
        fmt::print(stderr, "Error: {}\n", msg);
    }
    return 0;
}
} // namespace

void add_inspect_command(CLI::App& parent, Context& ctx, bool images_only) {
    auto* cmd = parent.add_subcommand(
        "inspect", images_only ? "Display the details of images" : "Display the details of objects (images, for now)");
    auto f = std::make_shared<InspectFlags>();
    cmd->add_option("-f,--format", f->format, "Output format: json (the default) or a Go template")
        ->type_name("FORMAT");
    cmd->add_option(images_only ? "IMAGE" : "NAME", f->names, images_only ? "Images to inspect" : "Objects to inspect")
        ->required();
    cmd->callback([&ctx, f, images_only] {
        ctx.action = [&ctx, f, images_only] { return run_inspect(ctx, *f, images_only); };
    });
}

} // namespace skiff::cli
