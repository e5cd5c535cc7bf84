// How a forked child tells its parent which step failed and why, without
// doing anything that is unsafe between fork and exec: the child fills a
// fixed-size record (no allocation), writes it to a CLOEXEC pipe and _exits.
// If the child reaches execve, the pipe closes on exec and the parent reads
// EOF: success.
#pragma once

#include <optional>
#include <string>

namespace skiff {

struct ChildFailure {
    int err = 0;          // errno of the failed call
    char step[96] = {};   // e.g. "pivot_root"
    char detail[160] = {}; // e.g. a path; may be empty

    std::string describe() const; // "pivot_root /x: Permission denied"
};

// Async-signal-safe. Writes the record to fd; never throws, never allocates.
void child_report_failure(int fd, const char* step, int err, const char* detail = nullptr) noexcept;

// Reads one record from fd. nullopt on EOF before any byte (the child exec'd
// or exited without reporting). Throws Error on a short record.
std::optional<ChildFailure> read_child_report(int fd);

} // namespace skiff
