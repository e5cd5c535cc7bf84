#include "runtime/launch.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "net/tap_device.hpp"
#include "runtime/child_plan.hpp"
#include "runtime/child_security.hpp"
#include "runtime/container_child.hpp"
#include "runtime/fuse_overlay.hpp"
#include "runtime/netns_join.hpp"
#include "runtime/output_relay.hpp"
#include "runtime/terminal.hpp"
#include "util/child_report.hpp"
#include "util/child_stack.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/process.hpp"
#include "util/scope_guard.hpp"

namespace skiff::runtime {

namespace {

// The container setup's deepest frames hold a few PATH_MAX buffers.
constexpr size_t kSetupStackSize = 256 * 1024;

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD, SIGPIPE};

// Blocks the signals the monitor handles, for its lifetime, and reads them
// from a signalfd.
class SignalBlock {
public:
    SignalBlock() {
        sigset_t set;
        ::sigemptyset(&set);
        for (int s : kForwarded) ::sigaddset(&set, s);
        ::sigprocmask(SIG_BLOCK, &set, &old_);
        fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
        if (!fd_) throw_errno("signalfd");
    }
    ~SignalBlock() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
    int fd() const { return fd_.get(); }

private:
    sigset_t old_;
    UniqueFd fd_;
};

// One message from the child: a pty master ('P'), the fuse connection of
// its rootfs ('F'), a failure record, or EOF (the command was executed).
struct SyncMessage {
    enum class Kind { eof, pty, fuse, failure } kind = Kind::eof;
    UniqueFd fd;
    ChildFailure failure;
};

SyncMessage receive(int sock) {
    SyncMessage m;
    char buf[sizeof(ChildFailure)];
    std::vector<UniqueFd> fds;
    size_t n = with_context("reading from the container's setup", [&] { return recv_fds(sock, buf, sizeof buf, fds); });
    if (!fds.empty()) {
        if (n != 1 || (buf[0] != 'P' && buf[0] != 'F')) throw Error("malformed message from the container's setup");
        m.kind = buf[0] == 'P' ? SyncMessage::Kind::pty : SyncMessage::Kind::fuse;
        m.fd = std::move(fds.front());
        return m;
    }
    if (n == 0) return m;
    if (n != sizeof buf) throw Error("malformed message from the container's setup");
    ChildFailure rec;
    std::memcpy(&rec, buf, sizeof rec);
    rec.step[sizeof rec.step - 1] = '\0';
    rec.detail[sizeof rec.detail - 1] = '\0';
    m.kind = SyncMessage::Kind::failure;
    m.failure = rec;
    return m;
}

// docker/podman wording and exit codes for a command that cannot run.
Error setup_error(const ChildFailure& f) {
    if (std::strcmp(f.step, "exec") == 0) {
        if (f.err == ENOENT)
            return Error(fmt::format("{}: executable file not found in $PATH: No such file or directory", f.detail),
                         0, kExitNotFound);
        return Error(fmt::format("{}: {}", f.detail, std::strerror(f.err)), 0, kExitCannotInvoke);
    }
    if (std::strcmp(f.step, net::kOpenTunStep) == 0) return net::describe_tap_failure(f.step, f.err);
    if (std::strcmp(f.step, kOpenDevFuseStep) == 0)
        return Error(fmt::format("/dev/fuse is not accessible: {} (the fuse-overlayfs storage driver needs it; "
                                 "set storage.driver to vfs otherwise)",
                                 std::strerror(f.err)),
                     f.err);
    if (std::strcmp(f.step, "chdir to the working directory") == 0)
        return Error(fmt::format("workdir {}: {}", f.detail, std::strerror(f.err)), 0, kExitSkiffError);
    return Error(fmt::format("container setup: {}", f.describe()));
}

// Until the child's exec: answers each pty it sends ("w", once the window
// size is set by set_size), the fuse connection of its rootfs ("f", once
// serve_fuse has started the daemon; only a container's first process sends
// one), and turns a failure record into the Error that says why, after
// reaping pid. *reaped tells the caller's guard it is done.
UniqueFd await_exec(int sock, int pid, bool* reaped, const std::function<void(int pty)>& set_size,
                    const std::function<void(UniqueFd fuse)>& serve_fuse = {}) {
    UniqueFd pty;
    for (;;) {
        SyncMessage m = receive(sock);
        if (m.kind == SyncMessage::Kind::eof) return pty;
        if (m.kind == SyncMessage::Kind::failure) {
            *reaped = true;
            wait_for(pid);
            throw setup_error(m.failure);
        }
        if (m.kind == SyncMessage::Kind::fuse) {
            if (!serve_fuse) throw Error("unexpected fuse connection from the container's setup");
            serve_fuse(std::move(m.fd));
            write_all(sock, "f", 1);
            continue;
        }
        pty = std::move(m.fd);
        set_size(pty.get());
        write_all(sock, "w", 1);
    }
}

// What the container's first process needs from launch's frame.
struct ChildArgs {
    const ChildPlan* plan;
    const ChildSecurity* sec;
    int parent_sock; // launch's end, closed in the child
    int child_sock;
    int devnull;
};

int child_entry(void* arg) {
    const auto* a = static_cast<const ChildArgs*>(arg);
    ::close(a->parent_sock);
    run_container_child(*a->plan, *a->sec, a->child_sock, a->devnull);
}

// With a stack, the child shares this process's memory (CLONE_VM) until it
// execs: no copy of skiff's page tables, no copy-on-write faults, no
// teardown of a copy at exec. That is safe because the child's code is
// async-signal-safe (it allocates nothing and writes only its own stack and
// ChildPlan's fd slots), and because launch keeps plan, sec and the stack
// alive until the child has exec'd (EOF on the sync socket, which is
// close-on-exec) or has been reaped. Meanwhile launch only waits on the
// socket, so the errno the two share is not read across the child's
// writes. Without a stack (--init, whose pid 1 never execs) it is a fork.
pid_t clone_child(unsigned long flags, ChildStack* stack, ChildArgs* args) {
    if (stack != nullptr) return ::clone(child_entry, stack->top(), static_cast<int>(flags | CLONE_VM | SIGCHLD), args);
    long pid = ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid == 0) child_entry(args);
    return static_cast<pid_t>(pid);
}

int status_to_code(int st) { return exit_code_of(st); }

} // namespace

namespace {

struct Launched {
    pid_t pid = -1;
    UniqueFd pty;
    std::optional<FuseOverlayDaemon> fuse; // serving the rootfs (fuse-overlayfs)
};

// Clones the container child, runs its setup and returns once the command
// runs. On any failure the child is killed and reaped before the throw.
Launched launch(const ContainerSpec& spec, const LaunchCallbacks& cb) {
    ChildPlan plan = build_child_plan(spec);
    ChildSecurity sec = prepare_child_security(spec.security, plan.uid != 0);

    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) throw_errno("socketpair");
    UniqueFd parent_sock(sp[0]);
    UniqueFd child_sock_low(sp[1]);
    // Above the --preserve-fds range, so that range can be handed over whole.
    UniqueFd child_sock(::fcntl(child_sock_low.get(), F_DUPFD_CLOEXEC, 3 + spec.process.preserve_fds + 64));
    if (!child_sock) throw_errno("dup of the sync socket");
    child_sock_low.reset();
    UniqueFd devnull = open_fd("/dev/null", O_RDONLY);

    unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
    // Joining another container's namespaces: its ID maps are already there.
    bool joined = spec.network == NetworkMode::container;
    if (joined) join_network_of(spec.netns_pid, spec.userns);
    bool shared = false;
    if (spec.userns && !joined && spec.shared_userns_fd >= 0) {
        shared = ::setns(spec.shared_userns_fd, CLONE_NEWUSER) == 0;
        if (!shared) log::debug("joining the shared user namespace: {}; creating one", std::strerror(errno));
    }
    bool new_userns = spec.userns && !joined && !shared;
    if (new_userns) flags |= CLONE_NEWUSER;
    if (spec.network == NetworkMode::none || spec.network == NetworkMode::slirp) flags |= CLONE_NEWNET;

    // Both destroyed after kill_child below has ended the container.
    std::optional<FuseOverlayDaemon> fuse;
    std::optional<ChildStack> stack;
    if (!plan.init) stack.emplace(kSetupStackSize);
    ChildArgs args{&plan, &sec, parent_sock.get(), child_sock.get(), devnull.get()};
    ChildStack* on = stack ? &*stack : nullptr;
    pid_t pid = clone_child(flags, on, &args);
    if (pid < 0 && errno == EINVAL) pid = clone_child(flags & ~static_cast<unsigned long>(CLONE_NEWCGROUP), on, &args);
    if (pid < 0) {
        int err = errno;
        if (spec.userns && (err == EPERM || err == ENOSPC || err == EUSERS))
            throw Error("creating the container's namespaces: user namespaces are not available to this user", err);
        throw Error("creating the container's namespaces", err);
    }
    child_sock.reset();
    devnull.reset();
    bool reaped = false;
    ScopeGuard kill_child([&] {
        if (!reaped) {
            ::kill(pid, SIGKILL);
            wait_for(pid);
        }
    });

    if (new_userns) {
        log::StepTimer t("id maps");
        with_context("setting up the container's ID mapping", [&] { install_id_maps(pid, spec.maps); });
    }
    if (cb.namespaces_ready) cb.namespaces_ready(pid);
    write_all(parent_sock.get(), "g", 1);

    Launched out;
    auto serve_fuse = [&](UniqueFd dev) {
        log::StepTimer t("fuse-overlayfs");
        // Rootless, into the container's user namespace (start() sees when
        // skiff is in it already, joined for --network container:).
        fuse.emplace(FuseOverlayDaemon::start(spec.rootfs, std::move(dev), pid, spec.userns));
    };
    auto set_size = [&](int pty) {
        if (spec.process.console_rows > 0 && spec.process.console_cols > 0) {
            struct winsize ws {};
            ws.ws_row = static_cast<unsigned short>(spec.process.console_rows);
            ws.ws_col = static_cast<unsigned short>(spec.process.console_cols);
            ::ioctl(pty, TIOCSWINSZ, &ws);
        } else {
            copy_window_size(pty);
        }
    };
    try {
        out.pty = await_exec(parent_sock.get(), pid, &reaped, set_size, serve_fuse);
    } catch (const Error&) {
        // A daemon that gave up explains the setup's failure better.
        if (fuse)
            if (std::string why = fuse->failure(300); !why.empty()) throw Error(why);
        throw;
    }
    reaped = true; // from here on the caller owns the child
    out.pid = pid;
    if (fuse) out.fuse.emplace(std::move(*fuse));
    return out;
}

} // namespace

StartedContainer start_container(const ContainerSpec& spec, const LaunchCallbacks& cb) {
    Launched l = launch(spec, cb);
    // The daemon outlives this process: the monitor, a subreaper, reaps it.
    if (l.fuse) l.fuse->release();
    return {l.pid, std::move(l.pty)};
}

namespace {

// The foreground monitor: forwards signals, copies the pty or the relay's
// pipes (and into the log, with log_fd >= 0) until the process exits and its
// output is drained; its exit code.
int supervise(pid_t pid, UniqueFd pty, OutputRelay relay, int log_fd, SignalBlock& signals) {
    bool reaped = false;
    ScopeGuard kill_child([&] {
        if (!reaped) {
            ::kill(pid, SIGKILL);
            wait_for(pid);
        }
    });
    std::optional<RawTerminal> raw;
    if (pty) raw.emplace(STDIN_FILENO);
    bool stdin_open = static_cast<bool>(pty);
    // Where each output goes: the pty and the stdout pipe to stdout.
    struct Output {
        UniqueFd* from;
        int to;
        const char* stream;
    } outputs[] = {{&pty, STDOUT_FILENO, "stdout"},
                   {&relay.out_r, STDOUT_FILENO, "stdout"},
                   {&relay.err_r, STDERR_FILENO, "stderr"}};
    auto any_output = [&] { return pty || relay.out_r || relay.err_r; };
    int status = 0;
    bool exited = false;
    while (!exited || any_output()) {
        struct pollfd fds[5] = {{signals.fd(), POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0},
                                {-1, POLLIN, 0}};
        for (size_t i = 0; i < 3; ++i)
            if (*outputs[i].from) fds[1 + i].fd = outputs[i].from->get();
        if (pty && stdin_open) fds[4].fd = STDIN_FILENO;
        if (exited) fds[0].fd = -1; // only draining the output now
        int r = ::poll(fds, 5, exited ? 100 : -1);
        if (r < 0 && errno != EINTR) throw_errno("poll");
        if (r == 0 && exited) break;
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si {};
            while (::read(signals.fd(), &si, sizeof si) == sizeof si) {
                int sig = static_cast<int>(si.ssi_signo);
                if (sig == SIGCHLD) {
                    int st = 0;
                    if (::waitpid(pid, &st, WNOHANG) == pid) {
                        status = st;
                        exited = true;
                        reaped = true;
                    }
                    // Other children (exec's short-lived intermediate) are
                    // reaped where they are waited for.
                } else if (sig == SIGWINCH) {
                    if (pty) copy_window_size(pty.get());
                } else if (sig != SIGPIPE) {
                    ::kill(pid, sig);
                }
            }
        }
        for (size_t i = 0; i < 3; ++i)
            if (fds[1 + i].revents & (POLLIN | POLLHUP | POLLERR))
                if (!relay_chunk(outputs[i].from->get(), outputs[i].to, log_fd, outputs[i].stream))
                    outputs[i].from->reset();
        if (fds[4].revents & (POLLIN | POLLHUP | POLLERR))
            if (!relay_chunk(STDIN_FILENO, pty.get(), -1, nullptr)) stdin_open = false;
    }
    return status_to_code(status);
}

} // namespace

int run_container(ContainerSpec spec, const LaunchCallbacks& cb) {
    SignalBlock signals;
    // With a log, the output goes through pipes to reach it.
    OutputRelay relay;
    if (spec.process.log_fd >= 0 && !spec.process.terminal) {
        relay = make_output_relay(3 + spec.process.preserve_fds + 64);
        spec.process.stdio[1] = relay.out_w.get();
        spec.process.stdio[2] = relay.merged() ? relay.out_w.get() : relay.err_w.get();
    }
    Launched l = launch(spec, cb);
    relay.out_w.reset(); // the command holds its own now
    relay.err_w.reset();
    // From here supervise's guard kills the child on any way out; started
    // may throw.
    bool handed = false;
    ScopeGuard kill_early([&] {
        if (!handed) {
            ::kill(l.pid, SIGKILL);
            wait_for(l.pid);
        }
    });
    if (cb.started) cb.started(l.pid);
    handed = true;
    int code = supervise(l.pid, std::move(l.pty), std::move(relay), spec.process.log_fd, signals);
    // Its connection went with the container's mount namespace.
    if (l.fuse) l.fuse->finish(2000);
    return code;
}

int exec_process(const ExecSpec& spec) {
    ChildPlan plan = build_exec_plan(spec.process, spec.set_groups);
    plan.create_cwd = false;
    plan.die_with_parent = !spec.detach;
    ChildSecurity sec = prepare_child_security(spec.security, plan.uid != 0);
    // The namespaces to join, the user namespace first.
    std::vector<UniqueFd> ns;
    std::vector<const char*> names = {"ipc", "uts", "net", "pid", "cgroup", "mnt"};
    if (spec.join_userns) names.insert(names.begin(), "user");
    for (const char* n : names) {
        std::string path = fmt::format("/proc/{}/ns/{}", spec.pid, n);
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) {
            if (errno == ENOENT && std::string(n) == "cgroup") continue;
            throw_errno("opening the container's namespace " + path);
        }
        ns.push_back(std::move(fd));
    }
    std::vector<int> ns_fds;
    for (const auto& f : ns) ns_fds.push_back(f.get());

    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) throw_errno("socketpair");
    UniqueFd parent_sock(sp[0]);
    UniqueFd child_sock(sp[1]);
    Pipe pid_pipe = Pipe::make();
    UniqueFd devnull = open_fd("/dev/null", O_RDWR);
    if (spec.detach) {
        plan.stdio[1] = devnull.get();
        plan.stdio[2] = devnull.get();
    }

    // The container's freezer cgroup, so that pause freezes this process too.
    UniqueFd cgroup_procs;
    if (!spec.cgroup_procs.empty()) cgroup_procs = open_fd(spec.cgroup_procs, O_WRONLY);
    plan.cgroup_procs_fd = cgroup_procs.get();

    SignalBlock signals;
    pid_t mid = ::fork();
    if (mid < 0) throw_errno("fork");
    if (mid == 0) {
        ::close(sp[0]);
        run_exec_child(plan, sec, child_sock.get(), devnull.get(), ns_fds.data(), static_cast<int>(ns_fds.size()),
                       pid_pipe.write.get());
    }
    child_sock.reset();
    pid_pipe.write.reset();
    int mid_status = wait_for(mid);
    int pid = -1;
    ssize_t n = ::read(pid_pipe.read.get(), &pid, sizeof pid);
    if (n != sizeof pid) {
        // The intermediate failed before forking: its failure record says why.
        SyncMessage m = receive(parent_sock.get());
        if (m.kind == SyncMessage::Kind::failure) throw setup_error(m.failure);
        throw Error(fmt::format("joining the container failed (status {})", exit_code_of(mid_status)));
    }
    bool reaped = false;
    ScopeGuard kill_child([&] {
        if (!reaped) {
            ::kill(pid, SIGKILL);
            wait_for(pid);
        }
    });
    UniqueFd pty = await_exec(parent_sock.get(), pid, &reaped, [](int fd) { copy_window_size(fd); });
    reaped = true;
    if (spec.detach) return 0;
    return supervise(pid, std::move(pty), OutputRelay{}, -1, signals);
}

} // namespace skiff::runtime
