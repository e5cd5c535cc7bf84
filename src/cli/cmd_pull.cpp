// skiff pull [OPTIONS] IMAGE (and `skiff image pull`)
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "engine/pull.hpp"
#include "image/platform.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {
struct PullFlags {
    engine::PullOptions opts;
    std::string image, arch, os, variant;
    bool tls = true;
};

// --platform wins; else --os/--arch/--variant on top of this host's platform.
std::string platform_of(const PullFlags& f) {
    if (!f.opts.platform.empty()) {
        if (!f.arch.empty() || !f.os.empty() || !f.variant.empty())
            throw Error("--platform cannot be combined with --arch, --os or --variant");
        return f.opts.platform;
    }
    if (f.arch.empty() && f.os.empty() && f.variant.empty()) return "";
    Platform host = Platform::host();
    std::string p = (f.os.empty() ? host.os : f.os) + "/" + (f.arch.empty() ? host.architecture : f.arch);
    if (!f.variant.empty()) p += "/" + f.variant;
    return p;
}
} // namespace

void add_pull_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("pull", "Pull an image from a registry");
    auto f = std::make_shared<PullFlags>();
    cmd->add_option("--platform", f->opts.platform, "Platform of the image to pull: OS/ARCH[/VARIANT]")
        ->type_name("PLATFORM");
    cmd->add_option("--arch", f->arch, "Architecture of the image to pull (instead of this host's)")->type_name("ARCH");
    cmd->add_option("--os", f->os, "Operating system of the image to pull (instead of this host's)")->type_name("OS");
    cmd->add_option("--variant", f->variant, "Architecture variant of the image to pull (v7, v8, ...)")
        ->type_name("VARIANT");
    cmd->add_flag("-q,--quiet", f->opts.quiet, "Do not print pull progress");
    auto* tls_opt = cmd->add_flag("--tls-verify{true}", f->tls,
                                  "Require HTTPS and verify certificates (--tls-verify=false to allow HTTP)");
    cmd->add_option("--authfile", f->opts.authfile, "Path of the authentication file")->type_name("FILE");
    cmd->add_option("IMAGE", f->image, "Image to pull")->required();
    cmd->callback([&ctx, f, tls_opt] {
        if (tls_opt->count() > 0) f->opts.tls_verify = f->tls;
        ctx.action = [&ctx, f] {
            f->opts.platform = platform_of(*f);
            engine::PullResult r = engine::pull(ctx.paths(), ctx.config(), f->image, f->opts);
            std::string id = r.image_id.rfind("sha256:", 0) == 0 ? r.image_id.substr(7) : r.image_id;
            fmt::print("{}\n", id);
            return 0;
        };
    });
}

} // namespace skiff::cli
