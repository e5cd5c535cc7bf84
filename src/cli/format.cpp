#include "cli/format.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>
#include <ctime>

#include <fmt/format.h>

#include "util/error.hpp"

namespace skiff::cli {

std::string human_size(uint64_t bytes) {
    static const char* const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double v = static_cast<double>(bytes);
    size_t u = 0;
    while (v >= 1000.0 && u + 1 < std::size(units)) {
        v /= 1000.0;
        ++u;
    }
    // %.3g of go-units, which never uses an exponent below 1e3.
    std::string num = fmt::format("{:.3g}", v);
    return num + " " + units[u];
}

std::string time_ago(int64_t then, int64_t now) {
    int64_t s = now - then;
    if (s < 0) s = 0;
    const int64_t minute = 60, hour = 60 * minute, day = 24 * hour, week = 7 * day;
    const int64_t month = 30 * day, year = 365 * day;
    std::string d;
    if (s < 1) d = "Less than a second";
    else if (s == 1) d = "1 second";
    else if (s < minute) d = fmt::format("{} seconds", s);
    else if (s / minute == 1) d = "About a minute";
    else if (s < hour) d = fmt::format("{} minutes", s / minute);
    else if (s / hour == 1) d = "About an hour";
    else if (s < 2 * day) d = fmt::format("{} hours", s / hour);
    else if (s < 2 * week) d = fmt::format("{} days", s / day);
    else if (s < 3 * month) d = fmt::format("{} weeks", s / week);
    else if (s < 2 * year) d = fmt::format("{} months", s / month);
    else d = fmt::format("{} years", s / year);
    return d + " ago";
}

int64_t parse_rfc3339(std::string_view s) {
    struct tm tm {};
    std::string str(s);
    const char* p = ::strptime(str.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == nullptr) return 0;
    while (*p == '.' || std::isdigit(static_cast<unsigned char>(*p))) ++p; // fraction
    int64_t t = ::timegm(&tm);
    if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        if (std::sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2) t -= (*p == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
    }
    return t;
}

std::string align_columns(const std::vector<std::string>& rows) {
    std::vector<std::vector<std::string>> cells;
    std::vector<size_t> width;
    for (const auto& r : rows) {
        std::vector<std::string> c;
        size_t start = 0;
        for (;;) {
            size_t tab = r.find('\t', start);
            c.push_back(r.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
            if (tab == std::string::npos) break;
            start = tab + 1;
        }
        // A cell's width counts UTF-8 code points, not bytes.
        for (size_t i = 0; i < c.size(); ++i) {
            size_t w = 0;
            for (unsigned char ch : c[i]) w += (ch & 0xC0) != 0x80;
            if (i + 1 < c.size()) { // the last cell of a row sets no width
                if (width.size() <= i) width.resize(i + 1, 0);
                width[i] = std::max(width[i], w);
            }
        }
        cells.push_back(std::move(c));
    }
    std::string out;
    for (const auto& c : cells) {
        std::string line;
        for (size_t i = 0; i < c.size(); ++i) {
            line += c[i];
            if (i + 1 < c.size()) {
                size_t w = 0;
                for (unsigned char ch : c[i]) w += (ch & 0xC0) != 0x80;
                line.append(width[i] - w + 3, ' ');
            }
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

namespace {

std::string unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 't' || s[i + 1] == 'n')) {
            out += s[i + 1] == 't' ? '\t' : '\n';
            ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string_view::npos ? "" : std::string(s.substr(b, e - b + 1));
}

// ".A.B" -> "A.B"; "." -> "". Throws for anything that is not a field path.
std::string field_path(const std::string& action, const std::string& arg) {
    if (arg == ".") return "";
    bool ok = arg.size() > 1 && arg[0] == '.';
    for (size_t i = 1; ok && i < arg.size(); ++i)
        ok = std::isalnum(static_cast<unsigned char>(arg[i])) || arg[i] == '_' || (arg[i] == '.' && arg[i - 1] != '.');
    if (!ok || arg.back() == '.')
        throw Error(fmt::format("invalid --format: unsupported template action '{{{{{}}}}}'", action));
    return arg.substr(1);
}

const nlohmann::json& lookup(const nlohmann::json& row, const std::string& path) {
    const nlohmann::json* cur = &row;
    size_t start = 0;
    while (start <= path.size() && !path.empty()) {
        size_t dot = path.find('.', start);
        std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!cur->is_object() || !cur->contains(key))
            throw Error(fmt::format("invalid --format: no field '.{}' (in '.{}')", key, path));
        cur = &(*cur)[key];
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return *cur;
}

std::string as_text(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "<no value>";
    if (v.is_array()) { // Go prints slices as [a b c]
        std::string s = "[";
        for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + as_text(v[i]);
        return s + "]";
    }
    if (v.is_object()) {
        std::string s = "map[";
        bool first = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
            s += (first ? "" : " ") + it.key() + ":" + as_text(it.value());
            first = false;
        }
        return s + "]";
    }
    return v.dump();
}

} // namespace

Template Template::parse(std::string_view text) {
    Template t;
    std::string_view rest = text;
    if (rest.substr(0, 5) == "table" && (rest.size() == 5 || rest[5] == ' ' || rest[5] == '\t' || rest[5] == '{')) {
        t.table_ = true;
        rest.remove_prefix(5);
        while (!rest.empty() && (rest.front() == ' ')) rest.remove_prefix(1);
    }
    while (!rest.empty()) {
        size_t open = rest.find("{{");
        if (open != 0) {
            t.pieces_.push_back({Piece::text, unescape(rest.substr(0, open))});
            if (open == std::string_view::npos) break;
            rest.remove_prefix(open);
        }
        size_t close = rest.find("}}");
        if (close == std::string_view::npos)
            throw Error(fmt::format("invalid --format '{}': unclosed action", text));
        std::string action = trim(rest.substr(2, close - 2));
        if (!action.empty() && action.front() == '-') action = trim(action.substr(1)); // {{- trims: ignored
        if (!action.empty() && action.back() == '-') action = trim(action.substr(0, action.size() - 1));
        rest.remove_prefix(close + 2);
        if (action.rfind("json ", 0) == 0) {
            t.pieces_.push_back({Piece::json, field_path(action, trim(action.substr(5)))});
        } else {
            std::string p = field_path(action, action);
            t.pieces_.push_back({p.empty() ? Piece::json : Piece::field, p});
        }
    }
    return t;
}

std::string Template::render(const nlohmann::json& row) const {
    std::string out;
    for (const Piece& p : pieces_) {
        switch (p.kind) {
        case Piece::text: out += p.value; break;
        case Piece::field: out += as_text(lookup(row, p.value)); break;
        case Piece::json: out += lookup(row, p.value).dump(); break;
        }
    }
    return out;
}

std::string Template::header(const std::map<std::string, std::string>& headers) const {
    std::string out;
    for (const Piece& p : pieces_) {
        if (p.kind == Piece::text) {
            out += p.value;
        } else if (p.value.empty()) {
            out += "JSON";
        } else if (auto it = headers.find(p.value); it != headers.end()) {
            out += it->second;
        } else {
            std::string h;
            for (char c : p.value) h += c == '.' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            out += h;
        }
    }
    return out;
}

OutputFormat parse_output_format(const std::string& flag) {
    if (flag.empty() || flag == "table") return {OutputFormat::table, ""};
    if (flag == "json") return {OutputFormat::json, ""};
    return {OutputFormat::tmpl, flag};
}

std::string render_rows(const std::string& tmpl, const std::vector<nlohmann::json>& rows,
                        const std::map<std::string, std::string>& headers) {
    Template t = Template::parse(tmpl);
    std::vector<std::string> lines;
    for (const auto& r : rows) lines.push_back(t.render(r));
    if (!t.is_table()) {
        std::string out;
        for (const auto& l : lines) out += l + "\n";
        return out;
    }
    lines.insert(lines.begin(), t.header(headers));
    return align_columns(lines);
}

void print_inspected(const std::string& format, const nlohmann::ordered_json& found,
                     const std::vector<std::string>& errors) {
    OutputFormat of = parse_output_format(format);
    if (of.kind == OutputFormat::tmpl) {
        Template tmpl = Template::parse(of.text);
        std::string out;
        for (const auto& j : found) out += tmpl.render(nlohmann::json::parse(j.dump())) + "\n";
        fmt::print("{}", out);
    } else {
        fmt::print("{}\n", found.dump(4));
    }
    for (size_t i = 0; i < errors.size(); ++i) {
        if (i + 1 == errors.size()) throw Error(errors[i]);
        fmt::print(stderr, "Error: {}\n", errors[i]);
    }
}

} // namespace skiff::cli
