// skiff exec [OPTIONS] CONTAINER COMMAND [ARG...]
#include "cli/commands.hpp"
#include "engine/exec.hpp"

namespace skiff::cli {

void add_exec_command(CLI::App& parent, Context& ctx) {
    auto* cmd = parent.add_subcommand("exec", "Run a command in a running container");
    ctx.stop_at_first_positional.push_back("exec");
    auto o = std::make_shared<engine::ExecOptions>();
    auto name = std::make_shared<std::string>();
    cmd->add_flag("-i,--interactive", o->interactive, "Keep stdin open");
    cmd->add_flag("-t,--tty", o->tty, "Allocate a pseudo-terminal");
    cmd->add_flag("-d,--detach", o->detach, "Run the command in the background");
    cmd->add_option("-e,--env", o->env, "Set an environment variable (KEY=VALUE, or KEY to take the host's)")
        ->type_name("ENV")->allow_extra_args(false);
    cmd->add_option("--env-file", o->env_files, "Read environment variables from a file")
        ->type_name("FILE")->allow_extra_args(false);
    cmd->add_option("-w,--workdir", o->workdir, "Working directory in the container")->type_name("DIR");
    cmd->add_option("-u,--user", o->user, "User (name or UID) and optional group: USER[:GROUP]")->type_name("USER");
    cmd->add_flag("--privileged", o->privileged, "All capabilities and no seccomp filter for this command");
    cmd->add_option("CONTAINER", *name, "The container")->required();
    cmd->callback([&ctx, o, name] {
        o->args = ctx.trailing_args;
        ctx.action = [&ctx, o, name] { return engine::exec_in_container(ctx.paths(), *name, *o); };
    });
}

} // namespace skiff::cli
