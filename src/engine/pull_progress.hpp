// What a pull shows: on a terminal one line per layer (bytes, rate),
// redrawn in place; otherwise one summary line at the end; -q nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace skiff::engine {

class PullProgress {
public:
    enum class Mode { quiet, summary, tty };
    static Mode mode_for(bool quiet); // tty when stderr is a terminal

    PullProgress(Mode mode, std::string image);
    // Announces the layers to fetch (short digests) and their sizes.
    void start(const std::vector<std::string>& names, const std::vector<uint64_t>& sizes);
    void update(size_t layer, uint64_t done); // thread-safe
    void finish_layer(size_t layer, const char* state); // "done", "exists", "failed"
    void finish(size_t layers_fetched, size_t layers_reused);

private:
    void draw(bool force);
    Mode mode_;
    std::string image_;
    std::mutex mu_;
    std::vector<std::string> names_;
    std::vector<uint64_t> sizes_, done_;
    std::vector<std::string> state_;
    std::chrono::steady_clock::time_point start_, last_draw_;
    bool drawn_ = false;
};

std::string human_size(uint64_t bytes);

} // namespace skiff::engine
