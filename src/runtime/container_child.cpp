#include "runtime/container_child.hpp"
#include "util/fd.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "net/tap_device.hpp"
#include "runtime/child_fs.hpp"
#include "runtime/child_security.hpp"
#include "runtime/fuse_overlay.hpp"
#include "util/child_report.hpp"
#include "util/process_title.hpp"
#include "util/signals.hpp"

namespace skiff::runtime {

namespace {

using childfs::kPathMax;

[[noreturn]] void die(int fd, const char* step, const char* detail, int err) noexcept {
    child_report_failure(fd, step, err, detail);
    ::_exit(kChildSetupFailed);
}

void run_step(const MountStep& s, const ChildPlan& p, int fd) noexcept {
    using Op = MountStep::Op;
    switch (s.op) {
    case Op::mount:
        if (childfs::mkdir_p(s.target, 0755) < 0) die(fd, "creating mount point", s.target, errno);
        if (::mount(s.source, s.target, s.fstype, s.flags, s.data) < 0) die(fd, "mount", s.target, errno);
        return;
    case Op::bind_host: {
        int r = s.target_is_file ? childfs::touch_p(s.target) : childfs::mkdir_p(s.target, 0755);
        if (r < 0) die(fd, "creating mount point", s.target, errno);
        // The host side was cloned (open_tree) before pivot_root: attach it.
        // A symlinked target is followed, as mount(2) would: after
        // pivot_root it can only lead to a place inside the container.
        if (::move_mount(p.host_fds[static_cast<size_t>(s.host_index)], "", AT_FDCWD, s.target,
                         MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS) < 0)
            die(fd, "bind mount", p.host_sources[static_cast<size_t>(s.host_index)], errno);
        if (s.flags != 0 &&
            ::mount(nullptr, s.target, nullptr, MS_BIND | MS_REMOUNT | s.flags, nullptr) < 0)
            die(fd, "setting mount options on", s.target, errno);
        return;
    }
    case Op::remount_ro:
        if (childfs::remount_readonly(s.target) < 0) die(fd, "read-only remount", s.target, errno);
        return;
    case Op::symlink:
        if (::symlink(s.source, s.target) < 0 && errno != EEXIST) die(fd, "symlink", s.target, errno);
        return;
    case Op::sysfs:
        return; // before pivot_root
    case Op::mask: {
        struct stat st {};
        if (::lstat(s.target, &st) < 0) {
            if (errno == ENOENT && s.optional) return;
            die(fd, "masking", s.target, errno);
        }
        int r = S_ISDIR(st.st_mode) ? ::mount("tmpfs", s.target, "tmpfs", MS_RDONLY, "size=0k")
                                    : ::mount("/dev/null", s.target, nullptr, MS_BIND, nullptr);
        if (r < 0 && !(s.optional && (errno == ENOENT || errno == EACCES))) die(fd, "masking", s.target, errno);
        return;
    }
    case Op::readonly_path:
        if (::mount(s.target, s.target, nullptr, MS_BIND | MS_REC, nullptr) < 0) {
            if (errno == ENOENT && s.optional) return;
            die(fd, "bind mount", s.target, errno);
        }
        if (childfs::remount_readonly(s.target) < 0) die(fd, "read-only remount", s.target, errno);
        return;
    }
}

// proc or sysfs onto a top-level directory of the rootfs, before pivot_root
// (see MountStep::before_pivot). The directory is created if missing and
// opened with O_NOFOLLOW: an image cannot redirect the mount with a symlink.
void run_pre_pivot_step(const MountStep& s, const ChildPlan& p, int rootfd, int fd) noexcept {
    const char* name = s.target + 1;
    if (::mkdirat(rootfd, name, 0755) < 0 && errno != EEXIST) die(fd, "creating mount point", s.target, errno);
    int tfd = ::openat(rootfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (tfd < 0) die(fd, "opening mount point (a symlink?)", s.target, errno);
    char target[64];
    childfs::fd_path(target, sizeof target, tfd);
    if (::mount(s.source, target, s.fstype, s.flags, s.data) < 0) {
        if (s.op != MountStep::Op::sysfs) die(fd, "mount", s.target, errno);
        // Without our own network namespace a user namespace may not mount
        // sysfs: bind the host's, read-only.
        if (p.host_sys_fd < 0 ||
            ::move_mount(p.host_sys_fd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            die(fd, "bind mount", "/sys", errno);
        // tfd still names the directory under the new mount: reopen to
        // reach the mount itself.
        ::close(tfd);
        tfd = ::openat(rootfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0) die(fd, "opening mount point", s.target, errno);
        childfs::fd_path(target, sizeof target, tfd);
        if (childfs::remount_readonly(target) < 0) die(fd, "read-only remount", s.target, errno);
    }
    ::close(tfd);
}

// fuse-overlayfs: a fuse mount on the rootfs mountpoint, on a /dev/fuse fd
// opened here (the kernel ties the connection to the opener's user
// namespace), handed to skiff, which starts the daemon on it and answers 'f'.
// Until then nothing may touch the mount.
void mount_fuse_rootfs(const ChildPlan& p, int fd) noexcept {
    int dev = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (dev < 0) die(fd, kOpenDevFuseStep, nullptr, errno);
    char data[256] = "fd=";
    char num[16];
    int nd = 0;
    int n = dev;
    do {
        num[nd++] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n > 0 && nd < 15);
    size_t len = 3;
    while (nd > 0) data[len++] = num[--nd];
    data[len] = '\0';
    if (!childfs::append(data, sizeof data, ",") || !childfs::append(data, sizeof data, p.rootfs_data))
        die(fd, "fuse mount options", nullptr, E2BIG);
    if (::mount(p.rootfs_source, p.mountpoint, p.rootfs_fstype, p.rootfs_flags, data) < 0)
        die(fd, "mount fuse rootfs", p.mountpoint, errno);
    char tag = 'F';
    if (int err = send_fd(fd, dev, &tag, 1); err != 0) die(fd, "sending the fuse fd to skiff", nullptr, err);
    ::close(dev);
    char ack = 0;
    if (::read(fd, &ack, 1) != 1 || ack != 'f') ::_exit(kChildSetupFailed);
}

// Allocates the container's terminal from its own devpts, sends the master
// to the parent, and makes the slave the controlling terminal (of the
// session become_process made) and stdio.
void setup_terminal(const ChildPlan& p, int fd) noexcept {
    int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) die(fd, "open", "/dev/ptmx", errno);
    int unlock = 0;
    if (::ioctl(master, TIOCSPTLCK, &unlock) < 0) die(fd, "unlocking the pty", nullptr, errno);
    int n = -1;
    if (::ioctl(master, TIOCGPTN, &n) < 0) die(fd, "getting the pty number", nullptr, errno);
    char path[64] = "/dev/pts/";
    char num[16];
    int nd = 0;
    do {
        num[nd++] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n > 0 && nd < 15);
    size_t len = 9;
    while (nd > 0) path[len++] = num[--nd];
    path[len] = '\0';
    int slave = ::open(path, O_RDWR | O_NOCTTY);
    if (slave < 0) die(fd, "open", path, errno);
    if (::fchown(slave, p.uid, static_cast<gid_t>(-1)) < 0) die(fd, "chown", path, errno);

    char byte = 'P';
    if (int err = send_fd(fd, master, &byte, 1); err != 0) die(fd, "sending the pty to skiff", nullptr, err);
    ::close(master);
    // Wait until skiff has set the window size, so the command starts with it.
    char ack = 0;
    if (::read(fd, &ack, 1) != 1 || ack != 'w') ::_exit(kChildSetupFailed);

    if (::ioctl(slave, TIOCSCTTY, 0) < 0) die(fd, "setting the controlling terminal", nullptr, errno);
    for (int i = 0; i < 3; ++i)
        if (::dup2(slave, i) < 0) die(fd, "dup2", path, errno);
    if (slave > 2) ::close(slave);
}

// execve argv[0] as found in the container's PATH (execvpe allocates).
[[noreturn]] void exec_command(const ChildPlan& p, int fd) noexcept {
    const char* cmd = p.argv[0];
    if (std::strchr(cmd, '/') != nullptr) {
        ::execve(cmd, p.argv.data(), p.envp.data());
        die(fd, "exec", cmd, errno);
    }
    int saved = ENOENT;
    const char* dir = p.path_env;
    char buf[kPathMax];
    while (true) {
        const char* end = std::strchr(dir, ':');
        size_t n = end != nullptr ? static_cast<size_t>(end - dir) : std::strlen(dir);
        if (n + 1 < sizeof buf) {
            std::memcpy(buf, dir, n);
            buf[n] = '\0';
            if (n == 0) buf[n++] = '.', buf[n] = '\0';
            if (childfs::append(buf, sizeof buf, "/") && childfs::append(buf, sizeof buf, cmd)) {
                ::execve(buf, p.argv.data(), p.envp.data());
                if (errno == EACCES || errno == ENOEXEC || errno == EISDIR) saved = errno;
                else if (errno != ENOENT && errno != ENOTDIR) die(fd, "exec", cmd, errno);
            }
        }
        if (end == nullptr) break;
        dir = end + 1;
    }
    die(fd, "exec", cmd, saved);
}

pid_t g_payload = 0;
void forward_signal(int sig) { ::kill(g_payload, sig); }

// --init: stay as pid 1, reap every orphan, pass signals on to the command
// and leave with its status. Never returns.
[[noreturn]] void become_init(const ChildPlan& p, int fd) noexcept {
    pid_t pid = ::fork();
    if (pid < 0) die(fd, "fork for --init", nullptr, errno);
    if (pid == 0) {
        reset_signals_for_exec();
        exec_command(p, fd);
    }
    ::close(fd); // the command holds its own copy until it execs
    ::prctl(PR_SET_DUMPABLE, 0); // keep the skiff image out of reach of /proc/1/exe
    set_process_title("skiff-init"); // not skiff's host command line in `ps`
    g_payload = pid;
    struct sigaction sa {};
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &sa, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (;;) {
        int st = 0;
        pid_t r = ::waitpid(-1, &st, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) ::_exit(kChildSetupFailed);
        if (r == pid) {
            if (WIFEXITED(st)) ::_exit(WEXITSTATUS(st));
            ::_exit(128 + WTERMSIG(st));
        }
    }
}

} // namespace

namespace {

// From the pty to execve: what a container's first process and an `exec`
// process do alike.
[[noreturn]] void become_process(const ChildPlan& p, const ChildSecurity& sec, int fd, int stdin_null_fd) noexcept {
    // A session of its own, as runc gives every container process: with -t
    // the pty becomes its controlling terminal; without, it has none, and
    // the caller's terminal (/dev/tty, TIOCSTI into the user's shell) is out
    // of reach. The terminal's signals go to skiff, which forwards them, and
    // the scheduler's autogroups count the container apart from the shell.
    if (::setsid() < 0 && errno != EPERM) die(fd, "setsid", nullptr, errno);
    // Detached: the monitor's pipes (all above 2, see engine/start).
    for (int i = 0; i < 3; ++i)
        if (p.stdio[i] >= 0 && ::dup2(p.stdio[i], i) < 0) die(fd, "dup2", "stdio", errno);
    if (p.terminal) setup_terminal(p, fd);
    else if (p.stdin_null && p.stdio[0] < 0 && ::dup2(stdin_null_fd, 0) < 0) die(fd, "dup2", "/dev/null", errno);

    if (::chdir(p.cwd) < 0) {
        if (errno != ENOENT || !p.create_cwd) die(fd, "chdir to the working directory", p.cwd, errno);
        if (childfs::mkdir_p(p.cwd, 0755) < 0 || ::chdir(p.cwd) < 0)
            die(fd, "creating the working directory", p.cwd, errno);
    }

    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it
    // while the process still has it (the default profile allows what
    // follows). With no_new_privs it goes last, right before execve.
    reset_signals_for_exec();
    if (!sec.no_new_privs)
        if (int err = apply_seccomp(sec.seccomp); err != 0) die(fd, "loading the seccomp filter", nullptr, err);

    if (p.set_groups && ::setgroups(p.groups.size(), p.groups.data()) < 0) die(fd, "setgroups", nullptr, errno);
    if (::setresgid(p.gid, p.gid, p.gid) < 0) die(fd, "setresgid", nullptr, errno);
    if (::prctl(PR_SET_KEEPCAPS, 1) < 0) die(fd, "keeping capabilities", nullptr, errno);
    if (::setresuid(p.uid, p.uid, p.uid) < 0) die(fd, "setresuid", nullptr, errno);
    const char* failed = nullptr;
    if (int err = apply_capabilities(sec.caps, &failed); err != 0) die(fd, failed, nullptr, err);
    if (sec.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die(fd, "no_new_privs", nullptr, errno);

    // Only fds 0-2 and --preserve-fds reach the command; the sync socket and
    // anything else skiff holds are close-on-exec (the sync socket sits
    // above the preserved range, see launch).
    unsigned first = 3u + static_cast<unsigned>(p.preserve_fds);
    if (::syscall(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC) < 0) die(fd, "close_range", nullptr, errno);
    for (unsigned i = 3; i < first; ++i) ::fcntl(static_cast<int>(i), F_SETFD, 0);

    if (sec.no_new_privs)
        if (int err = apply_seccomp(sec.seccomp); err != 0) die(fd, "loading the seccomp filter", nullptr, err);
    if (p.init) become_init(p, fd);
    exec_command(p, fd);
}

} // namespace

void run_container_child(const ChildPlan& p, const ChildSecurity& sec, int fd, int stdin_null_fd) noexcept {
    if (p.die_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    char go = 0;
    if (::read(fd, &go, 1) != 1 || go != 'g') ::_exit(kChildSetupFailed);

    // The tap first: the network helper can serve it while the rest is set
    // up, and /dev/net/tun is the host's until pivot_root.
    if (p.tap_socket >= 0) {
        const char* step = nullptr;
        int tap = net::make_tap(p.tap_mtu, p.tap_ipv6, &step);
        if (tap < 0) die(fd, step, nullptr, errno);
        char tag = 't';
        if (int err = send_fd(p.tap_socket, tap, &tag, 1); err != 0)
            die(fd, "handing the tap device to the network helper", nullptr, err);
        ::close(tap);
        ::close(p.tap_socket);
    }

    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) die(fd, "making / private", nullptr, errno);
    if (p.rootfs_fuse)
        mount_fuse_rootfs(p, fd);
    else if (::mount(p.rootfs_source, p.mountpoint, p.rootfs_fstype, p.rootfs_flags, p.rootfs_data) < 0)
        die(fd, p.rootfs_fstype != nullptr ? "mount overlay rootfs" : "bind rootfs", p.mountpoint, errno);
    // Detached clones of the host paths to bind: they can be attached after
    // pivot_root, when the host tree is no longer reachable by any path.
    for (size_t i = 0; i < p.host_sources.size(); ++i) {
        p.host_fds[i] = ::open_tree(AT_FDCWD, p.host_sources[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (p.host_fds[i] < 0) die(fd, "opening mount source", p.host_sources[i], errno);
    }
    p.host_sys_fd = ::open_tree(AT_FDCWD, p.host_sys, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    int rootfd = ::open(p.mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) die(fd, "opening the rootfs", p.mountpoint, errno);
    for (const MountStep& s : p.steps)
        if (s.before_pivot) run_pre_pivot_step(s, p, rootfd, fd);
    ::close(rootfd);

    if (::chdir(p.mountpoint) < 0) die(fd, "chdir", p.mountpoint, errno);
    if (::syscall(SYS_pivot_root, ".", ".") < 0) die(fd, "pivot_root", p.mountpoint, errno);
    if (::umount2(".", MNT_DETACH) < 0) die(fd, "detaching the old root", nullptr, errno);
    if (::chdir("/") < 0) die(fd, "chdir", "/", errno);

    for (const MountStep& s : p.steps)
        if (!s.before_pivot) run_step(s, p, fd);
    for (int hfd : p.host_fds) ::close(hfd);
    if (p.host_sys_fd >= 0) ::close(p.host_sys_fd);
    if (p.readonly_root && childfs::remount_readonly("/") < 0) die(fd, "read-only remount", "/", errno);

    if (p.hostname != nullptr && ::sethostname(p.hostname, std::strlen(p.hostname)) < 0)
        die(fd, "sethostname", p.hostname, errno);
    if (p.loopback_up && childfs::loopback_up() < 0) die(fd, "bringing up lo", nullptr, errno);

    become_process(p, sec, fd, stdin_null_fd);
}

void run_exec_child(const ChildPlan& p, const ChildSecurity& sec, int fd, int stdin_null_fd, const int* ns_fds,
                    int n_ns, int pid_fd) noexcept {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (p.cgroup_procs_fd >= 0) {
        if (::write(p.cgroup_procs_fd, "0", 1) != 1) die(fd, "joining the container's cgroup", nullptr, errno);
        ::close(p.cgroup_procs_fd);
    }
    for (int i = 0; i < n_ns; ++i)
        if (::setns(ns_fds[i], 0) < 0) die(fd, "joining the container's namespaces", nullptr, errno);
    // The pid namespace applies to children: the process itself is forked
    // as skiff's own child, so skiff waits for it directly.
    long pid = ::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid < 0) die(fd, "fork into the container", nullptr, errno);
    if (pid > 0) {
        int v = static_cast<int>(pid);
        ssize_t ignored = ::write(pid_fd, &v, sizeof v);
        (void)ignored;
        ::_exit(0);
    }
    ::close(pid_fd);
    for (int i = 0; i < n_ns; ++i) ::close(ns_fds[i]);
    if (p.die_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    become_process(p, sec, fd, stdin_null_fd);
}

} // namespace skiff::runtime
