// `skiff run` and `skiff create`: the lesson's sequence without a daemon.
// Image lookup (pulling per policy), the container record and its writable
// layer, storage, network, start, and the wait for the exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/paths.hpp"
#include "engine/network_plan.hpp"
#include "engine/pull.hpp"

namespace skiff::engine {

struct RunOptions {
    std::string image;
    std::vector<std::string> args;
    std::optional<std::string> entrypoint;
    std::vector<std::string> env;       // -e KEY=VAL or -e KEY
    std::vector<std::string> env_files; // --env-file
    std::string workdir;
    std::string user;
    std::string hostname;
    std::string name;
    bool remove = false;      // --rm
    bool interactive = false; // -i
    bool tty = false;         // -t
    bool read_only = false;
    bool read_only_tmpfs = true; // with --read-only: tmpfs on /tmp, /var/tmp, /run (podman)
    bool init = false;
    bool privileged = false;
    std::vector<std::string> volumes;      // -v SRC:DST[:OPTS] or -v DST
    std::vector<std::string> mounts;       // --mount type=...,target=...
    std::vector<std::string> volumes_from; // --volumes-from CONTAINER[:ro|rw]
    std::vector<std::string> tmpfs;        // --tmpfs DST[:OPTS]
    std::vector<std::string> cap_add;
    std::vector<std::string> cap_drop;
    std::vector<std::string> security_opt; // seccomp=..., no-new-privileges
    std::vector<std::string> labels;       // KEY=VAL
    NetworkRequest net;                    // --network, -p, -P, --dns*, --add-host
    std::string userns;                    // "", host, keep-id
    int preserve_fds = 0;
    std::string pull_policy;               // "": config's
    PullOptions pull;
    bool detach = false;                   // -d: leave it to its monitor, print the id
    std::string restart;                   // --restart POLICY
    std::string stop_signal;               // --stop-signal (default: the image's, else SIGTERM)
    int stop_timeout = 10;                 // --stop-timeout seconds
    std::string detach_keys = "ctrl-p,ctrl-q"; // with -it
};

// Creates and starts the container. In the foreground (skiff itself is the
// container's monitor) returns its exit code; with detach prints its id and
// returns 0 once it runs.
int run(const Paths& paths, const Config& config, const RunOptions& opts);

} // namespace skiff::engine
