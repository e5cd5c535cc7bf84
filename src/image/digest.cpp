#include "image/digest.hpp"

#include <openssl/evp.h>

#include "util/dynlib.hpp"
#include "util/error.hpp"

namespace skiff {

namespace {

// libcrypto, opened on the first hash (see util/dynlib.hpp).
#define SKIFF_CRYPTO_FUNCTIONS(X) \
    X(EVP_sha256)                 \
    X(EVP_sha512)                 \
    X(EVP_MD_CTX_new)             \
    X(EVP_MD_CTX_free)            \
    X(EVP_DigestInit_ex)          \
    X(EVP_DigestUpdate)           \
    X(EVP_DigestFinal_ex)

struct CryptoApi {
    SKIFF_CRYPTO_FUNCTIONS(SKIFF_DYNLIB_MEMBER)
};

const CryptoApi& crypto() {
    static const CryptoApi api = load_table<CryptoApi>(
        "libcrypto.so.3", "computing digests",
        [](const DynLib& lib, CryptoApi& t) { SKIFF_CRYPTO_FUNCTIONS(SKIFF_DYNLIB_BIND) });
    return api;
}

size_t hex_length_for(std::string_view algorithm) {
    if (algorithm == "sha256") return 64;
    if (algorithm == "sha512") return 128;
    return 0;
}

bool is_lower_hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

// The OCI algorithm grammar: [a-z0-9]+ ([+._-] [a-z0-9]+)*
bool valid_algorithm_syntax(std::string_view a) {
    if (a.empty()) return false;
    bool prev_sep = true;
    for (char c : a) {
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        bool sep = c == '+' || c == '.' || c == '_' || c == '-';
        if (!alnum && !sep) return false;
        if (sep && prev_sep) return false;
        prev_sep = sep;
    }
    return !prev_sep;
}

const EVP_MD* md_for(std::string_view algorithm) {
    if (algorithm == "sha256") return crypto().EVP_sha256();
    if (algorithm == "sha512") return crypto().EVP_sha512();
    return nullptr;
}

} // namespace

std::optional<Digest> Digest::try_parse(std::string_view s, std::string* why) {
    auto fail = [&](std::string reason) -> std::optional<Digest> {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    auto colon = s.find(':');
    if (colon == std::string_view::npos) return fail("expected ALGORITHM:HEX");
    std::string_view alg = s.substr(0, colon);
    std::string_view hex = s.substr(colon + 1);
    if (!valid_algorithm_syntax(alg)) return fail("malformed algorithm '" + std::string(alg) + "'");
    size_t want = hex_length_for(alg);
    if (want == 0) return fail("unsupported digest algorithm '" + std::string(alg) + "'");
    if (!is_lower_hex(hex)) return fail("the hex part must be lowercase hexadecimal");
    if (hex.size() != want)
        return fail(std::string(alg) + " needs " + std::to_string(want) + " hex characters, got " +
                    std::to_string(hex.size()));
    Digest d;
    d.algorithm_ = std::string(alg);
    d.hex_ = std::string(hex);
    return d;
}

Digest Digest::parse(std::string_view s) {
    std::string why;
    auto d = try_parse(s, &why);
    if (!d) throw Error("invalid digest '" + std::string(s) + "': " + why);
    return *d;
}

Digest Digest::sha256_of(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.finish();
}

struct Hasher::Ctx {
    EVP_MD_CTX* md = nullptr;
    ~Ctx() {
        if (md != nullptr) crypto().EVP_MD_CTX_free(md);
    }
};

Hasher::Hasher(std::string_view algorithm) : ctx_(std::make_unique<Ctx>()), algorithm_(algorithm) {
    const EVP_MD* md = md_for(algorithm);
    if (!md) throw Error("unsupported digest algorithm '" + std::string(algorithm) + "'");
    ctx_->md = crypto().EVP_MD_CTX_new();
    if (!ctx_->md) throw Error("allocating a " + algorithm_ + " context failed");
    if (crypto().EVP_DigestInit_ex(ctx_->md, md, nullptr) != 1) throw Error("initialising " + algorithm_ + " failed");
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, size_t len) {
    if (!ctx_) throw Error("hasher used after finish()");
    if (len == 0) return;
    if (crypto().EVP_DigestUpdate(ctx_->md, data, len) != 1) throw Error(algorithm_ + " update failed");
}

Digest Hasher::finish() {
    if (!ctx_) throw Error("hasher finished twice");
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (crypto().EVP_DigestFinal_ex(ctx_->md, out, &n) != 1) throw Error(algorithm_ + " final failed");
    ctx_.reset();
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(n * 2);
    for (unsigned i = 0; i < n; ++i) {
        hex.push_back(kHex[out[i] >> 4]);
        hex.push_back(kHex[out[i] & 0xf]);
    }
    return Digest::parse(algorithm_ + ":" + hex);
}

std::string sha256_hex(std::string_view data) { return Digest::sha256_of(data).hex(); }

} // namespace skiff
