#include "engine/attach.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/container_state.hpp"
#include "engine/lifecycle.hpp"
#include "engine/start.hpp"
#include "monitor/protocol.hpp"
#include "runtime/terminal.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::engine {

std::string parse_detach_keys(const std::string& spec) {
    std::string out;
    if (spec.empty()) return out;
    size_t start = 0;
    while (start <= spec.size()) {
        size_t comma = spec.find(',', start);
        std::string key = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (key.size() == 1) {
            out += key;
        } else if (key.size() == 6 && key.rfind("ctrl-", 0) == 0) {
            char c = key[5];
            if (c >= 'a' && c <= 'z') out += static_cast<char>(c - 'a' + 1);
            else if (c >= '@' && c <= '_') out += static_cast<char>(c - '@');
            else throw Error(fmt::format("invalid detach key '{}': use a letter or one of @[\\]^_ after ctrl-", key));
        } else {
            throw Error(fmt::format("invalid detach key '{}' in '{}': keys are single characters or ctrl-X, "
                                    "separated by commas",
                                    key, spec));
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

namespace {

UniqueFd connect_attach(const std::string& cdir) {
    UniqueFd dir = open_fd(cdir, O_PATH | O_DIRECTORY);
    UniqueFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno("socket");
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dir.get(), monitor::kAttachSocket);
    if (::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
        throw_errno("connecting to the container's monitor");
    return sock;
}

void send_msg(int sock, char tag, const void* data, size_t n) {
    struct iovec iov[2] = {{&tag, 1}, {const_cast<void*>(data), n}};
    struct msghdr msg {};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    while (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
}

void send_window_size(int sock) {
    struct winsize ws {};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0) return;
    uint16_t rc[2] = {ws.ws_row, ws.ws_col};
    send_msg(sock, monitor::kInResize, rc, sizeof rc);
}

// The client loop. Returns the container's exit code, or nullopt when the
// user detached or the monitor went away without one.
std::optional<int> attach_loop(int sock, bool tty, const AttachOptions& o, int container_pid) {
    std::string keys = parse_detach_keys(o.detach_keys);
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&set, s);
    sigset_t old;
    ::sigprocmask(SIG_BLOCK, &set, &old);
    UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    struct Restore {
        sigset_t s;
        ~Restore() { ::sigprocmask(SIG_SETMASK, &s, nullptr); }
    } restore{old};

    std::optional<runtime::RawTerminal> raw;
    if (tty && ::isatty(STDIN_FILENO)) {
        raw.emplace(STDIN_FILENO);
        send_window_size(sock);
    }
    bool stdin_open = o.stdin_open;
    size_t matched = 0; // detach key bytes seen so far
    char buf[16385];
    for (;;) {
        struct pollfd fds[3] = {{sock, POLLIN, 0}, {sfd.get(), POLLIN, 0}, {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
        int r = ::poll(fds, 3, -1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw_errno("poll");
        if (fds[0].revents != 0) {
            ssize_t n = ::recv(sock, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return std::nullopt;
            if (buf[0] == monitor::kOutExit && n >= 1 + static_cast<ssize_t>(sizeof(int))) {
                int code;
                std::memcpy(&code, buf + 1, sizeof code);
                return code;
            }
            int to = buf[0] == monitor::kOutStderr ? STDERR_FILENO : STDOUT_FILENO;
            try {
                write_all(to, buf + 1, static_cast<size_t>(n - 1));
            } catch (const Error&) {
            }
        }
        if (fds[1].revents != 0) {
            struct signalfd_siginfo si {};
            while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGWINCH) send_window_size(sock);
                else if (container_pid > 0 && !tty) ::kill(container_pid, static_cast<int>(si.ssi_signo));
                else if (tty && si.ssi_signo != SIGWINCH) return std::nullopt; // our terminal went away
            }
        }
        if (fds[2].revents != 0) {
            ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf - 1);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                stdin_open = false;
                send_msg(sock, monitor::kInCloseStdin, nullptr, 0);
                continue;
            }
            std::string out;
            for (ssize_t i = 0; i < n; ++i) {
                char c = buf[i];
                if (!keys.empty() && c == keys[matched]) {
                    if (++matched == keys.size()) {
                        if (!out.empty()) send_msg(sock, monitor::kInData, out.data(), out.size());
                        return std::nullopt;
                    }
                    continue;
                }
                if (matched > 0) out.append(keys, 0, matched); // a false start: pass it on
                matched = 0;
                if (!keys.empty() && c == keys[0]) {
                    matched = 1;
                    continue;
                }
                out += c;
            }
            if (!out.empty()) send_msg(sock, monitor::kInData, out.data(), out.size());
        }
    }
}

int finish(const Paths& paths, const std::string& id, std::optional<int> code) {
    if (code) return *code;
    // Detached (or the monitor ended without telling us): if it is still
    // running, that was a detach.
    ContainerStore store(paths.root);
    auto rec = store.find(id);
    if (!rec) return 0;
    *rec = lookup_fresh(store, id);
    if (is_running(*rec)) return 0;
    return rec->state.exit_code;
}

} // namespace

int attach_container(const Paths& paths, const std::string& key, const AttachOptions& o) {
    ContainerStore store(paths.root);
    ContainerRecord rec = lookup_fresh(store, key);
    if (!is_running(rec))
        throw Error(fmt::format("you can only attach to running containers: {} is {}", rec.name, rec.state.status));
    if (rec.state.monitor_pid == 0)
        throw Error(fmt::format("container {} runs in the foreground of another skiff: there is nothing to attach to",
                                rec.name));
    UniqueFd sock = connect_attach(store.dir(rec.id));
    auto code = attach_loop(sock.get(), rec.tty, {o.stdin_open && rec.interactive, o.detach_keys}, rec.state.pid);
    return finish(paths, rec.id, code);
}

int start_attached(const Paths& paths, const std::string& key, const AttachOptions& o) {
    ContainerStore store(paths.root);
    ContainerRecord rec = lookup_fresh(store, key);
    if (is_running(rec)) return attach_container(paths, key, o);
    parse_detach_keys(o.detach_keys);
    UniqueFd sock;
    StartRequest req;
    req.before_start = [&] { sock = connect_attach(store.dir(rec.id)); };
    struct winsize ws {};
    if (rec.tty && (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)) {
        req.rows = ws.ws_row;
        req.cols = ws.ws_col;
    }
    int code = start_container(paths, rec, req);
    if (code != 0) return code;
    ContainerRecord now = lookup_fresh(store, rec.id);
    auto exit = attach_loop(sock.get(), rec.tty, {o.stdin_open && rec.interactive, o.detach_keys}, now.state.pid);
    return finish(paths, rec.id, exit);
}

} // namespace skiff::engine
