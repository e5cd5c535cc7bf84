#include <catch2/catch.hpp>

#include <string>

#include "image/digest.hpp"
#include "util/error.hpp"

using skiff::Digest;

TEST_CASE("sha256 of known vectors", "[digest]") {
    CHECK(skiff::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(skiff::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(skiff::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("streaming equals one-shot", "[digest]") {
    std::string data(1000000, 'a');
    skiff::Sha256 h;
    for (size_t i = 0; i < data.size(); i += 4097) h.update(std::string_view(data).substr(i, 4097));
    Digest d = h.finish();
    CHECK(d.str() == "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK(d == Digest::sha256_of(data));
    CHECK_THROWS_WITH(h.finish(), Catch::Contains("finished twice"));
}

TEST_CASE("sha512 hasher", "[digest]") {
    skiff::Hasher h("sha512");
    h.update("abc");
    CHECK(h.finish().hex().substr(0, 32) == "ddaf35a193617abacc417349ae204131");
    CHECK_THROWS_WITH(skiff::Hasher("md5"), Catch::Contains("unsupported digest algorithm 'md5'"));
}

TEST_CASE("digest validation", "[digest]") {
    const std::string hex(64, 'a');
    Digest d = Digest::parse("sha256:" + hex);
    CHECK(d.algorithm() == "sha256");
    CHECK(d.hex() == hex);
    CHECK(d.str() == "sha256:" + hex);
    CHECK(d.short_str() == "sha256:aaaaaaaaaaaa");
    CHECK(Digest::parse("sha512:" + std::string(128, '0')).algorithm() == "sha512");

    CHECK_THROWS_WITH(Digest::parse("sha256:" + std::string(63, 'a')),
                      "invalid digest 'sha256:" + std::string(63, 'a') + "': sha256 needs 64 hex characters, got 63");
    CHECK_THROWS_WITH(Digest::parse("sha256:" + std::string(64, 'A')), Catch::Contains("lowercase hexadecimal"));
    CHECK_THROWS_WITH(Digest::parse(hex), Catch::Contains("expected ALGORITHM:HEX"));
    CHECK_THROWS_WITH(Digest::parse("sha256:" + std::string(64, 'g')), Catch::Contains("lowercase hexadecimal"));
    CHECK_THROWS_WITH(Digest::parse("SHA256:" + hex), Catch::Contains("malformed algorithm"));
    CHECK_THROWS_WITH(Digest::parse("sha384:" + hex), Catch::Contains("unsupported digest algorithm"));
    CHECK_FALSE(Digest::try_parse("sha256:"));
    CHECK(Digest::parse("sha256:" + hex) != Digest::parse("sha256:" + std::string(64, 'b')));
}
