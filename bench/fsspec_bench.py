#!/usr/bin/env python3
"""The fsspec filesystems' benchmark: ferrosftp's SFTPFileSystem against
fsspec's own ``sftp`` (real paramiko) and ``sshfs`` (asyncssh), on one
loopback sshd, straight and through a 20 ms round-trip latency proxy.

    python3 bench/fsspec_bench.py --big-rounds 2   # what docs/performance.md shows (~50 min)
    python3 bench/fsspec_bench.py             # 3 rounds of everything, full sizes
    python3 bench/fsspec_bench.py --quick     # small sizes, 1 round (smoke test)
    python3 bench/fsspec_bench.py --help      # cases, tools, rounds...

It sets up bench/.venv-peers through ``bench/run.sh --setup-only`` if
needed and runs itself with that venv's python. It starts a throwaway
OpenSSH sshd (ferrosftp.testing.SshdServer) and a FaultProxy with 10 ms each way
(ferrosftp.testing.FaultProxy), makes the data on tmpfs (/dev/shm), then runs every
case with every tool, each job in a worker process of its own
(bench/workers/fsspec_worker.py), the tools interleaved round by round (the
order rotates each round). Connecting is not timed. Every result is checked
against its source; a mismatch aborts the run (exit status 2).

Cases (each at loopback and at 20 ms RTT):
  seq_read   fs.open(path, "rb").read(8 MiB) to EOF, written to a tmpfs file
             (1 GiB at loopback, 256 MiB at 20 ms RTT)
  parquet    pyarrow.parquet.read_table(path, columns=[2 of 20],
             filesystem=fs) of a ~280 MiB file (16 row groups): pyarrow
             opens the file with fs.open and reads the column chunks
  parquet_ranges  fsspec.parquet.open_parquet_file(path, fs=fs, columns=[the
             same 2]) then read_table of it: fsspec's own range-read path
             (footer, then every column chunk in one fs.cat_ranges call).
             Not run for sshfs: its cat_file ignores start/end (sshfs issue
             30), so each range comes back as the whole file and pyarrow
             cannot decode the result ("Couldn't deserialize thrift" after
             ~100 s at loopback, tried once by hand).
  get_many   fs.get(fs.find(remote_dir), [local paths]), 1000 x 64 KiB
  put_many   fs.makedirs(remote_dir); fs.put([local paths], [remote paths]),
             1000 x 64 KiB
  The many-file cases use fsspec's list form because the recursive form
  fails in two of the three: fsspec's sftp cannot put a directory
  (fs.put(dir, rdir, recursive=True): IsADirectoryError, its put_file is
  given the directory itself) and sshfs cannot get one
  (fs.get(rdir, dir, recursive=True): "SFTPFailure: ... is a directory").

Results: bench/results/fsspec-<timestamp>.{json,md}: the median seconds of
each tool per case, and the same-run ratios (ferrosftp's speed over each
peer's); only same-run ratios mean anything on a shared machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
PEERS_PYTHON = os.path.join(BENCH, ".venv-peers", "bin", "python")
WORKER = os.path.join(BENCH, "workers", "fsspec_worker.py")

MiB = 1 << 20
GiB = 1 << 30
RTT_MS = 20

SIZES = {
    "full": dict(seq=GiB, seq_rtt=256 * MiB, pq_rows=2_000_000, pq_group=131_072, many=1000, many_size=64 << 10),
    "quick": dict(seq=64 * MiB, seq_rtt=16 * MiB, pq_rows=200_000, pq_group=32_768, many=100, many_size=64 << 10),
}
PQ_COLUMNS = 20
PQ_READ = ["c03", "c17"]

# name -> (worker case, at the latency proxy?)
CASES = {
    "seq_read": ("seq_read", False),
    "seq_read_rtt20": ("seq_read", True),
    "parquet": ("parquet", False),
    "parquet_rtt20": ("parquet", True),
    "parquet_ranges": ("parquet_ranges", False),
    "parquet_ranges_rtt20": ("parquet_ranges", True),
    "get_many": ("get_many", False),
    "get_many_rtt20": ("get_many", True),
    "put_many": ("put_many", False),
    "put_many_rtt20": ("put_many", True),
}
TOOLS = ("ferrosftp", "fsspec-sftp", "sshfs")
# (case kind, tool) pairs not run, and why (in the report)
NOT_RUN = {("parquet_ranges", "sshfs"): "its cat_file ignores start/end (sshfs issue 30): wrong data"}
# the goals: ferrosftp >= 3x sshfs on the Parquet column read, >= 3x
# fsspec's sftp on the many-file cases
GOALS = {("parquet", "sshfs"): 3.0, ("get_many", "fsspec-sftp"): 3.0, ("put_many", "fsspec-sftp"): 3.0}


def log(msg):
    sys.stderr.write("[fsspec-bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def in_peers_venv():
    """Re-run under bench/.venv-peers' python (set up by run.sh if needed)."""
    if os.path.realpath(sys.prefix) == os.path.realpath(os.path.join(BENCH, ".venv-peers")):
        return
    check = "import fsspec, sshfs, pyarrow, paramiko, ferrosftp"
    if not (os.path.exists(PEERS_PYTHON) and subprocess.run([PEERS_PYTHON, "-c", check]).returncode == 0):
        subprocess.run(["bash", os.path.join(BENCH, "run.sh"), "--setup-only"], check=True)
    os.execv(PEERS_PYTHON, [PEERS_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])


if __name__ == "__main__":
    in_peers_venv()  # the imports below need ferrosftp, fsspec, sshfs, pyarrow

from ferrosftp.testing import FaultProxy, SshdServer  # noqa: E402
from harness import machine_info, sha256_file, tree_digest  # noqa: E402


def random_file(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 16 * MiB)
            f.write(os.urandom(n))
            left -= n


class IntegrityError(RuntimeError):
    pass


class Bench:
    def __init__(self, args):
        self.args = args
        self.sizes = SIZES["quick" if args.quick else "full"]
        self.runs = []

    # ------------------------------------------------------------- data
    def prepare(self):
        sz = self.sizes
        self.base = tempfile.mkdtemp(prefix="ferrosftp-fsspec-bench-", dir=self.args.tmpfs)
        os.chmod(self.base, 0o755)
        self.remote = os.path.join(self.base, "remote")
        self.local = os.path.join(self.base, "local")
        self.out = os.path.join(self.base, "out")
        for d in (self.remote, self.local, self.out):
            os.makedirs(d, mode=0o755)
        self.digest = {}
        for name, size in (("seq.bin", sz["seq"]), ("seq_rtt.bin", sz["seq_rtt"])):
            random_file(os.path.join(self.remote, name), size)
            self.digest[name] = sha256_file(os.path.join(self.remote, name))
        self.make_parquet(os.path.join(self.remote, "table.parquet"))
        rng = random.Random(13)
        self.many_remote = os.path.join(self.remote, "many")
        self.many_local = os.path.join(self.local, "many")
        os.mkdir(self.many_remote)
        os.mkdir(self.many_local)
        for i in range(sz["many"]):
            data = rng.randbytes(sz["many_size"])
            for d in (self.many_remote, self.many_local):
                with open(os.path.join(d, "f%04d.bin" % i), "wb") as f:
                    f.write(data)
        self.many_digest = tree_digest(self.many_local)
        self.chown(self.base, self.srv.uid, self.srv.gid)
        self.chown(self.local, os.geteuid(), os.getegid())
        self.chown(self.out, os.geteuid(), os.getegid())

    def make_parquet(self, path):
        """20 int64 columns of random values (incompressible), 16 row groups."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        rows = self.sizes["pq_rows"]
        columns = {}
        for c in range(PQ_COLUMNS):
            raw = pa.Array.from_buffers(pa.int64(), rows, [None, pa.py_buffer(os.urandom(rows * 8))])
            columns["c%02d" % c] = pc.bit_wise_and(raw, (1 << 40) - 1)  # sums stay exact in int64
        table = pa.table(columns)
        pq.write_table(table, path, row_group_size=self.sizes["pq_group"], use_dictionary=False)
        self.pq_sums = [pc.sum(table.column(c)).as_py() for c in PQ_READ]
        self.pq_rows = rows
        self.pq_size = os.path.getsize(path)
        self.pq_groups = pq.ParquetFile(path).num_row_groups

    def chown(self, path, uid, gid):
        if os.geteuid() != 0:
            return
        os.chown(path, uid, gid)
        for d, dirs, files in os.walk(path):
            for n in dirs + files:
                os.chown(os.path.join(d, n), uid, gid)

    def write_known_hosts(self):
        self.known_hosts = os.path.join(self.base, "known_hosts")
        with open(self.known_hosts, "w") as f:
            for port in (self.srv.port, self.proxy.port):
                for key in self.srv.host_public_keys.values():
                    f.write("[127.0.0.1]:%d %s\n" % (port, key))

    # ------------------------------------------------------------- jobs
    def job(self, tool, case, jid):
        kind, rtt = CASES[case]
        job = {
            "impl": tool,
            "case": kind,
            "host": "127.0.0.1",
            "port": self.proxy.port if rtt else self.srv.port,
            "username": self.srv.username,
            "key": self.srv.keys["ed25519"],
            "known_hosts": self.known_hosts,
            "params": {},
        }
        p = job["params"]
        ld = os.path.join(self.out, jid)
        rd = os.path.join(self.remote, "jobs", jid)
        if kind == "seq_read":
            name = "seq_rtt.bin" if rtt else "seq.bin"
            p.update(remote=os.path.join(self.remote, name), local=ld + ".bin")
        elif kind in ("parquet", "parquet_ranges"):
            p.update(remote=os.path.join(self.remote, "table.parquet"), columns=PQ_READ)
        elif kind == "get_many":
            p.update(remote_dir=self.many_remote, local_dir=ld)
        elif kind == "put_many":
            os.makedirs(os.path.dirname(rd), exist_ok=True)
            self.chown(os.path.dirname(rd), self.srv.uid, self.srv.gid)
            p.update(local_dir=self.many_local, remote_dir=rd)
        return job

    def verify(self, kind, job, res):
        p = job["params"]
        if kind == "seq_read":
            name = os.path.basename(p["remote"])
            if sha256_file(p["local"]) != self.digest[name]:
                raise IntegrityError("seq_read: %s differs from %s" % (p["local"], name))
        elif kind in ("parquet", "parquet_ranges"):
            if res.get("rows") != self.pq_rows or res.get("sums") != self.pq_sums:
                raise IntegrityError(
                    "parquet: got %s rows, sums %s; expected %s, %s"
                    % (res.get("rows"), res.get("sums"), self.pq_rows, self.pq_sums)
                )
        else:
            root = p["local_dir"] if kind == "get_many" else p["remote_dir"]
            got = tree_digest(root) if os.path.isdir(root) else {}
            if got != self.many_digest:
                raise IntegrityError(
                    "%s: %d files in %s, %d expected, %d differ"
                    % (
                        kind,
                        len(got),
                        root,
                        len(self.many_digest),
                        sum(1 for k in got if got[k] != self.many_digest.get(k)),
                    )
                )

    def clean(self, job):
        p = job["params"]
        for key in ("local", "local_dir", "remote_dir"):
            path = p.get(key)
            if path and path not in (self.many_local, self.many_remote):
                if os.path.isdir(path):
                    shutil.rmtree(path, ignore_errors=True)
                elif os.path.exists(path):
                    os.remove(path)

    def run_worker(self, job):
        try:
            cp = subprocess.run(
                [sys.executable, WORKER],
                input=json.dumps(job),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                timeout=self.args.timeout,
                cwd=os.path.dirname(WORKER),
            )
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": "timed out after %ss" % self.args.timeout}
        for line in cp.stdout.splitlines():
            if line.startswith("BENCHJSON:"):
                return json.loads(line[len("BENCHJSON:") :])
        return {"ok": False, "error": "worker rc=%s: %s" % (cp.returncode, cp.stderr[-2000:])}

    def run_one(self, rnd, case, tool):
        jid = "r%d-%s-%s" % (rnd, case, tool)
        job = self.job(tool, case, jid)
        kind = CASES[case][0]
        load = os.getloadavg()[0]
        res = self.run_worker(job)
        rec = {"round": rnd, "case": case, "tool": tool, "ok": bool(res.get("ok")), "loadavg1": load}
        try:
            if rec["ok"]:
                self.verify(kind, job, res)
                rec["seconds"] = sum(ph["wall"] for ph in res["phases"].values())
                rec["cpu"] = sum(ph["cpu"] for ph in res["phases"].values())
                rec["peak_rss_mib"] = res.get("peak_rss_mib")
                log("r%d %-15s %-12s %8.2f s  cpu %.2f s" % (rnd, case, tool, rec["seconds"], rec["cpu"]))
            else:
                rec["error"] = res.get("error", "?")
                rec["detail"] = (res.get("traceback") or "")[-2000:]
                log("r%d %-15s %-12s FAILED: %s" % (rnd, case, tool, rec["error"]))
        finally:
            self.runs.append(rec)
            self.clean(job)

    # ------------------------------------------------------------- main
    def run(self):
        a = self.args
        self.meta = {
            "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "mode": "quick" if a.quick else "full",
            "rounds": a.rounds,
            "big_rounds": a.big_rounds,
            "sizes": self.sizes,
            "rtt_ms": RTT_MS,
            "machine": machine_info(),
            "loadavg_before": os.getloadavg(),
        }
        t0 = time.time()
        self.srv = SshdServer(test_user=True)
        self.srv.start()
        self.proxy = FaultProxy("127.0.0.1", self.srv.port, latency=RTT_MS / 2000.0, max_lifetime=7200)
        self.proxy.start()
        aborted = None
        try:
            log("preparing data on %s (%s)" % (a.tmpfs, self.meta["mode"]))
            self.prepare()
            self.write_known_hosts()
            self.meta.update(
                parquet={
                    "bytes": self.pq_size,
                    "rows": self.pq_rows,
                    "row_groups": self.pq_groups,
                    "columns": PQ_COLUMNS,
                    "read": PQ_READ,
                },
                sshd=subprocess.run(
                    ["/usr/sbin/sshd", "-V"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                ).stdout.strip(),
            )
            self.meta["tools"] = {}
            for tool in a.tools:
                res = self.run_worker(
                    {
                        "impl": tool,
                        "case": "info",
                        "host": "127.0.0.1",
                        "port": self.srv.port,
                        "username": self.srv.username,
                        "key": self.srv.keys["ed25519"],
                        "known_hosts": self.known_hosts,
                        "params": {},
                    }
                )
                if not res.get("ok"):
                    raise SystemExit("%s does not work: %s" % (tool, res.get("error")))
                self.meta["tools"][tool] = res["info"]
                log("%-12s %s" % (tool, res["info"]))
            for rnd in range(a.rounds):
                k = rnd % len(a.tools)
                order = list(a.tools[k:]) + list(a.tools[:k])
                for case in a.cases:
                    if case == "seq_read" and rnd >= a.big_rounds:
                        continue
                    for tool in order:
                        if (CASES[case][0], tool) not in NOT_RUN:
                            self.run_one(rnd, case, tool)
        except IntegrityError as e:
            aborted = str(e)
            log("INTEGRITY CHECK FAILED: %s" % e)
        except KeyboardInterrupt:
            aborted = "interrupted"
        finally:
            self.proxy.stop()
            self.srv.stop()
            if getattr(self, "base", None) and not a.keep_data:
                shutil.rmtree(self.base, ignore_errors=True)
        self.meta.update(
            finished=datetime.datetime.now().isoformat(timespec="seconds"),
            duration_s=round(time.time() - t0),
            loadavg_after=os.getloadavg(),
            aborted=aborted,
        )
        return self.finish(aborted)

    def finish(self, aborted):
        data = {"meta": self.meta, "runs": self.runs, "summary": summarize(self.runs, self.args)}
        os.makedirs(self.args.results_dir, exist_ok=True)
        stem = os.path.join(
            self.args.results_dir,
            "fsspec-" + datetime.datetime.now().strftime("%Y%m%d-%H%M%S") + ("-quick" if self.args.quick else ""),
        )
        with open(stem + ".json", "w") as f:
            json.dump(data, f, indent=1)
        md = markdown(data, self.sizes)
        with open(stem + ".md", "w") as f:
            f.write(md)
        print(md)
        log("wrote %s.json / .md" % stem)
        if aborted:
            return 2
        return 1 if any(not r["ok"] for r in self.runs) else 0


# ------------------------------------------------------------------ report


def summarize(runs, args):
    """{case: {tool: median seconds, ...}, ratios}: a ratio is the peer's
    median time over ferrosftp's (above 1: ferrosftp is faster)."""
    out = {}
    for case in args.cases:
        med = {}
        for tool in args.tools:
            secs = [r["seconds"] for r in runs if r["case"] == case and r["tool"] == tool and r["ok"]]
            if secs:
                med[tool] = {"median": statistics.median(secs), "n": len(secs), "all": secs}
        ratios = {}
        if "ferrosftp" in med:
            for peer in ("sshfs", "fsspec-sftp"):
                if peer in med:
                    ratios[peer] = med[peer]["median"] / med["ferrosftp"]["median"]
        out[case] = {"medians": med, "ratios": ratios}
    return out


def case_label(case, sizes):
    kind, rtt = CASES[case]
    where = " @%d ms RTT" % RTT_MS if rtt else " (loopback)"
    if kind == "seq_read":
        what = "sequential read %d MiB" % ((sizes["seq_rtt"] if rtt else sizes["seq"]) // MiB)
    elif kind == "parquet":
        what = "Parquet, 2 of 20 columns, read_table(filesystem=fs)"
    elif kind == "parquet_ranges":
        what = "Parquet, 2 of 20 columns, fsspec.parquet.open_parquet_file"
    else:
        what = "%s %d x %d KiB" % ("get" if kind == "get_many" else "put", sizes["many"], sizes["many_size"] >> 10)
    return what + where


def rate(case, seconds, sizes, meta):
    kind, rtt = CASES[case]
    if kind == "seq_read":
        return "%.0f MiB/s" % ((sizes["seq_rtt"] if rtt else sizes["seq"]) / MiB / seconds)
    if kind in ("parquet", "parquet_ranges"):
        return "%.0f MiB/s of file" % (meta["parquet"]["bytes"] / MiB / seconds)
    return "%.0f files/s" % (sizes["many"] / seconds)


def markdown(data, sizes):
    meta, summary = data["meta"], data["summary"]
    tools = list(meta.get("tools", {})) or list(TOOLS)
    lines = [
        "# fsspec filesystems over SFTP: ferrosftp, fsspec's sftp (paramiko), sshfs (asyncssh)",
        "",
        "Started %s, %s mode, %d rounds (the 1 GiB read: %d), took %s s; load average before %s, after %s."
        % (
            meta["started"],
            meta["mode"],
            meta["rounds"],
            meta["big_rounds"],
            meta.get("duration_s"),
            "/".join("%.2f" % x for x in meta["loadavg_before"]),
            "/".join("%.2f" % x for x in meta.get("loadavg_after", ())),
        ),
        "Machine: %s. %s." % (", ".join("%s %s" % kv for kv in meta["machine"].items()), meta.get("sshd", "")),
        "Tools: "
        + "; ".join(
            "%s (%s)" % (t, ", ".join("%s %s" % kv for kv in v.items())) for t, v in meta.get("tools", {}).items()
        )
        + ".",
        "Parquet file: %s." % ", ".join("%s %s" % kv for kv in meta.get("parquet", {}).items()),
        "",
        "Median seconds per tool (lower is better), rate of ferrosftp; ratio = the peer's median time "
        "over ferrosftp's (above 1: ferrosftp is faster). Goals: >= 3x sshfs on the Parquet column "
        "read, >= 3x fsspec's sftp on the many-file cases.",
        "",
    ]
    head = "| case | " + " | ".join(tools) + " | ferrosftp rate | vs sshfs | vs fsspec-sftp | goal |"
    lines += [head, "|" + " --- |" * (head.count("|") - 1)]
    for case, s in summary.items():
        med = s["medians"]
        cells = []
        for t in tools:
            m = med.get(t)
            skipped = NOT_RUN.get((CASES[case][0], t))
            cells.append("%.2f (n=%d)" % (m["median"], m["n"]) if m else "not run: " + skipped if skipped else "failed")
        frate = rate(case, med["ferrosftp"]["median"], sizes, meta) if "ferrosftp" in med else "-"
        ratio = {p: ("%.2fx" % s["ratios"][p]) if p in s["ratios"] else "-" for p in ("sshfs", "fsspec-sftp")}
        goal = []
        for (kind, peer), want in GOALS.items():
            if CASES[case][0] == kind and peer in s["ratios"]:
                goal.append(">= %gx %s: %s" % (want, peer, "met" if s["ratios"][peer] >= want else "MISSED"))
        lines.append(
            "| %s | %s | %s | %s | %s | %s |"
            % (
                case_label(case, sizes),
                " | ".join(cells),
                frate,
                ratio["sshfs"],
                ratio["fsspec-sftp"],
                "; ".join(goal) or "-",
            )
        )
    failed = [r for r in data["runs"] if not r["ok"]]
    if failed:
        lines += ["", "Failed jobs:"] + [
            "- r%d %s %s: %s" % (r["round"], r["case"], r["tool"], r["error"]) for r in failed
        ]
    if meta.get("aborted"):
        lines += ["", "RUN ABORTED: %s" % meta["aborted"]]
    return "\n".join(lines) + "\n"


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, 1 round (a smoke test, not numbers)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds of every case (default 3; 1 with --quick)")
    ap.add_argument(
        "--big-rounds",
        type=int,
        default=None,
        help="rounds of the 1 GiB read at loopback, the longest case (default: --rounds)",
    )
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS))
    ap.add_argument("--timeout", type=float, default=1200.0, help="per job, seconds")
    ap.add_argument("--tmpfs", default="/dev/shm")
    ap.add_argument("--results-dir", default=os.path.join(BENCH, "results"))
    ap.add_argument("--keep-data", action="store_true")
    a = ap.parse_args(argv)
    if a.rounds is None:
        a.rounds = 1 if a.quick else 3
    if a.big_rounds is None:
        a.big_rounds = a.rounds
    a.cases = [c for c in CASES if c in a.cases]
    a.tools = [t for t in TOOLS if t in a.tools]
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return Bench(args).run()


if __name__ == "__main__":
    raise SystemExit(main())
