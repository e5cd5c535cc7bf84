#include "engine/network_plan.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <sstream>

#include <fmt/format.h>

#include "engine/host_info.hpp"
#include "engine/container_store.hpp"
#include "runtime/probe.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::engine {

bool has_global_ipv6(const std::string& if_inet6) {
    std::istringstream in(if_inet6);
    std::string addr, index, prefix, scope, flags, name;
    while (in >> addr >> index >> prefix >> scope >> flags >> name)
        if (scope == "00" && name != "lo") return true;
    return false;
}

namespace {

// "IPv6 when the host has it": an address of global scope on an interface
// other than lo (/proc/net/if_inet6 is missing when IPv6 is off).
bool host_has_ipv6() {
    try {
        return has_global_ipv6(read_file("/proc/net/if_inet6", 1 << 20));
    } catch (const Error&) {
        return false;
    }
}

constexpr const char* kValidModes = "none, host, slirp[:mtu=N], container:NAME|ID";

bool valid_ip(const std::string& s) {
    unsigned char buf[16];
    return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

void parse_slirp_options(const std::string& opts, NetworkPlan& plan) {
    std::stringstream ss(opts);
    std::string o;
    while (std::getline(ss, o, ',')) {
        if (o.rfind("mtu=", 0) == 0) {
            try {
                size_t used = 0;
                int v = std::stoi(o.substr(4), &used);
                if (used != o.size() - 4 || v < 68 || v > 65521) throw Error("");
                plan.mtu = v;
            } catch (...) {
                throw Error(fmt::format("invalid network option '{}': mtu must be 68-65521", o));
            }
        } else {
            throw Error(fmt::format("invalid network option '{}' for slirp: valid options are mtu=N", o));
        }
    }
}

} // namespace

NetworkPlan plan_network(const NetworkRequest& req, const Config& config, bool rootless,
                         const std::vector<std::string>& exposed_ports) {
    NetworkPlan plan;
    plan.request = req;
    std::string m = req.network;
    if (m.empty()) {
        m = choose_network(config.network, rootless, runtime::probe_device("/dev/net/tun")).mode;
        // As podman: asking to publish ports asks for a network that can.
        bool publishing = !req.publish.empty() || req.publish_all;
        if (m == "none" && publishing && config.network == "auto") m = "slirp";
    }
    std::string opts;
    if (auto colon = m.find(':'); colon != std::string::npos) {
        opts = m.substr(colon + 1);
        m = m.substr(0, colon);
    }
    if (m == "none" || m == "host") {
        if (!opts.empty()) throw Error(fmt::format("network mode '{}' takes no options", m));
        plan.mode = m == "none" ? runtime::NetworkMode::none : runtime::NetworkMode::host;
    } else if (m == "slirp" || m == "slirp4netns") {
        m = "slirp";
        plan.mode = runtime::NetworkMode::slirp;
        parse_slirp_options(opts, plan);
        plan.host_loopback = config.network_host_loopback;
        plan.ipv6 = host_has_ipv6();
    } else if (m == "container") {
        if (opts.empty()) throw Error("network mode container needs a container: container:NAME|ID");
        plan.mode = runtime::NetworkMode::container;
        plan.join_container = opts;
    } else if (m == "pasta" || m == "bridge" || m == "ns" || m == "private") {
        throw Error(fmt::format("network mode '{}' is not supported yet: valid modes are {}", m, kValidModes));
    } else {
        throw Error(fmt::format("invalid network mode '{}': valid modes are {}", req.network, kValidModes));
    }
    plan.name = plan.join_container.empty() ? m : "container:" + plan.join_container;

    for (const auto& p : req.publish) {
        auto b = net::parse_publish(p);
        plan.ports.insert(plan.ports.end(), b.begin(), b.end());
    }
    if (req.publish_all) {
        for (const auto& e : exposed_ports) {
            std::string port = e, proto = "tcp";
            if (auto slash = e.find('/'); slash != std::string::npos) {
                port = e.substr(0, slash);
                proto = e.substr(slash + 1);
            }
            if (proto != "tcp" && proto != "udp") continue;
            for (auto b : net::parse_publish(port + "/" + proto)) {
                bool already = false;
                for (const auto& q : plan.ports)
                    already = already || (q.container_port == b.container_port && q.protocol == b.protocol);
                if (!already) plan.ports.push_back(b);
            }
        }
    }
    // A port published on an IPv6 host address is forwarded to the
    // container's IPv6 address (libslirp does not cross families).
    for (const auto& b : plan.ports) plan.ipv6 = plan.ipv6 || net::is_ipv6(b);
    if (!plan.ports.empty() && plan.mode != runtime::NetworkMode::slirp)
        throw Error(fmt::format("publishing ports needs --network slirp (the network mode is {}){}", m,
                                m == "host" ? ": with host, the container's ports are the host's already" : ""));
    for (const auto& d : req.dns)
        if (!valid_ip(d)) throw Error(fmt::format("invalid --dns '{}': an IP address is needed", d));
    for (const auto& h : req.add_host) {
        auto colon = h.find(':');
        if (colon == std::string::npos || colon == 0 || !valid_ip(h.substr(colon + 1)))
            throw Error(fmt::format("invalid --add-host '{}': use NAME:IP", h));
    }
    return plan;
}

net::NetworkHelper spawn_network_helper(const NetworkPlan& plan, bool detached) {
    net::HelperRequest req;
    req.detached = detached;
    req.slirp.mtu = plan.mtu;
    req.slirp.host_loopback = plan.host_loopback;
    req.slirp.ipv6 = plan.ipv6;
    req.slirp.ports = plan.ports;
    return with_context("starting the network (slirp)", [&] { return net::NetworkHelper::spawn(req); });
}

JoinedNetwork joined_network(const std::string& root, const std::string& container) {
    ContainerStore store(root);
    ContainerRecord rec = store.lookup(container);
    if (rec.state.status != "running" || rec.state.pid <= 0 || ::kill(rec.state.pid, 0) < 0)
        throw Error(fmt::format("cannot join the network of container {}: it is not running", container));
    JoinedNetwork j;
    j.pid = rec.state.pid;
    std::string dir = store.dir(rec.id);
    try {
        j.resolv_conf = read_file(dir + "/resolv.conf", 1 << 20);
        j.hosts = read_file(dir + "/hosts", 1 << 20);
    } catch (const Error&) {
    }
    return j;
}

std::string resolv_conf_for(const NetworkPlan& plan, const std::string& host_resolv) {
    const auto& r = plan.request;
    std::vector<std::string> servers, search, options;
    std::stringstream ss(host_resolv);
    std::string line;
    while (std::getline(ss, line)) {
        std::stringstream ls(line);
        std::string key, word;
        ls >> key;
        std::vector<std::string> words;
        while (ls >> word) words.push_back(word);
        if (key == "nameserver" && !words.empty()) {
            // A loopback resolver of the host is not reachable from a new
            // network namespace; slirp's forwarder reaches it for us.
            bool loop = words[0].rfind("127.", 0) == 0 || words[0] == "::1";
            bool shared = plan.mode == runtime::NetworkMode::host || plan.mode == runtime::NetworkMode::container;
            if (shared || !loop) servers.push_back(words[0]);
        } else if (key == "search" || key == "domain") {
            search.insert(search.end(), words.begin(), words.end());
        } else if (key == "options") {
            options.insert(options.end(), words.begin(), words.end());
        }
    }
    if (plan.mode == runtime::NetworkMode::slirp) servers = {"10.0.2.3"};
    if (!r.dns.empty()) servers = r.dns;
    if (!r.dns_search.empty()) search = r.dns_search;
    if (!r.dns_option.empty()) options = r.dns_option;
    if (search.size() == 1 && search[0] == ".") search.clear();
    std::string out;
    if (!search.empty()) {
        out += "search";
        for (const auto& s : search) out += " " + s;
        out += "\n";
    }
    for (const auto& s : servers) out += "nameserver " + s + "\n";
    if (!options.empty()) {
        out += "options";
        for (const auto& o : options) out += " " + o;
        out += "\n";
    }
    return out;
}

std::string hosts_for(const NetworkPlan& plan, const std::string& hostname) {
    std::string out = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
    for (const auto& h : plan.request.add_host) {
        auto colon = h.find(':');
        out += fmt::format("{}\t{}\n", h.substr(colon + 1), h.substr(0, colon));
    }
    if (plan.mode == runtime::NetworkMode::slirp) {
        out += fmt::format("10.0.2.100\t{}\n", hostname);
        if (plan.host_loopback) out += "10.0.2.2\thost.containers.internal host.docker.internal\n";
    } else {
        out += fmt::format("127.0.1.1\t{}\n", hostname);
    }
    return out;
}

} // namespace skiff::engine
