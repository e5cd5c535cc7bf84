// skiff-monitor: the one process that stays behind for a detached container
// (see protocol.hpp). It is the container's parent (a child subreaper: the
// `skiff __start` it spawns exits and leaves the container to it), holds the
// log file and the pty or pipes, serves `attach`, writes the exit code,
// carries out the restart policy, and at the end becomes `skiff __cleanup`.
//
// It links nothing but libc, allocates nothing after start-up and uses no
// exceptions: its resident size is what a detached container costs.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "monitor/log_record.hpp"
#include "monitor/protocol.hpp"
#include "monitor/stdio.hpp"

namespace m = skiff::monitor;

namespace {

enum class Policy { no, on_failure, always, unless_stopped };

struct Options {
    const char* dir = nullptr;
    const char* id = nullptr;
    bool tty = false;
    bool stdin_open = false;
    bool attach_first = false;
    const char* tty_size = nullptr; // "ROWS,COLS" for the first start
    pid_t adopted = 0;              // the first run's container, started by skiff
    Policy policy = Policy::no;
    int max_retries = 0;
    char** skiff = nullptr; // skiff and its global options, up to the command
    int skiff_argc = 0;
};

constexpr int kMaxClients = 16;
constexpr size_t kChunk = 16384;

Options opt;
int dir_fd = -1;
int log_fd = -1;
int listen_fd = -1;
int status_fd = m::kStatusFd;
int clients[kMaxClients];
int sig_fd = -1;
int null_fd = -1;

void fail(const char* what) {
    // stderr is /dev/null once detached; the status pipe may still listen.
    std::fprintf(stderr, "skiff-monitor: %s: %s\n", what, std::strerror(errno));
    std::_Exit(125);
}

void write_all(int fd, const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= static_cast<size_t>(w);
    }
}

void log_output(const char* stream, const char* data, size_t n) { m::write_log_records(log_fd, stream, data, n); }

void drop_client(int i) {
    ::close(clients[i]);
    clients[i] = -1;
}

void broadcast(char tag, const void* data, size_t n) {
    for (int i = 0; i < kMaxClients; ++i) {
        if (clients[i] < 0) continue;
        struct iovec iov[2] = {{&tag, 1}, {const_cast<void*>(data), n}};
        struct msghdr msg {};
        msg.msg_iov = iov;
        msg.msg_iovlen = 2;
        if (::sendmsg(clients[i], &msg, MSG_NOSIGNAL) < 0 && errno != EINTR) drop_client(i);
    }
}

int open_devnull() {
    int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0) fail("/dev/null");
    return fd;
}

using m::close_fd;
using m::Stdio;

Stdio make_stdio() {
    Stdio s;
    if (!m::make_stdio(s, opt.tty, opt.stdin_open)) fail("creating the container's stdio");
    return s;
}

// The first run's stdio when skiff started the container itself and then
// became this monitor: on the kAdopted* fds (closed where there is none).
Stdio adopt_stdio() {
    Stdio s;
    auto take = [](int fd) {
        if (::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return -1;
        return fd;
    };
    s.out_r = take(m::kAdoptedOut);
    s.err_r = take(m::kAdoptedErr);
    s.in_w = take(m::kAdoptedIn);
    s.pty = take(m::kAdoptedPty);
    log_fd = take(m::kAdoptedLog);
    listen_fd = take(m::kAdoptedListen);
    return s;
}

// Forks and execs `skiff [global options] VERB [--restarted] ID` with the
// fd layout of protocol.hpp. `err` becomes its stderr.
pid_t spawn_skiff(const char* verb, bool restarted, int err, const Stdio* s) {
    char* argv[64];
    int n = 0;
    for (int i = 0; i < opt.skiff_argc && n < 56; ++i) argv[n++] = opt.skiff[i];
    argv[n++] = const_cast<char*>(verb);
    if (restarted) argv[n++] = const_cast<char*>("--restarted");
    else if (opt.tty_size != nullptr) {
        argv[n++] = const_cast<char*>("--tty-size");
        argv[n++] = const_cast<char*>(opt.tty_size);
    }
    argv[n++] = const_cast<char*>(opt.id);
    argv[n] = nullptr;
    pid_t pid = ::fork();
    if (pid < 0) fail("fork");
    if (pid > 0) return pid;
    int src[5] = {err, s != nullptr ? s->in : -1, s != nullptr ? s->out : -1, s != nullptr ? s->err : -1,
                  s != nullptr ? s->sync_theirs : -1};
    int targets[5] = {2, m::kStarterStdin, m::kStarterStdout, m::kStarterStderr, m::kStarterSync};
    m::place_fds(src, targets, s != nullptr ? 5 : 1);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(argv[0], argv);
    ::_exit(127);
}


// Reads the starter's messages: the pty master, then the container's pid.
// Closes the socket at EOF (the starter is gone), so that poll does not
// report its hang-up for ever.
void read_sync(int& sock, int* pty, pid_t* container) {
    while (sock >= 0) {
        char buf[8];
        union {
            char c[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } u {};
        struct iovec iov {buf, sizeof buf};
        struct msghdr msg {};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = u.c;
        msg.msg_controllen = sizeof u.c;
        ssize_t r = ::recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) close_fd(sock);
        if (r <= 0) return;
        if (buf[0] == 'T') {
            for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                    int fd;
                    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
                    if (*pty >= 0) ::close(*pty);
                    *pty = fd;
                }
            }
        } else if (buf[0] == 'P' && static_cast<size_t>(r) >= 1 + sizeof(int)) {
            int pid;
            std::memcpy(&pid, buf + 1, sizeof pid);
            *container = pid;
        }
    }
}

void write_exit_file(int code, bool restarting) {
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    char line[64];
    int n = std::snprintf(line, sizeof line, "%d %lld %ld%s\n", code, static_cast<long long>(ts.tv_sec), ts.tv_nsec,
                          restarting ? " restarting" : "");
    int fd = ::openat(dir_fd, "exit.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    write_all(fd, line, static_cast<size_t>(n));
    ::close(fd);
    ::renameat(dir_fd, "exit.tmp", dir_fd, m::kExitFile);
}

void accept_client() {
    int c = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    for (int i = 0; i < kMaxClients; ++i) {
        if (clients[i] < 0) {
            clients[i] = c;
            return;
        }
    }
    ::close(c); // full
}

// Input from an attached client.
void client_input(int i, Stdio& s) {
    char buf[kChunk + 1];
    ssize_t r = ::recv(clients[i], buf, sizeof buf, 0);
    if (r < 0 && errno == EINTR) return;
    if (r <= 0) {
        drop_client(i);
        return;
    }
    if (buf[0] == m::kInData) {
        int to = s.pty >= 0 ? s.pty : s.in_w;
        if (to >= 0) write_all(to, buf + 1, static_cast<size_t>(r - 1));
    } else if (buf[0] == m::kInResize && r >= 5 && s.pty >= 0) {
        struct winsize ws {};
        uint16_t rows, cols;
        std::memcpy(&rows, buf + 1, 2);
        std::memcpy(&cols, buf + 3, 2);
        ws.ws_row = rows;
        ws.ws_col = cols;
        ::ioctl(s.pty, TIOCSWINSZ, &ws);
    } else if (buf[0] == m::kInCloseStdin) {
        close_fd(s.in_w);
    }
}

// Copies one chunk of container output to the log and the clients; false
// at EOF.
bool pump_output(int& fd, const char* stream, char tag) {
    char buf[kChunk];
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (r <= 0) {
        close_fd(fd);
        return false;
    }
    log_output(stream, buf, static_cast<size_t>(r));
    broadcast(tag, buf, static_cast<size_t>(r));
    return true;
}

void forward_signal(pid_t container, int sig) {
    if (container > 0) ::kill(container, sig);
}

bool should_restart(int code, int restarts) {
    if (::faccessat(dir_fd, m::kStoppedByUser, F_OK, 0) == 0) return false;
    switch (opt.policy) {
    case Policy::no:
        return false;
    case Policy::on_failure:
        return code != 0 && (opt.max_retries == 0 || restarts < opt.max_retries);
    case Policy::always:
    case Policy::unless_stopped:
        return true;
    }
    return false;
}

void parse_args(int argc, char** argv) {
    int i = 1;
    for (; i < argc; ++i) {
        const char* a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "skiff-monitor: %s needs a value\n", a);
                std::_Exit(125);
            }
            return argv[++i];
        };
        if (std::strcmp(a, "--") == 0) {
            ++i;
            break;
        }
        if (std::strcmp(a, "--dir") == 0) opt.dir = next();
        else if (std::strcmp(a, "--id") == 0) opt.id = next();
        else if (std::strcmp(a, "--tty") == 0) opt.tty = true;
        else if (std::strcmp(a, "--stdin") == 0) opt.stdin_open = true;
        else if (std::strcmp(a, "--attach-first") == 0) opt.attach_first = true;
        else if (std::strcmp(a, "--tty-size") == 0) opt.tty_size = next();
        else if (std::strcmp(a, "--adopt") == 0) opt.adopted = std::atoi(next());
        else if (std::strcmp(a, "--max-retries") == 0) opt.max_retries = std::atoi(next());
        else if (std::strcmp(a, "--restart") == 0) {
            const char* p = next();
            if (std::strcmp(p, "on-failure") == 0) opt.policy = Policy::on_failure;
            else if (std::strcmp(p, "always") == 0) opt.policy = Policy::always;
            else if (std::strcmp(p, "unless-stopped") == 0) opt.policy = Policy::unless_stopped;
            else opt.policy = Policy::no;
        } else {
            std::fprintf(stderr, "skiff-monitor: unknown option %s (it is started by skiff, not by hand)\n", a);
            std::_Exit(125);
        }
    }
    opt.skiff = argv + i;
    opt.skiff_argc = argc - i;
    if (opt.dir == nullptr || opt.id == nullptr || opt.skiff_argc < 1) {
        std::fprintf(stderr, "usage: skiff-monitor --dir DIR --id ID [options] -- SKIFF [GLOBAL OPTIONS]\n");
        std::_Exit(125);
    }
}

void report_status(char what, const int* code) {
    if (status_fd < 0) return;
    char buf[1 + sizeof(int)] = {what};
    size_t n = 1;
    if (code != nullptr) {
        std::memcpy(buf + 1, code, sizeof(int));
        n += sizeof(int);
    }
    write_all(status_fd, buf, n);
}

void setup() {
    for (int& c : clients) c = -1;
    dir_fd = ::open(opt.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) fail(opt.dir);
    ::fcntl(status_fd, F_SETFD, FD_CLOEXEC);
    ::fcntl(m::kUserErrFd, F_SETFD, FD_CLOEXEC);
    if (::setsid() < 0 && errno != EPERM) fail("setsid");
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) fail("PR_SET_CHILD_SUBREAPER");
    ::prctl(PR_SET_NAME, "skiff-monitor");
    if (::chdir("/") < 0) fail("chdir /");
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    const int handled[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (int s : handled) sigaddset(&set, s);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    sig_fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sig_fd < 0) fail("signalfd");
    null_fd = open_devnull();
    // Adopted from skiff, or created here.
    if (log_fd < 0 && (log_fd = m::open_log(dir_fd)) < 0) fail("opening the log file");
    if (listen_fd < 0 && (listen_fd = m::listen_attach(dir_fd)) < 0) fail("the attach socket");
}

// With --attach-first: the starting skiff attaches before the container
// starts, so that it misses none of the output.
void wait_first_client() {
    report_status(m::kStatusListening, nullptr);
    struct pollfd p {listen_fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) > 0) accept_client();
}

} // namespace

int main(int argc, char** argv) {
    parse_args(argc, argv);
    // Before setup() opens anything: absent kAdopted* fds are free numbers.
    Stdio adopted;
    if (opt.adopted > 0) {
        adopted = adopt_stdio();
        status_fd = -1; // skiff has reported the start
    }
    setup();
    if (opt.attach_first) wait_first_client();

    int restarts = 0;
    int user_err = m::kUserErrFd;
    if (opt.adopted > 0) {
        // The container may have exited before the signalfd existed: a
        // SIGCHLD of our own catches up.
        user_err = -1;
        ::kill(::getpid(), SIGCHLD);
    }
    for (;;) {
        Stdio s;
        pid_t starter;
        pid_t container = 0;
        if (restarts == 0 && opt.adopted > 0) {
            s = adopted;
            starter = 0;
            container = opt.adopted;
        } else {
            s = make_stdio();
            starter = spawn_skiff("__start", restarts > 0, user_err >= 0 ? user_err : null_fd, &s);
        }
        close_fd(s.in);
        close_fd(s.out);
        close_fd(s.err);
        close_fd(s.sync_theirs);
        bool container_done = false;
        int code = 0;
        bool start_failed = false;
        struct timespec exited_at {};

        while (starter > 0 || !container_done || s.out_r >= 0 || s.err_r >= 0 || s.pty >= 0) {
            struct pollfd fds[6 + kMaxClients];
            int n = 0;
            fds[n++] = {sig_fd, POLLIN, 0};
            fds[n++] = {listen_fd, POLLIN, 0};
            fds[n++] = {s.sync_mine, POLLIN, 0};
            fds[n++] = {s.out_r, POLLIN, 0};
            fds[n++] = {s.err_r, POLLIN, 0};
            fds[n++] = {s.pty, POLLIN, 0};
            for (int c : clients) fds[n++] = {c, POLLIN, 0};
            int timeout = container_done ? 200 : -1;
            int r = ::poll(fds, static_cast<nfds_t>(n), timeout);
            if (r < 0 && errno != EINTR) fail("poll");
            if (r == 0 && container_done) {
                // Output still open after the container exited: a process
                // that escaped holds it. Do not wait for it for ever.
                struct timespec now {};
                ::clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - exited_at.tv_sec >= 2) break;
                continue;
            }
            if (fds[2].revents != 0) read_sync(s.sync_mine, &s.pty, &container);
            if (fds[0].revents & POLLIN) {
                struct signalfd_siginfo si {};
                while (::read(sig_fd, &si, sizeof si) == sizeof si) {
                    if (si.ssi_signo != SIGCHLD) {
                        forward_signal(container, static_cast<int>(si.ssi_signo));
                        continue;
                    }
                    // The pid is on the sync socket before the starter exits.
                    read_sync(s.sync_mine, &s.pty, &container);
                    for (;;) {
                        int st = 0;
                        pid_t p = ::waitpid(-1, &st, WNOHANG);
                        if (p <= 0) break;
                        int c = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                        if (p == starter) {
                            starter = 0;
                            if (user_err >= 0) {
                                report_status(m::kStatusStarted, &c);
                                close_fd(status_fd);
                                close_fd(user_err);
                            }
                            if (c != 0) {
                                start_failed = true;
                                container_done = true;
                                code = c;
                                ::clock_gettime(CLOCK_MONOTONIC, &exited_at);
                            }
                        } else if (p == container) {
                            container_done = true;
                            code = c;
                            ::clock_gettime(CLOCK_MONOTONIC, &exited_at);
                        }
                    }
                }
            }
            if (fds[1].revents & POLLIN) accept_client();
            if (fds[3].revents != 0) pump_output(s.out_r, "stdout", m::kOutStdout);
            if (fds[4].revents != 0) pump_output(s.err_r, "stderr", m::kOutStderr);
            if (fds[5].revents != 0) pump_output(s.pty, "stdout", m::kOutStdout);
            for (int i = 0; i < kMaxClients; ++i)
                if (clients[i] >= 0 && fds[6 + i].revents != 0) client_input(i, s);
            if (start_failed) break;
        }
        close_fd(s.out_r);
        close_fd(s.err_r);
        close_fd(s.pty);
        close_fd(s.in_w);
        close_fd(s.sync_mine);
        if (start_failed) {
            // The container never ran. After the first start the user saw
            // the error; after a restart the record needs folding.
            if (restarts == 0) return 0;
            break;
        }
        bool again = should_restart(code, restarts);
        write_exit_file(code, again);
        broadcast(m::kOutExit, &code, sizeof code);
        if (!again) break;
        ++restarts;
        // Docker's back-off: 100 ms, doubling, at most 10 s.
        long delay_ms = 100L << (restarts - 1 < 7 ? restarts - 1 : 7);
        struct timespec d {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        while (::nanosleep(&d, &d) < 0 && errno == EINTR) {
        }
        if (::faccessat(dir_fd, m::kStoppedByUser, F_OK, 0) == 0) break;
    }
    for (int i = 0; i < kMaxClients; ++i)
        if (clients[i] >= 0) drop_client(i);
    ::unlinkat(dir_fd, m::kAttachSocket, 0);
    close_fd(listen_fd);
    close_fd(log_fd);
    // Become `skiff __cleanup ID`: it folds the exit into the record and
    // performs --rm.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    char* argv2[64];
    int n = 0;
    for (int i = 0; i < opt.skiff_argc && n < 60; ++i) argv2[n++] = opt.skiff[i];
    argv2[n++] = const_cast<char*>("__cleanup");
    argv2[n++] = const_cast<char*>(opt.id);
    argv2[n] = nullptr;
    ::execv(argv2[0], argv2);
    return 1;
}
