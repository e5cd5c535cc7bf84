// Where skiff keeps its state: per user under XDG directories, or the system
// directories for root. Overridable by --root, --runroot and --config.
#pragma once

#include <string>

namespace skiff {

struct PathOverrides {
    std::string root;    // --root
    std::string runroot; // --runroot
    std::string config;  // --config
};

struct Paths {
    std::string root;        // persistent store: blobs, layers, images, containers, volumes
    std::string runroot;     // volatile: locks, pids, sockets
    std::string config_file; // config.yaml (may not exist)
    bool rootless = false;
    bool runroot_fallback = false; // XDG_RUNTIME_DIR was missing or unusable
    std::string fallback_reason;   // why, when runroot_fallback

    // Resolves from the environment and the overrides; touches nothing on disk
    // except to check that an XDG_RUNTIME_DIR exists and belongs to us.
    static Paths resolve(const PathOverrides& o);
    // Creates root and runroot (mode 0700 for the user's own dirs).
    void ensure() const;
};

// $HOME or the passwd entry's home directory.
std::string home_dir();

} // namespace skiff
