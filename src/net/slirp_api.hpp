// libslirp, opened on first use by the network helper (see util/dynlib.hpp):
// the functions skiff calls, as a table. Call them as slirp_api().slirp_new().
#pragma once

#include <slirp/libslirp.h>

#include "util/dynlib.hpp"

namespace skiff::net {

#define SKIFF_SLIRP_FUNCTIONS(X) \
    X(slirp_new)                 \
    X(slirp_cleanup)             \
    X(slirp_add_hostxfwd)        \
    X(slirp_input)               \
    X(slirp_pollfds_fill)        \
    X(slirp_pollfds_poll)

struct SlirpApi {
    SKIFF_SLIRP_FUNCTIONS(SKIFF_DYNLIB_MEMBER)
};

// Loads libslirp the first time (thread-safe); throws Error if it cannot.
const SlirpApi& slirp_api();

} // namespace skiff::net
