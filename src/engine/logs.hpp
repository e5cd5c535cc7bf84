// `skiff logs`: reads the k8s-file log the monitor writes (see
// monitor/protocol.hpp), with --tail, --since/--until, -t and -f.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/paths.hpp"

namespace skiff::engine {

struct LogOptions {
    bool follow = false;
    bool timestamps = false;
    std::optional<size_t> tail; // last N lines
    std::string since;          // RFC 3339, unix seconds, or a duration ago (10m, 1h30m)
    std::string until;
};

// Prints the container's log to stdout and stderr, each record to the
// stream it came from. Returns when the log is read (with follow: when the
// container no longer runs and its log is read).
void show_logs(const Paths& paths, const std::string& name_or_id, const LogOptions& opts);

// The log's timestamp form ("2026-11-30T04:40:01.123456789Z") of a --since
// or --until value; now_unix for durations. Throws Error when malformed.
std::string log_time_bound(std::string_view value, double now_unix);

} // namespace skiff::engine
