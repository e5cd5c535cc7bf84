// A tiny streaming SHA-256 over OpenSSL EVP, private to storage/.
// TODO(image): switch to image/digest.hpp's Sha256/Digest once it lands;
// this exists only so that storage/ does not wait for it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace skiff::storage {

class Sha256Stream {
public:
    Sha256Stream();
    ~Sha256Stream();
    Sha256Stream(Sha256Stream&&) noexcept;
    Sha256Stream& operator=(Sha256Stream&&) noexcept;

    void update(const void* data, size_t len);
    void update(std::string_view s) { update(s.data(), s.size()); }
    // Lowercase hex of the digest. The stream is finished afterwards.
    std::string finish_hex();

private:
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
};

// "sha256:" + hex of data.
std::string sha256_digest(std::string_view data);

// True for "sha256:" followed by 64 lowercase hex characters.
bool is_sha256_digest(std::string_view d) noexcept;
// The hex part of a "sha256:<hex>" digest; throws Error if malformed.
std::string digest_hex(std::string_view d);

} // namespace skiff::storage
