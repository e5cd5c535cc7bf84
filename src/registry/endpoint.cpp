#include "registry/endpoint.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstdlib>
#include <dirent.h>
#include <memory>
#include <netinet/in.h>

#include "config/paths.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff {

namespace {

constexpr size_t kMaxCertFile = 1u << 20;

// Regular file names in dir, sorted; empty if dir does not exist.
std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> out;
    struct Closer {
        void operator()(DIR* d) const noexcept { ::closedir(d); }
    };
    std::unique_ptr<DIR, Closer> d(::opendir(dir.c_str()));
    if (!d) return out;
    while (dirent* e = ::readdir(d.get())) {
        std::string name = e->d_name;
        if (name != "." && name != "..") out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool ends_with(const std::string& s, std::string_view suffix) { return s.size() > suffix.size() && s.ends_with(suffix); }

} // namespace

std::string api_host(std::string_view registry) {
    if (registry == "docker.io" || registry == "index.docker.io") return "registry-1.docker.io";
    return std::string(registry);
}

std::string host_without_port(std::string_view hp) {
    if (!hp.empty() && hp.front() == '[') {
        size_t close = hp.find(']');
        return std::string(hp.substr(1, close == std::string_view::npos ? close : close - 1));
    }
    if (std::count(hp.begin(), hp.end(), ':') > 1) return std::string(hp); // bare IPv6
    return std::string(hp.substr(0, hp.find(':')));
}

bool is_loopback_host(std::string_view host_port) {
    std::string h = host_without_port(host_port);
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (h == "localhost" || h.ends_with(".localhost")) return true;
    in_addr a4{};
    if (::inet_pton(AF_INET, h.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    in6_addr a6{};
    if (::inet_pton(AF_INET6, h.c_str(), &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6)) return true;
        if (IN6_IS_ADDR_V4MAPPED(&a6)) return a6.s6_addr[12] == 127;
    }
    return false;
}

bool is_insecure_registry(std::string_view host_port, const RegistryConfig& cfg) {
    std::string host = host_without_port(host_port);
    for (const auto& entry : cfg.insecure) {
        if (entry == host_port) return true;
        if (entry.find(':') == std::string::npos && entry == host) return true;
    }
    return false;
}

std::vector<std::string> default_certs_dirs() {
    std::string config_home;
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) {
        config_home = x;
    } else {
        try {
            config_home = home_dir() + "/.config";
        } catch (const Error&) {
        }
    }
    std::vector<std::string> dirs;
    if (!config_home.empty()) dirs.push_back(config_home + "/containers/certs.d");
    dirs.emplace_back("/etc/containers/certs.d");
    dirs.emplace_back("/etc/docker/certs.d");
    return dirs;
}

HostCerts load_host_certs(std::string_view host_port, const std::vector<std::string>& dirs) {
    HostCerts out;
    std::vector<std::string> names{std::string(host_port)};
    std::string bare = host_without_port(host_port);
    if (bare != host_port) names.push_back(bare);
    for (const auto& base : dirs) {
        for (const auto& name : names) {
            std::string dir = base + "/" + name;
            std::vector<std::string> files = list_dir(dir);
            for (const auto& f : files) {
                std::string path = dir + "/" + f;
                if (ends_with(f, ".crt")) {
                    out.ca_pem += read_file(path, kMaxCertFile);
                    out.ca_pem += "\n";
                    out.files.push_back(path);
                } else if (ends_with(f, ".cert")) {
                    std::string key = f.substr(0, f.size() - 5) + ".key";
                    if (std::find(files.begin(), files.end(), key) == files.end())
                        throw Error("client certificate " + path + " has no key " + dir + "/" + key);
                    if (out.client_cert.empty()) {
                        out.client_cert = path;
                        out.client_key = dir + "/" + key;
                        out.files.push_back(path);
                    }
                } else if (ends_with(f, ".key")) {
                    std::string cert = f.substr(0, f.size() - 4) + ".cert";
                    if (std::find(files.begin(), files.end(), cert) == files.end())
                        throw Error("client key " + path + " has no certificate " + dir + "/" + cert);
                }
            }
        }
    }
    return out;
}

EndpointPlan plan_endpoint(std::string_view host_port, std::optional<bool> tls_verify, const RegistryConfig& cfg,
                           const std::vector<std::string>& certs_dirs) {
    EndpointPlan p;
    if (tls_verify == true) {
        p.tls.verify = true;
    } else if (tls_verify == false || is_insecure_registry(host_port, cfg)) {
        p.tls.verify = false;
        p.http_fallback = true;
    } else if (is_loopback_host(host_port)) {
        p.tls.verify = true;
        p.http_fallback = true;
    }
    HostCerts certs = load_host_certs(host_port, certs_dirs);
    p.tls.ca_pem = std::move(certs.ca_pem);
    p.tls.client_cert = std::move(certs.client_cert);
    p.tls.client_key = std::move(certs.client_key);
    return p;
}

} // namespace skiff
