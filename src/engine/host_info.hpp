// What this host can do for the current user, and which path skiff will
// take because of it: the data behind `skiff info`. The choices made here
// (storage driver, network mode, ID mapping) are the ones `run` uses, so
// that what info says is what happens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/paths.hpp"
#include "runtime/idmap.hpp"
#include "runtime/probe.hpp"

namespace skiff::engine {

// What the storage choice depends on (from the probes).
struct StorageFacts {
    bool rootless = false;
    bool native_overlay = false;
    std::string native_overlay_detail; // why not, when !native_overlay
    bool fuse_overlayfs_binary = false;
    bool dev_fuse = false;
    std::string dev_fuse_detail; // why not, when !dev_fuse
};

struct StorageChoice {
    std::string configured; // storage.driver: auto | overlay | fuse-overlayfs | vfs
    std::string driver;     // the driver skiff will use
    std::string reason;     // why that one
    std::string problem;    // set when the configured driver cannot work on this host
};
StorageChoice choose_storage_driver(const std::string& configured, const StorageFacts& facts);

struct NetworkChoice {
    std::string configured; // network: auto | slirp | none | host
    std::string mode;       // what a container gets by default
    std::string reason;
};
// auto: slirp rootless when /dev/net/tun opens, else none; root: none.
NetworkChoice choose_network(const std::string& configured, bool rootless, const runtime::DeviceProbe& tun);

struct CgroupSummary {
    std::string manager = "cgroupfs"; // skiff writes cgroupfs itself; no systemd
    runtime::CgroupVersion version = runtime::CgroupVersion::unknown;
    bool delegated = false; // we may create child cgroups (root, or a writable v2 cgroup)
    bool limits = false;    // resource limits (--memory, --cpus, --pids-limit) can be enforced
    std::string limits_detail;
};
CgroupSummary summarize_cgroups(const runtime::CgroupProbe& probe, bool rootless, const std::string& user);

// The mapping a rootless container gets, and why it is not the full one.
struct IdMapSummary {
    std::vector<runtime::IdRange> subuid, subgid;
    runtime::IdMapHelper newuidmap, newgidmap;
    std::vector<runtime::IdMapping> uid_mappings, gid_mappings; // empty for root: no user namespace
    std::string detail; // why the mapping is a single ID, or empty
};

struct StoreInfo {
    std::string root;
    std::string runroot;
    std::string runroot_fallback; // why the runroot is not under XDG_RUNTIME_DIR, or empty
    std::string config_file;
    bool config_exists = false;
};

struct HostInfo {
    std::string version;
    bool rootless = false;
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::string user; // empty without a passwd entry
    runtime::OsInfo os;

    runtime::UsernsProbe userns;
    runtime::OverlayProbe overlay;
    runtime::BinaryProbe fuse_overlayfs;
    runtime::DeviceProbe dev_fuse;
    runtime::DeviceProbe dev_tun;
    runtime::CgroupProbe cgroup_probe;
    runtime::SeccompProbe seccomp;

    IdMapSummary idmap;
    StorageChoice storage;
    NetworkChoice network;
    CgroupSummary cgroups;
    StoreInfo store;

    std::vector<std::string> warnings; // what limits skiff here, in sentences
};

// Runs every probe (a few ms in all) and makes the choices. Throws Error only
// when probing itself fails (fork, an unreadable /etc/subuid).
HostInfo gather_host_info(const Paths& paths, const Config& config);

} // namespace skiff::engine
