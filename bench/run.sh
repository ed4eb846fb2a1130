#!/usr/bin/env bash
# ferrosftp benchmark suite: one command.
#
#   bash bench/run.sh [--quick] [--cases C ...] [--tools T ...] [--repeats N] [...]
#   bash bench/run.sh --setup-only        # just create/refresh the venvs
#   bash bench/run.sh --help              # every harness option
#
# Creates (if missing) two venvs beside this script:
#   bench/.venv-peers   paramiko (latest), asyncssh, matplotlib + ferrosftp,
#                       and for bench/fsspec_bench.py fsspec, sshfs, pyarrow (pinned)
#   bench/.venv-pysftp  pysftp==0.2.9 + paramiko<4 (pysftp imports DSSKey,
#                       which paramiko 4 removed)
# then runs bench/harness.py with the peers venv's python.
#
# Where ferrosftp comes from (FERROSFTP_FROM=auto|wheel|repo|build, default auto):
#   wheel  the newest dist/ferrosftp-*.whl, pip-installed into .venv-peers
#   repo   the repo's python/ tree with its built extension
#          (python/ferrosftp/_native*.so, e.g. from `maturin develop --release`),
#          put on the venv's path with a .pth file: no copy, always current
#   build  pip install maturin, `maturin build --release -o dist`, then "wheel"
#          (needs cargo; takes minutes)
#   auto   whichever of wheel / repo .so is newer; "build" if there is neither
# Always benchmark a release build: libssh2's debug build is far slower.
#
# Environment: PYTHON (interpreter for the venvs, default python3),
# BENCH_UPGRADE=1 (pip install -U the peers, e.g. a newer paramiko).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$BENCH")"
PYTHON="${PYTHON:-python3}"
PEERS="$BENCH/.venv-peers"
PYSFTP="$BENCH/.venv-pysftp"
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '[run.sh] %s\n' "$*" >&2; }
die() { printf '[run.sh] ERROR: %s\n' "$*" >&2; exit 1; }

SETUP_ONLY=0
for a in "$@"; do [ "$a" = "--setup-only" ] && SETUP_ONLY=1; done

# ---- system packages ---------------------------------------------------------
need_apt=()
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v sftp >/dev/null 2>&1 || need_apt+=(openssh-client)
"$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing ${need_apt[*]}: install them (apt-get install ${need_apt[*]})"
    say "installing ${need_apt[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

# ---- venvs -------------------------------------------------------------------
mkvenv() {  # dir, import check, pip args...
    local dir="$1" check="$2"; shift 2
    if [ ! -x "$dir/bin/python" ]; then
        say "creating $dir"
        "$PYTHON" -m venv "$dir"
        "$dir/bin/python" -m pip install -q --upgrade pip
    fi
    if [ "${BENCH_UPGRADE:-0}" = 1 ] || ! "$dir/bin/python" -c "$check" >/dev/null 2>&1; then
        say "installing into $dir: $*"
        "$dir/bin/python" -m pip install -q ${BENCH_UPGRADE:+--upgrade} "$@"
    fi
}
mkvenv "$PEERS" 'import paramiko, asyncssh, matplotlib' paramiko asyncssh matplotlib
# the fsspec filesystems' bench (bench/fsspec_bench.py): fsspec's own sftp
# (on the paramiko above), sshfs (asyncssh) and pyarrow for the Parquet case
mkvenv "$PEERS" 'import fsspec, sshfs, pyarrow; assert fsspec.__version__ == "2026.9.0"' \
    'fsspec==2026.9.0' 'sshfs==2026.8.0' 'pyarrow==26.0.1'
mkvenv "$PYSFTP" 'import pysftp, paramiko; assert pysftp.__version__ == "0.2.9"' \
    'pysftp==0.2.9' 'paramiko<4'

# ---- ferrosftp into the peers venv -------------------------------------------
SITE="$("$PEERS/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
PTH="$SITE/ferrosftp-repo.pth"
WHEEL="$(ls -t "$REPO"/dist/ferrosftp-*.whl 2>/dev/null | head -n1 || true)"
SO="$(ls -t "$REPO"/python/ferrosftp/_native*.so 2>/dev/null | head -n1 || true)"
FROM="${FERROSFTP_FROM:-auto}"
if [ "$FROM" = auto ]; then
    if [ -n "$WHEEL" ] && { [ -z "$SO" ] || [ "$WHEEL" -nt "$SO" ]; }; then FROM=wheel
    elif [ -n "$SO" ]; then FROM=repo
    else FROM=build; fi
fi
if [ "$FROM" = build ]; then
    say "building a release wheel with maturin (needs cargo)"
    "$PEERS/bin/python" -m pip install -q 'maturin>=1.5,<2'
    (cd "$REPO" && "$PEERS/bin/maturin" build --release -o dist)
    WHEEL="$(ls -t "$REPO"/dist/ferrosftp-*.whl | head -n1)"
    FROM=wheel
fi
case "$FROM" in
    wheel)
        [ -n "$WHEEL" ] || die "FERROSFTP_FROM=wheel but no dist/ferrosftp-*.whl"
        rm -f "$PTH"
        MARK="$PEERS/.ferrosftp-wheel"
        if [ "$(cat "$MARK" 2>/dev/null)" != "$WHEEL $(stat -c %Y "$WHEEL")" ]; then
            say "installing $WHEEL into $PEERS"
            "$PEERS/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEEL"
            echo "$WHEEL $(stat -c %Y "$WHEEL")" > "$MARK"
        fi
        export FERRO_BENCH_SOURCE="wheel $(basename "$WHEEL")"
        ;;
    repo)
        [ -n "$SO" ] || die "FERROSFTP_FROM=repo but no python/ferrosftp/_native*.so (build it first)"
        if "$PEERS/bin/python" -m pip show -q ferrosftp >/dev/null 2>&1; then
            "$PEERS/bin/python" -m pip uninstall -q -y ferrosftp
        fi
        rm -f "$PEERS/.ferrosftp-wheel"
        echo "$REPO/python" > "$PTH"
        export FERRO_BENCH_SOURCE="repo $REPO/python ($(basename "$SO") built $(date -r "$SO" '+%F %T'))"
        ;;
    *) die "FERROSFTP_FROM must be auto, wheel, repo or build (got $FROM)";;
esac
"$PEERS/bin/python" -c 'import ferrosftp, sys; sys.stderr.write("[run.sh] ferrosftp %s from %s\n" % (ferrosftp.__version__, ferrosftp.__file__))' \
    || die "ferrosftp does not import in $PEERS"
say "ferrosftp source: $FERRO_BENCH_SOURCE"

[ "$SETUP_ONLY" = 1 ] && { say "setup done"; exit 0; }

exec "$PEERS/bin/python" "$BENCH/harness.py" "$@"
