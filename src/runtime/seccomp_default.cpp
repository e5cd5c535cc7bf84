// The default seccomp profile. Its effect is that of Docker's and Podman's
// default: an allow-list with EPERM for everything else, a few calls allowed
// only with certain argument values, and the calls that act on the whole
// machine allowed only when the container holds the matching capability.
// Names libseccomp does not know (newer syscalls, other architectures'
// calls) are skipped when the profile is compiled.
#include "runtime/seccomp_profile.hpp"

#include <cerrno>
#include <initializer_list>
#include <sched.h>

namespace skiff::runtime {

namespace {

constexpr SeccompAction kAllow{SeccompActionKind::allow, 0};

// Grouped by what they are for; every group is allowed unconditionally.
constexpr std::initializer_list<const char*> kProcess = {
    "exit", "exit_group", "fork", "vfork", "execve", "execveat", "wait4", "waitid", "waitpid",
    "kill", "tkill", "tgkill", "getpid", "getppid", "gettid", "getpgid", "getpgrp", "getsid",
    "setpgid", "setsid", "set_tid_address", "set_robust_list", "get_robust_list", "rseq",
    "restart_syscall", "prctl", "pidfd_open", "pidfd_send_signal", "process_mrelease",
    "membarrier", "getpriority", "setpriority", "ioprio_get", "ioprio_set", "getrlimit",
    "setrlimit", "prlimit64", "ugetrlimit", "getrusage", "times", "capget", "capset", "seccomp",
    "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "get_thread_area",
    "set_thread_area", "sysinfo", "uname", "getcpu", "getrandom",
};

constexpr std::initializer_list<const char*> kScheduler = {
    "sched_getaffinity", "sched_setaffinity", "sched_getattr", "sched_setattr",
    "sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler",
    "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "sched_yield",
};

// User and group IDs: only meaningful inside the container's own mapping.
constexpr std::initializer_list<const char*> kIdentity = {
    "getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid", "getegid32",
    "getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups", "getgroups32",
    "setuid", "setuid32", "setgid", "setgid32", "setreuid", "setreuid32", "setregid",
    "setregid32", "setresuid", "setresuid32", "setresgid", "setresgid32", "setfsuid",
    "setfsuid32", "setfsgid", "setfsgid32", "setgroups", "setgroups32",
};

constexpr std::initializer_list<const char*> kSignals = {
    "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
    "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
    "sigaltstack", "sigprocmask", "sigreturn", "signalfd", "signalfd4", "pause", "alarm",
};

// Reading clocks and timers; setting the clock needs CAP_SYS_TIME (below).
// adjtimex/clock_adjtime only read unless the caller holds CAP_SYS_TIME.
constexpr std::initializer_list<const char*> kTime = {
    "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
    "clock_nanosleep", "clock_nanosleep_time64", "nanosleep", "gettimeofday", "time",
    "adjtimex", "clock_adjtime", "clock_adjtime64", "getitimer", "setitimer", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
    "timerfd_settime", "timerfd_settime64",
};

constexpr std::initializer_list<const char*> kMemory = {
    "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "mlock",
    "mlock2", "mlockall", "munlock", "munlockall", "msync", "remap_file_pages", "memfd_create",
    "memfd_secret", "pkey_alloc", "pkey_free", "pkey_mprotect", "map_shadow_stack", "mseal",
    "futex", "futex_time64", "futex_waitv", "futex_wait", "futex_wake", "futex_requeue",
};

// Paths, file metadata and extended attributes.
constexpr std::initializer_list<const char*> kFiles = {
    "open", "openat", "openat2", "creat", "close", "close_range", "access", "faccessat",
    "faccessat2", "chdir", "fchdir", "getcwd", "chmod", "fchmod", "fchmodat", "fchmodat2",
    "chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32", "umask",
    "stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat64", "newfstatat",
    "statx", "statfs", "statfs64", "fstatfs", "fstatfs64", "getdents", "getdents64", "mkdir",
    "mkdirat", "mknod", "mknodat", "rmdir", "link", "linkat", "symlink", "symlinkat", "unlink",
    "unlinkat", "rename", "renameat", "renameat2", "readlink", "readlinkat", "truncate",
    "truncate64", "ftruncate", "ftruncate64", "utime", "utimes", "utimensat",
    "utimensat_time64", "futimesat", "name_to_handle_at", "flock", "fallocate", "fadvise64",
    "fadvise64_64", "readahead", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range",
    "getxattr", "lgetxattr", "fgetxattr", "getxattrat", "setxattr", "lsetxattr", "fsetxattr",
    "setxattrat", "listxattr", "llistxattr", "flistxattr", "listxattrat", "removexattr",
    "lremovexattr", "fremovexattr", "removexattrat",
};

// Moving bytes between fds.
constexpr std::initializer_list<const char*> kIo = {
    "read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev",
    "pwritev2", "lseek", "_llseek", "dup", "dup2", "dup3", "fcntl", "fcntl64", "ioctl", "pipe",
    "pipe2", "splice", "tee", "vmsplice", "sendfile", "sendfile64", "copy_file_range",
};

// Waiting for fds and events. io_uring is left out, as Docker (since 25.0)
// and containerd do: it has been the source of many kernel exploits.
constexpr std::initializer_list<const char*> kEvents = {
    "poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6", "pselect6_time64",
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_wait",
    "epoll_wait_old", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "inotify_init",
    "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_mark", "io_setup",
    "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
    "io_pgetevents_time64",
};

// System V and POSIX IPC (namespaced by the container's IPC namespace).
constexpr std::initializer_list<const char*> kIpc = {
    "ipc", "msgget", "msgctl", "msgsnd", "msgrcv", "semget", "semctl", "semop", "semtimedop",
    "semtimedop_time64", "shmget", "shmctl", "shmat", "shmdt", "mq_open", "mq_unlink",
    "mq_getsetattr", "mq_notify", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
    "mq_timedsend_time64",
};

// Sockets; socket(2) itself is below, with its address family checked.
constexpr std::initializer_list<const char*> kSockets = {
    "socketcall", "socketpair", "bind", "connect", "listen", "accept", "accept4",
    "getsockname", "getpeername", "getsockopt", "setsockopt", "send", "sendto", "sendmsg",
    "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64", "shutdown",
};

// Calls that act beyond the container, allowed only with the capability
// that the kernel would check anyway. {capability, names}.
struct CapGated {
    const char* cap;
    std::initializer_list<const char*> names;
};
const CapGated kCapGated[] = {
    {"CAP_SYS_ADMIN",
     {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
      "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
      "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
      "umount2", "unshare"}},
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_MODULE", {"init_module", "finit_module", "delete_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_PTRACE",
     {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise"}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "mbind"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
};

// Architecture-specific calls, by Docker's architecture names.
struct ArchGated {
    std::initializer_list<const char*> arches;
    std::initializer_list<const char*> names;
};
const ArchGated kArchGated[] = {
    {{"amd64", "x32"}, {"arch_prctl"}},
    {{"amd64", "x32", "x86"}, {"modify_ldt"}},
    {{"arm", "arm64"},
     {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush",
      "set_tls"}},
    {{"ppc64le"}, {"sync_file_range2", "swapcontext"}},
    {{"s390", "s390x"}, {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"}},
    {{"riscv64"}, {"riscv_flush_icache"}},
};

// The CLONE_NEW* flags clone(2) accepts (0x7e020000, as in Docker's
// profile; CLONE_NEWTIME shares its bit with CSIGNAL there and is only
// reachable through clone3/unshare). Without CAP_SYS_ADMIN, clone is
// allowed only when none of them is set.
constexpr uint64_t kCloneNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                          CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

SeccompRule allow(std::initializer_list<const char*> names) {
    SeccompRule r;
    r.names.assign(names.begin(), names.end());
    r.action = kAllow;
    return r;
}

SeccompRule with_arg(SeccompRule r, unsigned index, SeccompOp op, uint64_t value, uint64_t value_two = 0) {
    r.args.push_back(SeccompArg{index, value, value_two, op});
    return r;
}

} // namespace

SeccompProfile default_seccomp_profile() {
    SeccompProfile p;
    p.default_action = {SeccompActionKind::errno_ret, EPERM};
    p.arch_map = {
        {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
        {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
        {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
        {"SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}},
        {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
        {"SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}},
        {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
        {"SCMP_ARCH_RISCV64", {}},
    };

    for (auto group : {kProcess, kScheduler, kIdentity, kSignals, kTime, kMemory, kFiles, kIo, kEvents,
                       kIpc, kSockets})
        p.syscalls.push_back(allow(group));

    // Tracing another process: the kernel checks ptrace access itself, and
    // before 4.8 ptrace could bypass seccomp, so only on newer kernels.
    SeccompRule trace = allow({"ptrace", "process_vm_readv", "process_vm_writev"});
    trace.includes.min_kernel = "4.8";
    p.syscalls.push_back(trace);

    // Any socket family but AF_VSOCK (40), which reaches the host's hypervisor.
    p.syscalls.push_back(with_arg(allow({"socket"}), 0, SeccompOp::ne, 40));

    // personality: PER_LINUX (0), PER_LINUX32 (8), either with UNAME26
    // (0x20000), and the query 0xffffffff; nothing that changes the
    // address-space layout. Each value is its own rule (OR).
    for (uint64_t v : {0x0ull, 0x8ull, 0x20000ull, 0x20008ull, 0xffffffffull})
        p.syscalls.push_back(with_arg(allow({"personality"}), 0, SeccompOp::eq, v));

    for (const auto& g : kArchGated) {
        SeccompRule r = allow(g.names);
        r.includes.arches.assign(g.arches.begin(), g.arches.end());
        p.syscalls.push_back(std::move(r));
    }

    for (const auto& g : kCapGated) {
        SeccompRule r = allow(g.names);
        r.includes.caps = {g.cap};
        p.syscalls.push_back(std::move(r));
    }

    // Without CAP_SYS_ADMIN: clone without namespace flags (s390 swaps the
    // first two arguments), and clone3 fails with ENOSYS (its flags live in
    // memory seccomp cannot read) so that libc falls back to clone.
    SeccompRule clone = with_arg(allow({"clone"}), 0, SeccompOp::masked_eq, kCloneNamespaceFlags, 0);
    clone.excludes.caps = {"CAP_SYS_ADMIN"};
    clone.excludes.arches = {"s390", "s390x"};
    p.syscalls.push_back(clone);

    SeccompRule clone_s390 = with_arg(allow({"clone"}), 1, SeccompOp::masked_eq, kCloneNamespaceFlags, 0);
    clone_s390.comment = "s390 passes the clone flags as the second argument";
    clone_s390.includes.arches = {"s390", "s390x"};
    clone_s390.excludes.caps = {"CAP_SYS_ADMIN"};
    p.syscalls.push_back(clone_s390);

    SeccompRule clone3;
    clone3.names = {"clone3"};
    clone3.action = {SeccompActionKind::errno_ret, ENOSYS};
    clone3.excludes.caps = {"CAP_SYS_ADMIN"};
    p.syscalls.push_back(clone3);

    return p;
}

} // namespace skiff::runtime
