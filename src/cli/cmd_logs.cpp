// skiff logs [OPTIONS] CONTAINER, and skiff attach [OPTIONS] CONTAINER
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "engine/attach.hpp"
#include "engine/logs.hpp"
#include "util/error.hpp"

namespace skiff::cli {

void add_logs_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("logs", "Show the output of a container");
    auto o = std::make_shared<engine::LogOptions>();
    auto tail = std::make_shared<long>(-1);
    auto name = std::make_shared<std::string>();
    cmd->add_flag("-f,--follow", o->follow, "Keep printing new output until the container stops");
    cmd->add_flag("-t,--timestamps", o->timestamps, "Prefix each line with its time");
    cmd->add_option("-n,--tail", *tail, "Print only the last N lines (-1: all)")->type_name("N");
    cmd->add_option("--since", o->since, "Only output since TIME (RFC 3339, unix seconds, or a duration like 10m)")
        ->type_name("TIME");
    cmd->add_option("--until", o->until, "Only output until TIME (same forms as --since)")->type_name("TIME");
    cmd->add_option("CONTAINER", *name, "The container")->required();
    cmd->callback([&ctx, o, tail, name] {
        ctx.action = [&ctx, o, tail, name] {
            if (*tail >= 0) o->tail = static_cast<size_t>(*tail);
            engine::show_logs(ctx.paths(), *name, *o);
            return 0;
        };
    });
}

void add_attach_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("attach", "Attach to a running container's input and output");
    auto o = std::make_shared<engine::AttachOptions>();
    auto no_stdin = std::make_shared<bool>(false);
    auto name = std::make_shared<std::string>();
    cmd->add_option("--detach-keys", o->detach_keys, "Key sequence that detaches (default ctrl-p,ctrl-q; '' for none)")
        ->type_name("KEYS");
    cmd->add_flag("--no-stdin", *no_stdin, "Do not attach stdin");
    cmd->add_option("CONTAINER", *name, "The container")->required();
    cmd->callback([&ctx, o, no_stdin, name] {
        ctx.action = [&ctx, o, no_stdin, name] {
            o->stdin_open = !*no_stdin;
            return engine::attach_container(ctx.paths(), *name, *o);
        };
    });
}

} // namespace skiff::cli
