#include "net/slirp_loop.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include "net/slirp_api.hpp"

#include "net/gateway_guard.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace skiff::net {

namespace {

struct Timer {
    SlirpTimerCb cb = nullptr;
    void* opaque = nullptr;
    int64_t expire_ms = -1; // -1: not armed
};

int64_t now_ns() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

short to_poll(int ev) {
    short p = 0;
    if (ev & SLIRP_POLL_IN) p |= POLLIN;
    if (ev & SLIRP_POLL_OUT) p |= POLLOUT;
    if (ev & SLIRP_POLL_PRI) p |= POLLPRI;
    if (ev & SLIRP_POLL_ERR) p |= POLLERR;
    if (ev & SLIRP_POLL_HUP) p |= POLLHUP;
    return p;
}

int from_poll(short p) {
    int ev = 0;
    if (p & POLLIN) ev |= SLIRP_POLL_IN;
    if (p & POLLOUT) ev |= SLIRP_POLL_OUT;
    if (p & POLLPRI) ev |= SLIRP_POLL_PRI;
    if (p & POLLERR) ev |= SLIRP_POLL_ERR;
    if (p & POLLHUP) ev |= SLIRP_POLL_HUP;
    return ev;
}

struct in_addr ipv4(const char* s) {
    struct in_addr a {};
    ::inet_pton(AF_INET, s, &a);
    return a;
}

// The host side of a binding as a socket address (IPv6 only for an IPv6
// address, as slirp binds it).
struct HostAddress {
    struct sockaddr_storage ss {};
    socklen_t len = 0;
    struct sockaddr* sa() { return reinterpret_cast<struct sockaddr*>(&ss); }
    uint16_t port() const {
        return ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port
                                              : reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
    }
};

HostAddress host_address(const PortBinding& b, uint16_t port) {
    HostAddress h;
    if (is_ipv6(b)) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&h.ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        ::inet_pton(AF_INET6, b.host_ip.c_str(), &a->sin6_addr);
        h.len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&h.ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr = ipv4(b.host_ip.empty() ? "0.0.0.0" : b.host_ip.c_str());
        h.len = sizeof *a;
    }
    return h;
}

// Binds the port ourselves first: slirp only says "failed", this says why,
// and gives an ephemeral port its number.
uint16_t probe_port(const PortBinding& b, unsigned unpriv_start) {
    bool udp = b.protocol == "udp";
    HostAddress h = host_address(b, b.host_port);
    UniqueFd s(::socket(h.ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
    if (!s) throw_errno(fmt::format("publishing port {}:{}/{}: socket", host_text(b), b.host_port, b.protocol));
    int one = 1;
    if (!udp) ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (h.ss.ss_family == AF_INET6) ::setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    std::string where = fmt::format("{}:{}/{}", host_text(b), b.host_port, b.protocol);
    if (::bind(s.get(), h.sa(), h.len) < 0) {
        int err = errno;
        if (err == EADDRINUSE) throw Error(fmt::format("publishing port {}: the host port is already in use", where));
        if (err == EACCES && b.host_port < unpriv_start)
            throw Error(fmt::format("publishing port {}: host ports below {} need privileges "
                                    "(net.ipv4.ip_unprivileged_port_start is {}; lower it with sysctl, "
                                    "or publish a higher port)",
                                    where, unpriv_start, unpriv_start));
        throw Error(fmt::format("publishing port {}", where), err);
    }
    if (!udp && ::listen(s.get(), 1) < 0) {
        int err = errno;
        if (err == EADDRINUSE) throw Error(fmt::format("publishing port {}: the host port is already in use", where));
        throw Error(fmt::format("publishing port {}", where), err);
    }
    socklen_t len = sizeof h.ss;
    ::getsockname(s.get(), h.sa(), &len);
    return h.port();
}

unsigned unprivileged_port_start() {
    try {
        return static_cast<unsigned>(std::stoul(read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start", 64)));
    } catch (...) {
        return 1024;
    }
}

} // namespace

struct SlirpNetwork::Impl {
    UniqueFd tap;
    std::unique_ptr<GatewayGuard> guard; // null: the host's loopback is open
    Slirp* slirp = nullptr;
    std::vector<std::unique_ptr<Timer>> timers;
    std::vector<struct pollfd> pfds;
    std::vector<uint8_t> buf;

    static ssize_t send_packet(const void* pkt, size_t len, void* opaque) {
        auto* self = static_cast<Impl*>(opaque);
        if (self->guard) self->guard->to_container(static_cast<const uint8_t*>(pkt), len);
        ssize_t n;
        do {
            n = ::write(self->tap.get(), pkt, len);
        } while (n < 0 && errno == EINTR);
        // A full tap queue drops the frame; TCP retransmits.
        return n < 0 && errno == EAGAIN ? static_cast<ssize_t>(len) : n;
    }
    static void guest_error(const char* msg, void*) { log::debug("slirp: guest error: {}", msg); }
    static int64_t clock_get_ns(void*) { return now_ns(); }
    static void* timer_new(SlirpTimerCb cb, void* cb_opaque, void* opaque) {
        auto* self = static_cast<Impl*>(opaque);
        self->timers.push_back(std::make_unique<Timer>(Timer {cb, cb_opaque, -1}));
        return self->timers.back().get();
    }
    static void timer_free(void* t, void* opaque) {
        auto* self = static_cast<Impl*>(opaque);
        std::erase_if(self->timers, [t](const auto& p) { return p.get() == t; });
    }
    static void timer_mod(void* t, int64_t expire_ms, void*) { static_cast<Timer*>(t)->expire_ms = expire_ms; }
    static void register_poll_fd(int, void*) {}
    static void unregister_poll_fd(int, void*) {}
    static void notify(void*) {}
    static int add_poll(int fd, int events, void* opaque) {
        auto* self = static_cast<Impl*>(opaque);
        self->pfds.push_back({fd, to_poll(events), 0});
        return static_cast<int>(self->pfds.size() - 1);
    }
    static int get_revents(int idx, void* opaque) {
        auto* self = static_cast<Impl*>(opaque);
        return from_poll(self->pfds[static_cast<size_t>(idx)].revents);
    }

    // Hands what the container sent to slirp; the tap fd is non-blocking.
    void read_tap() {
        for (int i = 0; i < 64; ++i) {
            ssize_t n = ::read(tap.get(), buf.data(), buf.size());
            if (n <= 0) break;
            if (guard && !guard->allow(buf.data(), static_cast<size_t>(n))) continue;
            slirp_api().slirp_input(slirp, buf.data(), static_cast<int>(n));
        }
    }

    // Fires expired timers; returns ms until the next one (or UINT32_MAX).
    uint32_t fire_timers() {
        int64_t now = now_ns() / 1000000;
        uint32_t next = UINT32_MAX;
        for (size_t i = 0; i < timers.size(); ++i) {
            Timer* t = timers[i].get();
            if (t->expire_ms < 0) continue;
            if (t->expire_ms <= now) {
                t->expire_ms = -1;
                t->cb(t->opaque); // may add or free timers
                continue;
            }
            next = std::min<uint32_t>(next, static_cast<uint32_t>(t->expire_ms - now));
        }
        return next;
    }
};

namespace {
const SlirpCb kCallbacks = {
    .send_packet = &SlirpNetwork::Impl::send_packet,
    .guest_error = &SlirpNetwork::Impl::guest_error,
    .clock_get_ns = &SlirpNetwork::Impl::clock_get_ns,
    .timer_new = &SlirpNetwork::Impl::timer_new,
    .timer_free = &SlirpNetwork::Impl::timer_free,
    .timer_mod = &SlirpNetwork::Impl::timer_mod,
    .register_poll_fd = &SlirpNetwork::Impl::register_poll_fd,
    .unregister_poll_fd = &SlirpNetwork::Impl::unregister_poll_fd,
    .notify = &SlirpNetwork::Impl::notify,
    .init_completed = nullptr,
    .timer_new_opaque = nullptr,
};
} // namespace

SlirpNetwork::SlirpNetwork(const SlirpOptions& opt) : impl_(new Impl) {
    std::unique_ptr<Impl> guard(impl_);
    impl_->buf.resize(static_cast<size_t>(opt.mtu) + 64);
    SlirpConfig cfg {};
    cfg.version = 1;
    cfg.restricted = 0;
    cfg.in_enabled = true;
    cfg.vnetwork = ipv4("10.0.2.0");
    cfg.vnetmask = ipv4("255.255.255.0");
    cfg.vhost = ipv4("10.0.2.2");
    cfg.vdhcp_start = ipv4("10.0.2.15");
    cfg.vnameserver = ipv4("10.0.2.3");
    if (opt.ipv6) {
        cfg.in6_enabled = true;
        ::inet_pton(AF_INET6, "fd00::", &cfg.vprefix_addr6);
        cfg.vprefix_len = 64;
        ::inet_pton(AF_INET6, "fd00::2", &cfg.vhost6);
        ::inet_pton(AF_INET6, "fd00::3", &cfg.vnameserver6);
    }
    cfg.if_mtu = static_cast<size_t>(opt.mtu);
    cfg.if_mru = static_cast<size_t>(opt.mtu);
    // Closed by the GatewayGuard instead (gateway_guard.hpp says why).
    cfg.disable_host_loopback = false;
    if (!opt.host_loopback) {
        std::vector<uint16_t> udp;
        for (const auto& b : opt.ports)
            if (b.protocol == "udp") udp.push_back(b.container_port);
        impl_->guard = std::make_unique<GatewayGuard>(std::move(udp));
    }
    cfg.enable_emu = false;
    impl_->slirp = slirp_api().slirp_new(&cfg, &kCallbacks, impl_);
    if (impl_->slirp == nullptr) throw Error("starting libslirp");
    guard.release();

    unsigned unpriv = unprivileged_port_start();
    for (PortBinding b : opt.ports) {
        b.host_port = probe_port(b, unpriv);
        HostAddress host = host_address(b, b.host_port);
        // The container's address of the same family: libslirp cannot
        // forward from IPv6 on the host to IPv4 in the container.
        HostAddress guest;
        if (is_ipv6(b)) {
            if (!opt.ipv6) throw Error("publishing on an IPv6 host address needs IPv6 in the container's network");
            auto* a = reinterpret_cast<sockaddr_in6*>(&guest.ss);
            a->sin6_family = AF_INET6;
            a->sin6_port = htons(b.container_port);
            ::inet_pton(AF_INET6, "fd00::100", &a->sin6_addr);
            guest.len = sizeof *a;
        } else {
            auto* a = reinterpret_cast<sockaddr_in*>(&guest.ss);
            a->sin_family = AF_INET;
            a->sin_port = htons(b.container_port);
            a->sin_addr = ipv4("10.0.2.100");
            guest.len = sizeof *a;
        }
        int flags = (b.protocol == "udp" ? SLIRP_HOSTFWD_UDP : 0) | (is_ipv6(b) ? SLIRP_HOSTFWD_V6ONLY : 0);
        if (slirp_api().slirp_add_hostxfwd(impl_->slirp, host.sa(), host.len, guest.sa(), guest.len, flags) < 0)
            throw Error(fmt::format("publishing port {}:{}/{}: libslirp could not bind it", host_text(b),
                                    b.host_port, b.protocol));
        bound_.push_back(b);
    }
}

SlirpNetwork::~SlirpNetwork() {
    if (impl_->slirp != nullptr) slirp_api().slirp_cleanup(impl_->slirp);
    delete impl_;
}

void SlirpNetwork::run(UniqueFd tap, int until_fd) {
    Impl& s = *impl_;
    s.tap = std::move(tap);
    for (;;) {
        uint32_t timeout = s.fire_timers();
        s.pfds.clear();
        s.pfds.push_back({until_fd, POLLIN, 0});
        s.pfds.push_back({s.tap.get(), POLLIN, 0});
        slirp_api().slirp_pollfds_fill(s.slirp, &timeout, &Impl::add_poll, &s);
        int wait = timeout == UINT32_MAX ? -1 : static_cast<int>(std::min<uint32_t>(timeout, 1000));
        int r = ::poll(s.pfds.data(), s.pfds.size(), wait);
        if (r < 0 && errno != EINTR) throw_errno("poll");
        bool exited = r > 0 && (s.pfds[0].revents & (POLLIN | POLLHUP | POLLERR));
        if (exited || (r > 0 && (s.pfds[1].revents & POLLIN))) s.read_tap();
        slirp_api().slirp_pollfds_poll(s.slirp, r < 0, &Impl::get_revents, &s);
        if (exited) return;
    }
}

} // namespace skiff::net
