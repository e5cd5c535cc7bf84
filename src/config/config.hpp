// config.yaml: user defaults. Every key is checked: a typo or a value of the
// wrong type is an error naming the file, the line and the key.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace skiff {

struct RegistryConfig {
    std::vector<std::string> unqualified_search{"docker.io"};
    std::map<std::string, std::string> aliases; // short name -> full reference
    std::vector<std::string> insecure;          // host[:port] allowed plain HTTP / no TLS verify
    std::map<std::string, std::vector<std::string>> mirrors; // registry -> mirror hosts
};

struct Config {
    std::string storage_driver = "auto"; // auto | overlay | fuse-overlayfs | vfs
    std::string network = "auto";        // auto | slirp | none | host
    bool network_host_loopback = false;  // slirp: 10.0.2.2 reaches the host's loopback
    std::string log_level;               // empty: leave the default
    std::string pull_policy = "missing"; // missing | always | never | newer
    RegistryConfig registries;
    std::string source; // the file it came from, or "" for built-in defaults

    // Loads path; a missing file yields defaults. Throws Error on bad content.
    static Config load(const std::string& path);
    static Config parse(const std::string& text, const std::string& source_name);
};

} // namespace skiff
