#include "runtime/child_plan.hpp"

#include <sys/mount.h>

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "runtime/fuse_overlay.hpp"
#include "util/error.hpp"

namespace skiff::runtime {

const std::vector<std::string>& default_masked_paths() {
    static const std::vector<std::string> paths = {
        "/proc/acpi",        "/proc/kcore",       "/proc/keys",         "/proc/latency_stats",
        "/proc/timer_list",  "/proc/timer_stats", "/proc/sched_debug",  "/proc/scsi",
        "/sys/firmware",     "/sys/fs/selinux",   "/sys/dev/block",     "/sys/devices/virtual/powercap",
    };
    return paths;
}

const std::vector<std::string>& default_readonly_paths() {
    static const std::vector<std::string> paths = {
        "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    };
    return paths;
}

namespace {

// Device nodes bind-mounted from the host: a user namespace cannot mknod
// them, and as root the bind is just as good.
constexpr const char* kDevices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};

} // namespace

std::string overlay_lowerdir(const std::vector<std::string>& lower) {
    std::string s;
    for (const auto& l : lower) {
        if (l.find_first_of(":,") != std::string::npos)
            throw Error(fmt::format("layer path {} contains ':' or ',' which overlayfs cannot take", l));
        s += (s.empty() ? "" : ":") + l;
    }
    return s;
}

namespace {

void check_absolute(const std::string& p, const char* what) {
    if (p.empty() || p[0] != '/') throw Error(fmt::format("{} '{}' must be an absolute path", what, p));
}

} // namespace

size_t path_depth(const std::string& path) {
    size_t depth = 0;
    size_t i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/') ++i;
        size_t start = i;
        while (i < path.size() && path[i] != '/') ++i;
        std::string_view part(path.data() + start, i - start);
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (depth > 0) --depth;
            continue;
        }
        ++depth;
    }
    return depth;
}

void plan_process(ChildPlan& p, const ProcessSpec& proc, bool set_groups) {
    if (proc.args.empty()) throw Error("no command given and the image has neither ENTRYPOINT nor CMD");
    for (const auto& a : proc.args) p.argv.push_back(const_cast<char*>(p.keep(a)));
    p.argv.push_back(nullptr);
    std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& e : proc.env) {
        p.envp.push_back(const_cast<char*>(p.keep(e)));
        if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
    }
    p.envp.push_back(nullptr);
    p.path_env = p.keep(path);
    check_absolute(proc.cwd, "working directory");
    p.cwd = p.keep(proc.cwd);
    p.create_cwd = proc.create_cwd;
    p.uid = proc.uid;
    p.gid = proc.gid;
    p.groups.assign(proc.additional_gids.begin(), proc.additional_gids.end());
    p.set_groups = set_groups;
    p.terminal = proc.terminal;
    p.stdin_null = !proc.stdin_open && !proc.terminal;
    p.preserve_fds = proc.preserve_fds;
    for (int i = 0; i < 3; ++i) p.stdio[i] = proc.stdio[i];
}

ChildPlan build_child_plan(const ContainerSpec& spec) {
    ChildPlan p;
    const RootfsSpec& r = spec.rootfs;
    p.mountpoint = p.keep(r.mountpoint);
    if (r.kind == RootfsSpec::Kind::overlay) {
        if (r.lower.empty()) throw Error("overlay rootfs without layers");
        std::string data = fmt::format("lowerdir={},upperdir={},workdir={}", overlay_lowerdir(r.lower), r.upper, r.work);
        if (r.userxattr) data += ",userxattr";
        if (data.size() >= 4096)
            throw Error(fmt::format("overlay mount options for {} layers exceed the kernel's page-size limit",
                                    r.lower.size()));
        p.rootfs_source = "overlay";
        p.rootfs_fstype = "overlay";
        p.rootfs_data = p.keep(data);
    } else if (r.kind == RootfsSpec::Kind::fuse_overlay) {
        if (r.lower.empty()) throw Error("overlay rootfs without layers");
        fuse_overlay_options(r); // checks the layer paths before anything starts
        p.rootfs_fuse = true;
        p.rootfs_source = "fuse-overlayfs";
        p.rootfs_fstype = "fuse.fuse-overlayfs";
        p.rootfs_data = kFuseMountOptions;
    } else {
        p.rootfs_source = p.keep(r.lower.at(0));
        p.rootfs_flags = MS_BIND | MS_REC;
    }
    p.readonly_root = r.readonly;

    auto step = [&](MountStep s) { p.steps.push_back(s); };
    auto host = [&](const std::string& src) {
        p.host_sources.push_back(p.keep(src));
        return static_cast<int>(p.host_sources.size() - 1);
    };
    const unsigned long nsd = MS_NOSUID | MS_NODEV | MS_NOEXEC;

    step({.op = MountStep::Op::mount, .source = "proc", .target = "/proc", .fstype = "proc", .flags = nsd,
          .before_pivot = true});
    step({.op = MountStep::Op::mount, .source = "tmpfs", .target = "/dev", .fstype = "tmpfs",
          .data = "mode=755,size=65536k", .flags = MS_NOSUID | MS_STRICTATIME});
    for (const char* dev : kDevices)
        step({.op = MountStep::Op::bind_host, .target = dev, .host_index = host(dev), .target_is_file = true});
    // gid=5 (tty) only where the container has a gid 5.
    bool has_tty_gid = false;
    for (const auto& m : spec.maps.gid)
        if (m.container_id <= 5 && 5 < m.container_id + m.size) has_tty_gid = true;
    if (!spec.userns) has_tty_gid = true;
    step({.op = MountStep::Op::mount, .source = "devpts", .target = "/dev/pts", .fstype = "devpts",
          .data = has_tty_gid ? "newinstance,ptmxmode=0666,mode=0620,gid=5" : "newinstance,ptmxmode=0666,mode=0620",
          .flags = MS_NOSUID | MS_NOEXEC});
    step({.op = MountStep::Op::symlink, .source = "pts/ptmx", .target = "/dev/ptmx"});
    step({.op = MountStep::Op::symlink, .source = "/proc/self/fd", .target = "/dev/fd"});
    step({.op = MountStep::Op::symlink, .source = "/proc/self/fd/0", .target = "/dev/stdin"});
    step({.op = MountStep::Op::symlink, .source = "/proc/self/fd/1", .target = "/dev/stdout"});
    step({.op = MountStep::Op::symlink, .source = "/proc/self/fd/2", .target = "/dev/stderr"});
    step({.op = MountStep::Op::symlink, .source = "/proc/kcore", .target = "/dev/core"});
    step({.op = MountStep::Op::mount, .source = "shm", .target = "/dev/shm", .fstype = "tmpfs",
          .data = "mode=1777,size=65536k", .flags = nsd});
    step({.op = MountStep::Op::mount, .source = "mqueue", .target = "/dev/mqueue", .fstype = "mqueue", .flags = nsd});
    step({.op = MountStep::Op::sysfs, .source = "sysfs", .target = "/sys", .fstype = "sysfs",
          .flags = nsd | MS_RDONLY, .before_pivot = true});

    // The user's mounts (and /etc/hosts & co), parents before children
    // whatever the order given, as docker sorts them: `-v A:/x/y --tmpfs /x`
    // would otherwise hide A under the tmpfs. Equal depths keep their order.
    struct UserMount {
        size_t depth;
        const BindMount* bind;
        const TmpfsMount* tmpfs;
    };
    std::vector<UserMount> user;
    for (const BindMount& b : spec.binds) {
        check_absolute(b.target, "mount destination");
        user.push_back({path_depth(b.target), &b, nullptr});
    }
    for (const TmpfsMount& t : spec.tmpfs) {
        check_absolute(t.target, "tmpfs destination");
        user.push_back({path_depth(t.target), nullptr, &t});
    }
    std::stable_sort(user.begin(), user.end(), [](const UserMount& a, const UserMount& b) { return a.depth < b.depth; });
    for (const UserMount& u : user) {
        if (u.bind != nullptr) {
            const BindMount& b = *u.bind;
            step({.op = MountStep::Op::bind_host, .target = p.keep(b.target), .flags = b.flags,
                  .host_index = host(b.source), .target_is_file = b.file});
            if (b.readonly) step({.op = MountStep::Op::remount_ro, .target = p.keep(b.target)});
        } else {
            const TmpfsMount& t = *u.tmpfs;
            step({.op = MountStep::Op::mount, .source = "tmpfs", .target = p.keep(t.target), .fstype = "tmpfs",
                  .data = p.keep(t.data), .flags = t.flags});
        }
    }
    if (!spec.security.privileged) {
        for (const auto& m : default_masked_paths())
            step({.op = MountStep::Op::mask, .target = p.keep(m), .optional = true});
        for (const auto& ro : default_readonly_paths())
            step({.op = MountStep::Op::readonly_path, .target = p.keep(ro), .optional = true});
    }

    if (!spec.hostname.empty()) p.hostname = p.keep(spec.hostname);
    p.loopback_up = spec.network == NetworkMode::none || spec.network == NetworkMode::slirp;
    if (spec.network == NetworkMode::slirp && spec.tap_socket >= 0) {
        p.tap_mtu = spec.tap_mtu;
        p.tap_ipv6 = spec.tap_ipv6;
        p.tap_socket = spec.tap_socket;
    }

    plan_process(p, spec.process, !(spec.userns && spec.maps.single_id));
    p.init = spec.init;
    p.die_with_parent = spec.die_with_parent;
    p.host_fds.assign(p.host_sources.size(), -1);
    return p;
}

ChildPlan build_exec_plan(const ProcessSpec& proc, bool set_groups) {
    ChildPlan p;
    plan_process(p, proc, set_groups);
    return p;
}

} // namespace skiff::runtime
