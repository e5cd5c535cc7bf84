#include "net/slirp_api.hpp"

#include "util/dynlib.hpp"

namespace skiff::net {

const SlirpApi& slirp_api() {
    static const SlirpApi api = load_table<SlirpApi>(
        "libslirp.so.0", "the user-mode network (slirp)",
        [](const DynLib& lib, SlirpApi& t) { SKIFF_SLIRP_FUNCTIONS(SKIFF_DYNLIB_BIND) });
    return api;
}

} // namespace skiff::net
