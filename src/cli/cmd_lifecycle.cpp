// The commands that move a container through its life: start, stop, kill,
// restart, rm, wait, rename; and the monitor's hidden callbacks __start and
// __cleanup. As podman, a command given several containers tries each,
// prints each one's name or error, and exits 125 if any failed.
#include <csignal>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/for_each_container.hpp"
#include "engine/attach.hpp"
#include "engine/container_state.hpp"
#include "engine/lifecycle.hpp"
#include "engine/start.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

namespace skiff::cli {

namespace {

std::vector<std::string> names_or_all(Context& ctx, const std::vector<std::string>& names, bool all, bool running_only,
                                      const char* verb) {
    if (all) {
        if (!names.empty()) throw Error("--all and container names cannot be combined");
        engine::ContainerStore store(ctx.paths().root);
        std::vector<std::string> out;
        for (const auto& c : engine::list_fresh(store))
            if (!running_only || engine::is_running(c)) out.push_back(c.id);
        return out;
    }
    if (names.empty()) throw Error(fmt::format("{} needs at least one container name or ID (or --all)", verb));
    return names;
}

struct Names {
    std::vector<std::string> names;
    bool all = false;
};

} // namespace

void add_start_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("start", "Start one or more containers");
    auto f = std::make_shared<Names>();
    auto attach = std::make_shared<bool>(false);
    auto interactive = std::make_shared<bool>(false);
    auto keys = std::make_shared<std::string>(engine::kDefaultDetachKeys);
    cmd->add_flag("-a,--attach", *attach, "Attach to the container's output (one container)");
    cmd->add_flag("-i,--interactive", *interactive, "Attach the container's stdin (one container)");
    cmd->add_option("--detach-keys", *keys, "Key sequence that detaches (default ctrl-p,ctrl-q)")->type_name("KEYS");
    cmd->add_option("CONTAINER", f->names, "Containers to start")->required();
    cmd->callback([&ctx, f, attach, interactive, keys] {
        ctx.action = [&ctx, f, attach, interactive, keys] {
            ctx.paths().ensure();
            if (*attach || *interactive) {
                if (f->names.size() != 1) throw Error("you cannot start and attach multiple containers at once");
                engine::AttachOptions o;
                o.stdin_open = *interactive;
                o.detach_keys = *keys;
                return engine::start_attached(ctx.paths(), f->names[0], o);
            }
            return for_each_container(f->names, [&](const std::string& n) {
                engine::ContainerStore store(ctx.paths().root);
                auto rec = engine::lookup_fresh(store, n);
                engine::StartRequest req;
                req.config = &ctx.config();
                int code = engine::start_container(ctx.paths(), rec, req);
                if (code != 0) throw Error(fmt::format("unable to start container {}", n), 0, code);
            });
        };
    });
}

void add_stop_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("stop", "Stop one or more running containers");
    auto f = std::make_shared<Names>();
    auto timeout = std::make_shared<int>(-1);
    cmd->add_flag("-a,--all", f->all, "Stop every running container");
    cmd->add_option("-t,--time", *timeout, "Seconds to wait before killing the container (default: its --stop-timeout, 10)")
        ->type_name("N")->check(CLI::NonNegativeNumber);
    cmd->add_option("CONTAINER", f->names, "Containers to stop");
    cmd->callback([&ctx, f, timeout] {
        ctx.action = [&ctx, f, timeout] {
            std::optional<int> t;
            if (*timeout >= 0) t = *timeout;
            return for_each_container(names_or_all(ctx, f->names, f->all, true, "stop"),
                                      [&](const std::string& n) { engine::stop_container(ctx.paths(), n, t); });
        };
    });
}

void add_kill_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("kill", "Send a signal to one or more running containers");
    auto f = std::make_shared<Names>();
    auto sig = std::make_shared<std::string>("KILL");
    cmd->add_flag("-a,--all", f->all, "Signal every running container");
    cmd->add_option("-s,--signal", *sig, "Signal to send (name or number, default SIGKILL)")->type_name("SIGNAL");
    cmd->add_option("CONTAINER", f->names, "Containers to signal");
    cmd->callback([&ctx, f, sig] {
        ctx.action = [&ctx, f, sig] {
            int n = signal_number(*sig);
            return for_each_container(names_or_all(ctx, f->names, f->all, true, "kill"),
                                      [&](const std::string& c) { engine::kill_container(ctx.paths(), c, n); });
        };
    });
}

void add_restart_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("restart", "Stop and start one or more containers");
    auto f = std::make_shared<Names>();
    auto timeout = std::make_shared<int>(-1);
    cmd->add_flag("-a,--all", f->all, "Restart every container");
    cmd->add_option("-t,--time", *timeout, "Seconds to wait before killing the container")
        ->type_name("N")->check(CLI::NonNegativeNumber);
    cmd->add_option("CONTAINER", f->names, "Containers to restart");
    cmd->callback([&ctx, f, timeout] {
        ctx.action = [&ctx, f, timeout] {
            std::optional<int> t;
            if (*timeout >= 0) t = *timeout;
            return for_each_container(names_or_all(ctx, f->names, f->all, false, "restart"), [&](const std::string& n) {
                engine::stop_container(ctx.paths(), n, t);
                engine::ContainerStore store(ctx.paths().root);
                auto rec = engine::lookup_fresh(store, n);
                engine::StartRequest req;
                req.config = &ctx.config();
                int code = engine::start_container(ctx.paths(), rec, req);
                if (code != 0) throw Error(fmt::format("unable to start container {}", n), 0, code);
            });
        };
    });
}

void add_rm_command(CLI::App& parent, Context& ctx, const std::string& name) {
    auto* cmd = parent.add_subcommand(name, "Remove one or more containers");
    auto f = std::make_shared<Names>();
    auto force = std::make_shared<bool>(false);
    auto volumes = std::make_shared<bool>(false);
    cmd->add_flag("-f,--force", *force, "Remove running containers too (they are killed)");
    cmd->add_flag("-a,--all", f->all, "Remove every container");
    cmd->add_flag("-v,--volumes", *volumes, "Remove the container's anonymous volumes too");
    cmd->add_option("CONTAINER", f->names, "Containers to remove");
    cmd->callback([&ctx, f, force, volumes] {
        ctx.action = [&ctx, f, force, volumes] {
            return for_each_container(names_or_all(ctx, f->names, f->all, false, "rm"), [&](const std::string& n) {
                engine::remove_container(ctx.paths(), n, *force, *volumes);
            });
        };
    });
}

void add_wait_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("wait", "Wait for containers to stop and print their exit codes");
    auto f = std::make_shared<Names>();
    cmd->add_option("CONTAINER", f->names, "Containers to wait for")->required();
    cmd->callback([&ctx, f] {
        ctx.action = [&ctx, f] {
            return for_each_container(
                f->names,
                [&](const std::string& n) { fmt::print("{}\n", engine::wait_container(ctx.paths(), n)); }, false);
        };
    });
}

void add_rename_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("rename", "Rename a container");
    auto names = std::make_shared<std::vector<std::string>>();
    cmd->add_option("CONTAINER NEW_NAME", *names, "The container and its new name")->expected(2)->required();
    cmd->callback([&ctx, names] {
        ctx.action = [&ctx, names] {
            engine::rename_container(ctx.paths(), (*names)[0], (*names)[1]);
            return 0;
        };
    });
}

// Hidden: the monitor's callbacks. Not for users; not in --help.
void add_monitor_callbacks(CLI::App& app, Context& ctx) {
    auto* start = app.add_subcommand("__start", "")->group("");
    auto id = std::make_shared<std::string>();
    auto restarted = std::make_shared<bool>(false);
    auto size = std::make_shared<std::string>();
    start->add_flag("--restarted", *restarted);
    start->add_option("--tty-size", *size);
    start->add_option("ID", *id)->required();
    start->callback([&ctx, id, restarted, size] {
        ctx.action = [&ctx, id, restarted, size] {
            unsigned rows = 0, cols = 0;
            if (!size->empty() && std::sscanf(size->c_str(), "%u,%u", &rows, &cols) != 2)
                throw Error("--tty-size takes ROWS,COLS");
            return engine::start_for_monitor(ctx.paths(), ctx.config(), *id, *restarted, rows, cols);
        };
    });
    auto* cleanup = app.add_subcommand("__cleanup", "")->group("");
    auto cid = std::make_shared<std::string>();
    cleanup->add_option("ID", *cid)->required();
    cleanup->callback([&ctx, cid] {
        ctx.action = [&ctx, cid] { return engine::cleanup_after_monitor(ctx.paths(), *cid); };
    });
}

} // namespace skiff::cli
