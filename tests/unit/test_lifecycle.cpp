#include <catch2/catch.hpp>

#include <csignal>
#include <unistd.h>

#include "engine/attach.hpp"
#include "engine/container_state.hpp"
#include "engine/container_store.hpp"
#include "engine/create.hpp"
#include "engine/logs.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

using namespace skiff;

TEST_CASE("signal names as users type them", "[lifecycle]") {
    CHECK(signal_number("SIGTERM") == SIGTERM);
    CHECK(signal_number("term") == SIGTERM);
    CHECK(signal_number("KILL") == SIGKILL);
    CHECK(signal_number("9") == 9);
    CHECK(signal_number("SIGRTMIN+1") == SIGRTMIN + 1);
    CHECK_THROWS_AS(signal_number("NOSUCH"), Error);
    CHECK_THROWS_AS(signal_number("0"), Error);
    CHECK_THROWS_AS(signal_number("99999"), Error);
    CHECK(signal_name(SIGHUP) == "SIGHUP");
    CHECK(signal_name(SIGUSR1) == "SIGUSR1");
}

TEST_CASE("restart policies", "[lifecycle]") {
    using P = std::pair<std::string, int>;
    CHECK(engine::parse_restart_policy("") == P{"no", 0});
    CHECK(engine::parse_restart_policy("no") == P{"no", 0});
    CHECK(engine::parse_restart_policy("always") == P{"always", 0});
    CHECK(engine::parse_restart_policy("unless-stopped") == P{"unless-stopped", 0});
    CHECK(engine::parse_restart_policy("on-failure") == P{"on-failure", 0});
    CHECK(engine::parse_restart_policy("on-failure:3") == P{"on-failure", 3});
    CHECK_THROWS_AS(engine::parse_restart_policy("on-failure:"), Error);
    CHECK_THROWS_AS(engine::parse_restart_policy("on-failure:-1"), Error);
    CHECK_THROWS_AS(engine::parse_restart_policy("sometimes"), Error);
}

TEST_CASE("detach keys", "[lifecycle]") {
    CHECK(engine::parse_detach_keys("ctrl-p,ctrl-q") == std::string("\x10\x11"));
    CHECK(engine::parse_detach_keys("ctrl-a,x") == std::string("\x01x"));
    CHECK(engine::parse_detach_keys("ctrl-@") == std::string(1, '\0'));
    CHECK(engine::parse_detach_keys("").empty());
    CHECK_THROWS_AS(engine::parse_detach_keys("ctrl-"), Error);
    CHECK_THROWS_AS(engine::parse_detach_keys("alt-x"), Error);
    CHECK_THROWS_AS(engine::parse_detach_keys("ctrl-p,,ctrl-q"), Error);
}

TEST_CASE("log time bounds: durations, unix seconds, RFC 3339", "[lifecycle]") {
    double now = 1'800'000'000.5;
    CHECK(engine::log_time_bound("10s", now) == "2027-01-15T07:59:50.500000000Z");
    CHECK(engine::log_time_bound("1h30m", now) == "2027-01-15T06:30:00.500000000Z");
    CHECK(engine::log_time_bound("1800000000", now) == "2027-01-15T08:00:00.000000000Z");
    CHECK(engine::log_time_bound("2026-11-30T04:00:00Z", now) == "2026-11-30T04:00:00.000000000Z");
    CHECK(engine::log_time_bound("2026-11-30T05:00:00+01:00", now) == "2026-11-30T04:00:00.000000000Z");
    CHECK_THROWS_AS(engine::log_time_bound("yesterday", now), Error);
}

TEST_CASE("container names follow docker's rule", "[lifecycle]") {
    CHECK_NOTHROW(engine::require_valid_container_name("web-1.a_b"));
    CHECK_THROWS_AS(engine::require_valid_container_name("-web"), Error);
    CHECK_THROWS_AS(engine::require_valid_container_name("a/b"), Error);
    CHECK_THROWS_AS(engine::require_valid_container_name(""), Error);
    CHECK_THROWS_AS(engine::require_valid_container_name("a b"), Error);
}

TEST_CASE("process start times tell a live process from a reused pid", "[lifecycle]") {
    uint64_t me = engine::process_start_time(::getpid());
    CHECK(me != 0);
    CHECK(engine::process_alive(::getpid(), me));
    CHECK_FALSE(engine::process_alive(::getpid(), me + 1));
    CHECK(engine::process_start_time(0) == 0);
    CHECK_FALSE(engine::current_boot_id().empty());
}
