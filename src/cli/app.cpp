#include "cli/app.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/argv_split.hpp"
#include "cli/commands.hpp"
#include "net/helper.hpp"
#include "cli/version.hpp"
#include "cli/context.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace skiff::cli {

namespace {

void print_error(const std::string& msg) { fmt::print(stderr, "Error: {}\n", msg); }

// CLI11 says "The following arguments were not expected: --foo"; users of
// docker and podman expect "unknown flag: --foo".
std::string describe_extras(const CLI::App& app, const std::string& what) {
    std::vector<std::string> extras = app.remaining();
    if (extras.empty()) return what;
    const std::string& first = extras.front();
    if (!first.empty() && first[0] == '-') return fmt::format("unknown flag: {}", first);
    return fmt::format("unexpected argument: {}", first);
}

// The innermost subcommand that was selected, for "See 'skiff CMD --help'".
const CLI::App* selected(const CLI::App& app) {
    const CLI::App* cur = &app;
    for (;;) {
        auto subs = cur->get_subcommands();
        if (subs.empty()) return cur;
        cur = subs.front();
    }
}

std::string command_path(const CLI::App* a) {
    std::string path;
    for (; a != nullptr; a = a->get_parent()) path = a->get_name() + (path.empty() ? "" : " " + path);
    return path;
}

int apply_log_level(Context& ctx) {
    std::string lvl = ctx.global.log_level;
    if (lvl.empty()) return 0;
    auto l = log::parse_level(lvl);
    if (!l) {
        print_error(fmt::format("invalid --log-level '{}': use one of error, warn, info, debug", lvl));
        return kExitSkiffError;
    }
    log::set_level(*l);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    // The per-container network helper (net/helper.hpp): a role, not a
    // command; it starts while the container does, so it builds no CLI.
    if (argc > 1 && std::string_view(argv[1]) == "__slirp")
        return net::slirp_helper_main(std::vector<std::string>(argv + 2, argv + argc));
    Context ctx;
    CLI::App app{"skiff: run and manage containers without a daemon, and without root.", "skiff"};
    app.set_version_flag("-v,--version", std::string("skiff version ") + SKIFF_VERSION_STRING);
    app.footer("Run 'skiff COMMAND --help' for more information on a command.");
    app.option_defaults()->always_capture_default(false);

    app.add_option("--log-level", ctx.global.log_level, "Log messages at this level and above: error, warn, info, debug")
        ->type_name("LEVEL");
    app.add_option("--root", ctx.global.paths.root, "Directory of the persistent store (images, layers, containers)")
        ->type_name("DIR");
    app.add_option("--runroot", ctx.global.paths.runroot, "Directory for volatile state (locks, pids, sockets)")
        ->type_name("DIR");
    app.add_option("--config", ctx.global.paths.config, "Configuration file to read instead of the default")
        ->type_name("FILE");

    std::vector<std::string> args(argv + 1, argv + argc);
    if (const CommandEntry* only = command_for_args(args)) only->add(app, ctx);
    else add_all_commands(app, ctx);
    // Unknown top-level words are caught below so that the message can say
    // "unrecognized command" as podman does.
    app.allow_extras(true);
    for (CLI::App* sub : app.get_subcommands({})) sub->allow_extras(false);

    if (argc > 1 && std::string_view(argv[1]) == "__complete") {
        try {
            return run_complete(app, ctx, std::vector<std::string>(argv + 2, argv + argc));
        } catch (const std::exception& e) {
            print_error(e.what());
            return kExitSkiffError;
        }
    }

    try {
        args = split_trailing_args(app, args, ctx.stop_at_first_positional, ctx.trailing_args);
        std::reverse(args.begin(), args.end()); // CLI11 takes them reversed
        app.parse(args);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ExtrasError& e) {
        const CLI::App* sel = selected(app);
        print_error(describe_extras(*sel, e.what()));
        fmt::print(stderr, "See '{} --help'.\n", command_path(sel));
        return kExitSkiffError;
    } catch (const CLI::ParseError& e) {
        const CLI::App* sel = selected(app);
        print_error(e.what());
        fmt::print(stderr, "See '{} --help'.\n", command_path(sel));
        return kExitSkiffError;
    }

    // Top-level extras are allowed only so that their message can be ours:
    // `skiff --bogus version` must fail as much as `skiff bogus`.
    if (ctx.action) {
        auto extras = app.remaining();
        if (!extras.empty()) {
            print_error(extras.front().rfind('-', 0) == 0 ? fmt::format("unknown flag: {}", extras.front())
                                                           : fmt::format("unexpected argument: {}", extras.front()));
            fmt::print(stderr, "Try 'skiff --help' for more information.\n");
            return kExitSkiffError;
        }
    }
    if (!ctx.action) {
        auto extras = app.remaining();
        if (!extras.empty()) {
            if (extras.front().rfind('-', 0) == 0)
                print_error(fmt::format("unknown flag: {}", extras.front()));
            else
                print_error(fmt::format("unrecognized command 'skiff {}'", extras.front()));
            fmt::print(stderr, "Try 'skiff --help' for more information.\n");
            return kExitSkiffError;
        }
        // As podman: a bare `skiff` is an error that shows the help.
        fmt::print(stderr, "{}", app.help());
        print_error("missing command 'skiff COMMAND'");
        return kExitSkiffError;
    }

    if (int rc = apply_log_level(ctx); rc != 0) return rc;
    try {
        if (ctx.global.log_level.empty() && !ctx.config().log_level.empty())
            log::set_level(*log::parse_level(ctx.config().log_level));
        return ctx.action();
    } catch (const Error& e) {
        print_error(e.what());
        return e.exit_code();
    } catch (const std::exception& e) {
        print_error(e.what());
        return kExitSkiffError;
    }
}

} // namespace skiff::cli
