#include "registry/curl_api.hpp"

#include "util/dynlib.hpp"
#include "util/error.hpp"

namespace skiff {

const CurlApi& curl_api() {
    static const CurlApi api = [] {
        DynLib lib("libcurl.so.4", "talking to registries");
        CurlApi c{};
#define SKIFF_CURL_BIND(name) lib.bind(c.name, #name);
        SKIFF_CURL_FUNCTIONS(SKIFF_CURL_BIND)
#undef SKIFF_CURL_BIND
        if (c.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error("initialising libcurl failed");
        return c;
    }();
    return api;
}

} // namespace skiff
