#include "cli/context.hpp"

#include "util/log.hpp"

namespace skiff::cli {

const Paths& Context::paths() {
    if (!paths_) {
        paths_ = Paths::resolve(global.paths);
        if (paths_->runroot_fallback)
            log::warn("{}; using {} for runtime state", paths_->fallback_reason, paths_->runroot);
    }
    return *paths_;
}

const Config& Context::config() {
    if (!config_) config_ = Config::load(paths().config_file);
    return *config_;
}

} // namespace skiff::cli
