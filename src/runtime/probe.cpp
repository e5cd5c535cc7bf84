// Probes that fork: user namespaces and native overlayfs; plus binaries and
// device nodes. See probe_system.cpp for cgroups, seccomp and the OS.
#include "runtime/probe.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <fcntl.h>
#include <filesystem>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/child_report.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

namespace {

// What became of a probe child: ok, or the (step, errno) it reported, or how
// it died without reporting.
struct ChildOutcome {
    bool ok = false;
    std::string step;
    int err = 0;
    std::string detail;
};

// Runs body(report_fd) in a forked child. Between fork and _exit the body
// may only make async-signal-safe calls on data prepared by the caller; it
// returns true on success, or reports (step, errno) with
// child_report_failure and returns false. The child is always reaped.
template <typename Body>
ChildOutcome run_probe_child(Body&& body) {
    Pipe pipe = Pipe::make();
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork (probe)");
    if (pid == 0) {
        ::close(pipe.read.get());
        bool ok = body(pipe.write.get());
        ::_exit(ok ? 0 : 1);
    }
    pipe.write.reset();

    ChildOutcome out;
    std::optional<ChildFailure> report;
    std::string read_error;
    try {
        report = read_child_report(pipe.read.get());
    } catch (const Error& e) {
        read_error = e.what();
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw_errno("waiting for a probe child");
    }
    if (report) {
        out.step = report->step;
        out.err = report->err;
        out.detail = report->describe();
    } else if (!read_error.empty()) {
        out.detail = read_error;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        out.ok = true;
    } else if (WIFSIGNALED(status)) {
        out.detail = fmt::format("probe child killed by signal {}", WTERMSIG(status));
    } else {
        out.detail = fmt::format("probe child exited with status {}", WEXITSTATUS(status));
    }
    return out;
}

// Async-signal-safe: writes buf to path. Returns 0 or an errno.
int write_proc_file(const char* path, const char* buf, size_t len) noexcept {
    int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    int err = 0;
    while (len > 0) {
        ssize_t n = ::write(fd, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            err = n < 0 ? errno : EIO;
            break;
        }
        buf += n;
        len -= static_cast<size_t>(n);
    }
    ::close(fd);
    return err;
}

// Reads a small integer sysctl; -1 when it does not exist or is unreadable.
long read_sysctl(const char* path) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    UniqueFd owned(fd);
    char buf[32] = {};
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    if (n <= 0) return -1;
    char* end = nullptr;
    long v = std::strtol(buf, &end, 10);
    return end == buf ? -1 : v;
}

void remove_tree(const std::string& path) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (!ec) return;
    // The kernel may leave a mode-000 work dir behind: open the tree up, retry.
    for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec)) ::chmod(it->path().c_str(), 0700);
    }
    std::filesystem::remove_all(path, ec);
}

} // namespace

UsernsProbe probe_user_namespaces() {
    UsernsProbe p;
    p.max_user_namespaces = read_sysctl("/proc/sys/user/max_user_namespaces");
    p.unprivileged_userns_clone = static_cast<int>(read_sysctl("/proc/sys/kernel/unprivileged_userns_clone"));

    ChildOutcome c = run_probe_child([](int fd) noexcept {
        if (::unshare(CLONE_NEWUSER) < 0) {
            child_report_failure(fd, "unshare(CLONE_NEWUSER)", errno);
            return false;
        }
        return true;
    });
    p.ok = c.ok;
    p.err = c.err;
    if (p.ok) return p;

    p.detail = c.detail;
    if (p.max_user_namespaces == 0)
        p.detail += " (user namespaces are disabled: /proc/sys/user/max_user_namespaces is 0)";
    else if (p.unprivileged_userns_clone == 0 && ::geteuid() != 0)
        p.detail += " (unprivileged user namespaces are disabled: kernel.unprivileged_userns_clone is 0)";
    else if (c.err == ENOSPC)
        p.detail += " (the limit in /proc/sys/user/max_user_namespaces is reached)";
    else if (c.err == EPERM)
        p.detail += " (refused by a security module or seccomp policy, or inside a chroot)";
    else if (c.err == EINVAL)
        p.detail += " (the kernel has no user namespace support)";
    return p;
}

namespace {

std::string overlay_hint(const std::string& step, int err, bool rootless, const std::string& dir) {
    if (step != "mount overlay") return {};
    switch (err) {
    case ENODEV: return "the kernel has no overlay filesystem";
    case EPERM:
        return rootless ? "this kernel does not allow overlay mounts in a user namespace (needs Linux 5.11+)" : "";
    case EINVAL:
        return rootless ? fmt::format("the kernel (needs 5.11+) or the filesystem of {} does not support overlay "
                                      "with userxattr",
                                      dir)
                        : fmt::format("the filesystem of {} does not support overlay upper dirs", dir);
    default: return {};
    }
}

// The deepest existing directory on the way to path (which need not exist
// yet): the probe runs there to test the filesystem the store will live on.
std::string existing_ancestor(std::string path) {
    while (path.size() > 1) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return path;
        size_t slash = path.rfind('/');
        if (slash == std::string::npos) break;
        path = slash == 0 ? "/" : path.substr(0, slash);
    }
    return {};
}

} // namespace

OverlayProbe probe_native_overlay(const std::string& base_dir, bool rootless, uid_t uid, gid_t gid) {
    OverlayProbe p;
    p.in_userns = rootless;

    std::string tmp;
    int mkdtemp_err = 0;
    for (const std::string& base : {existing_ancestor(base_dir), std::string("/tmp")}) {
        if (base.empty()) continue;
        std::string tmpl = base + "/.skiff-overlay-probe-XXXXXX";
        if (::mkdtemp(tmpl.data()) != nullptr) {
            tmp = tmpl;
            p.dir = base;
            break;
        }
        mkdtemp_err = errno;
    }
    if (tmp.empty()) {
        p.step = "mkdtemp";
        p.err = mkdtemp_err;
        p.detail = fmt::format("cannot make a temp dir in {} or /tmp: {}", base_dir, std::strerror(p.err));
        return p;
    }
    struct Cleanup {
        std::string path;
        ~Cleanup() { remove_tree(path); }
    } cleanup{tmp};

    for (const char* d : {"lower", "upper", "work", "merged"}) {
        if (::mkdir((tmp + "/" + d).c_str(), 0700) < 0) {
            p.step = "mkdir";
            p.err = errno;
            p.detail = fmt::format("mkdir {}/{}: {}", tmp, d, std::strerror(p.err));
            return p;
        }
    }
    {
        std::string f = tmp + "/lower/probe";
        int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            p.step = "create";
            p.err = errno;
            p.detail = fmt::format("creating {}: {}", f, std::strerror(p.err));
            return p;
        }
        ::close(fd);
    }

    // Everything the child needs, prepared before fork. Relative paths (after
    // chdir) keep overlay's option parser away from commas in the temp path.
    const std::string uid_map = fmt::format("0 {} 1\n", uid);
    const std::string gid_map = fmt::format("0 {} 1\n", gid);
    const std::string opts = std::string("lowerdir=lower,upperdir=upper,workdir=work") + (rootless ? ",userxattr" : "");
    const char* dir = tmp.c_str();

    ChildOutcome c = run_probe_child([&](int fd) noexcept {
        if (::unshare(rootless ? (CLONE_NEWUSER | CLONE_NEWNS) : CLONE_NEWNS) < 0) {
            child_report_failure(fd, "unshare", errno);
            return false;
        }
        if (rootless) {
            if (int e = write_proc_file("/proc/self/setgroups", "deny", 4); e != 0) {
                child_report_failure(fd, "write /proc/self/setgroups", e);
                return false;
            }
            if (int e = write_proc_file("/proc/self/uid_map", uid_map.data(), uid_map.size()); e != 0) {
                child_report_failure(fd, "write /proc/self/uid_map", e);
                return false;
            }
            if (int e = write_proc_file("/proc/self/gid_map", gid_map.data(), gid_map.size()); e != 0) {
                child_report_failure(fd, "write /proc/self/gid_map", e);
                return false;
            }
        }
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
            child_report_failure(fd, "make / private", errno);
            return false;
        }
        if (::chdir(dir) < 0) {
            child_report_failure(fd, "chdir", errno, dir);
            return false;
        }
        if (::mount("overlay", "merged", "overlay", 0, opts.c_str()) < 0) {
            child_report_failure(fd, "mount overlay", errno);
            return false;
        }
        // Deleting a lower file makes the kernel create a whiteout in upper.
        if (::unlink("merged/probe") < 0) {
            child_report_failure(fd, "whiteout", errno, "removing a lower file through the overlay");
            return false;
        }
        return true;
    });

    p.ok = c.ok;
    p.step = c.step;
    p.err = c.err;
    if (!p.ok) {
        p.detail = c.detail;
        if (std::string hint = overlay_hint(c.step, c.err, rootless, p.dir); !hint.empty()) p.detail += "; " + hint;
    }
    return p;
}

BinaryProbe find_binary(const std::string& name) {
    BinaryProbe b{name, {}};
    std::string search = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
    if (const char* path = std::getenv("PATH"); path != nullptr && path[0] != '\0')
        search = std::string(path) + ":" + search;
    size_t pos = 0;
    while (pos <= search.size()) {
        size_t colon = search.find(':', pos);
        std::string dir = search.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
        pos = colon == std::string::npos ? search.size() + 1 : colon + 1;
        if (dir.empty() || dir[0] != '/') continue;
        std::string candidate = dir + "/" + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
            b.path = candidate;
            break;
        }
    }
    return b;
}

DeviceProbe probe_device(const std::string& path) {
    DeviceProbe d;
    d.path = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) {
        d.err = errno;
        // Read after "/dev/fuse is ..." (skiff info's reasons).
        d.detail = d.err == ENOENT ? "missing (is the kernel module loaded?)"
                                   : fmt::format("not usable (stat: {})", std::strerror(d.err));
        return d;
    }
    d.exists = true;
    d.mode = st.st_mode & 07777;
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0) {
        ::close(fd);
        d.accessible = true;
        return d;
    }
    d.err = errno;
    switch (d.err) {
    case EACCES:
        d.detail = fmt::format("not accessible (mode {:04o}): ask an administrator to make it 0666 as distros ship it",
                               d.mode);
        break;
    case EPERM: d.detail = "not permitted (a device cgroup or security module refuses it)"; break;
    case ENXIO:
    case ENODEV: d.detail = "no driver behind the device node (is the kernel module loaded?)"; break;
    default: d.detail = fmt::format("not usable (open: {})", std::strerror(d.err)); break;
    }
    return d;
}

} // namespace skiff::runtime
