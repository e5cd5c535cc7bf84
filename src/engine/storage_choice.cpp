#include "engine/storage_choice.hpp"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "runtime/probe.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace skiff::engine {

namespace {

struct CachedOverlay {
    bool ok = false;
    std::string detail;
};

CachedOverlay overlay_probe(const Paths& paths) {
    std::string cache = paths.runroot + "/overlay-probe.json";
    try {
        auto j = nlohmann::json::parse(read_file(cache, 64 * 1024));
        return {j.at("ok").get<bool>(), j.value("detail", "")};
    } catch (const std::exception&) {
        // absent or damaged: probe again
    }
    log::StepTimer t("probe native overlayfs");
    auto p = runtime::probe_native_overlay(paths.root, paths.rootless, ::geteuid(), ::getegid());
    CachedOverlay c{p.ok, p.detail};
    try {
        make_dirs(paths.runroot, 0700);
        atomic_write_file(cache, nlohmann::json{{"ok", c.ok}, {"detail", c.detail}}.dump(), 0600);
    } catch (const Error& e) {
        log::debug("not caching the overlay probe: {}", e.what());
    }
    return c;
}

} // namespace

StorageChoice storage_choice_for_run(const Paths& paths, const Config& config) {
    StorageFacts f;
    f.rootless = paths.rootless;
    if (config.storage_driver == "vfs") return choose_storage_driver(config.storage_driver, f);
    auto o = overlay_probe(paths);
    f.native_overlay = o.ok;
    f.native_overlay_detail = o.detail;
    if (!o.ok) {
        f.fuse_overlayfs_binary = runtime::find_binary("fuse-overlayfs").found();
        auto dev = runtime::probe_device("/dev/fuse");
        f.dev_fuse = dev.accessible;
        f.dev_fuse_detail = dev.detail;
    }
    return choose_storage_driver(config.storage_driver, f);
}

} // namespace skiff::engine
