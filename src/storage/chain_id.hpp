// Layer chain IDs (OCI image spec, config.md#layer-chainid):
//   chainid(L0) = diffid(L0)
//   chainid(Ln) = sha256(chainid(Ln-1) + " " + diffid(Ln))
// A chain ID names a layer *together with everything below it*, so an
// unpacked layer directory keyed by it can be shared by every image whose
// stack starts the same way.
#pragma once

#include <string>
#include <vector>

namespace skiff::storage {

// parent empty for the base layer. Both are "sha256:<hex>"; throws Error if not.
std::string chain_id(const std::string& parent_chain_id, const std::string& diff_id);

// The chain IDs of a whole stack of diff IDs, base first.
std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids);

} // namespace skiff::storage
