// What every command gets: the global options, and lazily the resolved paths
// and configuration (so `skiff --version` touches no file).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

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

    // Commands of the form `CMD [FLAGS] FIRST [ARGS...]` (run IMAGE CMD...,
    // exec CONTAINER CMD...): their flags stop at FIRST, and everything
    // after it is handed over untouched in trailing_args.
    std::vector<std::string> stop_at_first_positional;
    std::vector<std::string> trailing_args;

private:
    std::optional<Paths> paths_;
    std::optional<Config> config_;
};

} // namespace skiff::cli
