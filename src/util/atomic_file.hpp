// Atomic replacement of a file: write a temp file in the same directory,
// fsync it, rename it over the target, fsync the directory. A crash leaves
// either the old content or the new one, never a mix.
#pragma once

#include <string>
#include <string_view>

namespace skiff {

void atomic_write_file(const std::string& path, std::string_view content, int mode = 0644);

// mkdir -p; existing directories are fine. Throws Error naming the path.
void make_dirs(const std::string& path, int mode = 0755);

} // namespace skiff
