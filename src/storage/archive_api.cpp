#include "storage/archive_api.hpp"

#include "util/dynlib.hpp"

namespace skiff::storage {

const ArchiveApi& archive_api() {
    static const ArchiveApi api = load_table<ArchiveApi>(
        "libarchive.so.13", "reading and writing tar archives",
        [](const DynLib& lib, ArchiveApi& t) { SKIFF_ARCHIVE_FUNCTIONS(SKIFF_DYNLIB_BIND) });
    return api;
}

} // namespace skiff::storage
