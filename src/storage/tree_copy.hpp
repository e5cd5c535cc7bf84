// Copying a directory tree between two open directories without ever
// following a symlink: every entry is opened relative to its parent with
// O_NOFOLLOW, symlinks are copied as links. Used to seed a fresh volume
// from the image (inside the user's ID mapping, so owners are kept) and
// for `U` (chown of a mount source). Safe in a forked helper child.
#pragma once

#include <sys/types.h>

#include <string>

namespace skiff::storage {

struct CopyOptions {
    bool overwrite = false;  // replace existing files, merge into existing directories
    bool keep_owners = true; // else every copy gets uid:gid
    uid_t uid = 0;
    gid_t gid = 0;
};

// Copies the entry src_name of src_dir (a directory recursively, a symlink
// as a link) to dst_name in dst_dir. src_name "." is src_dir itself.
void copy_entry(int src_dir, const std::string& src_name, int dst_dir, const std::string& dst_name,
                const CopyOptions& opts);

// Copies the entries of src into dst (which exists): directories, regular
// files, symlinks, fifos and device nodes, with modes, owners and times.
// Hard links become separate copies. Throws Error naming the entry.
void copy_tree(int src_dir, int dst_dir, const CopyOptions& opts = {});

// Copies the mode and owner of the directory src onto dst.
void copy_dir_attrs(int src_dir, int dst_dir);

// chown -R (never following symlinks) of dir and everything under it.
void chown_tree(int dir, uid_t uid, gid_t gid);

} // namespace skiff::storage
