#include "net/helper.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include "net/tap_device.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/process.hpp"

namespace skiff::net {

namespace {

constexpr int kReadyFd = 3;

int to_int(const std::string& s, const char* what) {
    try {
        size_t used = 0;
        int v = std::stoi(s, &used);
        if (used == s.size()) return v;
    } catch (...) {
    }
    throw Error(fmt::format("__slirp: invalid {} '{}'", what, s));
}

} // namespace

NetworkHelper::NetworkHelper(NetworkHelper&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), bound_(std::move(o.bound_)) {}

NetworkHelper& NetworkHelper::operator=(NetworkHelper&& o) noexcept {
    if (this != &o) {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            wait_for(pid_);
        }
        pid_ = std::exchange(o.pid_, -1);
        bound_ = std::move(o.bound_);
    }
    return *this;
}

NetworkHelper::~NetworkHelper() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait_for(pid_);
    }
}

void NetworkHelper::wait() {
    if (pid_ > 0) wait_for(pid_);
    pid_ = -1;
}

NetworkHelper NetworkHelper::start(const HelperRequest& req) {
    std::vector<std::string> args = {"skiff",
                                     "__slirp",
                                     std::to_string(req.pid),
                                     req.join_userns ? "1" : "0",
                                     std::to_string(req.slirp.mtu),
                                     req.slirp.host_loopback ? "1" : "0"};
    for (const auto& p : req.slirp.ports) args.push_back(encode(p));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    Pipe ready = Pipe::make();
    UniqueFd devnull = open_fd("/dev/null", O_RDWR);
    sigset_t all;
    ::sigemptyset(&all);
    NetworkHelper h;
    h.pid_ = ::fork();
    if (h.pid_ < 0) throw_errno("fork of the network helper");
    if (h.pid_ == 0) {
        // Async-signal-safe only: the helper starts with no blocked signals
        // (the monitor blocks some for its signalfd) and fd 3 for readiness.
        ::sigprocmask(SIG_SETMASK, &all, nullptr);
        if (::dup2(ready.write.get(), kReadyFd) < 0) ::_exit(127);
        ::dup2(devnull.get(), 0);
        ::dup2(devnull.get(), 1);
        // Detached: stderr is the user's only while `skiff start` runs.
        if (req.detached) ::dup2(devnull.get(), 2);
        // Nothing else of the parent's (a detached start holds the
        // container's stdio pipes on 3-6 without close-on-exec).
        ::syscall(SYS_close_range, 4u, ~0u, 0u);
        ::execv("/proc/self/exe", argv.data());
        ::_exit(127);
    }
    ready.write.reset();
    std::string reply = read_all(ready.read.get(), 1 << 20);
    if (reply.rfind("ok\n", 0) != 0) {
        h.wait();
        if (reply.rfind("error ", 0) == 0) {
            std::string msg = reply.substr(6);
            while (!msg.empty() && msg.back() == '\n') msg.pop_back();
            throw Error(msg);
        }
        throw Error("the network helper exited before the network was ready");
    }
    size_t pos = 3;
    while (pos < reply.size()) {
        size_t nl = reply.find('\n', pos);
        std::string line = reply.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        if (line.rfind("port ", 0) == 0) h.bound_.push_back(decode(line.substr(5)));
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    return h;
}

int slirp_helper_main(const std::vector<std::string>& args) {
    UniqueFd ready(kReadyFd);
    ::fcntl(kReadyFd, F_SETFD, FD_CLOEXEC);
    // Out of the terminal's process group: ^C is the container's business,
    // the helper ends when the container does.
    ::setsid();
    ::signal(SIGPIPE, SIG_IGN); // a peer that went away is slirp's to handle
    try {
        if (args.size() < 4) throw Error("__slirp: usage: __slirp PID JOIN_USERNS MTU HOST_LOOPBACK [PORT...]");
        if (!ready) throw Error("__slirp: fd 3 (readiness) is not open");
        TapRequest tap;
        tap.pid = to_int(args[0], "pid");
        tap.join_userns = args[1] == "1";
        tap.mtu = to_int(args[2], "mtu");
        SlirpOptions opt;
        opt.mtu = tap.mtu;
        opt.host_loopback = args[3] == "1";
        for (size_t i = 4; i < args.size(); ++i) opt.ports.push_back(decode(args[i]));

        UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, tap.pid, 0)));
        if (!pidfd) throw_errno("watching the container's process (pidfd_open)");
        UniqueFd tapfd = create_tap(tap);
        int fl = ::fcntl(tapfd.get(), F_GETFL);
        ::fcntl(tapfd.get(), F_SETFL, fl | O_NONBLOCK);
        SlirpNetwork net(std::move(tapfd), opt);
        std::string msg = "ok\n";
        for (const auto& b : net.bound()) msg += "port " + encode(b) + "\n";
        write_all(ready.get(), msg);
        ready.reset();
        net.run(pidfd.get());
        return 0;
    } catch (const std::exception& e) {
        if (ready) {
            try {
                write_all(ready.get(), fmt::format("error {}\n", e.what()));
            } catch (...) {
            }
        }
        return kExitSkiffError;
    }
}

} // namespace skiff::net
