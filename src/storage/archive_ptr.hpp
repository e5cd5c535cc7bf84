// RAII owners for libarchive handles.
#pragma once

#include <memory>

#include "storage/archive_api.hpp"

namespace skiff::storage {

struct ArchiveReadFree {
    void operator()(archive* a) const noexcept { archive_api().archive_read_free(a); }
};
struct ArchiveWriteFree {
    void operator()(archive* a) const noexcept { archive_api().archive_write_free(a); }
};

using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;
using ArchiveWriter = std::unique_ptr<archive, ArchiveWriteFree>;

} // namespace skiff::storage
