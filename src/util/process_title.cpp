#include "util/process_title.hpp"

#include <cstring>

namespace skiff {

namespace {
char* g_start = nullptr;
size_t g_len = 0;
} // namespace

void remember_argv(int argc, char** argv) noexcept {
    if (argc <= 0 || argv == nullptr || argv[0] == nullptr) return;
    g_start = argv[0];
    // argv strings are contiguous; the area ends after the last one.
    char* end = argv[argc - 1] + std::strlen(argv[argc - 1]);
    g_len = static_cast<size_t>(end - g_start);
}

void set_process_title(const char* title) noexcept {
    if (g_start == nullptr) return;
    size_t n = std::strlen(title);
    if (n > g_len) n = g_len;
    std::memset(g_start, 0, g_len);
    std::memcpy(g_start, title, n);
}

} // namespace skiff
