#!/usr/bin/env bash
# Prepare the unprivileged user the rootless half of the system tests runs as.
#
# Prints "SKIFF_TEST_USER=NAME SKIFF_TEST_UID=UID" lines (eval-able) on stdout.
# Idempotent: safe to rerun on a machine where the user already exists.
set -euo pipefail

user=${SKIFF_TEST_USER:-skifftest}

((EUID == 0)) || { echo "testuser.sh: must run as root" >&2; exit 1; }

if ! id -u "$user" >/dev/null 2>&1; then
    # useradd also gives the user a subordinate id range (SUB_UID_COUNT in
    # /etc/login.defs, 65536 on Debian) at the next free block.
    useradd -m -s /bin/bash "$user" >&2
fi
uid=$(id -u "$user")
gid=$(id -g "$user")

# Make sure a subordinate range exists in FILE for the user, without assuming
# where useradd put it.  Images with files owned by 65534 need 65536 ids.
ensure_subids() {
    local file=$1 start
    touch "$file"
    if grep -q "^$user:" "$file" || grep -q "^$uid:" "$file"; then
        return 0
    fi
    # Next start after every existing range (and at least 100000), so that
    # ranges never overlap.
    start=$(awk -F: 'BEGIN { m = 100000 } NF >= 3 { e = $2 + $3; if (e > m) m = e }
                     END { print m }' "$file")
    echo "$user:$start:65536" >>"$file"
    echo "testuser.sh: added $user:$start:65536 to $file" >&2
}
ensure_subids /etc/subuid
ensure_subids /etc/subgid

# newuidmap/newgidmap (uidmap package) must be setuid root or have file caps,
# or the rootless user namespace gets only a single-id mapping.
for helper in newuidmap newgidmap; do
    path=$(command -v "$helper" || true)
    [[ -n $path ]] || { echo "testuser.sh: $helper missing (install uidmap)" >&2; exit 1; }
    if [[ ! -u $path ]] && ! getcap "$path" 2>/dev/null | grep -q cap_set; then
        echo "testuser.sh: warning: $path is neither setuid nor has file capabilities" >&2
    fi
done

# No logind here, so nobody creates XDG_RUNTIME_DIR for the user.
install -d -m 700 -o "$uid" -g "$gid" "/run/user/$uid"

# Rootless networking (tap) and fuse-overlayfs need these; Debian ships them 0666
# but this kind of machine has 0600.
if [[ ! -e /dev/net/tun ]]; then
    mkdir -p /dev/net
    mknod /dev/net/tun c 10 200
fi
chmod 666 /dev/net/tun
if [[ ! -e /dev/fuse ]]; then
    mknod /dev/fuse c 10 229
fi
chmod 666 /dev/fuse

echo "SKIFF_TEST_USER=$user"
echo "SKIFF_TEST_UID=$uid"
