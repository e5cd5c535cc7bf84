// Leveled logging to stderr. Errors are not logged by library code (they are
// thrown); log lines are for the trace a user asks for with --log-level.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace skiff::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

void set_level(Level l) noexcept;
Level level() noexcept;
bool enabled(Level l) noexcept;
// "error" | "warn" | "info" | "debug"; nullopt for anything else.
std::optional<Level> parse_level(std::string_view s) noexcept;
const char* level_name(Level l) noexcept;

void write(Level l, std::string_view msg);

template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(Level::warn)) write(Level::warn, fmt::format(f, std::forward<Args>(a)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(Level::info)) write(Level::info, fmt::format(f, std::forward<Args>(a)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(Level::debug)) write(Level::debug, fmt::format(f, std::forward<Args>(a)...));
}

// Times a step of a flow and logs "step NAME: 1.23 ms" at info level when it ends.
class StepTimer {
public:
    explicit StepTimer(std::string name);
    ~StepTimer();
    StepTimer(const StepTimer&) = delete;
    StepTimer& operator=(const StepTimer&) = delete;

private:
    std::string name_;
    std::chrono::steady_clock::time_point start_;
};

} // namespace skiff::log
