"""Shared helpers for the benchmark workers (standard library only).

A worker reads one JSON job from stdin, connects (untimed), runs the timed
phases of the job's case, and prints one line ``BENCHJSON:{...}`` to stdout.

Every timed phase records wall seconds (time.perf_counter) and client CPU
seconds (user+system of this process and all its threads, from
resource.getrusage(RUSAGE_SELF), plus any children it reaped).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback

MARK = "BENCHJSON:"


def cpu_now() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class Phases:
    """Collects timed phases: ``with ph("get"): ...``."""

    def __init__(self):
        self.phases = {}

    def __call__(self, name):
        return _Phase(self, name)


class _Phase:
    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __enter__(self):
        self.c0 = cpu_now()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        t1 = time.perf_counter()
        c1 = cpu_now()
        if exc[0] is None:
            self.owner.phases[self.name] = {"wall": t1 - self.t0, "cpu": c1 - self.c0}
        return False


def read_job() -> dict:
    return json.loads(sys.stdin.read())


def emit(obj: dict) -> None:
    sys.stdout.write(MARK + json.dumps(obj) + "\n")
    sys.stdout.flush()


def peak_rss_mib(client_is_child: bool) -> float:
    """Peak resident memory of the client, MiB: this worker process (a
    library: VmHWM, Python itself included), or the largest child it waited
    for (OpenSSH's sftp or ssh). getrusage's ru_maxrss is not used for the
    worker itself: on Linux it keeps the high-water mark of the process that
    forked it (the harness), exec or not."""
    if client_is_child:
        return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(run, client_is_child=False):
    """Run ``run(job, phases) -> dict`` and emit the result (or the error)."""
    try:
        job = read_job()
    except Exception as e:  # pragma: no cover
        emit({"ok": False, "error": "bad job: %r" % e})
        return 2
    ph = Phases()
    try:
        extra = run(job, ph) or {}
    except BaseException as e:  # report everything, including KeyboardInterrupt
        emit(
            {
                "ok": False,
                "error": "%s: %s" % (type(e).__name__, e),
                "traceback": traceback.format_exc(),
                "phases": ph.phases,
            }
        )
        return 1
    out = {"ok": True, "phases": ph.phases, "peak_rss_mib": peak_rss_mib(client_is_child)}
    out.update(extra)
    emit(out)
    return 0


def walk_files(root: str):
    """Sorted relative paths of the regular files under root (posix separators)."""
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        rel = os.path.relpath(d, root)
        for f in sorted(files):
            out.append(f if rel == "." else os.path.join(rel, f))
    return out
