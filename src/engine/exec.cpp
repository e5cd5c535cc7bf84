#include "engine/exec.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/container_spec_build.hpp"
#include "engine/container_state.hpp"
#include "engine/pause.hpp"
#include "engine/process_config.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/launch.hpp"
#include "storage/root_fs.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::engine {

namespace {

// /etc/passwd or /etc/group of the running container, resolved inside its
// root (a symlink there cannot point at the host's).
std::string container_file(int pid, const std::string& rel) {
    try {
        UniqueFd root = open_fd(fmt::format("/proc/{}/root", pid), O_PATH | O_DIRECTORY);
        UniqueFd f = storage::open_in_root(root.get(), rel, O_RDONLY);
        std::string out;
        char buf[8192];
        ssize_t n;
        while ((n = ::read(f.get(), buf, sizeof buf)) > 0 && out.size() < (4u << 20)) out.append(buf, static_cast<size_t>(n));
        return out;
    } catch (const Error&) {
        return "";
    }
}

} // namespace

int exec_in_container(const Paths& paths, const std::string& key, const ExecOptions& o) {
    if (o.args.empty()) throw Error("exec needs a command to run");
    ContainerStore store(paths.root);
    ContainerRecord rec = lookup_fresh(store, key);
    if (rec.state.status == "paused")
        throw Error(fmt::format("container {} is paused: unpause it before exec", rec.name));
    if (rec.state.status != "running")
        throw Error(fmt::format("can only exec into running containers: {} is {}", rec.name, rec.state.status));
    if (!process_alive(rec.state.pid, rec.state.pid_start))
        throw Error(fmt::format("container {} is not running any more", rec.name));

    runtime::ExecSpec spec;
    spec.pid = rec.state.pid;
    spec.join_userns = paths.rootless;
    spec.cgroup_procs = freezer_procs_file(paths, rec.id);
    spec.detach = o.detach;
    spec.security = security_of(rec, paths.rootless);
    spec.security.seccomp_cache_dir = paths.runroot + "/seccomp";
    if (o.privileged) {
        int last = runtime::last_capability();
        spec.security.caps = runtime::resolve_capabilities({{"ALL"}, {}, true}, last);
        if (!paths.rootless) spec.security.caps &= runtime::own_bounding_set(last);
        spec.security.seccomp = false;
    }
    if (paths.rootless) spec.set_groups = !maps_of(rec).single_id;

    std::vector<std::string> extra = user_env(o.env_files, o.env);
    spec.process.env = merge_env(rec.env, extra, rec.hostname, o.tty);
    spec.process.args = o.args;
    spec.process.cwd = o.workdir.empty() ? rec.working_dir : o.workdir;
    if (spec.process.cwd.empty() || spec.process.cwd[0] != '/')
        throw Error(fmt::format("invalid working directory '{}': must be absolute", spec.process.cwd));
    if (o.user.empty()) {
        spec.process.uid = rec.host.uid;
        spec.process.gid = rec.host.gid;
        spec.process.additional_gids = rec.host.additional_gids;
    } else {
        ResolvedUser u = resolve_user(o.user, container_file(rec.state.pid, "etc/passwd"),
                                      container_file(rec.state.pid, "etc/group"));
        spec.process.uid = u.uid;
        spec.process.gid = u.gid;
        spec.process.additional_gids = u.additional_gids;
    }
    spec.process.terminal = o.tty;
    spec.process.stdin_open = o.interactive;
    return runtime::exec_process(spec);
}

} // namespace skiff::engine
