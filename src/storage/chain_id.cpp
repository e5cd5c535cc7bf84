#include "storage/chain_id.hpp"

#include "image/digest.hpp"

namespace skiff::storage {

std::string chain_id(const std::string& parent_chain_id, const std::string& diff_id) {
    Digest diff = Digest::parse(diff_id);
    if (parent_chain_id.empty()) return diff.str();
    Digest parent = Digest::parse(parent_chain_id);
    return Digest::sha256_of(parent.str() + " " + diff.str()).str();
}

std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids) {
    std::vector<std::string> out;
    out.reserve(diff_ids.size());
    std::string parent;
    for (const auto& d : diff_ids) {
        parent = chain_id(parent, d);
        out.push_back(parent);
    }
    return out;
}

} // namespace skiff::storage
