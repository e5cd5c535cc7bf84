// libcurl, opened on first use (see util/dynlib.hpp): the functions skiff
// calls, as a table. Call them as curl_api().curl_easy_init().
#pragma once

// The type-checking wrappers are macros named like the functions; they would
// expand inside curl_api().curl_easy_setopt(...).
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "util/dynlib.hpp"

namespace skiff {

#define SKIFF_CURL_FUNCTIONS(X) \
    X(curl_global_init)         \
    X(curl_easy_init)           \
    X(curl_easy_cleanup)        \
    X(curl_easy_reset)          \
    X(curl_easy_setopt)         \
    X(curl_easy_perform)        \
    X(curl_easy_getinfo)        \
    X(curl_easy_strerror)       \
    X(curl_slist_append)        \
    X(curl_slist_free_all)

struct CurlApi {
    SKIFF_CURL_FUNCTIONS(SKIFF_DYNLIB_MEMBER)
};

// Loads libcurl and runs curl_global_init the first time (thread-safe);
// throws Error if either fails.
const CurlApi& curl_api();

} // namespace skiff
