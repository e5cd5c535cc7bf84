// Atomic replacement of a file: write a temp file in the same directory,
// fsync it, rename it over the target, fsync the directory. A crash leaves
// either the old content or the new one, never a mix.
#pragma once

#include <string>
#include <string_view>

namespace skiff {

void atomic_write_file(const std::string& path, std::string_view content, int mode = 0644);

// The same replacement by rename, without the fsyncs: for state that a crash
// may lose but must never leave half-written (container records, generated
// /etc files). Readers see the old or the new content; after a power loss
// the file may be missing or empty, which its readers tolerate.
void replace_file(const std::string& path, std::string_view content, int mode = 0644);

// replace_file, unless the file holds exactly content already (a restart,
// or a file written at create): then nothing is written.
void update_file(const std::string& path, std::string_view content, int mode = 0644);

// mkdir -p; existing directories are fine. Throws Error naming the path.
void make_dirs(const std::string& path, int mode = 0755);

} // namespace skiff
