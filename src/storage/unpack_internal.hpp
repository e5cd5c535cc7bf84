// Internals of layer_unpack shared by its .cpp files; not a public API.
#pragma once

#include <ctime>
#include <map>
#include <string>
#include <unordered_set>

#include "storage/archive_api.hpp"
#include "storage/layer_unpack.hpp"

namespace skiff::storage::detail {

// A directory's mode and times are applied after all entries are written:
// a 0555 dir must stay writable while its children arrive, and writing a
// child would bump the dir's mtime.
struct DirFixup {
    mode_t mode = 0755;
    timespec times[2] = {};
};

struct UnpackContext {
    int root;
    const UnpackOptions& opts;
    UnpackResult& result;
    std::map<std::string, DirFixup> dirs;        // by rel path
    std::unordered_set<std::string> written;     // rel paths created by this layer
    std::unordered_set<std::string> ancestors;   // their parent dirs

    void mark_written(const std::string& rel);
    bool in_this_layer(const std::string& rel) const {
        return written.count(rel) > 0 || ancestors.count(rel) > 0;
    }
};

// Creates the entry at rel (already cleaned, not a whiteout).
void write_entry(UnpackContext& ctx, archive* a, archive_entry* e, const std::string& rel);

// Handles ".wh.NAME" in dir parent_rel (NAME already validated) and
// ".wh..wh..opq" in dir_rel, according to ctx.opts.whiteouts.
void apply_whiteout(UnpackContext& ctx, const std::string& parent_rel, const std::string& name);
void apply_opaque(UnpackContext& ctx, const std::string& dir_rel);

// Applies the deferred directory modes and times.
void finish_dirs(UnpackContext& ctx);

} // namespace skiff::storage::detail
