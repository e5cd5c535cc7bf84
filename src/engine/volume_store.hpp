// Named volumes: one directory per volume under <root>/volumes/NAME holding
// volume.json (its metadata) and _data (what containers see). Every
// mutation holds volumes.lock; every write is atomic. Rootless, _data
// belongs to the invoking user, which is root inside the container.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace skiff::engine {

struct VolumeRecord {
    std::string name;
    std::string driver = "local";
    std::string mountpoint; // <root>/volumes/NAME/_data
    std::string created_at; // RFC 3339
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> options;
    bool anonymous = false; // made for one container (-v /path, VOLUME); removed with it
};

// [a-zA-Z0-9][a-zA-Z0-9_.-]* as docker; anything else (a path, "..") is refused.
bool valid_volume_name(const std::string& name);

class VolumeStore {
public:
    explicit VolumeStore(std::string root); // the store root

    // Creates the volume under the lock; an empty name gets a random 64-hex one (anonymous).
    // An existing name fails unless ignore_existing, which returns it as is.
    VolumeRecord create(VolumeRecord rec, bool ignore_existing = false);
    std::optional<VolumeRecord> find(const std::string& name) const;
    VolumeRecord lookup(const std::string& name) const; // Error when missing
    std::vector<VolumeRecord> list() const;
    // Removes the directory. The caller holds lock_path(). Files the user cannot delete rootless (owned
    // by subordinate IDs) make it throw with EACCES/EPERM.
    void remove(const std::string& name);

    std::string dir(const std::string& name) const { return volumes_ + "/" + name; }
    std::string data_dir(const std::string& name) const { return dir(name) + "/_data"; }
    std::string lock_path() const { return root_ + "/volumes.lock"; }

private:
    std::string root_;
    std::string volumes_;
};

} // namespace skiff::engine
