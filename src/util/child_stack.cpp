#include "util/child_stack.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include "util/error.hpp"

namespace skiff {

ChildStack::ChildStack(size_t size) {
    size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    size = (size + page - 1) / page * page;
    length_ = size + page;
    void* p = ::mmap(nullptr, length_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE,
                     -1, 0);
    if (p == MAP_FAILED) throw_errno("mapping a stack for the container's setup");
    base_ = p;
    // An overflow faults instead of writing into whatever lies below.
    if (::mprotect(base_, page, PROT_NONE) < 0) {
        ::munmap(base_, length_);
        throw_errno("protecting the guard page of the setup stack");
    }
}

ChildStack::~ChildStack() {
    if (base_ != nullptr) ::munmap(base_, length_);
}

void* ChildStack::top() const noexcept { return static_cast<char*>(base_) + length_; }

} // namespace skiff
