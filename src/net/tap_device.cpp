#include "net/tap_device.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/error.hpp"

namespace skiff::net {

namespace {

constexpr const char* kTapName = "tap0";

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

// Configures tap0 on the socket s: MTU, address, up, default route.
const char* configure(int s, int mtu) {
    struct ifreq ifr {};
    std::strncpy(ifr.ifr_name, kTapName, IFNAMSIZ - 1);
    ifr.ifr_mtu = mtu;
    if (::ioctl(s, SIOCSIFMTU, &ifr) < 0) return "setting the MTU of tap0";
    set_addr(&ifr.ifr_addr, "10.0.2.100");
    if (::ioctl(s, SIOCSIFADDR, &ifr) < 0) return "setting the address of tap0";
    set_addr(&ifr.ifr_netmask, "255.255.255.0");
    if (::ioctl(s, SIOCSIFNETMASK, &ifr) < 0) return "setting the netmask of tap0";
    if (if_up(s, kTapName) < 0) return "bringing up tap0";
    struct rtentry rt {};
    set_addr(&rt.rt_dst, "0.0.0.0");
    set_addr(&rt.rt_genmask, "0.0.0.0");
    set_addr(&rt.rt_gateway, "10.0.2.2");
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    char dev[IFNAMSIZ] = "tap0";
    rt.rt_dev = dev;
    if (::ioctl(s, SIOCADDRT, &rt) < 0) return "adding the default route via 10.0.2.2";
    return nullptr;
}

void no_dad() {
    int fd = ::open("/proc/sys/net/ipv6/conf/tap0/accept_dad", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t ignored = ::write(fd, "0", 1);
    (void)ignored;
    ::close(fd);
}

// The kernel's in6_ifreq (linux/ipv6.h clashes with glibc's headers).
struct In6Ifreq {
    struct in6_addr addr;
    uint32_t prefixlen;
    int ifindex;
};

// fd00::100/64 on tap0 and a default route via fd00::2 (libslirp's
// gateway), after configure() brought tap0 up.
const char* configure_ipv6() {
    int s = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return "socket for IPv6 setup";
    const char* failed = nullptr;
    int index = static_cast<int>(::if_nametoindex(kTapName));
    In6Ifreq ifr {};
    ::inet_pton(AF_INET6, "fd00::100", &ifr.addr);
    ifr.prefixlen = 64;
    ifr.ifindex = index;
    struct in6_rtmsg rt {};
    ::inet_pton(AF_INET6, "fd00::2", &rt.rtmsg_gateway);
    rt.rtmsg_flags = RTF_UP | RTF_GATEWAY;
    rt.rtmsg_metric = 1;
    rt.rtmsg_ifindex = index;
    if (index == 0) failed = "finding tap0";
    else if (::ioctl(s, SIOCSIFADDR, &ifr) < 0) failed = "setting the IPv6 address of tap0";
    else if (::ioctl(s, SIOCADDRT, &rt) < 0) failed = "adding the IPv6 default route via fd00::2";
    int err = errno;
    ::close(s);
    errno = err;
    return failed;
}

} // namespace

int make_tap(int mtu, bool ipv6, const char** step) noexcept {
    int tun = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tun < 0) {
        *step = kOpenTunStep;
        return -1;
    }
    struct ifreq ifr {};
    std::strncpy(ifr.ifr_name, kTapName, IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    const char* failed = nullptr;
    int s = -1;
    if (::ioctl(tun, TUNSETIFF, &ifr) < 0) {
        failed = "creating the tap device";
    } else {
        // Persistent, so that the helper's last close of the fd does not
        // unregister the device: that close waits for RCU grace periods
        // (15-30 ms on the bench machine) and skiff would wait for it. The
        // device goes with the container's network namespace instead, which
        // the kernel frees in the background once the container and the
        // helper are gone. If the kernel refused, the close is only slower.
        ::ioctl(tun, TUNSETPERSIST, 1L);
        // Before tap0 comes up: duplicate address detection would keep its
        // addresses tentative, and unusable, for a second; nobody else is
        // on this link. (/proc/sys/net is the opener's network namespace.)
        if (ipv6) no_dad();
        if ((s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
            failed = "socket for interface setup";
        else
            failed = configure(s, mtu);
        if (failed == nullptr && ipv6) failed = configure_ipv6();
    }
    int err = errno;
    if (s >= 0) ::close(s);
    if (failed != nullptr) {
        ::close(tun);
        *step = failed;
        errno = err;
        return -1;
    }
    return tun;
}

Error describe_tap_failure(const char* step, int err) {
    if (err == EACCES && std::strcmp(step, kOpenTunStep) == 0)
        return Error("cannot open /dev/net/tun: the device is not accessible to this user (it is usually mode 666; "
                     "here it is probably 600). Fix it as root with 'chmod 666 /dev/net/tun' (or a udev rule), "
                     "or use --network none or host",
                     err);
    if (err == ENOENT && std::strcmp(step, kOpenTunStep) == 0)
        return Error("cannot open /dev/net/tun: the tun device is missing (load the tun module), or use --network none",
                     err);
    return Error(step, err);
}

} // namespace skiff::net
