#include "storage/archive_api.hpp"

#include "util/dynlib.hpp"

namespace skiff::storage {

const ArchiveApi& archive_api() {
    static const ArchiveApi api = [] {
        DynLib lib("libarchive.so.13", "reading and writing tar archives");
        ArchiveApi a{};
#define SKIFF_ARCHIVE_BIND(name) lib.bind(a.name, #name);
        SKIFF_ARCHIVE_FUNCTIONS(SKIFF_ARCHIVE_BIND)
#undef SKIFF_ARCHIVE_BIND
        return a;
    }();
    return api;
}

} // namespace skiff::storage
