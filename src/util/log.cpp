#include "util/log.hpp"

#include <atomic>
#include <unistd.h>

namespace skiff::log {

namespace {
std::atomic<Level> g_level{Level::warn};
const char* name(Level l) {
    switch (l) {
    case Level::error: return "error";
    case Level::warn: return "warn";
    case Level::info: return "info";
    case Level::debug: return "debug";
    }
    return "?";
}
} // namespace

void set_level(Level l) noexcept { g_level = l; }
Level level() noexcept { return g_level; }
bool enabled(Level l) noexcept { return static_cast<int>(l) <= static_cast<int>(g_level.load()); }

std::optional<Level> parse_level(std::string_view s) noexcept {
    if (s == "error") return Level::error;
    if (s == "warn" || s == "warning") return Level::warn;
    if (s == "info") return Level::info;
    if (s == "debug" || s == "trace") return Level::debug;
    return std::nullopt;
}

void write(Level l, std::string_view msg) {
    // One write(2) per line so concurrent processes do not interleave mid-line.
    std::string line = fmt::format("{}[{}] {}\n", "skiff: ", name(l), msg);
    ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
}

StepTimer::StepTimer(std::string name) : name_(std::move(name)), start_(std::chrono::steady_clock::now()) {}

StepTimer::~StepTimer() {
    if (!enabled(Level::info)) return;
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_).count();
    info("step {}: {:.2f} ms", name_, static_cast<double>(us) / 1000.0);
}

const char* level_name(Level l) noexcept { return name(l); }

} // namespace skiff::log
