// pause/unpause: the cgroup freezer. A container started where skiff may
// create cgroups (as root, with cgroup v1's freezer controller or on a pure
// cgroup v2 host) gets a cgroup of its own, skiff/<id>, that exists only to be
// frozen; every process of the container, `exec` ones too, lives in it.
// Rootless there is none: no cgroup is delegated to the user on hosts like
// this one, and pause says so.
#pragma once

#include <optional>
#include <string>

namespace skiff::runtime {

class Freezer {
public:
    // The freezer of container id on this host; nullopt (and *why) when
    // skiff cannot freeze containers here.
    static std::optional<Freezer> for_container(const std::string& id, bool rootless, std::string* why = nullptr);

    // Creates the cgroup (and skiff/ above it) if missing.
    void create() const;
    // Moves pid (all its threads) into the cgroup.
    void add(int pid) const;
    bool exists() const;
    // The file that moves a process in when "0" is written to it.
    std::string procs_file() const;
    // Freezes every process in it and waits until the kernel says so (at
    // most about 2 s; then it thaws again and throws).
    void freeze() const;
    void thaw() const;
    // Removes the cgroup once it is empty; a missing one is fine.
    void remove() const noexcept;

private:
    Freezer(std::string dir, bool v2) : dir_(std::move(dir)), v2_(v2) {}
    bool frozen() const;

    std::string dir_;
    bool v2_;
};

} // namespace skiff::runtime
