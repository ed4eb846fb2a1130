#!/usr/bin/env bash
# Rebuild the vendored crates from their crates.io releases plus
# vendor/patches/<crate>/*.patch (each crate's PATCHES.md says why).
#
#   bash vendor/refresh.sh          # replace vendor/<crate>
#   bash vendor/refresh.sh --check  # fail if any vendor/<crate> differs
#
# Bump a version here and in Cargo.lock together; re-run the cipher tests
# (tests/test_ciphers.py) and the channel tests after any refresh.
set -euo pipefail
# crate, version, Cargo.lock checksum of the release
CRATES=(
    "libssh2-sys 0.3.4 fce5a0b125f6aeac93b304b35f7f1e9f054aad29ddac57091928e41df3ccd233"
    "ssh2 0.9.6 c95eb3c09e378543395a3fa9796f897861862466ee331d59140ade4ea0dcfdfc"
)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for entry in "${CRATES[@]}"; do
    read -r name version sha256 <<<"$entry"
    curl -fsSL "https://static.crates.io/crates/$name/$name-$version.crate" -o "$work/$name.tar.gz"
    echo "$sha256  $work/$name.tar.gz" | sha256sum -c --quiet -
    tar -xzf "$work/$name.tar.gz" -C "$work"
    src="$work/$name-$version"
    for p in "$HERE/patches/$name"/*.patch; do
        patch -s -p1 -d "$src" < "$p"
    done
    cp "$HERE/$name/PATCHES.md" "$src/PATCHES.md"
    if [ "${1:-}" = "--check" ]; then
        diff -r "$src" "$HERE/$name" && echo "vendor/$name = crates.io $version + vendor/patches/$name"
    else
        rm -rf "${HERE:?}/$name"
        cp -a "$src" "$HERE/$name"
        echo "vendor/$name refreshed from crates.io $version + vendor/patches/$name"
    fi
done
