// What every command gets: the global options, and lazily the resolved paths
// and configuration (so `skiff --version` touches no file).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "config/paths.hpp"

namespace skiff::cli {

struct GlobalOptions {
    std::string log_level; // empty: config's, else "warn"
    PathOverrides paths;
};

class Context {
public:
    GlobalOptions global;

    // Resolved on first use. paths() also warns once about a runroot fallback.
    const Paths& paths();
    const Config& config();

    // The chosen command's work; set by the command's parse callback and run
    // by cli::main after parsing succeeded. Returns the process exit code.
    std::function<int()> action;

private:
    std::optional<Paths> paths_;
    std::optional<Config> config_;
};

} // namespace skiff::cli
