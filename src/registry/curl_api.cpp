#include "registry/curl_api.hpp"

#include "util/dynlib.hpp"
#include "util/error.hpp"

namespace skiff {

const CurlApi& curl_api() {
    static const CurlApi api = [] {
        auto c = load_table<CurlApi>("libcurl.so.4", "talking to registries",
                                     [](const DynLib& lib, CurlApi& t) { SKIFF_CURL_FUNCTIONS(SKIFF_DYNLIB_BIND) });
        if (c.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error("initialising libcurl failed");
        return c;
    }();
    return api;
}

} // namespace skiff
