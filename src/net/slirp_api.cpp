#include "net/slirp_api.hpp"

#include "util/dynlib.hpp"

namespace skiff::net {

const SlirpApi& slirp_api() {
    static const SlirpApi api = [] {
        DynLib lib("libslirp.so.0", "the user-mode network (slirp)");
        SlirpApi s{};
#define SKIFF_SLIRP_BIND(name) lib.bind(s.name, #name);
        SKIFF_SLIRP_FUNCTIONS(SKIFF_SLIRP_BIND)
#undef SKIFF_SLIRP_BIND
        return s;
    }();
    return api;
}

} // namespace skiff::net
