#include "storage/sha256.hpp"

#include <openssl/evp.h>

#include "util/error.hpp"

namespace skiff::storage {

struct Sha256Stream::Ctx {
    EVP_MD_CTX* md = nullptr;
    ~Ctx() {
        if (md) EVP_MD_CTX_free(md);
    }
};

Sha256Stream::Sha256Stream() : ctx_(std::make_unique<Ctx>()) {
    ctx_->md = EVP_MD_CTX_new();
    if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1)
        throw Error("initialising SHA-256");
}

Sha256Stream::~Sha256Stream() = default;
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;

void Sha256Stream::update(const void* data, size_t len) {
    if (!ctx_) throw Error("SHA-256 stream already finished");
    if (len > 0 && EVP_DigestUpdate(ctx_->md, data, len) != 1) throw Error("updating SHA-256");
}

std::string Sha256Stream::finish_hex() {
    if (!ctx_) throw Error("SHA-256 stream already finished");
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx_->md, out, &n) != 1) throw Error("finishing SHA-256");
    ctx_.reset();
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    s.reserve(n * 2);
    for (unsigned i = 0; i < n; ++i) {
        s.push_back(hex[out[i] >> 4]);
        s.push_back(hex[out[i] & 0xf]);
    }
    return s;
}

std::string sha256_digest(std::string_view data) {
    Sha256Stream h;
    h.update(data);
    return "sha256:" + h.finish_hex();
}

bool is_sha256_digest(std::string_view d) noexcept {
    constexpr std::string_view prefix = "sha256:";
    if (d.size() != prefix.size() + 64 || d.substr(0, prefix.size()) != prefix) return false;
    for (char c : d.substr(prefix.size()))
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::string digest_hex(std::string_view d) {
    if (!is_sha256_digest(d)) throw Error("malformed digest '" + std::string(d) + "' (want sha256:<64 hex>)");
    return std::string(d.substr(7));
}

} // namespace skiff::storage
