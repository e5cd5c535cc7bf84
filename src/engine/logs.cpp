#include "engine/logs.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "engine/container_state.hpp"
#include "monitor/protocol.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::engine {

namespace {

std::string format_time(double unix_secs) {
    auto secs = static_cast<std::time_t>(std::floor(unix_secs));
    auto ns = static_cast<long>((unix_secs - static_cast<double>(secs)) * 1e9);
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:09d}Z", fmt::gmtime(secs), ns);
}

// "1h30m", "10s", "2.5m" -> seconds; nullopt if not a duration.
std::optional<double> parse_duration(std::string_view s) {
    if (s.empty()) return std::nullopt;
    double total = 0;
    size_t i = 0;
    while (i < s.size()) {
        size_t start = i;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
        if (start == i || i == s.size()) return std::nullopt;
        double v = std::stod(std::string(s.substr(start, i - start)));
        std::string unit;
        while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) unit += s[i++];
        if (unit == "h") total += v * 3600;
        else if (unit == "m") total += v * 60;
        else if (unit == "s") total += v;
        else if (unit == "ms") total += v / 1000;
        else return std::nullopt;
    }
    return total;
}

struct Record {
    std::string_view time, stream, content;
    bool full = true;
};

bool parse_record(std::string_view line, Record* r) {
    auto a = line.find(' ');
    if (a == std::string_view::npos) return false;
    auto b = line.find(' ', a + 1);
    if (b == std::string_view::npos || b + 2 >= line.size() + 1) return false;
    r->time = line.substr(0, a);
    r->stream = line.substr(a + 1, b - a - 1);
    if (b + 2 > line.size()) return false;
    r->full = line[b + 1] != 'P';
    r->content = b + 3 <= line.size() ? line.substr(b + 3) : std::string_view();
    return true;
}

class Printer {
public:
    explicit Printer(const LogOptions& o, std::string since, std::string until)
        : o_(o), since_(std::move(since)), until_(std::move(until)) {}

    void print(const Record& r) {
        if (!since_.empty() && r.time < since_) return;
        if (!until_.empty() && r.time > until_) return;
        FILE* to = r.stream == "stderr" ? stderr : stdout;
        // Both streams may be the same file: keep the records' order.
        if (last_ != nullptr && last_ != to) std::fflush(last_);
        last_ = to;
        if (o_.timestamps && at_line_start_) fmt::print(to, "{} ", r.time);
        std::fwrite(r.content.data(), 1, r.content.size(), to);
        if (r.full) std::fputc('\n', to);
        at_line_start_ = r.full;
    }

private:
    const LogOptions& o_;
    std::string since_, until_;
    bool at_line_start_ = true;
    FILE* last_ = nullptr;
};

} // namespace

std::string log_time_bound(std::string_view v, double now) {
    if (auto d = parse_duration(v)) return format_time(now - *d);
    if (!v.empty() && v.find_first_not_of("0123456789.") == std::string_view::npos)
        return format_time(std::stod(std::string(v)));
    struct tm tm {};
    std::string s(v);
    const char* p = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == nullptr) p = ::strptime(s.c_str(), "%Y-%m-%d", &tm);
    if (p == nullptr)
        throw Error(fmt::format("invalid time '{}': use RFC 3339 (2026-01-02T15:04:05Z), unix seconds, or a "
                                "duration such as 10m",
                                v));
    double t = static_cast<double>(::timegm(&tm));
    if (*p == '.') {
        char* end = nullptr;
        t += std::strtod(p, &end);
        p = end;
    }
    if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        if (std::sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2) t -= (*p == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
    }
    return format_time(t);
}

void show_logs(const Paths& paths, const std::string& key, const LogOptions& o) {
    double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    Printer printer(o, o.since.empty() ? "" : log_time_bound(o.since, now), o.until.empty() ? "" : log_time_bound(o.until, now));
    ContainerStore store(paths.root);
    ContainerRecord rec = lookup_fresh(store, key);
    std::string path = store.dir(rec.id) + "/" + monitor::kLogFile;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd && errno != ENOENT) throw_errno("opening the log " + path);

    std::string pending; // a line not yet terminated in the file
    auto read_more = [&](std::deque<std::string>* into) {
        if (!fd) return false;
        char buf[65536];
        bool got = false;
        for (;;) {
            ssize_t n = ::read(fd.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got = true;
            pending.append(buf, static_cast<size_t>(n));
            size_t start = 0, nl;
            while ((nl = pending.find('\n', start)) != std::string::npos) {
                into->emplace_back(pending.substr(start, nl - start));
                start = nl + 1;
            }
            pending.erase(0, start);
        }
        return got;
    };
    std::deque<std::string> lines;
    read_more(&lines);
    if (o.tail) {
        // The last N lines: count full records from the end.
        size_t full = 0, keep = lines.size();
        for (size_t i = lines.size(); i > 0; --i) {
            Record r;
            if (parse_record(lines[i - 1], &r) && r.full) {
                if (full == *o.tail) break;
                ++full;
            }
            keep = i - 1;
        }
        lines.erase(lines.begin(), lines.begin() + static_cast<long>(keep));
    }
    auto flush = [&] {
        for (const auto& l : lines) {
            Record r;
            if (parse_record(l, &r)) printer.print(r);
        }
        lines.clear();
        std::fflush(stdout);
        std::fflush(stderr);
    };
    flush();
    if (!o.follow) return;
    for (;;) {
        if (!fd) fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (read_more(&lines)) {
            flush();
            continue;
        }
        auto now_rec = store.find(rec.id);
        if (!now_rec) return;
        ContainerRecord fresh = lookup_fresh(store, rec.id);
        if (!is_running(fresh)) {
            read_more(&lines);
            flush();
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

} // namespace skiff::engine
