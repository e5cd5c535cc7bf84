#include "runtime/fuse_overlay.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "runtime/child_plan.hpp"
#include "runtime/probe.hpp"
#include "util/child_report.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/process.hpp"
#include "util/signals.hpp"

extern char** environ;

namespace skiff::runtime {

// allow_other: the container's processes run as many IDs. default_permissions:
// the kernel checks modes; fuse-overlayfs itself does not.
const char* const kFuseMountOptions = "rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions";
const char* const kOpenDevFuseStep = "opening /dev/fuse";

std::string fuse_overlay_options(const RootfsSpec& r) {
    for (const auto* d : {&r.upper, &r.work})
        if (d->find_first_of(":,") != std::string::npos)
            throw Error(fmt::format("{} contains ':' or ',' which fuse-overlayfs cannot take", *d));
    if (r.upper.empty()) return "lowerdir=" + overlay_lowerdir(r.lower); // read-only
    return fmt::format("lowerdir={},upperdir={},workdir={}", overlay_lowerdir(r.lower), r.upper, r.work);
}

namespace {

// Between fork and exec: async-signal-safe calls only; a failure goes to
// report (CLOEXEC) as (step, errno).
[[noreturn]] void exec_daemon(const char* path, char* const* argv, int fuse, int userns, int devnull, int err,
                              int report) noexcept {
    reset_signals_for_exec();
    // Its own session: a ^C at skiff's terminal is for the container.
    ::setsid();
    if (userns >= 0 && ::setns(userns, CLONE_NEWUSER) < 0) {
        child_report_failure(report, "joining the container's user namespace", errno);
        ::_exit(127);
    }
    if (::dup2(devnull, 0) < 0 || ::dup2(devnull, 1) < 0 || ::dup2(err, 2) < 0) {
        child_report_failure(report, "dup2", errno);
        ::_exit(127);
    }
    if (::fcntl(fuse, F_SETFD, 0) < 0) {
        child_report_failure(report, "passing the fuse fd", errno);
        ::_exit(127);
    }
    ::execve(path, argv, environ);
    child_report_failure(report, "exec", errno, path);
    ::_exit(127);
}

} // namespace

FuseOverlayDaemon::FuseOverlayDaemon(FuseOverlayDaemon&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), status_(o.status_), exited_(o.exited_), err_(std::move(o.err_)) {}

FuseOverlayDaemon::~FuseOverlayDaemon() {
    if (pid_ > 0) finish(2000);
}

FuseOverlayDaemon FuseOverlayDaemon::start(const RootfsSpec& r, UniqueFd fuse, int userns_pid, bool join_userns) {
    BinaryProbe bin = find_binary("fuse-overlayfs");
    if (!bin.found()) throw Error("the storage driver is fuse-overlayfs, but fuse-overlayfs is not installed");
    if (fuse.get() < 3) { // fd 0-2 are the daemon's stdio
        fuse.reset(::fcntl(fuse.get(), F_DUPFD_CLOEXEC, 3));
        if (!fuse) throw_errno("dup of the fuse fd");
    }
    std::vector<std::string> args = {"fuse-overlayfs", "-f", "-o", fuse_overlay_options(r),
                                     fmt::format("/dev/fd/{}", fuse.get())};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    UniqueFd userns;
    if (join_userns) {
        userns = open_fd(fmt::format("/proc/{}/ns/user", userns_pid), O_RDONLY);
        // Already in it (skiff joined a namespace the container shares):
        // setns would refuse with EINVAL.
        struct stat mine {}, theirs {};
        if (::stat("/proc/self/ns/user", &mine) == 0 && ::fstat(userns.get(), &theirs) == 0 &&
            mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev)
            userns.reset();
    }
    UniqueFd devnull = open_fd("/dev/null", O_RDWR);
    FuseOverlayDaemon d;
    d.err_.reset(::memfd_create("fuse-overlayfs-stderr", MFD_CLOEXEC));
    if (!d.err_) throw_errno("memfd_create");
    Pipe report = Pipe::make();

    log::debug("starting {} -f -o {} /dev/fd/{}", bin.path, args[3], fuse.get());
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork for fuse-overlayfs");
    if (pid == 0)
        exec_daemon(bin.path.c_str(), argv.data(), fuse.get(), userns ? userns.get() : -1, devnull.get(),
                    d.err_.get(), report.write.get());
    d.pid_ = pid;
    report.write.reset();
    if (auto f = read_child_report(report.read.get())) {
        d.exited_ = true;
        d.status_ = wait_for(pid);
        d.pid_ = -1;
        throw Error("starting fuse-overlayfs: " + f->describe(), f->err);
    }
    return d;
}

bool FuseOverlayDaemon::wait_ms(int ms) {
    if (exited_) return true;
    if (pid_ <= 0) return false;
    for (int waited = 0;; waited += 5) {
        int st = 0;
        pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_ || (r < 0 && errno == ECHILD)) {
            exited_ = true;
            status_ = st;
            pid_ = -1;
            return true;
        }
        if (waited >= ms) return false;
        ::usleep(5000);
    }
}

std::string FuseOverlayDaemon::failure(int ms) {
    if (!wait_ms(ms) || status_ == 0) return "";
    std::string text;
    if (err_ && ::lseek(err_.get(), 0, SEEK_SET) == 0) {
        try {
            text = read_all(err_.get());
        } catch (const Error&) {
        }
    }
    // libfuse's noise about options it passes on.
    std::string kept;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        if (line.empty() || line.rfind("unknown argument ignored", 0) == 0) continue;
        kept += (kept.empty() ? "" : "; ") + line;
    }
    if (kept.size() > 1000) kept.resize(1000);
    return fmt::format("fuse-overlayfs exited with status {}{}{}", exit_code_of(status_), kept.empty() ? "" : ": ",
                       kept);
}

void FuseOverlayDaemon::finish(int ms) {
    if (pid_ <= 0 || wait_ms(ms)) return;
    log::debug("fuse-overlayfs (pid {}) still runs after the container: killing it", pid_);
    ::kill(pid_, SIGKILL);
    status_ = wait_for(pid_);
    exited_ = true;
    pid_ = -1;
}

FuseOverlayDaemon mount_fuse_overlay_here(const RootfsSpec& r) {
    UniqueFd dev(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
    if (!dev) throw_errno("/dev/fuse is not accessible");
    std::string data = fmt::format("fd={},{}", dev.get(), kFuseMountOptions);
    if (::mount("fuse-overlayfs", r.mountpoint.c_str(), "fuse.fuse-overlayfs", 0, data.c_str()) < 0)
        throw_errno("mounting fuse on " + r.mountpoint);
    FuseOverlayDaemon d = FuseOverlayDaemon::start(r, std::move(dev), 0, false);
    // The first request waits for the daemon's INIT: served, or say why not.
    struct stat st {};
    if (::stat(r.mountpoint.c_str(), &st) < 0) {
        int err = errno;
        if (std::string why = d.failure(500); !why.empty()) throw Error(why);
        throw_errno("reading " + r.mountpoint, err);
    }
    return d;
}

} // namespace skiff::runtime
