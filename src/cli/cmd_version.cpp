// skiff version: what was built, with what, for which platform.
#include <sys/utsname.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/version.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {
std::string host_arch() {
    struct utsname u {};
    ::uname(&u);
    std::string m = u.machine;
    if (m == "x86_64") return "amd64";
    if (m == "aarch64") return "arm64";
    return m;
}
} // namespace

void add_version_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("version", "Show the skiff version and build information");
    auto format = std::make_shared<std::string>();
    cmd->add_option("-f,--format", *format, "Output format: 'json' (a Go template is not supported here)")
        ->type_name("FORMAT");
    cmd->callback([&ctx, format] {
        ctx.action = [format] {
            nlohmann::ordered_json j = {
                {"Version", SKIFF_VERSION_STRING},
                {"Compiler", fmt::format("g++ {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__)},
                {"Built", __DATE__ " " __TIME__},
                {"OsArch", "linux/" + host_arch()},
            };
            if (*format == "json") {
                fmt::print("{}\n", j.dump(4));
            } else if (format->empty()) {
                fmt::print("Version:      {}\nCompiler:     {}\nBuilt:        {}\nOS/Arch:      {}\n",
                           j["Version"].get<std::string>(), j["Compiler"].get<std::string>(),
                           j["Built"].get<std::string>(), j["OsArch"].get<std::string>());
            } else {
                throw Error(fmt::format("unsupported --format '{}': use 'json'", *format));
            }
            return 0;
        };
    });
}

} // namespace skiff::cli
