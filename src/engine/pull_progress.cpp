#include "engine/pull_progress.hpp"

#include <unistd.h>

#include <fmt/format.h>

namespace skiff::engine {

std::string human_size(uint64_t b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(b);
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    return u == 0 ? fmt::format("{} B", b) : fmt::format("{:.1f} {}", v, units[u]);
}

PullProgress::Mode PullProgress::mode_for(bool quiet) {
    if (quiet) return Mode::quiet;
    return ::isatty(STDERR_FILENO) != 0 ? Mode::tty : Mode::summary;
}

PullProgress::PullProgress(Mode mode, std::string image)
    : mode_(mode), image_(std::move(image)), start_(std::chrono::steady_clock::now()) {}

void PullProgress::start(const std::vector<std::string>& names, const std::vector<uint64_t>& sizes) {
    std::lock_guard l(mu_);
    names_ = names;
    sizes_ = sizes;
    done_.assign(names.size(), 0);
    state_.assign(names.size(), "waiting");
    if (mode_ == Mode::tty) fmt::print(stderr, "Pulling {}\n", image_);
    draw(true);
}

void PullProgress::update(size_t layer, uint64_t done) {
    std::lock_guard l(mu_);
    if (layer >= done_.size()) return;
    done_[layer] = done;
    state_[layer] = "fetching";
    draw(false);
}

void PullProgress::finish_layer(size_t layer, const char* state) {
    std::lock_guard l(mu_);
    if (layer >= done_.size()) return;
    state_[layer] = state;
    draw(true);
}

void PullProgress::draw(bool force) {
    if (mode_ != Mode::tty || names_.empty()) return;
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    std::string out;
    if (drawn_) out += fmt::format("\x1b[{}A", names_.size());
    for (size_t i = 0; i < names_.size(); ++i) {
        double rate = secs > 0 ? static_cast<double>(done_[i]) / secs : 0;
        out += fmt::format("\r\x1b[2K{}  {:>8}  {:>10} / {:<10}  {}/s\n", names_[i], state_[i], human_size(done_[i]),
                           human_size(sizes_[i]), human_size(static_cast<uint64_t>(rate)));
    }
    drawn_ = true;
    fmt::print(stderr, "{}", out);
    std::fflush(stderr);
}

void PullProgress::finish(size_t fetched, size_t reused) {
    if (mode_ == Mode::quiet) return;
    std::lock_guard l(mu_);
    draw(true);
    uint64_t total = 0;
    for (size_t i = 0; i < done_.size(); ++i) total += done_[i];
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    fmt::print(stderr, "Pulled {}: {} layer{} fetched ({}), {} already present, in {:.2f}s\n", image_, fetched,
               fetched == 1 ? "" : "s", human_size(total), reused, secs);
}

} // namespace skiff::engine
