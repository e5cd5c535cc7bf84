#include "util/error.hpp"

#include <cstring>

namespace skiff {

Error::Error(std::string message, int err, int exit_code)
    : message_(std::move(message)), errno_(err), exit_code_(exit_code) {
    render();
}

Error& Error::context(const std::string& ctx) {
    message_ = ctx + ": " + message_;
    render();
    return *this;
}

void Error::render() {
    text_ = message_;
    if (errno_ != 0) {
        text_ += ": ";
        text_ += std::strerror(errno_);
    }
}

void throw_errno(const std::string& what) { throw Error(what, errno); }
void throw_errno(const std::string& what, int err) { throw Error(what, err); }

} // namespace skiff
