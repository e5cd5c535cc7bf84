#include "registry/www_authenticate.hpp"

#include <cctype>

namespace skiff {

namespace {

bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
    std::string out;
    for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

class Scanner {
public:
    explicit Scanner(std::string_view s) : s_(s) {}
    bool done() const { return i_ >= s_.size(); }
    char peek() const { return done() ? '\0' : s_[i_]; }
    void skip_space() {
        while (!done() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    }
    std::string token() {
        size_t start = i_;
        while (!done() && is_token_char(s_[i_])) ++i_;
        return std::string(s_.substr(start, i_ - start));
    }
    // A quoted-string with backslash escapes; the opening quote is current.
    std::string quoted() {
        std::string out;
        ++i_;
        while (!done() && s_[i_] != '"') {
            if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
            out += s_[i_++];
        }
        if (!done()) ++i_; // closing quote
        return out;
    }
    size_t pos() const { return i_; }
    void seek(size_t p) { i_ = p; }
    void advance() { ++i_; }

private:
    std::string_view s_;
    size_t i_ = 0;
};

} // namespace

std::vector<AuthChallenge> parse_www_authenticate(std::string_view header) {
    std::vector<AuthChallenge> out;
    Scanner sc(header);
    while (!sc.done()) {
        sc.skip_space();
        while (sc.peek() == ',') {
            sc.advance();
            sc.skip_space();
        }
        std::string scheme = sc.token();
        if (scheme.empty()) {
            if (!sc.done()) sc.advance(); // garbage: skip a character
            continue;
        }
        AuthChallenge ch;
        ch.scheme = lower(scheme);
        // auth-params: name=value pairs separated by commas, until a token
        // that is not followed by '=' (the next challenge's scheme).
        for (;;) {
            sc.skip_space();
            size_t mark = sc.pos();
            std::string name = sc.token();
            sc.skip_space();
            if (name.empty() || sc.peek() != '=') {
                sc.seek(mark);
                break;
            }
            sc.advance(); // '='
            sc.skip_space();
            std::string value = sc.peek() == '"' ? sc.quoted() : sc.token();
            ch.params[lower(name)] = value;
            sc.skip_space();
            if (sc.peek() != ',') break;
            sc.advance();
        }
        out.push_back(std::move(ch));
    }
    return out;
}

} // namespace skiff
