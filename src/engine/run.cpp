#include "engine/run.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "engine/attach.hpp"
#include "engine/container_spec_build.hpp"
#include "engine/container_state.hpp"
#include "engine/create.hpp"
#include "engine/rootfs.hpp"
#include "engine/start.hpp"
#include "engine/volumes.hpp"
#include "runtime/launch.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"
#include "util/scope_guard.hpp"

namespace skiff::engine {

int run(const Paths& paths, const Config& config, const RunOptions& o) {
    ContainerRecord rec = create_container(paths, config, o);
    ContainerStore containers(paths.root);
    if (o.detach) {
        int code = start_container(paths, rec);
        if (code == 0) fmt::print("{}\n", rec.id);
        return code;
    }
    if (o.tty && o.interactive && o.preserve_fds == 0) {
        // An interactive terminal session runs under a monitor, as -d does,
        // with this skiff attached: ctrl-p ctrl-q detaches and leaves it
        // running, `skiff attach` comes back to it.
        AttachOptions a;
        a.stdin_open = true;
        a.detach_keys = o.detach_keys;
        return start_attached(paths, rec.id, a);
    }

    bool removed = false;
    ScopeGuard cleanup([&] {
        if (o.remove && !removed) {
            try {
                remove_container_files(paths, containers, rec.id);
                remove_anonymous_volumes(paths, rec.mounts);
            } catch (const Error& e) {
                log::warn("removing container {}: {}", rec.id.substr(0, 12), e.what());
            }
        }
    });
    runtime::ContainerSpec spec = build_container_spec(paths, config, rec);
    spec.process.preserve_fds = o.preserve_fds;

    int code;
    {
        log::StepTimer t("start+run");
        code = runtime::run_container(spec, {[&](int pid) {
                                          rec.state.status = "running";
                                          rec.state.pid = pid;
                                          rec.state.pid_start = process_start_time(pid);
                                          rec.state.boot_id = current_boot_id();
                                          rec.state.started_at = now_rfc3339();
                                          containers.save(rec);
                                      }});
    }
    log::StepTimer t("exit");
    rec.state.status = "exited";
    rec.state.pid = 0;
    rec.state.exit_code = code;
    rec.state.finished_at = now_rfc3339();
    if (o.remove) {
        remove_container_files(paths, containers, rec.id);
        removed = true;
        remove_anonymous_volumes(paths, rec.mounts);
    } else {
        FileLock lock(containers.lock_path());
        // Renamed meanwhile, say: keep what others changed, set the state.
        if (auto now = containers.find(rec.id)) {
            now->state = rec.state;
            containers.save(*now);
        }
    }
    return code;
}

} // namespace skiff::engine
