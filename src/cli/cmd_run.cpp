// skiff run [OPTIONS] IMAGE [COMMAND [ARG...]]
// skiff create [OPTIONS] IMAGE [COMMAND [ARG...]]: the same options, minus -d.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "engine/create.hpp"
#include "engine/run.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {

// Adds the options of a container-creating command; the returned function
// completes *o after parsing.
std::function<void()> add_container_options(CLI::App* cmd, Context& ctx, const std::shared_ptr<engine::RunOptions>& o) {
    ctx.stop_at_first_positional.push_back(cmd->get_name());
    // As docker and podman, -h is --hostname here; --help still works.
    cmd->set_help_flag("--help", "Print this help message and exit");
    auto entrypoint = std::make_shared<std::string>();
    auto* ep = cmd->add_option("--entrypoint", *entrypoint, "Overwrite the image's ENTRYPOINT ('' resets it)")
                   ->type_name("CMD");
    cmd->add_option("-e,--env", o->env, "Set an environment variable (KEY=VALUE, or KEY to take the host's)")
        ->type_name("ENV")->allow_extra_args(false);
    cmd->add_option("--env-file", o->env_files, "Read environment variables from a file")
        ->type_name("FILE")->allow_extra_args(false);
    cmd->add_option("-w,--workdir", o->workdir, "Working directory in the container (created if missing)")
        ->type_name("DIR");
    cmd->add_option("-u,--user", o->user, "User (name or UID) and optional group: USER[:GROUP]")->type_name("USER");
    cmd->add_option("-h,--hostname", o->hostname, "Container host name")->type_name("NAME");
    cmd->add_option("--name", o->name, "Assign a name to the container")->type_name("NAME");
    cmd->add_flag("--rm", o->remove, "Remove the container when it exits");
    cmd->add_flag("-i,--interactive", o->interactive, "Keep stdin open");
    cmd->add_flag("-t,--tty", o->tty, "Allocate a pseudo-terminal");
    cmd->add_flag("--read-only", o->read_only, "Mount the container's root file system read-only");
    cmd->add_flag("--read-only-tmpfs{true}", o->read_only_tmpfs,
                  "With --read-only, mount tmpfs on /tmp, /var/tmp and /run (default true)");
    cmd->add_flag("--init", o->init, "Run a minimal init as PID 1 that forwards signals and reaps zombies");
    cmd->add_flag("--privileged", o->privileged, "All capabilities, no masked paths, no seccomp filter");
    cmd->add_option("-v,--volume", o->volumes,
                    "Mount a host path or a named volume (SRC:DST[:OPTS]), or an anonymous volume (DST)")
        ->type_name("SRC:DST[:OPTS]")->allow_extra_args(false);
    cmd->add_option("--mount", o->mounts, "Attach a mount: type=bind|volume|tmpfs,source=SRC,target=DST[,...]")
        ->type_name("MOUNT")->allow_extra_args(false);
    cmd->add_option("--volumes-from", o->volumes_from, "Mount the volumes and binds of a container: CONTAINER[:ro|rw]")
        ->type_name("CONTAINER[:ro|rw]")->allow_extra_args(false);
    cmd->add_option("--tmpfs", o->tmpfs, "Mount a tmpfs: DST[:OPTIONS]")->type_name("DST[:OPTS]")->allow_extra_args(false);
    cmd->add_option("--cap-add", o->cap_add, "Add a capability (or ALL)")->type_name("CAP")->allow_extra_args(false);
    cmd->add_option("--cap-drop", o->cap_drop, "Drop a capability (or ALL)")->type_name("CAP")->allow_extra_args(false);
    cmd->add_option("--security-opt", o->security_opt,
                    "Security options: seccomp=unconfined|PROFILE.json, no-new-privileges")
        ->type_name("OPT")->allow_extra_args(false);
    cmd->add_option("-l,--label", o->labels, "Set a label on the container: KEY=VALUE")
        ->type_name("LABEL")->allow_extra_args(false);
    cmd->add_option("--network,--net", o->net.network, "Network mode: slirp[:mtu=N], none or host")
        ->type_name("MODE");
    cmd->add_option("-p,--publish", o->net.publish, "Publish a container port on the host: [[IP:][HOSTPORT]:]PORT[/PROTO]")
        ->type_name("PORT")->allow_extra_args(false);
    cmd->add_flag("-P,--publish-all", o->net.publish_all, "Publish every port the image EXPOSEs on an ephemeral host port");
    cmd->add_option("--dns", o->net.dns, "Nameserver for the container's /etc/resolv.conf")
        ->type_name("IP")->allow_extra_args(false);
    cmd->add_option("--dns-search", o->net.dns_search, "Search domain for /etc/resolv.conf ('.' for none)")
        ->type_name("DOMAIN")->allow_extra_args(false);
    cmd->add_option("--dns-option", o->net.dns_option, "Option for /etc/resolv.conf (e.g. ndots:2)")
        ->type_name("OPT")->allow_extra_args(false);
    cmd->add_option("--add-host", o->net.add_host, "Add a line to /etc/hosts: NAME:IP")
        ->type_name("NAME:IP")->allow_extra_args(false);
    cmd->add_option("--userns", o->userns, "User namespace mode: keep-id, or host (root only)")->type_name("MODE");
    cmd->add_option("--preserve-fds", o->preserve_fds, "Pass N additional fds (3 to 3+N-1) to the container")
        ->type_name("N")->check(CLI::NonNegativeNumber);
    cmd->add_option("--pull", o->pull_policy, "Pull policy: missing, always, never, newer")
        ->type_name("POLICY")->check(CLI::IsMember({"missing", "always", "never", "newer"}));
    cmd->add_option("--platform", o->pull.platform, "Platform of the image to pull: OS/ARCH[/VARIANT]")
        ->type_name("PLATFORM");
    auto tls = std::make_shared<bool>(true);
    auto* tls_opt = cmd->add_flag("--tls-verify{true}", *tls,
                                  "Require HTTPS and verify certificates when pulling (--tls-verify=false to allow HTTP)");
    cmd->add_option("--authfile", o->pull.authfile, "Path of the authentication file")->type_name("FILE");
    cmd->add_flag("-q,--quiet", o->pull.quiet, "Do not print pull progress");
    cmd->add_option("--restart", o->restart, "Restart policy: no, on-failure[:N], always, unless-stopped")
        ->type_name("POLICY");
    cmd->add_option("--stop-signal", o->stop_signal, "Signal that stops the container (default: the image's, or SIGTERM)")
        ->type_name("SIGNAL");
    cmd->add_option("--stop-timeout", o->stop_timeout, "Seconds to wait for the container to stop before killing it")
        ->type_name("N")->check(CLI::NonNegativeNumber);
    cmd->add_option("IMAGE", o->image, "Image to run")->required();
    return [&ctx, o, entrypoint, ep, tls, tls_opt] {
        if (ep->count() > 0) o->entrypoint = *entrypoint;
        if (tls_opt->count() > 0) o->pull.tls_verify = *tls;
        o->args = ctx.trailing_args;
    };
}

} // namespace

void add_run_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("run", "Run a command in a new container");
    auto o = std::make_shared<engine::RunOptions>();
    cmd->add_flag("-d,--detach", o->detach, "Run the container in the background and print its ID");
    cmd->add_option("--detach-keys", o->detach_keys, "With -it: the keys that detach (default ctrl-p,ctrl-q; '' for none)")
        ->type_name("KEYS");
    auto finish = add_container_options(cmd, ctx, o);
    cmd->callback([&ctx, o, finish] {
        finish();
        ctx.action = [&ctx, o] { return engine::run(ctx.paths(), ctx.config(), *o); };
    });
}

void add_create_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("create", "Create a new container without starting it");
    auto o = std::make_shared<engine::RunOptions>();
    auto finish = add_container_options(cmd, ctx, o);
    cmd->callback([&ctx, o, finish] {
        finish();
        ctx.action = [&ctx, o] {
            o->detach = true; // what it will be: started by `skiff start`
            auto rec = engine::create_container(ctx.paths(), ctx.config(), *o);
            fmt::print("{}\n", rec.id);
            return 0;
        };
    });
}

} // namespace skiff::cli
