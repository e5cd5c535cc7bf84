#include "engine/top.hpp"

#include <algorithm>
#include <climits>
#include <sstream>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/container_state.hpp"
#include "util/dir_list.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::engine {

namespace {

std::string slurp(const std::string& path) {
    try {
        return read_file(path, 1 << 16);
    } catch (const Error&) {
        return "";
    }
}

std::string ns_of(const std::string& pid) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(("/proc/" + pid + "/ns/pid").c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// The last value of a "Key:\tv1\tv2" line of /proc/PID/status (the one in
// the innermost namespace), or the first.
std::string status_field(const std::string& status, const std::string& key, bool last) {
    auto at = status.find("\n" + key + ":");
    if (at == std::string::npos) return "";
    auto end = status.find('\n', at + 1);
    std::istringstream in(status.substr(at + key.size() + 2, end - at - key.size() - 2));
    std::string v, out;
    while (in >> v) {
        out = v;
        if (!last) break;
    }
    return out;
}

// A host uid as the container sees it, through the container's uid_map.
std::string inside_id(const std::string& map, const std::string& host) {
    if (host.empty()) return "?";
    unsigned long h = std::stoul(host);
    std::istringstream in(map);
    unsigned long inside, outside, count;
    while (in >> inside >> outside >> count)
        if (h >= outside && h < outside + count) return std::to_string(inside + (h - outside));
    return "?";
}

} // namespace

std::string container_top(const Paths& paths, const std::string& key) {
    ContainerStore store(paths.root);
    ContainerRecord rec = lookup_fresh(store, key);
    if (rec.state.status != "running" || !process_alive(rec.state.pid, rec.state.pid_start))
        throw Error(fmt::format("top can only be used on running containers: {} is {}", rec.name, rec.state.status));
    std::string init = std::to_string(rec.state.pid);
    std::string ns = ns_of(init);
    if (ns.empty()) throw_errno("reading the pid namespace of container " + rec.name);
    std::string uid_map = slurp("/proc/" + init + "/uid_map");
    struct Row {
        long pid;
        std::string line;
    };
    std::vector<Row> rows;
    for (const std::string& p : list_dir("/proc")) {
        if (p.find_first_not_of("0123456789") != std::string::npos || ns_of(p) != ns) continue;
        std::string status = slurp("/proc/" + p + "/status");
        if (status.empty()) continue;
        std::string cmdline = slurp("/proc/" + p + "/cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        while (!cmdline.empty() && cmdline.back() == ' ') cmdline.pop_back();
        if (cmdline.empty()) cmdline = "[" + status_field("\n" + status, "Name", false) + "]";
        std::string pid = status_field(status, "NSpid", true);
        std::string ppid = status_field(status, "PPid", false);
        // The parent's pid inside: the container's first process has none.
        std::string ppid_inside = ppid == std::to_string(rec.state.pid) || p == init
                                      ? (p == init ? "0" : "1")
                                      : status_field(slurp("/proc/" + ppid + "/status"), "NSpid", true);
        std::string uid = inside_id(uid_map, status_field(status, "Uid", false));
        rows.push_back({std::stol(pid.empty() ? "0" : pid),
                        fmt::format("{}\t{}\t{}\t{}", uid, pid, ppid_inside.empty() ? "?" : ppid_inside, cmdline)});
    }
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.pid < b.pid; });
    std::string out = "UID\tPID\tPPID\tCOMMAND\n";
    for (const auto& r : rows) out += r.line + "\n";
    // Align the columns.
    std::vector<std::vector<std::string>> cells;
    std::vector<size_t> width;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        std::vector<std::string> row;
        size_t start = 0, tab;
        while ((tab = line.find('\t', start)) != std::string::npos && row.size() < 3) {
            row.push_back(line.substr(start, tab - start));
            start = tab + 1;
        }
        row.push_back(line.substr(start));
        for (size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], row[i].size());
        }
        cells.push_back(row);
    }
    std::string text;
    for (const auto& row : cells) {
        for (size_t i = 0; i < row.size(); ++i)
            text += i + 1 < row.size() ? fmt::format("{:<{}}   ", row[i], width[i]) : row[i];
        text += "\n";
    }
    return text;
}

} // namespace skiff::engine
