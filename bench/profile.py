#!/usr/bin/env python3
"""Profile one ferrosftp transfer with ``perf record`` or valgrind's callgrind.

Run it through bench/profile.sh. It reuses the benchmark's pieces: the
throwaway sshd, the tmpfs data, the 20 ms RTT proxy and the worker scripts, so
the profiled process is exactly a benchmark worker running one job (connect,
then the case's operation).

    bash bench/profile.sh                         # perf, 256 MiB download, paramiko API
    bash bench/profile.sh --case upload --size 64
    bash bench/profile.sh --case small_files --api pysftp
    bash bench/profile.sh --profiler callgrind --size 16   # ~50x slower: keep it small

Outputs go to bench/results/profile-<timestamp>/: perf.data (or
callgrind.out), report.txt (the top of the report), job.json, and the
command lines used, printed at the end so you can dig further
(``perf report -i .../perf.data``, ``callgrind_annotate .../callgrind.out``,
or kcachegrind).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)

import harness  # noqa: E402
import cases as C  # noqa: E402

PROFILE_CASES = (
    "download",
    "upload",
    "download_rtt20",
    "upload_rtt20",
    "download_rtt100",
    "upload_rtt100",
    "small_files",
    "put_r",
    "get_r",
    "listdir_attr",
    "stat",
)


def perf_event():
    """cycles if the (virtual) PMU has it, else the cpu-clock software event."""
    p = subprocess.run(
        ["perf", "stat", "-x,", "-e", "cycles", "true"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    ok = p.returncode == 0 and "not supported" not in p.stderr and "<not" not in p.stderr
    return "cycles" if ok else "cpu-clock"


def main():
    ap = argparse.ArgumentParser(description="profile one ferrosftp benchmark job")
    ap.add_argument("--case", default="download", choices=PROFILE_CASES)
    ap.add_argument(
        "--api", default="paramiko", choices=("paramiko", "pysftp"), help="which ferrosftp API the worker uses"
    )
    ap.add_argument(
        "--size", type=int, default=None, help="MiB for the transfer cases (default 256, 64 at RTT, 16 for callgrind)"
    )
    ap.add_argument("--profiler", default="perf", choices=("perf", "callgrind"))
    ap.add_argument("--frequency", type=int, default=999, help="perf sampling Hz")
    ap.add_argument(
        "--call-graph", default="dwarf,16384", help="perf --call-graph mode (dwarf works without frame pointers)"
    )
    ap.add_argument("--peers-python", default=os.path.join(BENCH, ".venv-peers", "bin", "python"))
    a = ap.parse_args()

    tool = "ferrosftp-" + a.api
    if a.profiler == "perf" and not shutil.which("perf"):
        raise SystemExit("perf not found: apt-get install linux-perf")
    if a.profiler == "callgrind" and not shutil.which("valgrind"):
        raise SystemExit("valgrind not found: apt-get install valgrind")

    size = a.size or (16 if a.profiler == "callgrind" else (64 if "_rtt" in a.case else 256))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    outdir = os.path.join(BENCH, "results", "profile-%s-%s-%s" % (stamp, a.case, a.profiler))
    os.makedirs(outdir)

    hargs = harness.parse_args(["--quick", "--no-snapshot", "--peers-python", a.peers_python])
    b = harness.Bench(hargs)
    b.sizes = dict(C.SIZES["quick"], big=size * C.MiB, mid=size * C.MiB)
    b.srv = harness.SshdServer(test_user=True).start()
    b.proxies = {
        rtt: harness.FaultProxy("127.0.0.1", b.srv.port, latency=rtt / 2000.0, max_lifetime=3600).start()
        for rtt in harness.RTTS_MS
    }
    try:
        b.prepare()
        b.write_known_hosts()
        b.meta = {}
        b.freeze_ferrosftp()
        job, rd, ld, nbytes, ops = b.make_job(tool, a.case, "profile")
        job_path = os.path.join(outdir, "job.json")
        with open(job_path, "w") as f:
            json.dump(job, f, indent=1)
        worker = [a.peers_python, os.path.join(harness.WORKERS, C.TOOLS[tool][1])]
        if a.profiler == "perf":
            data = os.path.join(outdir, "perf.data")
            rec = [
                "perf",
                "record",
                "-e",
                perf_event(),
                "-F",
                str(a.frequency),
                "--call-graph",
                a.call_graph,
                "-o",
                data,
                "--",
            ] + worker
            reports = [
                [
                    "perf",
                    "report",
                    "-i",
                    data,
                    "--stdio",
                    "--no-children",
                    "-g",
                    "none",
                    "--sort",
                    "dso",
                    "--percent-limit",
                    "0.5",
                ],
                [
                    "perf",
                    "report",
                    "-i",
                    data,
                    "--stdio",
                    "--no-children",
                    "-g",
                    "none",
                    "--sort",
                    "dso,sym",
                    "--percent-limit",
                    "0.5",
                ],
            ]
        else:
            data = os.path.join(outdir, "callgrind.out")
            rec = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + data] + worker
            reports = [["callgrind_annotate", "--inclusive=no", data]]
        print("+ " + " ".join(rec) + " < " + job_path, flush=True)
        with open(job_path) as jf:
            cp = subprocess.run(
                rec,
                stdin=jf,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=harness.WORKERS,
                env=b.worker_env,
            )
        result = None
        for line in cp.stdout.splitlines():
            if line.startswith("BENCHJSON:"):
                result = json.loads(line[len("BENCHJSON:") :])
        if not result or not result.get("ok"):
            sys.stderr.write(cp.stderr[-4000:])
            raise SystemExit("the profiled job failed: %s" % (result,))
        b.verify(a.case, job, result, rd, ld)
        wall = sum(p["wall"] for p in result["phases"].values())
        cpu = sum(p["cpu"] for p in result["phases"].values())
        summary = "%s via %s: %.2f s wall, %.2f s client CPU%s (under %s, so slower than usual)" % (
            a.case,
            tool,
            wall,
            cpu,
            (", %.1f MiB/s" % (nbytes / C.MiB / wall)) if nbytes and C.CASES[a.case]["kind"] == "bytes" else "",
            a.profiler,
        )
        with open(os.path.join(outdir, "report.txt"), "w") as out:
            out.write(summary + "\n\n")
            for r in reports:
                out.write("$ " + " ".join(r) + "\n")
                p = subprocess.run(r, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                out.write(p.stdout)
                out.write("\n")
        with open(os.path.join(outdir, "report.txt")) as f:
            text = f.read()
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
        print("\n".join(lines[:70]))
        print(
            "\n%s\nfull report: %s/report.txt\nraw data:    %s\nmore: %s"
            % (
                summary,
                outdir,
                data,
                ("perf report -i %s" % data)
                if a.profiler == "perf"
                else ("callgrind_annotate %s   (or kcachegrind)" % data),
            )
        )
    finally:
        for proxy in b.proxies.values():
            proxy.stop()
        b.srv.stop()
        shutil.rmtree(getattr(b, "base", "") or "/nonexistent", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
