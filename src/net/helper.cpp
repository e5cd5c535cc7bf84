#include "net/helper.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/process.hpp"

namespace skiff::net {

namespace {

constexpr int kControlFd = 3;
constexpr size_t kMaxAnswer = 64 * 1024;

int to_int(const std::string& s, const char* what) {
    try {
        size_t used = 0;
        int v = std::stoi(s, &used);
        if (used == s.size()) return v;
    } catch (...) {
    }
    throw Error(fmt::format("__slirp: invalid {} '{}'", what, s));
}

void send_message(int sock, const std::string& msg) {
    while (::send(sock, msg.data(), msg.size(), MSG_NOSIGNAL) < 0)
        if (errno != EINTR) throw_errno("answering skiff");
}

void kill_and_reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    wait_for(pid);
}

} // namespace

NetworkHelper::NetworkHelper(NetworkHelper&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), ctl_(std::move(o.ctl_)), helper_end_(std::move(o.helper_end_)),
      args_(std::move(o.args_)), detached_(o.detached_), answered_(o.answered_), wait_answer_(o.wait_answer_),
      bound_(std::move(o.bound_)) {}

NetworkHelper& NetworkHelper::operator=(NetworkHelper&& o) noexcept {
    if (this != &o) {
        if (pid_ > 0) kill_and_reap(pid_);
        pid_ = std::exchange(o.pid_, -1);
        ctl_ = std::move(o.ctl_);
        helper_end_ = std::move(o.helper_end_);
        args_ = std::move(o.args_);
        detached_ = o.detached_;
        answered_ = o.answered_;
        wait_answer_ = o.wait_answer_;
        bound_ = std::move(o.bound_);
    }
    return *this;
}

NetworkHelper::~NetworkHelper() {
    if (pid_ > 0) kill_and_reap(pid_);
}

NetworkHelper NetworkHelper::spawn(const HelperRequest& req) {
    NetworkHelper h;
    std::string flags = std::string(req.slirp.host_loopback ? "l" : "") + (req.slirp.ipv6 ? "6" : "");
    h.args_ = {"skiff", "__slirp", std::to_string(req.slirp.mtu), flags.empty() ? "-" : flags};
    for (const auto& p : req.slirp.ports) h.args_.push_back(encode(p));
    h.detached_ = req.detached;
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) throw_errno("socketpair");
    h.ctl_ = UniqueFd(sp[0]);
    h.helper_end_ = UniqueFd(sp[1]);
    // Detached: the answer goes into the container's record, so wait for
    // it; with ports, a busy one must fail the start. Either way it is
    // awaited, so the helper starts now (the header says why not otherwise).
    h.wait_answer_ = req.detached || !req.slirp.ports.empty();
    if (h.wait_answer_) h.start();
    return h;
}

void NetworkHelper::start() {
    std::vector<char*> argv;
    for (auto& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    UniqueFd devnull = open_fd("/dev/null", O_RDWR | O_CLOEXEC);
    // Not on fd 3 itself: dup2 onto the same number would not clear
    // close-on-exec.
    UniqueFd theirs(::fcntl(helper_end_.get(), F_DUPFD_CLOEXEC, 10));
    if (!theirs) throw_errno("fcntl");
    // posix_spawn (a vfork, not a copy of skiff's page tables): the helper
    // starts with no blocked signals (run and the monitor block some),
    // default dispositions, fd 3 for control and nothing else of skiff's
    // (a detached start holds the container's stdio on 3-6).
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    ::posix_spawn_file_actions_init(&fa);
    ::posix_spawnattr_init(&attr);
    ::posix_spawn_file_actions_adddup2(&fa, theirs.get(), kControlFd);
    ::posix_spawn_file_actions_adddup2(&fa, devnull.get(), 0);
    ::posix_spawn_file_actions_adddup2(&fa, devnull.get(), 1);
    // Detached: stderr is the user's only while `skiff start` runs.
    if (detached_) ::posix_spawn_file_actions_adddup2(&fa, devnull.get(), 2);
    ::posix_spawn_file_actions_addclosefrom_np(&fa, kControlFd + 1);
    sigset_t none, all;
    ::sigemptyset(&none);
    ::sigfillset(&all);
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setsigdefault(&attr, &all);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    int err = ::posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&fa);
    ::posix_spawnattr_destroy(&attr);
    if (err != 0) throw Error("starting the network helper", err);
    pid_ = pid;
    helper_end_.reset();
}

void NetworkHelper::read_answer() {
    std::string reply(kMaxAnswer, '\0');
    std::vector<UniqueFd> none;
    size_t n = recv_fds(ctl_.get(), reply.data(), reply.size(), none);
    reply.resize(n);
    answered_ = true;
    if (reply.rfind("error ", 0) == 0) {
        std::string msg = reply.substr(6);
        while (!msg.empty() && msg.back() == '\n') msg.pop_back();
        throw Error(msg);
    }
    if (reply.rfind("ok\n", 0) != 0) throw Error("the network helper exited before the network was ready");
    size_t pos = 3;
    while (pos < reply.size()) {
        size_t nl = reply.find('\n', pos);
        std::string line = reply.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        if (line.rfind("port ", 0) == 0) bound_.push_back(decode(line.substr(5)));
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
}

void NetworkHelper::attach(pid_t pid) {
    if (pid_ <= 0 && helper_end_) start();
    if (pid_ <= 0) throw Error("the network helper is not running");
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) throw_errno("watching the container's process (pidfd_open)");
    if (wait_answer_) {
        log::StepTimer t("network helper answer");
        read_answer();
    }
    int fd = pidfd.get();
    char tag = 'p';
    if (int err = send_fds(ctl_.get(), &fd, 1, &tag, 1); err != 0) {
        // It died early: its answer says why.
        if (!answered_) read_answer();
        throw Error("handing the container's pidfd to the network helper", err);
    }
}

void NetworkHelper::stop() {
    if (pid_ <= 0 || !ctl_) return;
    if (!answered_) {
        struct pollfd p {ctl_.get(), POLLIN, 0};
        if (::poll(&p, 1, 0) > 0) {
            try {
                read_answer();
            } catch (const Error& e) {
                log::warn("network: {}", e.what());
            }
        }
    }
    ctl_.reset();
    // Not answered yet: still loading, it has forwarded nothing.
    if (!answered_) ::kill(pid_, SIGKILL);
}

void NetworkHelper::wait() {
    if (pid_ <= 0) return;
    stop();
    wait_for(pid_);
    pid_ = -1;
}

void NetworkHelper::release() {
    ctl_.reset();
    pid_ = -1;
}

int slirp_helper_main(const std::vector<std::string>& args) {
    UniqueFd ctl(kControlFd);
    ::fcntl(kControlFd, F_SETFD, FD_CLOEXEC);
    // Out of the terminal's process group: ^C is the container's business,
    // the helper ends when the container does. It stays in the caller's
    // session, as podman's slirp4netns does: the scheduler's autogroup then
    // counts the helper with the command that started it, and the container
    // (a session of its own) gets a share apart. A message on a terminal
    // with TOSTOP must not stop the network: SIGTTOU is ignored.
    ::setpgid(0, 0);
    ::signal(SIGTTOU, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN); // a peer that went away is slirp's to handle
    bool answered = false;
    try {
        if (args.size() < 2) throw Error("__slirp: usage: __slirp MTU FLAGS [PORT...]");
        if (::fcntl(kControlFd, F_GETFD) < 0) throw Error("__slirp: fd 3 (control) is not open");
        SlirpOptions opt;
        opt.mtu = to_int(args[0], "mtu");
        // FLAGS: "-", or l (the host's loopback is open) and 6 (IPv6).
        opt.host_loopback = args[1].find('l') != std::string::npos;
        opt.ipv6 = args[1].find('6') != std::string::npos;
        for (size_t i = 2; i < args.size(); ++i) opt.ports.push_back(decode(args[i]));

        SlirpNetwork net(opt);
        std::string msg = "ok\n";
        for (const auto& b : net.bound()) msg += "port " + encode(b) + "\n";
        send_message(ctl.get(), msg);
        answered = true;
        // A pidfd of the container's process (from skiff) and its tap
        // device (from the container's setup), in either order; EOF: the
        // start failed, there is nothing to serve.
        UniqueFd tap, pidfd;
        while (!tap || !pidfd) {
            char tag = 0;
            std::vector<UniqueFd> fds;
            if (recv_fds(ctl.get(), &tag, 1, fds) == 0) return 0;
            if (fds.size() != 1) throw Error("__slirp: a control message without its fd");
            (tag == 't' ? tap : pidfd) = std::move(fds[0]);
        }
        ctl.reset();
        int fl = ::fcntl(tap.get(), F_GETFL);
        ::fcntl(tap.get(), F_SETFL, fl | O_NONBLOCK);
        net.run(std::move(tap), pidfd.get());
        return 0;
    } catch (const std::exception& e) {
        if (!answered) {
            try {
                send_message(ctl.get(), fmt::format("error {}\n", e.what()));
                return kExitSkiffError;
            } catch (...) {
            }
        }
        // Nobody reads the control socket any more: say it on stderr.
        std::string line = fmt::format("skiff: network helper: {}\n", e.what());
        [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
        return kExitSkiffError;
    }
}

} // namespace skiff::net
