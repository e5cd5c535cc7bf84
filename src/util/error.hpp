// The one error type of skiff: a message, an errno (0 when none) and a
// context trail built while the error travels up ("pulling 'x': fetching
// layer sha256:...: connection refused"). Library code throws it and never
// prints; the CLI prints it once.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

namespace skiff {

// Exit codes shared with docker/podman.
inline constexpr int kExitSkiffError = 125;
inline constexpr int kExitCannotInvoke = 126;
inline constexpr int kExitNotFound = 127;

class Error : public std::exception {
public:
    explicit Error(std::string message, int err = 0, int exit_code = kExitSkiffError);

    // Prepends "ctx: " to the message; returns *this so that
    //   catch (Error& e) { throw e.context("pulling x"); }
    // reads naturally.
    Error& context(const std::string& ctx);

    const char* what() const noexcept override { return text_.c_str(); }
    int error_number() const noexcept { return errno_; }
    int exit_code() const noexcept { return exit_code_; }
    // The message without the errno text.
    const std::string& message() const noexcept { return message_; }

private:
    void render();

    std::string message_;
    std::string text_;
    int errno_;
    int exit_code_;
};

// Throws Error(what, errno) using the current errno.
[[noreturn]] void throw_errno(const std::string& what);
[[noreturn]] void throw_errno(const std::string& what, int err);

// Runs f(); if it throws Error, adds ctx to its trail and rethrows.
template <typename F>
auto with_context(const std::string& ctx, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (Error& e) {
        e.context(ctx);
        throw;
    }
}

} // namespace skiff
