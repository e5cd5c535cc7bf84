// Probes that only read: cgroups, seccomp, the kernel and the distribution.
#include "runtime/probe.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

namespace {

// The whole of a small file, or nullopt when it cannot be read.
std::optional<std::string> slurp(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    UniqueFd owned(fd);
    try {
        return read_all(owned.get(), 1u << 20);
    } catch (const Error&) {
        return std::nullopt;
    }
}

std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
        size_t b = s.find_first_not_of(" \t\n", i);
        if (b == std::string_view::npos) break;
        size_t e = s.find_first_of(" \t\n", b);
        if (e == std::string_view::npos) e = s.size();
        out.emplace_back(s.substr(b, e - b));
        i = e;
    }
    return out;
}

bool is_fs(const char* path, long magic) {
    struct statfs fs {};
    return ::statfs(path, &fs) == 0 && static_cast<long>(fs.f_type) == magic;
}

} // namespace

const char* to_string(CgroupVersion v) {
    switch (v) {
    case CgroupVersion::v1: return "v1";
    case CgroupVersion::v2: return "v2";
    case CgroupVersion::hybrid: return "hybrid";
    case CgroupVersion::unknown: break;
    }
    return "unknown";
}

CgroupProbe probe_cgroups() {
    CgroupProbe c;
    struct statfs fs {};
    if (::statfs("/sys/fs/cgroup", &fs) < 0) {
        c.detail = fmt::format("statfs /sys/fs/cgroup: {}", std::strerror(errno));
        return c;
    }
    std::string unified_root;
    if (static_cast<long>(fs.f_type) == CGROUP2_SUPER_MAGIC) {
        c.version = CgroupVersion::v2;
        unified_root = "/sys/fs/cgroup";
    } else if (static_cast<long>(fs.f_type) == TMPFS_MAGIC) {
        if (is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)) {
            c.version = CgroupVersion::hybrid;
            unified_root = "/sys/fs/cgroup/unified";
        } else {
            c.version = CgroupVersion::v1;
        }
    } else {
        c.detail = fmt::format("/sys/fs/cgroup is not a cgroup mount (filesystem magic {:#x})",
                               static_cast<unsigned long>(fs.f_type));
        return c;
    }

    // "hierarchy-ID:controller-list:path" per line; "0::PATH" is the unified tree.
    auto self = slurp("/proc/self/cgroup");
    if (!self) {
        c.detail = "cannot read /proc/self/cgroup";
        return c;
    }
    std::string_view text = *self;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        size_t c1 = line.find(':');
        size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
        if (c2 == std::string_view::npos) continue;
        std::string_view id = line.substr(0, c1);
        std::string_view ctrls = line.substr(c1 + 1, c2 - c1 - 1);
        if (id == "0" && ctrls.empty()) {
            c.own_path = std::string(line.substr(c2 + 1));
            continue;
        }
        while (!ctrls.empty()) {
            size_t comma = ctrls.find(',');
            std::string_view one = ctrls.substr(0, comma);
            ctrls = comma == std::string_view::npos ? std::string_view{} : ctrls.substr(comma + 1);
            if (!one.empty() && one.rfind("name=", 0) != 0) c.v1_controllers.emplace_back(one);
        }
    }

    if (unified_root.empty() || c.own_path.empty()) return c;
    c.dir = c.own_path == "/" ? unified_root : unified_root + c.own_path;
    c.writable = ::access(c.dir.c_str(), W_OK) == 0 && ::access((c.dir + "/cgroup.procs").c_str(), W_OK) == 0 &&
                 ::access((c.dir + "/cgroup.subtree_control").c_str(), W_OK) == 0;
    if (auto s = slurp(c.dir + "/cgroup.controllers"))
        c.controllers = split_words(*s);
    else
        c.detail = fmt::format("cannot read {}/cgroup.controllers", c.dir);
    if (auto s = slurp(c.dir + "/cgroup.subtree_control")) c.subtree_control = split_words(*s);
    return c;
}

SeccompProbe probe_seccomp() {
    SeccompProbe s;
    if (auto status = slurp("/proc/self/status")) {
        size_t pos = status->find("\nSeccomp:");
        if (pos != std::string::npos) s.mode = std::atoi(status->c_str() + pos + 9);
    }
    if (s.mode < 0) {
        int m = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
        if (m >= 0) s.mode = m;
    }

    // A NULL filter program: EFAULT proves filter mode exists without
    // installing anything; EINVAL means the kernel lacks it.
    long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, nullptr);
    int err = rc < 0 ? errno : 0;
    if (rc < 0 && err == ENOSYS) {
        rc = ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, nullptr, 0, 0);
        err = rc < 0 ? errno : 0;
    }
    if (err == EFAULT) {
        s.filter_supported = true;
    } else if (err == EINVAL || err == ENOSYS) {
        s.detail = "the kernel has no seccomp filter support (CONFIG_SECCOMP_FILTER)";
    } else {
        s.detail = fmt::format("probing seccomp filter mode: {}", err == 0 ? "unexpected success" : std::strerror(err));
    }

    if (const scmp_version* v = seccomp_version(); v != nullptr)
        s.libseccomp_version = fmt::format("{}.{}.{}", v->major, v->minor, v->micro);
    return s;
}

namespace {

std::string goarch(const std::string& machine) {
    if (machine == "x86_64") return "amd64";
    if (machine == "aarch64") return "arm64";
    if (machine == "i686" || machine == "i386") return "386";
    if (machine.rfind("armv", 0) == 0) return "arm";
    return machine;
}

// VALUE of KEY=VALUE in os-release syntax (shell-like quoting, simplified).
std::string unquote(std::string_view v) {
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
        char q = v.front();
        v = v.substr(1, v.size() - 2);
        std::string out;
        for (size_t i = 0; i < v.size(); ++i) {
            if (q == '"' && v[i] == '\\' && i + 1 < v.size()) ++i;
            out += v[i];
        }
        return out;
    }
    return std::string(v);
}

} // namespace

OsInfo probe_os() {
    OsInfo o;
    struct utsname u {};
    if (::uname(&u) == 0) {
        o.kernel = u.release;
        o.arch = goarch(u.machine);
        o.hostname = u.nodename;
    }
    auto text = slurp("/etc/os-release");
    if (!text) text = slurp("/usr/lib/os-release");
    if (!text) return o;
    std::string_view t = *text;
    while (!t.empty()) {
        size_t nl = t.find('\n');
        std::string_view line = t.substr(0, nl);
        t = nl == std::string_view::npos ? std::string_view{} : t.substr(nl + 1);
        size_t eq = line.find('=');
        if (eq == std::string_view::npos || line.front() == '#') continue;
        std::string_view key = line.substr(0, eq);
        std::string value = unquote(line.substr(eq + 1));
        if (key == "PRETTY_NAME") o.pretty_name = value;
        else if (key == "ID") o.id = value;
        else if (key == "VERSION_ID") o.version_id = value;
    }
    return o;
}

} // namespace skiff::runtime
