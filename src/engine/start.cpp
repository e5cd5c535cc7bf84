#include "engine/start.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <functional>
#include <optional>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/container_spec_build.hpp"
#include "engine/container_state.hpp"
#include "engine/network_plan.hpp"
#include "engine/pause.hpp"
#include "engine/rootfs.hpp"
#include "engine/shared_userns.hpp"
#include "net/helper.hpp"
#include "engine/volumes.hpp"
#include "monitor/protocol.hpp"
#include "monitor/stdio.hpp"
#include "runtime/launch.hpp"
#include "skiff_build_config.hpp"
#include "util/child_stack.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"
#include "util/process.hpp"

namespace skiff::engine {

namespace {

std::string self_exe() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n < 0) throw_errno("finding the skiff binary (/proc/self/exe)");
    return std::string(buf, static_cast<size_t>(n));
}

void send_pid(int sock, int pid) {
    char buf[1 + sizeof(int)] = {'P'};
    std::memcpy(buf + 1, &pid, sizeof pid);
    if (::send(sock, buf, sizeof buf, MSG_NOSIGNAL) < 0) throw_errno("telling the monitor the container's pid");
}

// Reads exactly n bytes, or fewer at EOF.
size_t read_some(int fd, char* buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = ::read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += static_cast<size_t>(r);
    }
    return got;
}

// Builds rec's container with the given stdio, starts it and records it as
// running under the monitor monitor_pid. on_started runs once the command
// runs, before the record is saved.
runtime::StartedContainer start_and_record(const Paths& paths, const Config& config, const std::string& id,
                                           bool restarted, unsigned rows, unsigned cols, const int stdio[3],
                                           int monitor_pid,
                                           const std::function<void(const runtime::StartedContainer&)>& on_started);

// Runs f; an Error or other exception is printed as cli::main would, and
// its exit code returned (0 if f returned).
template <typename F>
int report_errors(F&& f) {
    try {
        f();
        return 0;
    } catch (const Error& e) {
        fmt::print(stderr, "Error: {}\n", e.what());
        return e.exit_code();
    } catch (const std::exception& e) {
        fmt::print(stderr, "Error: {}\n", e.what());
        return kExitSkiffError;
    }
}

// A starter hands the running container to the process that monitors it:
// the pty master ('T', with a terminal), then 'P' and the pid.
void hand_over(int sock, const runtime::StartedContainer& started) {
    char tag = 'T';
    if (started.pty)
        if (int err = send_fd(sock, started.pty.get(), &tag, 1); err != 0)
            throw Error("handing the terminal to the monitor", err);
    send_pid(sock, started.pid);
}

// The other end of hand_over, once the starter has exited.
runtime::StartedContainer take_over(int sock) {
    runtime::StartedContainer started;
    for (;;) {
        char buf[1 + sizeof(int)] = {};
        std::vector<UniqueFd> fds;
        size_t n = recv_fds(sock, buf, sizeof buf, fds);
        if (n == 0) return started;
        if (buf[0] == 'T' && fds.size() == 1) started.pty = std::move(fds[0]);
        if (buf[0] == 'P' && n == sizeof buf) {
            std::memcpy(&started.pid, buf + 1, sizeof(int));
            return started;
        }
    }
}

// The child of `skiff start` for a container's first run: it starts the
// container itself, as its parent (what `skiff __start` would do, without
// exec'ing skiff again), reports the outcome on the status pipe, and then
// execs the monitor, which adopts the container, its helpers and the run's
// stdio (monitor/protocol.hpp). This process is single-threaded.
[[noreturn]] void start_then_become_monitor(const Paths& paths, const Config& config, const ContainerRecord& rec,
                                            const std::string& cdir,
                                            const StartRequest& req, std::vector<std::string> args, int status_w,
                                            int devnull) {
    auto report = [status_w](int code) {
        ::signal(SIGPIPE, SIG_IGN); // a starting skiff killed meanwhile
        char buf[1 + sizeof(int)] = {monitor::kStatusStarted};
        std::memcpy(buf + 1, &code, sizeof code);
        ssize_t ignored = ::write(status_w, buf, sizeof buf);
        (void)ignored;
    };
    ::setsid();
    // The container's helpers (slirp, fuse-overlayfs) may outlive a
    // process between them and the monitor; they come back to it.
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        report(kExitSkiffError);
        ::_exit(kExitSkiffError);
    }
    auto fail = [&](const char* what) {
        fmt::print(stderr, "Error: {}: {}\n", what, std::strerror(errno));
        report(kExitSkiffError);
        ::_exit(kExitSkiffError);
    };
    // The log and the attach socket exist before `start` returns.
    int dir_fd = ::open(cdir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) fail("opening the container's directory");
    int log_fd = monitor::open_log(dir_fd);
    if (log_fd < 0) fail("opening the container's log");
    int listen_fd = monitor::listen_attach(dir_fd);
    if (listen_fd < 0) fail("creating the attach socket");
    monitor::Stdio s;
    if (!monitor::make_stdio(s, rec.tty, rec.interactive)) fail("creating the container's stdio");
    const int stdio[3] = {s.in, s.out, s.err};
    runtime::StartedContainer started;
    int code = 0;
    if (::geteuid() == 0) {
        code = report_errors([&] {
            started = start_and_record(paths, config, rec.id, false, req.rows, req.cols, stdio, ::getpid(), {});
        });
    } else {
        // Rootless, the launch may join another container's user namespace
        // (shared_userns.hpp), which the launching process itself enters:
        // that must be a process that exits, not the monitor to be. A
        // starter child launches and hands back the pty and the pid as
        // `__start` does; the container comes to this subreaper.
        int sp[2];
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) fail("socketpair");
        UniqueFd mine(sp[0]), theirs(sp[1]);
        pid_t starter = ::fork();
        if (starter < 0) fail("fork");
        if (starter == 0) {
            mine.reset();
            ::_exit(report_errors([&] {
                start_and_record(paths, config, rec.id, false, req.rows, req.cols, stdio, static_cast<int>(::getppid()),
                                 [&](const runtime::StartedContainer& st) { hand_over(theirs.get(), st); });
            }));
        }
        theirs.reset();
        code = exit_code_of(wait_for(starter));
        if (code == 0) started = take_over(mine.get());
        if (code == 0 && started.pid <= 0) {
            fmt::print(stderr, "Error: the container's starter exited without handing it over\n");
            code = kExitSkiffError;
        }
    }
    if (code != 0) {
        report(code);
        ::_exit(code);
    }
    // Done: the monitor's exec overlaps with whatever the user does next.
    report(0);
    const int src[] = {devnull, devnull, devnull, -1, -1, s.out_r, s.err_r, s.in_w, started.pty.get(), log_fd, listen_fd};
    const int to[] = {0, 1, 2, monitor::kStatusFd, monitor::kUserErrFd, monitor::kAdoptedOut, monitor::kAdoptedErr,
                      monitor::kAdoptedIn, monitor::kAdoptedPty, monitor::kAdoptedLog, monitor::kAdoptedListen};
    monitor::place_fds(src, to, 11);
    args.insert(args.begin() + 1, {"--adopt", std::to_string(started.pid)});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    // No monitor: the container must not run unwatched. The next command
    // finds its monitor gone and records it as exited.
    ::kill(started.pid, SIGKILL);
    ::_exit(127);
}

// Up to the monitor's exec the child of `skiff start` runs in its memory
// (CLONE_VM | CLONE_VFORK: skiff start is suspended meanwhile), on a stack
// of its own: no copy of skiff's page tables and no copy-on-write faults
// for either. What it allocates and never frees before the exec stays in
// skiff start's heap, about a kilobyte per container.
constexpr size_t kAdoptStackSize = 8u << 20; // the main thread's; mapped lazily

struct AdoptArgs {
    const Paths* paths;
    const Config* config;
    const ContainerRecord* rec;
    const std::string* cdir;
    const StartRequest* req;
    const std::vector<std::string>* args;
    int status_w;
    int devnull;
};

int adopt_entry(void* p) {
    const auto* a = static_cast<const AdoptArgs*>(p);
    start_then_become_monitor(*a->paths, *a->config, *a->rec, *a->cdir, *a->req, *a->args, a->status_w, a->devnull);
}

} // namespace

std::string monitor_path() {
    std::string exe = self_exe();
    std::string beside = exe.substr(0, exe.rfind('/') + 1) + "skiff-monitor";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
    std::string installed = SKIFF_MONITOR_PATH;
    if (::access(installed.c_str(), X_OK) == 0) return installed;
    throw Error(fmt::format("the container monitor is missing: neither {} nor {} exists", beside, installed));
}

int start_container(const Paths& paths, const ContainerRecord& rec_in, const StartRequest& req) {
    ContainerStore store(paths.root);
    std::string cdir = store.dir(rec_in.id);
    {
        FileLock lock(store.lock_path());
        ContainerRecord rec = store.lookup(rec_in.id);
        refresh_state(store, rec);
        if (is_running(rec)) return 0;
        // A new run: no exit code and no stop request from the last one.
        ::unlink((cdir + "/" + monitor::kExitFile).c_str());
        ::unlink((cdir + "/" + monitor::kStoppedByUser).c_str());
    }
    const ContainerRecord& rec = rec_in;
    std::vector<std::string> args = {monitor_path(), "--dir", cdir, "--id", rec.id,
                                     "--restart", rec.host.restart_policy,
                                     "--max-retries", std::to_string(rec.host.restart_max)};
    if (rec.tty) args.push_back("--tty");
    if (rec.interactive) args.push_back("--stdin");
    if (req.before_start) args.push_back("--attach-first");
    if (rec.tty && req.rows > 0 && req.cols > 0) args.insert(args.end(), {"--tty-size", fmt::format("{},{}", req.rows, req.cols)});
    args.insert(args.end(), {"--", self_exe(), "--root", paths.root, "--runroot", paths.runroot});
    struct stat st {};
    if (!paths.config_file.empty() && ::stat(paths.config_file.c_str(), &st) == 0)
        args.insert(args.end(), {"--config", paths.config_file});
    if (auto lvl = log::level(); lvl != log::Level::warn) args.insert(args.end(), {"--log-level", log::level_name(lvl)});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd status_r(p[0]);
    UniqueFd status_w(p[1]);
    UniqueFd devnull = open_fd("/dev/null", O_RDWR);
    bool adopt = req.config != nullptr && !req.before_start && single_threaded();
    log::StepTimer t("start monitor");
    if (adopt) {
        // Once it has exec'd the monitor, this child is reaped by whoever
        // inherits it when this skiff exits.
        AdoptArgs a{&paths, req.config, &rec, &cdir, &req, &args, status_w.get(), devnull.get()};
        ChildStack stack(kAdoptStackSize);
        if (::clone(adopt_entry, stack.top(), CLONE_VM | CLONE_VFORK | SIGCHLD, &a) < 0) throw_errno("clone");
    } else {
        pid_t mid = ::fork();
        if (mid < 0) throw_errno("fork");
        if (mid == 0) {
            // The monitor is a grandchild, reaped by whoever inherits it.
            if (::fork() != 0) ::_exit(0);
            int hs = ::fcntl(status_w.get(), F_DUPFD, 10);
            int he = ::fcntl(STDERR_FILENO, F_DUPFD, 10);
            ::dup2(hs, monitor::kStatusFd);
            ::dup2(he, monitor::kUserErrFd);
            for (int i = 0; i < 3; ++i) ::dup2(devnull.get(), i);
            ::syscall(SYS_close_range, 5u, ~0u, 0u);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        wait_for(mid);
    }
    status_w.reset();
    char buf[1 + sizeof(int)];
    if (req.before_start) {
        if (read_some(status_r.get(), buf, 1) != 1 || buf[0] != monitor::kStatusListening)
            throw Error("the container monitor did not come up");
        req.before_start();
    }
    if (read_some(status_r.get(), buf, sizeof buf) != sizeof buf || buf[0] != monitor::kStatusStarted)
        throw Error("the container monitor exited before the container started");
    int code;
    std::memcpy(&code, buf + 1, sizeof code);
    if (code != 0 && rec.auto_remove) {
        // As podman: run --rm -d whose start failed leaves nothing behind.
        FileLock lock(store.lock_path());
        if (store.find(rec.id)) {
            remove_container_files(paths, store, rec.id);
            remove_anonymous_volumes(paths, rec.mounts);
        }
    }
    return code;
}

namespace {

runtime::StartedContainer start_and_record(const Paths& paths, const Config& config, const std::string& id,
                                           bool restarted, unsigned rows, unsigned cols, const int stdio[3],
                                           int monitor_pid,
                                           const std::function<void(const runtime::StartedContainer&)>& on_started) {
    ContainerStore store(paths.root);
    ContainerRecord rec = store.lookup(id);
    try {
        NetworkPlan netplan;
        std::optional<log::StepTimer> tspec(std::in_place, "build spec");
        runtime::ContainerSpec spec = build_container_spec(paths, config, rec, &netplan);
        tspec.reset();
        spec.die_with_parent = false;
        for (int i = 0; i < 3; ++i) spec.process.stdio[i] = stdio[i];
        spec.process.console_rows = rows;
        spec.process.console_cols = cols;
        runtime::StartedContainer started;
        net::NetworkHelper helper;
        if (netplan.mode == runtime::NetworkMode::slirp) {
            helper = spawn_network_helper(netplan, true);
            spec.tap_socket = helper.control_fd();
            spec.tap_mtu = netplan.mtu;
            spec.tap_ipv6 = netplan.ipv6;
        }
        std::vector<std::string> ports;
        // This process exits once the container runs: it may join another
        // container's user namespace itself (see shared_userns.hpp).
        bool may_share = spec.userns && netplan.mode != runtime::NetworkMode::container;
        UniqueFd shared_userns;
        if (may_share) shared_userns = open_shared_userns(paths, spec.maps);
        spec.shared_userns_fd = shared_userns.get();
        {
            log::StepTimer t("start");
            runtime::LaunchCallbacks cb;
            cb.namespaces_ready = [&](int pid) {
                join_freezer(paths, id, pid);
                if (netplan.mode != runtime::NetworkMode::slirp) return;
                log::StepTimer tn("network");
                with_context("starting the network (slirp)", [&] { helper.attach(pid); });
                for (const auto& b : helper.bound()) ports.push_back(net::encode(b));
            };
            started = runtime::start_container(spec, cb);
        }
        if (may_share && !shared_userns) record_userns_holder(paths, started.pid);
        // The helper follows the container's exit; the monitor reaps it (it
        // is this process, or its child once this process exits).
        helper.release();
        if (on_started) on_started(started);
        log::StepTimer trec("record running");
        FileLock lock(store.lock_path());
        ContainerRecord now = store.lookup(id); // renamed meanwhile, say
        // The last run's exit code (a restart) must not end this one.
        ::unlink((store.dir(id) + "/" + monitor::kExitFile).c_str());
        now.ports = ports;
        now.state.status = "running";
        now.state.pid = started.pid;
        now.state.pid_start = process_start_time(started.pid);
        now.state.started_at = now_rfc3339();
        now.state.finished_at.clear();
        now.state.exit_code = 0;
        now.state.monitor_pid = monitor_pid;
        now.state.monitor_start = process_start_time(now.state.monitor_pid);
        now.state.boot_id = current_boot_id();
        now.state.error.clear();
        if (restarted) ++now.state.restart_count;
        store.save(now);
        return started;
    } catch (const Error& e) {
        FileLock lock(store.lock_path());
        if (auto now = store.find(id)) {
            now->state.error = e.what();
            store.save(*now);
        }
        throw;
    }
}

} // namespace

int start_for_monitor(const Paths& paths, const Config& config, const std::string& id, bool restarted, unsigned rows,
                      unsigned cols) {
    const int stdio[3] = {monitor::kStarterStdin, monitor::kStarterStdout, monitor::kStarterStderr};
    start_and_record(paths, config, id, restarted, rows, cols, stdio, static_cast<int>(::getppid()),
                     [](const runtime::StartedContainer& started) { hand_over(monitor::kStarterSync, started); });
    return 0;
}

int cleanup_after_monitor(const Paths& paths, const std::string& id) {
    ContainerStore store(paths.root);
    FileLock lock(store.lock_path());
    auto rec = store.find(id);
    if (!rec) return 0; // removed meanwhile (rm -f)
    refresh_state(store, *rec, true);
    ::unlink((store.dir(id) + "/" + monitor::kAttachSocket).c_str());
    remove_freezer(paths, id);
    if (rec->auto_remove) {
        remove_container_files(paths, store, id);
        remove_anonymous_volumes(paths, rec->mounts);
    }
    return 0;
}

} // namespace skiff::engine
