// Content digests ("sha256:<64 hex>") and the streaming hasher that checks
// every byte skiff pulls. sha256 is what registries use; sha512 is accepted
// so that references and manifests naming it parse and verify.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace skiff {

class Digest {
public:
    Digest() = default; // empty; only valid after parse()

    // "sha256:" + 64 lowercase hex, or "sha512:" + 128 lowercase hex.
    // Throws Error saying what is wrong ("invalid digest 'x': ...").
    static Digest parse(std::string_view s);
    // nullopt instead of an exception; why (if given) receives the reason.
    static std::optional<Digest> try_parse(std::string_view s, std::string* why = nullptr);
    static Digest sha256_of(std::string_view data);

    const std::string& algorithm() const noexcept { return algorithm_; }
    const std::string& hex() const noexcept { return hex_; }
    std::string str() const { return empty() ? std::string() : algorithm_ + ":" + hex_; }
    bool empty() const noexcept { return algorithm_.empty(); }
    // "sha256:0123456789ab": for progress lines and logs.
    std::string short_str() const { return algorithm_ + ":" + hex_.substr(0, 12); }

    friend bool operator==(const Digest&, const Digest&) = default;
    friend auto operator<=>(const Digest&, const Digest&) = default;

private:
    std::string algorithm_;
    std::string hex_;
};

// Streaming hasher over OpenSSL EVP. Move-only; the EVP context is freed by
// the destructor. finish() may be called once.
class Hasher {
public:
    // "sha256" or "sha512"; throws Error for anything else.
    explicit Hasher(std::string_view algorithm = "sha256");
    ~Hasher();
    Hasher(Hasher&&) noexcept;
    Hasher& operator=(Hasher&&) noexcept;
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    // A hasher for the algorithm of d, to verify content against it.
    static Hasher for_digest(const Digest& d) { return Hasher(d.algorithm()); }

    void update(const void* data, size_t len);
    void update(std::string_view s) { update(s.data(), s.size()); }
    Digest finish();

private:
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
    std::string algorithm_;
};

class Sha256 : public Hasher {
public:
    Sha256() : Hasher("sha256") {}
};

// Lowercase hex sha256 of data.
std::string sha256_hex(std::string_view data);

} // namespace skiff
