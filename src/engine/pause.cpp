#include "engine/pause.hpp"

#include <fmt/format.h>

#include "engine/container_state.hpp"
#include "runtime/freezer.hpp"
#include "util/error.hpp"
#include "util/lock.hpp"
#include "util/log.hpp"

namespace skiff::engine {

namespace {

runtime::Freezer freezer_of(const Paths& paths, const ContainerRecord& rec, const char* verb) {
    std::string why;
    auto f = runtime::Freezer::for_container(rec.id, paths.rootless, &why);
    if (!f) throw Error(fmt::format("{} needs the cgroup freezer: {}", verb, why));
    if (!f->exists())
        throw Error(fmt::format("{}: container {} was started without a freezer cgroup (restart it to pause it)", verb,
                                rec.name));
    return *f;
}

// Sets the status of a container that still is what `expect` says.
void set_status(ContainerStore& store, const std::string& id, const char* expect, const char* status) {
    FileLock lock(store.lock_path());
    auto now = store.find(id);
    if (!now || now->state.status != expect) return;
    now->state.status = status;
    store.save(*now);
}

} // namespace

void pause_container(const Paths& paths, const std::string& key) {
    ContainerStore store(paths.root);
    ContainerRecord rec = lookup_fresh(store, key);
    if (rec.state.status == "paused") throw Error(fmt::format("container {} is already paused", rec.name));
    if (rec.state.status != "running")
        throw Error(fmt::format("can only pause running containers. {} is in state {}", rec.name, rec.state.status));
    freezer_of(paths, rec, "pause").freeze();
    set_status(store, rec.id, "running", "paused");
}

void unpause_container(const Paths& paths, const std::string& key) {
    ContainerStore store(paths.root);
    ContainerRecord rec = lookup_fresh(store, key);
    if (rec.state.status != "paused")
        throw Error(fmt::format("can only unpause paused containers. {} is in state {}", rec.name, rec.state.status));
    freezer_of(paths, rec, "unpause").thaw();
    set_status(store, rec.id, "paused", "running");
}

void join_freezer(const Paths& paths, const std::string& id, int pid) {
    auto f = runtime::Freezer::for_container(id, paths.rootless);
    if (!f) return;
    try {
        f->create();
        f->add(pid);
    } catch (const Error& e) {
        log::debug("container {}: no freezer cgroup, pause will not work: {}", id.substr(0, 12), e.what());
    }
}

std::string freezer_procs_file(const Paths& paths, const std::string& id) {
    auto f = runtime::Freezer::for_container(id, paths.rootless);
    return f && f->exists() ? f->procs_file() : std::string();
}

void thaw_for_signal(const Paths& paths, const ContainerRecord& rec) {
    if (rec.state.status != "paused") return;
    auto f = runtime::Freezer::for_container(rec.id, paths.rootless);
    if (!f || !f->exists()) return;
    try {
        f->thaw();
    } catch (const Error& e) {
        log::warn("thawing container {}: {}", rec.name, e.what());
    }
}

void remove_freezer(const Paths& paths, const std::string& id) noexcept {
    if (auto f = runtime::Freezer::for_container(id, paths.rootless)) f->remove();
}

} // namespace skiff::engine
