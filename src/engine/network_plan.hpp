// What `run` does about networking, decided before anything starts: the
// mode (--network), the published ports (-p, -P), and the generated
// /etc/resolv.conf and /etc/hosts (--dns*, --add-host).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "net/helper.hpp"
#include "net/port_spec.hpp"
#include "runtime/container_spec.hpp"

namespace skiff::engine {

struct NetworkRequest {
    std::string network;                  // --network: "", none, host, slirp[:mtu=N]
    std::vector<std::string> publish;     // -p
    bool publish_all = false;             // -P
    std::vector<std::string> dns;         // --dns IP
    std::vector<std::string> dns_search;  // --dns-search DOMAIN
    std::vector<std::string> dns_option;  // --dns-option OPT
    std::vector<std::string> add_host;    // --add-host NAME:IP
};

struct NetworkPlan {
    runtime::NetworkMode mode = runtime::NetworkMode::none;
    std::string name; // none | host | slirp, for the record
    int mtu = 65520;
    bool host_loopback = false; // slirp: 10.0.2.2 reaches the host's 127.0.0.1
    bool ipv6 = false;          // slirp: the host has a global IPv6 address, or a port is published on an IPv6 one
    std::vector<net::PortBinding> ports;
    std::string join_container; // container:NAME|ID
    NetworkRequest request;
};

// Whether /proc/net/if_inet6's text lists an address of global scope on an
// interface other than lo: slirp then gives the container IPv6 as well.
bool has_global_ipv6(const std::string& if_inet6);

// Throws Error (125) for an unknown mode (listing the valid ones), a bad
// option, a malformed -p, or ports without slirp.
NetworkPlan plan_network(const NetworkRequest& req, const Config& config, bool rootless,
                         const std::vector<std::string>& exposed_ports);

// container:X: the pid of X's running process, and X's resolv.conf and
// hosts. Throws Error when X is not running.
struct JoinedNetwork {
    int pid = 0;
    std::string resolv_conf;
    std::string hosts;
};
JoinedNetwork joined_network(const std::string& root, const std::string& container);

// Starts the slirp helper (before the container: it loads and binds the
// ports meanwhile); NetworkHelper::attach gives it the container's tap.
net::NetworkHelper spawn_network_helper(const NetworkPlan& plan, bool detached = false);

// The container's /etc/resolv.conf; host_resolv is the host's file.
std::string resolv_conf_for(const NetworkPlan& plan, const std::string& host_resolv);
// The container's /etc/hosts.
std::string hosts_for(const NetworkPlan& plan, const std::string& hostname);

} // namespace skiff::engine
