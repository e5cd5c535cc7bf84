#include "net/tap_device.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/child_report.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace skiff::net {

namespace {

constexpr const char* kTapName = "tap0";

// Everything the child needs, prepared before fork.
struct ChildArgs {
    char user_ns[64] = {};
    char net_ns[64] = {};
    bool join_userns = false;
    int mtu = 0;
    int sock = -1;
};

void set_addr(struct sockaddr* sa, const char* ip) {
    auto* in = reinterpret_cast<struct sockaddr_in*>(sa);
    std::memset(in, 0, sizeof *in);
    in->sin_family = AF_INET;
    ::inet_pton(AF_INET, ip, &in->sin_addr);
}

int if_up(int s, const char* name) {
    struct ifreq ifr {};
    std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (::ioctl(s, SIOCGIFFLAGS, &ifr) < 0) return -1;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    return ::ioctl(s, SIOCSIFFLAGS, &ifr);
}

[[noreturn]] void fail(int fd, const char* step, int err, const char* detail = nullptr) {
    child_report_failure(fd, step, err, detail);
    ::_exit(1);
}

// Async-signal-safe from here on: syscalls only.
[[noreturn]] void tap_child(const ChildArgs& a) {
    int fd = a.sock;
    if (a.join_userns) {
        int u = ::open(a.user_ns, O_RDONLY | O_CLOEXEC);
        if (u < 0) fail(fd, "opening the container's user namespace", errno, a.user_ns);
        if (::setns(u, CLONE_NEWUSER) < 0) fail(fd, "joining the container's user namespace", errno);
        ::close(u);
    }
    int n = ::open(a.net_ns, O_RDONLY | O_CLOEXEC);
    if (n < 0) fail(fd, "opening the container's network namespace", errno, a.net_ns);
    if (::setns(n, CLONE_NEWNET) < 0) fail(fd, "joining the container's network namespace", errno);
    ::close(n);

    int tun = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tun < 0) fail(fd, "opening /dev/net/tun", errno);
    struct ifreq ifr {};
    std::strncpy(ifr.ifr_name, kTapName, IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (::ioctl(tun, TUNSETIFF, &ifr) < 0) fail(fd, "creating the tap device", errno, kTapName);

    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail(fd, "socket for interface setup", errno);
    // lo: the container's own setup brings it up, as for --network none.
    std::memset(&ifr, 0, sizeof ifr);
    std::strncpy(ifr.ifr_name, kTapName, IFNAMSIZ - 1);
    ifr.ifr_mtu = a.mtu;
    if (::ioctl(s, SIOCSIFMTU, &ifr) < 0) fail(fd, "setting the MTU of tap0", errno);
    set_addr(&ifr.ifr_addr, "10.0.2.100");
    if (::ioctl(s, SIOCSIFADDR, &ifr) < 0) fail(fd, "setting the address of tap0", errno);
    set_addr(&ifr.ifr_netmask, "255.255.255.0");
    if (::ioctl(s, SIOCSIFNETMASK, &ifr) < 0) fail(fd, "setting the netmask of tap0", errno);
    if (if_up(s, kTapName) < 0) fail(fd, "bringing up tap0", errno);
    struct rtentry rt {};
    set_addr(&rt.rt_dst, "0.0.0.0");
    set_addr(&rt.rt_genmask, "0.0.0.0");
    set_addr(&rt.rt_gateway, "10.0.2.2");
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    char dev[IFNAMSIZ] = "tap0";
    rt.rt_dev = dev;
    if (::ioctl(s, SIOCADDRT, &rt) < 0) fail(fd, "adding the default route via 10.0.2.2", errno);

    // The fd, with an empty failure record as payload.
    ChildFailure none {};
    if (int err = send_fd(fd, tun, &none, 1); err != 0) fail(fd, "sending the tap fd", err);
    ::_exit(0);
}

Error describe_failure(const ChildFailure& f) {
    if (f.err == EACCES && std::strcmp(f.step, "opening /dev/net/tun") == 0)
        return Error("cannot open /dev/net/tun: the device is not accessible to this user (it is usually mode 666; "
                     "here it is probably 600). Fix it as root with 'chmod 666 /dev/net/tun' (or a udev rule), "
                     "or use --network none or host",
                     f.err);
    if (f.err == ENOENT && std::strcmp(f.step, "opening /dev/net/tun") == 0)
        return Error("cannot open /dev/net/tun: the tun device is missing (load the tun module), or use --network none",
                     f.err);
    return Error(f.describe());
}

} // namespace

UniqueFd create_tap(const TapRequest& req) {
    ChildArgs a;
    std::snprintf(a.user_ns, sizeof a.user_ns, "/proc/%d/ns/user", static_cast<int>(req.pid));
    std::snprintf(a.net_ns, sizeof a.net_ns, "/proc/%d/ns/net", static_cast<int>(req.pid));
    a.join_userns = req.join_userns;
    a.mtu = req.mtu;
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) throw_errno("socketpair");
    UniqueFd mine(sp[0]);
    UniqueFd theirs(sp[1]);
    a.sock = theirs.get();
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork of the tap setup");
    if (pid == 0) tap_child(a);
    theirs.reset();

    ChildFailure rec {};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u {};
    struct iovec iov {&rec, sizeof rec};
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    ssize_t n;
    do {
        n = ::recvmsg(mine.get(), &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    int err = errno;
    int st = wait_for(pid);
    if (n < 0) throw Error("reading from the tap setup", err);
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
            return UniqueFd(fd);
        }
    }
    if (static_cast<size_t>(n) == sizeof rec) {
        rec.step[sizeof rec.step - 1] = '\0';
        rec.detail[sizeof rec.detail - 1] = '\0';
        throw describe_failure(rec);
    }
    throw Error(fmt::format("the tap setup ended without a result (exit code {})", exit_code_of(st)));
}

} // namespace skiff::net
