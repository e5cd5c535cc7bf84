#include "engine/run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/attach.hpp"
#include "engine/container_spec_build.hpp"
#include "engine/container_state.hpp"
#include "engine/create.hpp"
#include "engine/network_plan.hpp"
#include "net/helper.hpp"
#include "engine/rootfs.hpp"
#include "engine/start.hpp"
#include "engine/volumes.hpp"
#include "monitor/stdio.hpp"
#include "runtime/launch.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/lock.hpp"
#include "engine/pause.hpp"
#include "util/log.hpp"
#include "util/scope_guard.hpp"

namespace skiff::engine {

int run(const Paths& paths, const Config& config, const RunOptions& o) {
    ContainerRecord rec = create_container(paths, config, o);
    ContainerStore containers(paths.root);
    if (o.detach) {
        StartRequest req;
        req.config = &config;
        int code = start_container(paths, rec, req);
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
    NetworkPlan netplan;
    runtime::ContainerSpec spec = build_container_spec(paths, config, rec, &netplan);
    spec.process.preserve_fds = o.preserve_fds;
    // As for -d, `logs` shows what the run printed.
    UniqueFd log_fd;
    {
        std::string cdir = containers.dir(rec.id);
        UniqueFd dir = open_fd(cdir, O_PATH | O_DIRECTORY);
        log_fd.reset(monitor::open_log(dir.get()));
        if (!log_fd) throw_errno("opening the container's log in " + cdir);
    }
    spec.process.log_fd = log_fd.get();
    net::NetworkHelper helper;
    if (netplan.mode == runtime::NetworkMode::slirp) {
        helper = spawn_network_helper(netplan);
        spec.tap_socket = helper.control_fd();
        spec.tap_mtu = netplan.mtu;
        spec.tap_ipv6 = netplan.ipv6;
    }

    int code;
    {
        log::StepTimer t("start+run");
        runtime::LaunchCallbacks cb;
        auto attach_network = [&](int pid) {
            log::StepTimer tn("network");
            with_context("starting the network (slirp)", [&] { helper.attach(pid); });
            rec.ports.clear();
            for (const auto& b : helper.bound()) rec.ports.push_back(net::encode(b));
        };
        bool slirp = netplan.mode == runtime::NetworkMode::slirp;
        cb.started = [&](int pid) {
            // No ports: nothing waits for the helper (net/helper.hpp).
            if (slirp && !helper.awaits_answer()) attach_network(pid);
            rec.state.status = "running";
            rec.state.pid = pid;
            rec.state.pid_start = process_start_time(pid);
            rec.state.boot_id = current_boot_id();
            rec.state.started_at = now_rfc3339();
            containers.save(rec);
        };
        cb.namespaces_ready = [&](int pid) {
            join_freezer(paths, rec.id, pid);
            if (slirp && helper.awaits_answer()) attach_network(pid);
        };
        code = runtime::run_container(std::move(spec), cb);
    }
    helper.stop(); // it follows the container's exit
    remove_freezer(paths, rec.id);
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
    // Reaped last: its exit overlapped with the above. Once run returns,
    // no helper, tap or published port is left.
    if (helper.pid() > 0) {
        log::StepTimer tw("network helper exit");
        helper.wait();
    }
    return code;
}

} // namespace skiff::engine
