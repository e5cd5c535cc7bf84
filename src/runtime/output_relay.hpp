// A foreground container's output on its way to skiff's own stdout and
// stderr, and into the container log (ProcessSpec::log_fd), as the monitor
// does for a detached one.
#pragma once

#include "util/fd.hpp"

namespace skiff::runtime {

struct OutputRelay {
    UniqueFd out_r, err_r; // skiff's ends; no err_r when merged
    UniqueFd out_w, err_w; // the command's ends; no err_w when merged
    bool merged() const { return !err_r; }
};

// Pipes for the command's stdout and stderr. When skiff's stdout and stderr
// are one file (a terminal, or 2>&1), the command gets one pipe for both so
// that their order is kept; the log then records both as stdout. The
// command's ends are placed at or above min_fd, clear of --preserve-fds.
OutputRelay make_output_relay(int min_fd);

// Copies one chunk from `from` to `to` and, with log_fd >= 0, into the log
// as records of `stream`. False at EOF or a read error, and when `to` is
// gone (EPIPE): the caller closes `from`, and the command finds its output
// closed as it would writing there directly.
bool relay_chunk(int from, int to, int log_fd, const char* stream);

} // namespace skiff::runtime
