#!/usr/bin/env bash
# Rebuild vendor/libssh2-sys from the crates.io release plus vendor/patches/.
#
#   bash vendor/refresh.sh          # replace vendor/libssh2-sys
#   bash vendor/refresh.sh --check  # fail if vendor/libssh2-sys differs
#
# Bump VERSION here and in Cargo.lock together; re-run the cipher tests
# (tests/test_ciphers.py) after any refresh.
set -euo pipefail
VERSION=0.3.4
SHA256=fce5a0b125f6aeac93b304b35f7f1e9f054aad29ddac57091928e41df3ccd233  # Cargo.lock checksum of the release
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

curl -fsSL "https://static.crates.io/crates/libssh2-sys/libssh2-sys-$VERSION.crate" -o "$work/crate.tar.gz"
echo "$SHA256  $work/crate.tar.gz" | sha256sum -c --quiet -
tar -xzf "$work/crate.tar.gz" -C "$work"
src="$work/libssh2-sys-$VERSION"
for p in "$HERE"/patches/*.patch; do
    patch -s -p1 -d "$src" < "$p"
done
cp "$HERE/libssh2-sys/PATCHES.md" "$src/PATCHES.md"

if [ "${1:-}" = "--check" ]; then
    diff -r "$src" "$HERE/libssh2-sys" && echo "vendor/libssh2-sys = crates.io $VERSION + vendor/patches"
else
    rm -rf "$HERE/libssh2-sys"
    cp -a "$src" "$HERE/libssh2-sys"
    echo "vendor/libssh2-sys refreshed from crates.io $VERSION + vendor/patches"
fi
