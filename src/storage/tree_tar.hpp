// A tar stream of a tree (for `skiff cp CONTAINER:PATH -`): the entry
// src_name of src_dir, recursively, never following a symlink, with owners
// and modes as stat shows them (inside the container's ID mapping: the
// container's owners). POSIX pax format. Safe in a forked helper child.
#pragma once

#include <string>

namespace skiff::storage {

// Writes the tar to out_fd; entry names start with dst_name.
void write_tree_tar(int src_dir, const std::string& src_name, const std::string& dst_name, int out_fd);

} // namespace skiff::storage
