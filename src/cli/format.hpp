// Output helpers shared by the commands that list things: aligned tables,
// human sizes and ages, and a small subset of Go templates for --format:
//   {{.Field}} {{.A.B}}   a field of the row (a JSON object)
//   {{json .}}            the whole row as JSON; {{json .Field}} one field
//   table PREFIX          print a header row, align the \t-separated columns
//   \t \n                 escapes, as docker and podman accept them
// Anything else inside {{ }} is an Error, and so is a field the row lacks.
// Pure: no I/O, so it has unit tests (tests/unit/test_format.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace skiff::cli {

// 1000-based, three significant digits, as podman: "4.26 MB", "512 B".
std::string human_size(uint64_t bytes);
// go-units' HumanDuration + " ago": "Less than a second ago", "2 hours ago".
std::string time_ago(int64_t then, int64_t now);
// RFC 3339 ("2024-01-02T03:04:05.123Z", "+02:00" offsets) to unix seconds;
// 0 when it cannot be parsed.
int64_t parse_rfc3339(std::string_view s);

// Aligns rows (cells split on '\t') into columns separated by three spaces;
// trailing spaces are trimmed. Each row is one output line.
std::string align_columns(const std::vector<std::string>& rows);

class Template {
public:
    // Throws Error on malformed or unsupported actions.
    static Template parse(std::string_view text);

    bool is_table() const noexcept { return table_; }
    // The row rendered; throws Error naming a field the row does not have.
    std::string render(const nlohmann::json& row) const;
    // The header row of a table template: each {{.Field}} as headers[Field],
    // or the field name upper-cased; {{json .}} as "JSON".
    std::string header(const std::map<std::string, std::string>& headers) const;

private:
    struct Piece {
        enum Kind { text, field, json } kind = text;
        std::string value;            // text, or the field path "A.B" ("" = '.')
    };
    bool table_ = false;
    std::vector<Piece> pieces_;
};

// What --format asked for.
struct OutputFormat {
    enum Kind { table, json, tmpl } kind = table;
    std::string text; // the template, for tmpl
};
// "" or "table" -> table; "json" -> json; anything else a template.
OutputFormat parse_output_format(const std::string& flag);

// Renders rows for a template --format: a "table ..." template gets a header
// and aligned columns, a plain one prints each row as it renders (one line
// each). Validates the template against rows' first element or, when there
// is none, does nothing.
std::string render_rows(const std::string& tmpl, const std::vector<nlohmann::json>& rows,
                         const std::map<std::string, std::string>& headers = {});

// The end of every inspect command: the found objects as a JSON array or one
// template line each, then an error for each name not found (the last one
// thrown, so the exit status is 125), as docker does.
void print_inspected(const std::string& format, const nlohmann::ordered_json& found,
                     const std::vector<std::string>& errors);

} // namespace skiff::cli
