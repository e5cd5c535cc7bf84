// Finds where a command's own flags end: `skiff run -it -e A=1 IMAGE ls -l`
// must give `ls -l` to the container, not to skiff's flag parser.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace skiff::cli {

// args: argv[1..]. If the command named in ctx_commands is selected, splits
// args at its first positional: returns the args for CLI11 (up to and
// including that positional) and fills trailing with the rest.
std::vector<std::string> split_trailing_args(const CLI::App& app, const std::vector<std::string>& args,
                                             const std::vector<std::string>& commands,
                                             std::vector<std::string>& trailing);

} // namespace skiff::cli
