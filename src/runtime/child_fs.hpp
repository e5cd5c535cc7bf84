// Async-signal-safe file system helpers for the container child: no
// allocation, fixed buffers, errno preserved for the caller's report.
#pragma once

#include <cstddef>
#include <sys/types.h>

namespace skiff::runtime::childfs {

inline constexpr size_t kPathMax = 4096;

// Appends src to dst (capacity cap); returns false when it does not fit.
bool append(char* dst, size_t cap, const char* src) noexcept;
// "/proc/self/fd/N" into buf.
void fd_path(char* buf, size_t cap, int fd) noexcept;
// mkdir -p; 0 or -1 with errno.
int mkdir_p(const char* path, mode_t mode) noexcept;
// Makes sure path exists as an empty file (creating parents); 0 or -1.
int touch_p(const char* path) noexcept;
// Remounts the mount at path read-only, keeping the flags a user namespace
// may not clear (nosuid, nodev, noexec, atime). 0 or -1 with errno.
int remount_readonly(const char* path) noexcept;
// Brings the loopback interface up. 0 or -1 with errno.
int loopback_up() noexcept;

} // namespace skiff::runtime::childfs
