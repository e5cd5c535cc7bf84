// Running a helper program (newuidmap, fuse-overlayfs, ...) and waiting for it.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace skiff {

struct CommandResult {
    int status = 0;      // exit code, or 128+signal
    std::string stderr_text; // what it said on stderr (bounded)
};

// fork+execv argv[0] (a path) with argv; stdout to /dev/null, stderr captured.
// Throws Error if it cannot be started; returns its status otherwise.
CommandResult run_command(const std::vector<std::string>& argv);

// waitpid that retries on EINTR; returns the raw status.
int wait_for(pid_t pid);

// 0..255 exit code from a wait status: the exit code, or 128+signal.
int exit_code_of(int wait_status);

// Whether this process has one thread (/proc/self/status): only then may a
// forked child go on running C++ without an exec.
bool single_threaded();

} // namespace skiff
