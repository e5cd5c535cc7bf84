#include "engine/container_spec_build.hpp"

#include <algorithm>
#include <cerrno>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/mount_options.hpp"
#include "engine/rootfs.hpp"
#include "engine/volume_mounts.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/userns.hpp"
#include "storage/store.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace skiff::engine {

NetworkPlan network_plan_of(const Config& config, const ContainerRecord& rec, bool rootless) {
    NetworkRequest req;
    req.network = rec.network;
    req.publish = rec.host.publish;
    req.publish_all = rec.host.publish_all;
    req.dns = rec.host.dns;
    req.dns_search = rec.host.dns_search;
    req.dns_option = rec.host.dns_option;
    req.add_host = rec.host.add_host;
    return plan_network(req, config, rootless, rec.host.exposed_ports);
}

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

std::string host_resolv_conf() {
    try {
        return read_file("/etc/resolv.conf", 1 << 20);
    } catch (const Error&) {
        return "";
    }
}

} // namespace

runtime::UserNamespaceMaps maps_of(const ContainerRecord& rec) {
    return rec.host.userns == "keep-id" ? keep_id_maps(::geteuid(), ::getegid()) : runtime::rootless_maps();
}

runtime::SecuritySpec security_of(const ContainerRecord& rec, bool rootless) {
    SecurityOpts secopts = parse_security_opts(rec.host.security_opt);
    int last_cap = runtime::last_capability();
    runtime::CapMask caps =
        runtime::resolve_capabilities({rec.host.cap_add, rec.host.cap_drop, rec.host.privileged}, last_cap);
    // As root (no user namespace) never more than skiff itself may pass on:
    // --privileged under a bounding set that lacks some capabilities. A new
    // user namespace starts with the full set, so rootless needs no limit.
    if (!rootless) caps &= runtime::own_bounding_set(last_cap);
    runtime::SecuritySpec s;
    s.caps = caps;
    s.privileged = rec.host.privileged;
    s.seccomp = secopts.seccomp && !rec.host.privileged;
    s.seccomp_profile = secopts.seccomp_profile;
    s.no_new_privs = secopts.no_new_privs;
    return s;
}

runtime::ContainerSpec build_container_spec(const Paths& paths, const Config& config, const ContainerRecord& rec,
                                            NetworkPlan* plan_out) {
    bool rootless = paths.rootless;
    std::vector<runtime::TmpfsMount> tmpfs;
    std::vector<std::string> tmpfs_targets;
    for (const auto& t : rec.host.tmpfs) tmpfs_targets.push_back(tmpfs.emplace_back(parse_tmpfs(t)).target);
    std::vector<MountRequest> mounts = parse_mount_requests(rec.mounts, {}, tmpfs_targets);
    std::string cdir = ContainerStore(paths.root).dir(rec.id);

    runtime::ContainerSpec spec;
    spec.security = security_of(rec, rootless);
    spec.security.seccomp_cache_dir = paths.runroot + "/seccomp";
    {
        log::StepTimer t("storage");
        storage::Store store(paths.root);
        auto image = store.image(rec.image_id);
        if (!image)
            throw Error(fmt::format("the image of container {} ({}) is gone: it was removed", rec.name, rec.image));
        spec.rootfs = prepare_rootfs(paths, config, store, *image, cdir, rec.read_only, rec.driver);
    }
    {
        log::StepTimer t("network");
        NetworkPlan plan = network_plan_of(config, rec, rootless);
        spec.network = plan.mode;
        std::string host_resolv = host_resolv_conf();
        std::string hosts = hosts_for(plan, rec.hostname);
        if (plan.mode == runtime::NetworkMode::container) {
            JoinedNetwork j = joined_network(paths.root, plan.join_container);
            spec.netns_pid = j.pid;
            host_resolv = j.resolv_conf;
            if (!j.hosts.empty()) hosts = j.hosts;
        }
        update_file(cdir + "/hostname", rec.hostname + "\n");
        update_file(cdir + "/hosts", hosts);
        update_file(cdir + "/resolv.conf", resolv_conf_for(plan, host_resolv));
        if (plan_out != nullptr) *plan_out = plan;
        spec.binds.push_back({cdir + "/hostname", "/etc/hostname", false, true, 0});
        spec.binds.push_back({cdir + "/hosts", "/etc/hosts", false, true, 0});
        spec.binds.push_back({cdir + "/resolv.conf", "/etc/resolv.conf", false, true, 0});
    }
    std::vector<runtime::BindMount> binds;
    apply_mounts(paths, mounts, spec.rootfs, {rec.host.uid, rec.host.gid}, binds, tmpfs);
    spec.binds.insert(spec.binds.end(), binds.begin(), binds.end());
    if (rec.read_only && rec.host.read_only_tmpfs) {
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
        spec.maps = maps_of(rec);
        if (spec.maps.single_id)
            log::warn("{}: only your own user is mapped into the container; other IDs are unavailable",
                      spec.maps.single_id_reason);
    }
    spec.process.args = rec.command;
    spec.process.env = rec.env;
    spec.process.cwd = rec.working_dir;
    spec.process.uid = rec.host.uid;
    spec.process.gid = rec.host.gid;
    spec.process.additional_gids = rec.host.additional_gids;
    spec.process.terminal = rec.tty;
    spec.process.stdin_open = rec.interactive;
    spec.init = rec.host.init;
    return spec;
}

} // namespace skiff::engine
