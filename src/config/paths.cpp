#include "config/paths.hpp"

#include <cstdlib>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace skiff {

namespace {
std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return (v != nullptr && v[0] == '/') ? std::string(v) : std::string();
}
} // namespace

std::string home_dir() {
    if (const char* h = std::getenv("HOME"); h != nullptr && h[0] == '/') return h;
    if (struct passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_dir != nullptr) return pw->pw_dir;
    throw Error("cannot find the home directory: $HOME is unset and the user has no passwd entry");
}

Paths Paths::resolve(const PathOverrides& o) {
    Paths p;
    uid_t uid = ::geteuid();
    p.rootless = uid != 0;

    if (!p.rootless) {
        p.root = "/var/lib/skiff";
        p.runroot = "/run/skiff";
        p.config_file = "/etc/skiff/config.yaml";
    } else {
        std::string data = env_or_empty("XDG_DATA_HOME");
        if (data.empty()) data = home_dir() + "/.local/share";
        p.root = data + "/skiff";

        std::string config = env_or_empty("XDG_CONFIG_HOME");
        if (config.empty()) config = home_dir() + "/.config";
        p.config_file = config + "/skiff/config.yaml";

        std::string run = env_or_empty("XDG_RUNTIME_DIR");
        struct stat st {};
        if (run.empty()) {
            p.fallback_reason = "XDG_RUNTIME_DIR is not set";
        } else if (::stat(run.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) {
            p.fallback_reason = "XDG_RUNTIME_DIR " + run + " does not exist";
        } else if (st.st_uid != uid) {
            p.fallback_reason = "XDG_RUNTIME_DIR " + run + " is not owned by the current user";
        }
        if (p.fallback_reason.empty()) {
            p.runroot = run + "/skiff";
        } else {
            // As podman does: a private directory under /tmp.
            const char* tmp = std::getenv("TMPDIR");
            std::string base = (tmp != nullptr && tmp[0] == '/') ? tmp : "/tmp";
            p.runroot = base + "/skiff-run-" + std::to_string(uid);
            p.runroot_fallback = true;
        }
    }
    if (!o.root.empty()) p.root = o.root;
    if (!o.runroot.empty()) {
        p.runroot = o.runroot;
        p.runroot_fallback = false;
    }
    if (!o.config.empty()) p.config_file = o.config;
    return p;
}

void Paths::ensure() const {
    int mode = rootless ? 0700 : 0711;
    make_dirs(root, mode);
    make_dirs(runroot, 0700);
    if (runroot_fallback) {
        // The fallback lives in a shared directory: make sure it is ours.
        struct stat st {};
        if (::lstat(runroot.c_str(), &st) < 0) throw_errno("checking " + runroot);
        if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
            throw Error("runtime directory " + runroot + " is not a directory owned by the current user");
        ::chmod(runroot.c_str(), 0700);
    }
}

} // namespace skiff
