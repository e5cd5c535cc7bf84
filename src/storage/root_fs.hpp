// Filesystem operations confined to a root directory fd. Paths are relative
// to the root ("a/b/c", already cleaned by clean_entry_path); symlinks met on
// the way are resolved as if the root were "/" (openat2 RESOLVE_IN_ROOT), so
// nothing here ever touches a file outside the root. Used by layer unpack and
// by the store's deletions; safe to call in a forked helper child.
#pragma once

#include <string>
#include <sys/types.h>
#include <utility>

#include "util/fd.hpp"

namespace skiff::storage {

// Lexically cleans a tar entry name: drops leading "/", "." and empty
// components, folds "x/..". Returns "" for the root itself. Throws Error if
// a ".." would climb above the root (the entry is refused, not clamped).
std::string clean_entry_path(const std::string& name);

// "a/b/c" -> {"a/b", "c"}; "c" -> {"", "c"}.
std::pair<std::string, std::string> split_parent(const std::string& rel);

// Opens rel inside root. Symlinks in rel are followed but never out of the
// root; magic links (/proc/self/fd/...) are refused. Falls back to a
// component-by-component O_NOFOLLOW walk (refusing any symlink) on kernels
// without openat2. flags gets O_CLOEXEC added. Throws Error naming rel.
UniqueFd open_in_root(int rootfd, const std::string& rel, int flags, mode_t mode = 0);

// Opens the directory rel inside root, creating missing components (mode
// `mode`) one at a time, each created with mkdirat in its resolved parent.
UniqueFd make_dirs_in_root(int rootfd, const std::string& rel, mode_t mode = 0755);

// rm -rf of `name` inside dirfd, never following a symlink; a missing name
// is not an error. Directories without write permission are made writable
// first (a rootless user owns them but may have created them 0555).
void remove_tree_at(int dirfd, const std::string& name);

// Removes every child of the directory dirfd (the directory itself stays).
void clear_dir(int dirfd);

// rm -rf of an absolute or cwd-relative path whose last component may be a
// directory; the parent is opened normally (it is ours, e.g. the store).
void remove_tree(const std::string& path);

} // namespace skiff::storage
