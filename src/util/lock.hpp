// flock(2)-based locks on a file. Held for the life of the object; released
// by the kernel if the process dies, so a crash never leaves a stale lock.
#pragma once

#include <string>

#include "util/fd.hpp"

namespace skiff {

class FileLock {
public:
    enum class Mode { shared, exclusive };

    // Blocks until the lock is held. Creates the lock file if needed.
    FileLock(const std::string& path, Mode mode = Mode::exclusive);
    // Non-blocking variant: returns an unlocked object if someone else holds it.
    static FileLock try_lock(const std::string& path, Mode mode = Mode::exclusive);

    FileLock(FileLock&&) noexcept = default;
    FileLock& operator=(FileLock&&) noexcept = default;

    bool held() const noexcept { return static_cast<bool>(fd_); }
    void unlock() noexcept { fd_.reset(); }

private:
    FileLock() = default;
    UniqueFd fd_;
};

} // namespace skiff
