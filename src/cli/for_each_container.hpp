// Commands that take several containers (stop, kill, rm, pause, ...) act on
// each in turn and report each failure without stopping, as docker does.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "util/error.hpp"

namespace skiff::cli {

// Runs f for each name; prints the name on success, the error otherwise.
// Returns 0, or the exit code of the first failure.
template <typename F>
int for_each_container(const std::vector<std::string>& names, F&& f, bool print_names = true) {
    int rc = 0;
    for (const auto& n : names) {
        try {
            f(n);
            if (print_names) fmt::print("{}\n", n);
            std::fflush(stdout);
        } catch (const Error& e) {
            std::fflush(stdout);
            fmt::print(stderr, "Error: {}\n", e.what());
            rc = rc == 0 ? e.exit_code() : rc;
        }
    }
    return rc;
}

} // namespace skiff::cli
