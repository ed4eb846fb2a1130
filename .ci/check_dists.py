"""Check the built distributions (used by .ci/run; standard library only).

    python .ci/check_dists.py wheel WHEEL OUTDIR   # contents; extracts the .so, prints its path
    python .ci/check_dists.py sdist SDIST          # contents needed to build from source

Exits non-zero with a one-line reason when a check fails.
"""

import os
import sys
import tarfile
import zipfile

WHEEL_NEEDS = [
    "ferrosftp/__init__.py",
    "ferrosftp/py.typed",
    "ferrosftp/_native.pyi",
]

# `pip install ferrosftp-X.tar.gz` compiles the crate: it needs the crate
# manifest and lock file (the pinned libssh2/OpenSSL crates), the Rust
# sources, pyproject.toml for maturin, and the Python package.
SDIST_NEEDS = [
    "Cargo.toml",
    "Cargo.lock",
    "pyproject.toml",
    "src/lib.rs",
    "python/ferrosftp/__init__.py",
    "python/ferrosftp/_native.pyi",
    # the patched crates that [patch.crates-io] points at
    "vendor/libssh2-sys/Cargo.toml",
    "vendor/libssh2-sys/libssh2/src/transport.c",
    "vendor/ssh2/Cargo.toml",
    "vendor/ssh2/src/channel.rs",
    "python/ferrosftp/py.typed",
]


def check_wheel(path, outdir):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        ext = [n for n in names if n.startswith("ferrosftp/_native") and n.endswith((".so", ".pyd"))]
        missing = [n for n in WHEEL_NEEDS if n not in names]
        if missing:
            sys.exit("wheel %s lacks %s" % (path, ", ".join(missing)))
        if len(ext) != 1:
            sys.exit("wheel %s should hold one extension module, found %s" % (path, ext or "none"))
        if not ext[0].endswith(".abi3.so"):
            sys.exit("extension module is not built for the stable ABI (abi3): %s" % ext[0])
        z.extract(ext[0], outdir)
    sys.stderr.write("wheel contents ok: %d files, py.typed and _native.pyi present\n" % len(names))
    print(os.path.join(outdir, ext[0]))


def check_sdist(path):
    with tarfile.open(path) as t:
        names = t.getnames()
    root = names[0].split("/")[0]
    rel = {n[len(root) + 1:] for n in names if n.startswith(root + "/")}
    missing = [n for n in SDIST_NEEDS if n not in rel]
    if missing:
        sys.exit("sdist %s lacks %s" % (path, ", ".join(missing)))
    n_rust = sum(1 for n in rel if n.startswith("src/") and n.endswith(".rs"))
    n_py = sum(1 for n in rel if n.startswith("python/ferrosftp/") and n.endswith(".py"))
    print("sdist contents ok: %d files (Cargo.toml, Cargo.lock, pyproject.toml, %d Rust files "
          "under src/, %d Python files under python/)" % (len(rel), n_rust, n_py))


def main(argv):
    if len(argv) == 4 and argv[1] == "wheel":
        check_wheel(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "sdist":
        check_sdist(argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
