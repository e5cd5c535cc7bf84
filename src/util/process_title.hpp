// What `ps` shows for a skiff process that stays inside a container (the
// --init process): /proc/PID/cmdline reads the original argv memory, so it
// is overwritten in place. main() remembers where argv lives.
#pragma once

namespace skiff {

void remember_argv(int argc, char** argv) noexcept;
// Async-signal-safe. Truncates to the original argv's length.
void set_process_title(const char* title) noexcept;

} // namespace skiff
