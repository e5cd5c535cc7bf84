#include "engine/run.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/container_store.hpp"
#include "engine/host_info.hpp"
#include "engine/image_resolve.hpp"
#include "engine/mount_options.hpp"
#include "engine/network_plan.hpp"
#include "engine/process_config.hpp"
#include "engine/rootfs.hpp"
#include "image/image_config.hpp"
#include "net/helper.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/launch.hpp"
#include "runtime/userns.hpp"
#include "storage/store.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/scope_guard.hpp"

namespace skiff::engine {

namespace {

// keep-id: the user's own uid/gid appear as themselves in the container;
// container 0 and the rest come from the subordinate range.
runtime::UserNamespaceMaps keep_id_maps(uint32_t uid, uint32_t gid) {
    runtime::UserNamespaceMaps base = runtime::rootless_maps();
    if (base.single_id) {
        base.uid = {{uid, uid, 1}};
        base.gid = {{gid, gid, 1}};
        return base;
    }
    auto remap = [](const std::vector<runtime::IdMapping>& full, uint32_t self) {
        // full = {0 -> self, 1.. -> subordinate}. Put self at `self`, give
        // container 0..self-1 and self+1.. the subordinate IDs.
        std::vector<runtime::IdMapping> out;
        std::vector<runtime::IdMapping> sub(full.begin() + 1, full.end());
        uint32_t next = 0;
        auto place = [&](uint32_t limit) {
            while (!sub.empty() && next < limit) {
                auto& s = sub.front();
                uint32_t n = std::min(s.size, limit - next);
                out.push_back({next, s.host_id, n});
                next += n;
                s.host_id += n;
                s.size -= n;
                if (s.size == 0) sub.erase(sub.begin());
            }
        };
        place(self);
        out.push_back({self, full.front().host_id, 1});
        next = self + 1;
        place(UINT32_MAX);
        return out;
    };
    base.uid = remap(base.uid, uid);
    base.gid = remap(base.gid, gid);
    return base;
}

std::string resolv_conf() {
    try {
        return read_file("/etc/resolv.conf", 1 << 20);
    } catch (const Error&) {
        return "";
    }
}

} // namespace

int run(const Paths& paths, const Config& config, const RunOptions& o) {
    paths.ensure();
    bool rootless = paths.rootless;
    // Everything the user gave that can be wrong is checked before any work.
    NetworkPlan netplan = plan_network(o.net, config, rootless, {});
    SecurityOpts secopts = parse_security_opts(o.security_opt);
    std::vector<runtime::BindMount> binds;
    for (const auto& v : o.volumes) binds.push_back(parse_volume(v));
    std::vector<runtime::TmpfsMount> tmpfs;
    for (const auto& t : o.tmpfs) tmpfs.push_back(parse_tmpfs(t));
    int last_cap = runtime::last_capability();
    runtime::CapMask caps = runtime::resolve_capabilities({o.cap_add, o.cap_drop, o.privileged}, last_cap);
    // As root (no user namespace) never more than skiff itself may pass on:
    // --privileged under a bounding set that lacks some capabilities. A new
    // user namespace starts with the full set, so rootless needs no limit.
    if (!rootless) caps &= runtime::own_bounding_set(last_cap);
    if (!o.userns.empty() && o.userns != "keep-id" && o.userns != "host")
        throw Error(fmt::format("invalid --userns '{}': use keep-id or host", o.userns));
    if (o.userns == "keep-id" && !rootless) throw Error("--userns=keep-id only makes sense rootless");
    if (o.userns == "host" && rootless)
        throw Error("--userns=host needs root: rootless containers always run in a user namespace");
    std::vector<std::string> extra_env;
    for (const auto& f : o.env_files) {
        auto lines = parse_env_file(read_file(f, 4 << 20), f, &host_env);
        extra_env.insert(extra_env.end(), lines.begin(), lines.end());
    }
    for (const auto& e : o.env) {
        if (e.find('=') != std::string::npos) extra_env.push_back(e);
        else if (auto v = host_env(e)) extra_env.push_back(e + "=" + *v);
    }
    std::map<std::string, std::string> label_map;
    for (const auto& l : o.labels) {
        auto eq = l.find('=');
        label_map[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
    }

    storage::ImageRecord image = resolve_image(paths, config, o.image, o.pull_policy, o.pull);
    storage::Store store(paths.root);
    ImageConfig icfg = ImageConfig::parse(store.read_blob(Digest::parse(image.id), 4u << 20));
    if (o.net.publish_all) netplan = plan_network(o.net, config, rootless, icfg.config.exposed_ports);

    ContainerStore containers(paths.root);
    ContainerRecord rec;
    std::string user_spec = o.user.empty() ? icfg.config.user : o.user;
    ResolvedUser user;
    {
        log::StepTimer t("create");
        std::string passwd, group;
        if (!user_spec.empty()) {
            passwd = read_image_file(store, image, "etc/passwd");
            group = read_image_file(store, image, "etc/group");
        }
        user = resolve_user(user_spec, passwd, group);
        if (o.userns == "keep-id" && o.user.empty()) {
            user.uid = ::geteuid();
            user.gid = ::getegid();
            user.additional_gids.clear();
        }
        rec.name = o.name;
        rec.image = o.image;
        rec.image_id = image.id;
        rec.entrypoint = icfg.config.entrypoint;
        rec.cmd = icfg.config.cmd;
        rec.command = build_command(icfg.config.entrypoint, icfg.config.cmd, o.entrypoint, o.args);
        if (rec.command.empty())
            throw Error(fmt::format("no command specified: {} has neither ENTRYPOINT nor CMD", o.image));
        rec.working_dir = !o.workdir.empty() ? o.workdir : (icfg.config.working_dir.empty() ? "/" : icfg.config.working_dir);
        if (rec.working_dir[0] != '/') throw Error(fmt::format("invalid working directory '{}': must be absolute", rec.working_dir));
        rec.user = user_spec;
        rec.network = netplan.name;
        rec.tty = o.tty;
        rec.interactive = o.interactive;
        rec.auto_remove = o.remove;
        rec.read_only = o.read_only;
        rec.labels = label_map;
        rec.mounts = o.volumes;
        // The id is chosen first so that the record, with the hostname derived
        // from it, is written once.
        rec.id = random_hex_id();
        rec.hostname = o.hostname.empty() ? rec.id.substr(0, 12) : o.hostname;
        rec.env = merge_env(icfg.config.env, extra_env, rec.hostname, o.tty);
        rec = containers.create(rec);
    }
    std::string cdir = containers.dir(rec.id);
    bool removed = false;
    ScopeGuard cleanup([&] {
        if (o.remove && !removed) {
            try {
                remove_container_files(paths, containers, rec.id);
            } catch (const Error& e) {
                log::warn("removing container {}: {}", rec.id.substr(0, 12), e.what());
            }
        }
    });

    runtime::ContainerSpec spec;
    {
        log::StepTimer t("storage");
        spec.rootfs = prepare_rootfs(paths, config, store, image, cdir, o.read_only);
    }
    {
        log::StepTimer t("network");
        spec.network = netplan.mode;
        std::string host_resolv = resolv_conf();
        std::string hosts = hosts_for(netplan, rec.hostname);
        if (netplan.mode == runtime::NetworkMode::container) {
            JoinedNetwork j = joined_network(paths.root, netplan.join_container);
            spec.netns_pid = j.pid;
            host_resolv = j.resolv_conf;
            if (!j.hosts.empty()) hosts = j.hosts;
        }
        replace_file(cdir + "/hostname", rec.hostname + "\n");
        replace_file(cdir + "/hosts", hosts);
        replace_file(cdir + "/resolv.conf", resolv_conf_for(netplan, host_resolv));
        spec.binds.push_back({cdir + "/hostname", "/etc/hostname", false, true, 0});
        spec.binds.push_back({cdir + "/hosts", "/etc/hosts", false, true, 0});
        spec.binds.push_back({cdir + "/resolv.conf", "/etc/resolv.conf", false, true, 0});
    }
    for (auto& b : binds) {
        struct stat st {};
        if (::stat(b.source.c_str(), &st) < 0) {
            if (errno != ENOENT) throw_errno("bind mount source " + b.source);
            make_dirs(b.source, 0755); // docker's -v rule: a missing host dir is created
            ::stat(b.source.c_str(), &st);
        }
        b.file = !S_ISDIR(st.st_mode);
        spec.binds.push_back(b);
    }
    if (o.read_only && o.read_only_tmpfs) {
        // As podman: a read-only root still gets writable scratch space.
        for (const char* d : {"/tmp", "/var/tmp", "/run"}) {
            bool taken = false;
            for (const auto& t : tmpfs) taken = taken || t.target == d;
            for (const auto& b : binds) taken = taken || b.target == d;
            if (!taken) tmpfs.push_back({d, "mode=1777", MS_NOSUID | MS_NODEV});
        }
    }
    spec.tmpfs = tmpfs;
    spec.hostname = rec.hostname;
    spec.userns = rootless;
    if (rootless) {
        spec.maps = o.userns == "keep-id" ? keep_id_maps(::geteuid(), ::getegid()) : runtime::rootless_maps();
        if (spec.maps.single_id)
            log::warn("{}: only your own user is mapped into the container; other IDs are unavailable",
                      spec.maps.single_id_reason);
    }
    spec.process.args = rec.command;
    spec.process.env = rec.env;
    spec.process.cwd = rec.working_dir;
    spec.process.uid = user.uid;
    spec.process.gid = user.gid;
    spec.process.additional_gids = user.additional_gids;
    spec.process.terminal = o.tty;
    spec.process.stdin_open = o.interactive;
    spec.process.preserve_fds = o.preserve_fds;
    spec.security.caps = caps;
    spec.security.privileged = o.privileged;
    spec.security.seccomp = secopts.seccomp && !o.privileged;
    spec.security.seccomp_profile = secopts.seccomp_profile;
    spec.security.no_new_privs = secopts.no_new_privs;
    spec.init = o.init;

    int code;
    net::NetworkHelper helper;
    {
        log::StepTimer t("start+run");
        runtime::LaunchCallbacks cb;
        cb.started = [&](int pid) {
            rec.state.status = "running";
            rec.state.pid = pid;
            rec.state.started_at = now_rfc3339();
            // `skiff port` reads the bound ports from the record, --rm or not.
            if (!o.remove || !rec.ports.empty()) containers.save(rec);
        };
        if (netplan.mode == runtime::NetworkMode::slirp)
            cb.namespaces_ready = [&](int pid) {
                log::StepTimer tn("network helper");
                helper = start_network_helper(netplan, pid, rootless);
                for (const auto& b : helper.bound()) rec.ports.push_back(net::encode(b));
            };
        code = runtime::run_container(spec, cb);
    }
    helper.wait(); // it follows the container's exit
    log::StepTimer t("exit");
    rec.state.status = "exited";
    rec.state.pid = 0;
    rec.state.exit_code = code;
    rec.state.finished_at = now_rfc3339();
    if (o.remove) {
        remove_container_files(paths, containers, rec.id);
        removed = true;
    } else {
        containers.save(rec);
    }
    return code;
}

} // namespace skiff::engine
