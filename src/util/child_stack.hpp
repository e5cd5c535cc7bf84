// A stack for a child cloned with CLONE_VM (see runtime/launch): it runs in
// its parent's memory until it execs, so it needs a stack of its own.
#pragma once

#include <cstddef>

namespace skiff {

class ChildStack {
public:
    // size bytes of stack above one inaccessible guard page, mapped lazily.
    explicit ChildStack(size_t size);
    ChildStack(const ChildStack&) = delete;
    ChildStack& operator=(const ChildStack&) = delete;
    ~ChildStack();

    // Where the stack starts (it grows down), aligned for any call.
    void* top() const noexcept;

private:
    void* base_ = nullptr;
    size_t length_ = 0;
};

} // namespace skiff
