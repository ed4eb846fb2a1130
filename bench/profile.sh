#!/usr/bin/env bash
# Profile one ferrosftp transfer with perf (default) or valgrind's callgrind.
#
#   bash bench/profile.sh [--case download|upload|download_rtt20|upload_rtt20|
#                          small_files|put_r|get_r|listdir_attr|stat]
#                         [--api paramiko|pysftp] [--size MiB]
#                         [--profiler perf|callgrind]
#
# Installs linux-perf / valgrind with apt if missing (as root), sets up the
# benchmark venvs (bench/run.sh --setup-only), then runs bench/profile.py.
# perf needs access to perf events: as root, or with
# /proc/sys/kernel/perf_event_paranoid <= 1. In a VM without a virtual PMU
# "cycles" is missing and profile.py samples the cpu-clock event instead.
# Symbols: the extension is built unstripped, so Rust and libssh2 frames
# resolve; --call-graph dwarf (the default) works without frame pointers.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

profiler=perf
prev=""
for a in "$@"; do
    [ "$prev" = "--profiler" ] && profiler="$a"
    case "$a" in --profiler=*) profiler="${a#--profiler=}";; esac
    prev="$a"
done
pkg=""; bin=""
if [ "$profiler" = perf ]; then pkg=linux-perf; bin=perf; else pkg=valgrind; bin=valgrind; fi
if ! command -v "$bin" >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "install $pkg first (apt-get install $pkg)" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg"
fi

bash "$BENCH/run.sh" --setup-only
exec "$BENCH/.venv-peers/bin/python" "$BENCH/profile.py" "$@"
