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

std::string cache_path(const Paths& paths) { return paths.runroot + "/overlay-probe.json"; }

CachedOverlay overlay_probe(const Paths& paths) {
    if (auto c = cached_overlay_probe(paths)) return *c;
    std::string cache = cache_path(paths);
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

std::optional<CachedOverlay> cached_overlay_probe(const Paths& paths) {
    try {
        auto j = nlohmann::json::parse(read_file(cache_path(paths), 64 * 1024));
        return CachedOverlay{j.at("ok").get<bool>(), j.value("detail", "")};
    } catch (const std::exception&) {
        return std::nullopt; // absent or damaged: probe again
    }
}

StorageChoice storage_choice_for_run(const Paths& paths, const Config& config) {
    StorageFacts f;
    f.rootless = paths.rootless;
    if (config.storage_driver == "vfs") return choose_storage_driver(config.storage_driver, f);
    auto o = overlay_probe(paths);
    f.native_overlay = o.ok;
    f.native_overlay_detail = o.detail;
    // fuse-overlayfs matters when it is the fallback, or configured.
    if (!o.ok || config.storage_driver == "fuse-overlayfs") {
        f.fuse_overlayfs_binary = runtime::find_binary("fuse-overlayfs").found();
        auto dev = runtime::probe_device("/dev/fuse");
        f.dev_fuse = dev.accessible;
        f.dev_fuse_detail = dev.detail;
    }
    return choose_storage_driver(config.storage_driver, f);
}

} // namespace skiff::engine
