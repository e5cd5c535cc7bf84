#include "engine/host_info.hpp"

#include <algorithm>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "skiff_build_config.hpp"
#include "engine/storage_choice.hpp"
#include "runtime/userns.hpp"
#include "util/log.hpp"

namespace skiff::engine {

namespace {

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : sep) + x;
    return s;
}

IdMapSummary summarize_idmap(const HostInfo& h) {
    IdMapSummary s;
    s.subuid = runtime::subordinate_ranges("/etc/subuid", h.user, h.uid);
    s.subgid = runtime::subordinate_ranges("/etc/subgid", h.user, h.uid);
    s.newuidmap = runtime::find_newuidmap();
    s.newgidmap = runtime::find_newgidmap();
    if (!h.rootless) return s; // root runs containers in the host's ID space

    // The very mapping run and pull install, so that info cannot disagree with them.
    runtime::UserNamespaceMaps maps = runtime::rootless_maps();
    s.uid_mappings = maps.uid;
    s.gid_mappings = maps.gid;
    if (maps.single_id)
        s.detail = maps.single_id_reason +
                   ": containers get a single-ID mapping (only root inside) and files owned by other IDs "
                   "cannot be created; ask an administrator for a range (usermod --add-subuids/--add-subgids)";
    return s;
}

} // namespace

StorageChoice choose_storage_driver(const std::string& configured, const StorageFacts& f) {
    StorageChoice c;
    c.configured = configured.empty() ? "auto" : configured;
    std::string overlay_works =
        f.rootless ? "native overlayfs works in a user namespace (userxattr)" : "native overlayfs works";
    std::string fuse_problem;
    if (!f.fuse_overlayfs_binary)
        fuse_problem = "fuse-overlayfs is not installed";
    else if (!f.dev_fuse)
        fuse_problem = "/dev/fuse is " + f.dev_fuse_detail;

    if (c.configured == "auto") {
        if (f.native_overlay) {
            c.driver = "overlay";
            c.reason = overlay_works;
        } else if (fuse_problem.empty()) {
            c.driver = "fuse-overlayfs";
            c.reason = fmt::format("native overlayfs does not work here ({}); fuse-overlayfs and /dev/fuse are usable",
                                   f.native_overlay_detail);
        } else {
            c.driver = "vfs";
            c.reason = fmt::format("native overlayfs does not work here ({}) and {}; vfs copies every layer (slow, uses space)",
                                   f.native_overlay_detail, fuse_problem);
        }
        return c;
    }

    c.driver = c.configured;
    c.reason = "set by storage.driver in the configuration";
    if (c.configured == "overlay" && !f.native_overlay)
        c.problem = fmt::format("storage.driver is overlay, but native overlayfs does not work here: {}; "
                                "containers will fail to start (use auto)",
                                f.native_overlay_detail);
    else if (c.configured == "fuse-overlayfs" && !fuse_problem.empty())
        c.problem = fmt::format("storage.driver is fuse-overlayfs, but {}; containers will fail to start (use auto)",
                                fuse_problem);
    return c;
}

NetworkChoice choose_network(const std::string& configured, bool rootless, const runtime::DeviceProbe& tun) {
    NetworkChoice n;
    n.configured = configured.empty() ? "auto" : configured;
    if (n.configured != "auto") {
        n.mode = n.configured;
        n.reason = "set by network.default in the configuration";
    } else if (!rootless) {
        // podman gives root containers a bridge; skiff has none, and slirp
        // for root would be slower than asking for host or slirp explicitly.
        n.mode = "none";
        n.reason = "root containers get no network by default (no bridge): use --network slirp or host";
    } else if (tun.accessible) {
        n.mode = "slirp";
        n.reason = "rootless default: user-mode networking (libslirp) on a tap device";
    } else {
        n.mode = "none";
        n.reason = fmt::format("slirp needs /dev/net/tun, which is {}", tun.detail);
    }
    return n;
}

CgroupSummary summarize_cgroups(const runtime::CgroupProbe& p, bool rootless, const std::string& user) {
    using runtime::CgroupVersion;
    CgroupSummary s;
    s.version = p.version;
    std::string who = user.empty() ? "this user" : user;
    std::string controllers = p.controllers.empty() ? "none" : join(p.controllers, " ");

    if (p.version == CgroupVersion::unknown) {
        s.limits_detail = "resource limits cannot be enforced: " + (p.detail.empty() ? "no cgroup mount" : p.detail);
        return s;
    }
    if (!rootless) {
        s.delegated = true;
        s.limits = true;
        if (p.version == CgroupVersion::v2)
            s.limits_detail = fmt::format("running as root: resource limits can be enforced (controllers: {})",
                                          controllers);
        else
            s.limits_detail = fmt::format("running as root: resource limits can be enforced through the cgroup v1 "
                                          "controllers ({})",
                                          join(p.v1_controllers, " "));
        return s;
    }
    if (p.version != CgroupVersion::v2) {
        s.limits_detail = fmt::format("resource limits cannot be enforced rootless on this host: cgroups are {} "
                                      "and v1 controllers are not delegated to users",
                                      runtime::to_string(p.version));
        return s;
    }
    if (!p.writable) {
        s.limits_detail = fmt::format("resource limits cannot be enforced rootless on this host: cgroup {} is not "
                                      "delegated to {}",
                                      p.dir.empty() ? p.own_path : p.dir, who);
        return s;
    }
    s.delegated = true;
    if (p.controllers.empty()) {
        s.limits_detail = fmt::format("resource limits cannot be enforced rootless on this host: cgroup {} is "
                                      "delegated, but no controllers are available in it",
                                      p.dir);
        return s;
    }
    s.limits = true;
    s.limits_detail = fmt::format("resource limits can be enforced: cgroup {} is delegated (controllers: {})", p.dir,
                                  controllers);
    return s;
}

HostInfo gather_host_info(const Paths& paths, const Config& config) {
    HostInfo h;
    h.version = SKIFF_VERSION;
    h.uid = ::geteuid();
    h.gid = ::getegid();
    h.rootless = h.uid != 0;
    if (struct passwd* pw = ::getpwuid(h.uid); pw != nullptr && pw->pw_name != nullptr) h.user = pw->pw_name;

    {
        log::StepTimer t("probe os");
        h.os = runtime::probe_os();
    }
    {
        log::StepTimer t("probe user namespaces");
        h.userns = runtime::probe_user_namespaces();
    }
    {
        log::StepTimer t("probe native overlayfs");
        h.overlay = runtime::probe_native_overlay(paths.root, h.rootless, h.uid, h.gid);
    }
    {
        log::StepTimer t("probe binaries and devices");
        h.fuse_overlayfs = runtime::find_binary("fuse-overlayfs");
        h.dev_fuse = runtime::probe_device("/dev/fuse");
        h.dev_tun = runtime::probe_device("/dev/net/tun");
    }
    {
        log::StepTimer t("probe cgroups and seccomp");
        h.cgroup_probe = runtime::probe_cgroups();
        h.seccomp = runtime::probe_seccomp();
    }
    {
        log::StepTimer t("read subordinate ids");
        h.idmap = summarize_idmap(h);
    }

    StorageFacts facts;
    facts.rootless = h.rootless;
    facts.native_overlay = h.overlay.ok;
    facts.native_overlay_detail = h.overlay.detail;
    // `run` goes by the cached probe while there is one: report its choice.
    if (auto cached = cached_overlay_probe(paths)) {
        facts.native_overlay = cached->ok;
        facts.native_overlay_detail = cached->detail;
    }
    facts.fuse_overlayfs_binary = h.fuse_overlayfs.found();
    facts.dev_fuse = h.dev_fuse.accessible;
    facts.dev_fuse_detail = h.dev_fuse.detail;
    h.storage = choose_storage_driver(config.storage_driver, facts);
    h.network = choose_network(config.network, h.rootless, h.dev_tun);
    h.cgroups = summarize_cgroups(h.cgroup_probe, h.rootless, h.user);

    h.store.root = paths.root;
    h.store.runroot = paths.runroot;
    if (paths.runroot_fallback) h.store.runroot_fallback = paths.fallback_reason;
    h.store.config_file = paths.config_file;
    struct stat st {};
    h.store.config_exists = ::stat(paths.config_file.c_str(), &st) == 0;

    if (h.rootless && !h.userns.ok)
        h.warnings.push_back("user namespaces are not available (" + h.userns.detail +
                             "): rootless containers cannot run on this host");
    if (!h.idmap.detail.empty()) h.warnings.push_back(h.idmap.detail);
    if (h.rootless && h.idmap.detail.empty()) {
        uint32_t n = std::min(runtime::total_ids(h.idmap.subuid), runtime::total_ids(h.idmap.subgid));
        if (n < 65536)
            h.warnings.push_back(fmt::format("only {} subordinate IDs: images with files owned by higher IDs "
                                             "(such as nobody, 65534) cannot be unpacked",
                                             n));
    }
    if (!h.storage.problem.empty()) h.warnings.push_back(h.storage.problem);
    if (h.rootless && !h.cgroups.limits) h.warnings.push_back(h.cgroups.limits_detail);
    if (!h.seccomp.filter_supported) h.warnings.push_back("seccomp filters are unavailable: " + h.seccomp.detail);
    return h;
}

} // namespace skiff::engine
