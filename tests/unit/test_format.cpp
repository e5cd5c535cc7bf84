#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli/format.hpp"
#include "util/error.hpp"

using namespace skiff::cli;

TEST_CASE("human sizes are 1000-based with three digits", "[format]") {
    CHECK(human_size(0) == "0 B");
    CHECK(human_size(999) == "999 B");
    CHECK(human_size(1000) == "1 kB");
    CHECK(human_size(4261234) == "4.26 MB");
    CHECK(human_size(1500000000) == "1.5 GB");
}

TEST_CASE("ages read like docker's", "[format]") {
    CHECK(time_ago(100, 100) == "Less than a second ago");
    CHECK(time_ago(100, 130) == "30 seconds ago");
    CHECK(time_ago(0, 90) == "About a minute ago");
    CHECK(time_ago(0, 2 * 3600 + 5) == "2 hours ago");
    CHECK(time_ago(0, 3 * 86400) == "3 days ago");
    CHECK(time_ago(0, 800 * 86400) == "2 years ago");
}

TEST_CASE("RFC 3339 times parse with fractions and offsets", "[format]") {
    CHECK(parse_rfc3339("1970-01-01T00:01:00Z") == 60);
    CHECK(parse_rfc3339("1970-01-01T01:00:00.123456789+01:00") == 0);
    CHECK(parse_rfc3339("garbage") == 0);
}

TEST_CASE("columns are aligned, the last one is not padded", "[format]") {
    CHECK(align_columns({"A\tBB\tC", "AAAA\tB\tCCC"}) == "A      BB   C\nAAAA   B    CCC\n");
}

TEST_CASE("templates render fields, json and escapes", "[format]") {
    nlohmann::json row = {{"Repository", "r"}, {"Tag", "t"}, {"Config", {{"Cmd", {"sh", "-c"}}}}, {"N", 3}};
    CHECK(Template::parse("{{.Repository}}:{{.Tag}}").render(row) == "r:t");
    CHECK(Template::parse("{{ .Repository }}\\t{{.N}}").render(row) == "r\t3");
    CHECK(Template::parse("{{.Config.Cmd}}").render(row) == "[sh -c]");
    CHECK(Template::parse("{{json .Config.Cmd}}").render(row) == R"(["sh","-c"])");
    CHECK(Template::parse("{{json .}}").render(nlohmann::json{{"a", 1}}) == R"({"a":1})");
    CHECK_FALSE(Template::parse("{{.Tag}}").is_table());
}

TEST_CASE("unknown fields and actions are errors naming them", "[format]") {
    nlohmann::json row = {{"Tag", "t"}};
    try {
        (void)Template::parse("{{.Nope}}").render(row);
        FAIL("no error");
    } catch (const skiff::Error& e) {
        CHECK(std::string(e.what()).find("Nope") != std::string::npos);
    }
    CHECK_THROWS_AS(Template::parse("{{range .}}"), skiff::Error);
    CHECK_THROWS_AS(Template::parse("{{.Tag"), skiff::Error);
}

TEST_CASE("table templates get a header and aligned columns", "[format]") {
    std::vector<nlohmann::json> rows = {{{"ID", "abc"}, {"Tag", "latest"}}, {{"ID", "d"}, {"Tag", "1"}}};
    CHECK(render_rows("table {{.ID}}\t{{.Tag}}", rows, {{"ID", "IMAGE ID"}}) ==
          "IMAGE ID   TAG\nabc        latest\nd          1\n");
    CHECK(render_rows("{{.ID}}", rows) == "abc\nd\n");
    CHECK(render_rows("table {{.ID}}", {}) == "ID\n");
}

TEST_CASE("--format values", "[format]") {
    CHECK(parse_output_format("").kind == OutputFormat::table);
    CHECK(parse_output_format("table").kind == OutputFormat::table);
    CHECK(parse_output_format("json").kind == OutputFormat::json);
    CHECK(parse_output_format("{{.ID}}").kind == OutputFormat::tmpl);
}
