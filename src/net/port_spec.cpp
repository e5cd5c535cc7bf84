#include "net/port_spec.hpp"

#include <arpa/inet.h>
#include <charconv>

#include <fmt/format.h>

#include "util/error.hpp"

namespace skiff::net {

namespace {

struct Range {
    uint32_t first = 0;
    uint32_t count = 0; // 0: none given
};

Range parse_range(const std::string& s, const std::string& value, bool allow_empty) {
    if (s.empty()) {
        if (allow_empty) return {};
        throw Error(fmt::format("invalid port '{}' in '{}'", s, value));
    }
    auto num = [&](std::string_view t) {
        uint32_t v = 0;
        auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec != std::errc() || p != t.data() + t.size() || v == 0 || v > 65535)
            throw Error(fmt::format("invalid port '{}' in '{}': must be 1-65535", std::string(t), value));
        return v;
    };
    auto dash = s.find('-');
    if (dash == std::string::npos) return {num(s), 1};
    uint32_t a = num(std::string_view(s).substr(0, dash));
    uint32_t b = num(std::string_view(s).substr(dash + 1));
    if (b < a) throw Error(fmt::format("invalid port range '{}' in '{}'", s, value));
    return {a, b - a + 1};
}

} // namespace

std::vector<PortBinding> parse_publish(const std::string& value) {
    std::string v = value;
    std::string proto = "tcp";
    if (auto slash = v.rfind('/'); slash != std::string::npos) {
        proto = v.substr(slash + 1);
        v = v.substr(0, slash);
        if (proto != "tcp" && proto != "udp")
            throw Error(fmt::format("invalid protocol '{}' in '{}': use tcp or udp", proto, value));
    }
    std::string ip, host, ctr;
    auto last = v.rfind(':');
    if (last == std::string::npos) {
        ctr = v;
    } else {
        ctr = v.substr(last + 1);
        std::string front = v.substr(0, last);
        auto mid = front.rfind(':');
        if (mid == std::string::npos) {
            host = front;
        } else {
            ip = front.substr(0, mid);
            host = front.substr(mid + 1);
            bool v6 = ip.size() >= 2 && ip.front() == '[' && ip.back() == ']';
            if (v6) ip = ip.substr(1, ip.size() - 2);
            unsigned char a[16];
            if (ip.empty() || ::inet_pton(v6 ? AF_INET6 : AF_INET, ip.c_str(), a) != 1)
                throw Error(fmt::format("invalid host IP '{}' in '{}'{}", ip, value,
                                        !v6 && ip.find(':') != std::string::npos
                                            ? ": write an IPv6 address in brackets, [::1]:8080:80"
                                            : ""));
        }
    }
    Range c = parse_range(ctr, value, false);
    Range h = parse_range(host, value, true);
    if (h.count != 0 && h.count != c.count)
        throw Error(fmt::format("invalid publish '{}': the host and container ranges differ in size", value));
    if (h.count == 0 && c.count > 1 && !host.empty())
        throw Error(fmt::format("invalid publish '{}'", value));
    std::vector<PortBinding> out;
    for (uint32_t i = 0; i < c.count; ++i) {
        PortBinding b;
        b.protocol = proto;
        b.host_ip = ip;
        b.host_port = static_cast<uint16_t>(h.count == 0 ? 0 : h.first + i);
        b.container_port = static_cast<uint16_t>(c.first + i);
        out.push_back(b);
    }
    return out;
}

bool is_ipv6(const PortBinding& b) { return b.host_ip.find(':') != std::string::npos; }

std::string host_text(const PortBinding& b) {
    if (b.host_ip.empty()) return "0.0.0.0";
    return is_ipv6(b) ? "[" + b.host_ip + "]" : b.host_ip;
}

std::string describe(const PortBinding& b) {
    return fmt::format("{}/{} -> {}:{}", b.container_port, b.protocol, host_text(b), b.host_port);
}

std::string encode(const PortBinding& b) {
    return fmt::format("{}:{}:{}:{}", b.protocol, is_ipv6(b) ? host_text(b) : b.host_ip, b.host_port,
                       b.container_port);
}

PortBinding decode(const std::string& s) {
    PortBinding b;
    size_t p1 = s.find(':');
    // An IPv6 address is in brackets: its colons are not separators.
    size_t close = p1 != std::string::npos && p1 + 1 < s.size() && s[p1 + 1] == '[' ? s.find(']', p1) : p1;
    size_t p2 = close == std::string::npos ? close : s.find(':', close + 1);
    size_t p3 = p2 == std::string::npos ? p2 : s.find(':', p2 + 1);
    if (p3 == std::string::npos) throw Error(fmt::format("malformed port binding '{}'", s));
    b.protocol = s.substr(0, p1);
    b.host_ip = s.substr(p1 + 1, p2 - p1 - 1);
    if (close != p1) b.host_ip = b.host_ip.substr(1, b.host_ip.size() - 2);
    auto num = [&](std::string_view t) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec != std::errc() || p != t.data() + t.size() || v > 65535)
            throw Error(fmt::format("malformed port binding '{}'", s));
        return static_cast<uint16_t>(v);
    };
    b.host_port = num(std::string_view(s).substr(p2 + 1, p3 - p2 - 1));
    b.container_port = num(std::string_view(s).substr(p3 + 1));
    if (b.protocol != "tcp" && b.protocol != "udp") throw Error(fmt::format("malformed port binding '{}'", s));
    return b;
}

} // namespace skiff::net
