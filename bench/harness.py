#!/usr/bin/env python3
"""ferrosftp benchmark harness (run it through bench/run.sh).

Starts a throwaway OpenSSH sshd on 127.0.0.1 (ferrosftp.testing.SshdServer), a 20 ms
RTT FaultProxy in front of it (ferrosftp.testing.FaultProxy), prepares data on tmpfs
(/dev/shm, both the local files and the sshd user's remote directory), then
for each repeat, for each case, runs every tool once (interleaved; the tool
order rotates by one each repeat) in its own worker process
(bench/workers/*.py, one JSON job on stdin, one JSON result on stdout).
Every transfer is verified byte for byte against its source; a mismatch
aborts the run with exit status 2.

Results: bench/results/<timestamp>.{json,md,png}; a full run (no --quick, all
cases and tools) also copies them to bench/snapshot/latest.{json,md,png}.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
WORKERS = os.path.join(BENCH, "workers")
sys.path.insert(0, BENCH)

from ferrosftp.testing import FaultProxy, SshdServer  # noqa: E402

import cases as C  # noqa: E402
import report  # noqa: E402

RTTS_MS = (20, 100)  # round trips of the latency proxies (cases with rtt=)
# One client key for every tool. pysftp 0.2.9 loads only RSA/DSS key files,
# so it is RSA (3072 bits, OpenSSH format) for all of them.
CLIENT_KEY = "rsa"


class IntegrityError(RuntimeError):
    pass


def log(msg):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def cpu_jiffies():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]  # idle + iowait
    return sum(v), idle


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * C.MiB)
            if not b:
                return h.hexdigest()
            h.update(b)


def chown_tree(path, uid, gid):
    if os.geteuid() != 0:
        return
    os.chown(path, uid, gid)
    for d, dirs, files in os.walk(path):
        for n in dirs + files:
            os.chown(os.path.join(d, n), uid, gid)


def tree_digest(root):
    """{relative path: sha256} of every regular file under root."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in files:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root)] = sha256_file(p)
    return out


def machine_info():
    info = {"kernel": platform.release(), "python": platform.python_version(), "nproc": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            info["mem_gib"] = round(kb / 1024 / 1024, 1)
    except (OSError, ValueError):
        pass
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    try:
        info["virt"] = subprocess.run(
            ["systemd-detect-virt"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        ).stdout.strip()
    except OSError:
        pass
    return info


def git_rev():
    try:
        rev = subprocess.run(
            ["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", REPO, "status", "--porcelain", "--", "src", "python"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        ).stdout.strip()
        return rev + ("+dirty(src/python)" if dirty else "")
    except OSError:
        return "?"


class Bench:
    def __init__(self, args):
        self.args = args
        self.sizes = C.SIZES["quick" if args.quick else "full"]
        self.pythons = {"peers": args.peers_python, "pysftp": args.pysftp_python}
        self.runs = []
        self.tool_info = {}
        self.skipped = {}
        self.load_samples = []
        self.injected = False
        self.worker_env = None

    # ------------------------------------------------------------- data
    def prepare(self):
        sz = self.sizes
        base = tempfile.mkdtemp(prefix="ferrosftp-bench-", dir=self.args.tmpfs)
        self.base = base
        os.chmod(base, 0o755)
        uid, gid = self.srv.uid, self.srv.gid
        self.local = os.path.join(base, "local")
        self.remote = os.path.join(base, "remote")
        self.out = os.path.join(base, "out")
        self.rjobs = os.path.join(self.remote, "jobs")
        for d in (self.local, self.remote, self.out, self.rjobs):
            os.makedirs(d, mode=0o755)
        rng = random.Random(20240605)
        self.digest = {}
        files = [("big.bin", sz["big"]), ("mid.bin", sz["mid"])]
        if any(c.endswith("_1g") for c in self.args.cases):
            files.append(("huge.bin", sz["huge"]))
        for name, size in files:
            p = os.path.join(self.local, name)
            with open(p, "wb") as f:
                left = size
                while left:
                    n = min(left, 16 * C.MiB)
                    f.write(os.urandom(n))
                    left -= n
            self.digest[name] = sha256_file(p)
            shutil.copyfile(p, os.path.join(self.remote, name))
        # small files (local source only: the case puts them, then gets them back)
        self.small_names = ["f%04d.bin" % i for i in range(sz["small_n"])]
        self.small_dir = os.path.join(self.local, "small")
        os.mkdir(self.small_dir)
        self.small_data = {}
        for n in self.small_names:
            data = rng.randbytes(sz["small_size"])
            self.small_data[n] = data
            with open(os.path.join(self.small_dir, n), "wb") as f:
                f.write(data)
        # tree: local (for put_r) and remote (for get_r), same content
        self.tree_parent = os.path.join(self.local, "treeparent")
        self.tree = os.path.join(self.tree_parent, "tree")
        per_dir = sz["tree_files"] // sz["tree_dirs"]
        for di in range(sz["tree_dirs"]):
            d = os.path.join(self.tree, "d%02d" % di)
            os.makedirs(d)
            for fi in range(per_dir):
                with open(os.path.join(d, "f%03d.dat" % fi), "wb") as f:
                    f.write(rng.randbytes(rng.randint(sz["tree_min"], sz["tree_max"])))
        self.tree_files = per_dir * sz["tree_dirs"]
        self.tree_digest = tree_digest(self.tree)
        shutil.copytree(self.tree, os.path.join(self.remote, "tree"))
        # a directory of list_n entries, entry i has i % 10 bytes
        self.list_dir = os.path.join(self.remote, "list")
        os.mkdir(self.list_dir)
        self.list_names = ["entry_%05d" % i for i in range(sz["list_n"])]
        for i, n in enumerate(self.list_names):
            with open(os.path.join(self.list_dir, n), "wb") as f:
                f.write(b"x" * (i % 10))
        self.list_size_sum = sum(i % 10 for i in range(sz["list_n"]))
        self.stat_names = self.list_names[: sz["stat_n"]]
        self.stat_size_sum = sum(i % 10 for i in range(sz["stat_n"]))
        chown_tree(base, uid, gid)
        # local side belongs to the (root) client; only remote needs the user
        chown_tree(self.local, os.geteuid(), os.getegid())
        chown_tree(self.out, os.geteuid(), os.getegid())

    def write_known_hosts(self):
        self.known_hosts = os.path.join(self.base, "known_hosts")
        lines = []
        for kt in ("ed25519", "ecdsa", "rsa"):
            key = self.srv.host_public_keys[kt]
            lines.append("127.0.0.1 %s" % key)  # pysftp looks up the bare host
            lines.append("[127.0.0.1]:%d %s" % (self.srv.port, key))
            for proxy in self.proxies.values():
                lines.append("[127.0.0.1]:%d %s" % (proxy.port, key))
        lines.sort(key=lambda line: 0 if "ssh-ed25519" in line else 1)  # ed25519 first
        with open(self.known_hosts, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.known_hosts, 0o644)

    def sftp_argv(self, port):
        argv = [
            "sftp",
            "-F",
            "/dev/null",
            "-i",
            self.srv.keys[CLIENT_KEY],
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-o",
            "UserKnownHostsFile=%s" % self.known_hosts,
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "User=%s" % self.srv.username,
            "-P",
            str(port),
        ]
        if self.args.openssh_cipher:
            argv += ["-c", self.args.openssh_cipher]
        return argv + ["127.0.0.1"]

    # ------------------------------------------------------------- jobs
    def base_job(self, tool, case, port):
        impl = C.TOOLS[tool][2]
        return {
            "case": case,
            "impl": impl,
            "host": "127.0.0.1",
            "port": port,
            "username": self.srv.username,
            "key": self.srv.keys[CLIENT_KEY],
            "known_hosts": self.known_hosts,
            "sftp_argv": self.sftp_argv(port),
            "params": {},
        }

    def run_worker(self, tool, job, timeout):
        venv, script, _ = C.TOOLS[tool]
        argv = [self.pythons[venv], os.path.join(WORKERS, script)]
        r0 = os.times()
        t0 = time.perf_counter()
        try:
            cp = subprocess.run(
                argv,
                input=json.dumps(job),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                timeout=timeout,
                cwd=WORKERS,
                env=self.worker_env,
            )
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": "timed out after %ss" % timeout}
        t1 = time.perf_counter()
        r1 = os.times()
        res = None
        for line in cp.stdout.splitlines():
            if line.startswith("BENCHJSON:"):
                res = json.loads(line[len("BENCHJSON:") :])
        if res is None:
            res = {"ok": False, "error": "worker rc=%s, no result. stderr: %s" % (cp.returncode, cp.stderr[-3000:])}
        res["process_wall"] = t1 - t0
        res["process_cpu"] = r1.children_user + r1.children_system - r0.children_user - r0.children_system
        if not res.get("ok") and cp.stderr.strip():
            res["stderr"] = cp.stderr[-3000:]
        return res

    def freeze_ferrosftp(self):
        """Pin the ferrosftp the workers import for the whole run.

        With FERROSFTP_FROM=repo the workers import the repo's python/ tree,
        which other people may rebuild mid-run. Copy the package (with its
        extension) into the work dir and put that copy first on PYTHONPATH."""
        self.worker_env = dict(os.environ)
        # let workers cache bytecode: less start-up CPU on a shared machine
        self.worker_env.pop("PYTHONDONTWRITEBYTECODE", None)
        py = self.pythons["peers"]
        cp = subprocess.run(
            [py, "-c", "import ferrosftp, os; print(os.path.dirname(ferrosftp.__file__))"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if cp.returncode != 0:
            self.meta["ferrosftp"] = {"error": cp.stderr.strip()[-500:]}
            return
        pkg = cp.stdout.strip()
        info = {"imported_from": pkg}
        sos = [f for f in os.listdir(pkg) if f.startswith("_native") and f.endswith(".so")]
        if sos:
            so = os.path.join(pkg, sos[0])
            info["extension_sha256"] = sha256_file(so)[:16]
            info["extension_mtime"] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(so)))
        if os.path.realpath(pkg).startswith(os.path.realpath(REPO) + os.sep):
            frozen = os.path.join(self.base, "frozen")
            shutil.copytree(pkg, os.path.join(frozen, "ferrosftp"), ignore=shutil.ignore_patterns("__pycache__"))
            self.worker_env["PYTHONPATH"] = frozen + (
                os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else ""
            )
            info["frozen_copy"] = True
        self.meta["ferrosftp"] = info
        log("ferrosftp: %s" % info)

    def probe_tools(self, tools):
        ok = []
        for tool in tools:
            venv = C.TOOLS[tool][0]
            if not os.path.exists(self.pythons[venv]):
                self.skipped[tool] = "no python at %s" % self.pythons[venv]
                log("SKIP %s: %s" % (tool, self.skipped[tool]))
                continue
            res = self.run_worker(tool, self.base_job(tool, "info", self.srv.port), 120)
            if not res.get("ok"):
                self.skipped[tool] = res.get("error", "?")
                log("SKIP %s: %s" % (tool, self.skipped[tool]))
                if tool == "openssh":
                    raise SystemExit("OpenSSH sftp is the baseline and failed: %s" % res)
                continue
            self.tool_info[tool] = res["info"]
            log("tool %-19s %s" % (tool, res["info"]))
            ok.append(tool)
        return ok

    def job_dirs(self, jid):
        rd = os.path.join(self.rjobs, jid)
        ld = os.path.join(self.out, jid)
        os.mkdir(rd)
        os.mkdir(ld)
        if os.geteuid() == 0:
            os.chown(rd, self.srv.uid, self.srv.gid)
        return rd, ld

    def make_job(self, tool, case, jid):
        spec = C.CASES[case]
        port = self.proxies[spec["rtt"]].port if spec["rtt"] else self.srv.port
        job = self.base_job(tool, case, port)
        direction = C.byte_direction(case)
        job["case"] = direction or case
        rd, ld = self.job_dirs(jid)
        p = job["params"]
        sz = self.sizes
        fname = "mid.bin" if spec["rtt"] else "huge.bin" if case.endswith("_1g") else "big.bin"
        if direction == "download":
            p.update(remote=os.path.join(self.remote, fname), local=os.path.join(ld, fname))
            nbytes, ops = os.path.getsize(os.path.join(self.local, fname)), None
        elif direction == "upload":
            p.update(local=os.path.join(self.local, fname), remote=os.path.join(rd, fname))
            nbytes, ops = os.path.getsize(os.path.join(self.local, fname)), None
        elif case == "small_files":
            p.update(names=self.small_names, local_src=self.small_dir, remote_dir=rd, local_dst=ld)
            nbytes, ops = 2 * len(self.small_names) * sz["small_size"], 2 * len(self.small_names)
        elif case == "put_r":
            p.update(local_tree=self.tree, remote_parent=rd, tree_name="tree")
            nbytes, ops = None, self.tree_files
        elif case == "get_r":
            p.update(
                remote_tree=os.path.join(self.remote, "tree"),
                remote_parent=self.remote,
                tree_name="tree",
                local_parent=ld,
            )
            nbytes, ops = None, self.tree_files
        elif case == "listdir_attr":
            p.update(remote_dir=self.list_dir)
            nbytes, ops = None, len(self.list_names)
        elif case == "stat":
            p.update(remote_dir=self.list_dir, names=self.stat_names)
            nbytes, ops = None, len(self.stat_names)
        elif case == "connect":
            p.update(count=sz["connect_n"])
            nbytes, ops = None, sz["connect_n"]
        else:
            raise ValueError(case)
        return job, rd, ld, nbytes, ops

    def verify(self, case, job, res, rd, ld):
        p = job["params"]

        def same_file(path, digest, what):
            if not os.path.isfile(path):
                raise IntegrityError("%s: %s is missing" % (what, path))
            got = sha256_file(path)
            if got != digest:
                raise IntegrityError("%s: %s has sha256 %s, expected %s" % (what, path, got, digest))

        direction = C.byte_direction(case)
        if direction == "download":
            same_file(p["local"], self.digest[os.path.basename(p["local"])], "download")
        elif direction == "upload":
            same_file(p["remote"], self.digest[os.path.basename(p["remote"])], "upload")
        elif case == "small_files":
            for n in self.small_names:
                for where in (rd, ld):
                    path = os.path.join(where, n)
                    try:
                        with open(path, "rb") as f:
                            data = f.read()
                    except OSError as e:
                        raise IntegrityError("small_files: %s" % e)
                    if data != self.small_data[n]:
                        raise IntegrityError(
                            "small_files: %s differs (%d bytes, expected %d)"
                            % (path, len(data), len(self.small_data[n]))
                        )
        elif case in ("put_r", "get_r"):
            root = os.path.join(rd if case == "put_r" else ld, "tree")
            got = tree_digest(root) if os.path.isdir(root) else {}
            if got != self.tree_digest:
                missing = sorted(set(self.tree_digest) - set(got))[:5]
                extra = sorted(set(got) - set(self.tree_digest))[:5]
                bad = sorted(k for k in got if k in self.tree_digest and got[k] != self.tree_digest[k])[:5]
                raise IntegrityError(
                    "%s: tree %s differs: %d files (expected %d); missing %s "
                    "extra %s different %s" % (case, root, len(got), len(self.tree_digest), missing, extra, bad)
                )
        elif case in ("listdir_attr", "stat"):
            want_n = len(self.list_names) if case == "listdir_attr" else len(self.stat_names)
            want_s = self.list_size_sum if case == "listdir_attr" else self.stat_size_sum
            if res.get("count") != want_n or res.get("size_sum") != want_s:
                raise IntegrityError(
                    "%s: got %s entries / %s bytes, expected %s / %s"
                    % (case, res.get("count"), res.get("size_sum"), want_n, want_s)
                )
        elif case == "connect":
            if res.get("ops") != job["params"]["count"]:
                raise IntegrityError("connect: %s ops" % res.get("ops"))

    def corrupt_output(self, case, job, res, rd, ld):
        """Self-test of the integrity check (--inject-corruption): damage one output."""
        p = job["params"]
        if case in ("listdir_attr", "stat", "connect"):
            res["count"] = res.get("count", 0) - 1
            res["ops"] = res.get("ops", 0) - 1
            return
        target = {"download": p.get("local"), "upload": p.get("remote")}.get(job["case"])
        if target is None:
            root = {"small_files": ld, "put_r": os.path.join(rd, "tree"), "get_r": os.path.join(ld, "tree")}[case]
            for d, dirs, files in os.walk(root):
                if files:
                    target = os.path.join(d, sorted(files)[0])
                    break
        log("--inject-corruption: flipping one byte of %s" % target)
        with open(target, "r+b") as f:
            f.seek(7)
            b = f.read(1)
            f.seek(7)
            f.write(bytes([b[0] ^ 0xFF]))

    def run_one(self, rep, case, tool):
        jid = "r%d-%s-%s" % (rep, case, tool)
        job, rd, ld, nbytes, ops = self.make_job(tool, case, jid)
        la = loadavg()
        self.load_samples.append(la[0])
        res = self.run_worker(tool, job, self.args.timeout)
        rec = {
            "repeat": rep,
            "case": case,
            "tool": tool,
            "ok": bool(res.get("ok")),
            "bytes": nbytes,
            "ops": ops,
            "loadavg1": la[0],
            "process_wall": res.get("process_wall"),
            "process_cpu": res.get("process_cpu"),
            "peak_rss_mib": res.get("peak_rss_mib"),
        }
        if rec["ok"]:
            if self.args.inject_corruption == case and not self.injected:
                self.injected = True
                self.corrupt_output(case, job, res, rd, ld)
            try:
                self.verify(case, job, res, rd, ld)
            except IntegrityError as e:
                rec.update(ok=False, error="INTEGRITY: %s" % e)
                self.runs.append(rec)
                raise
            phases = res["phases"]
            rec["phases"] = phases
            rec["wall"] = sum(ph["wall"] for ph in phases.values())
            rec["cpu"] = sum(ph["cpu"] for ph in phases.values())
            if C.CASES[case]["kind"] == "bytes":
                rec["rate"] = nbytes / C.MiB / rec["wall"]
                rec["cpu_metric"] = rec["cpu"] / (nbytes / C.GiB)
            else:
                rec["rate"] = ops / rec["wall"]
                rec["cpu_metric"] = rec["cpu"] / ops * 1000.0
            log(
                "r%d %-15s %-19s %10.2f %-9s cpu %.3fs  (%.2fs)"
                % (rep, case, tool, rec["rate"], C.CASES[case]["unit"], rec["cpu"], rec["wall"])
            )
        else:
            rec["error"] = res.get("error", "?")
            rec["detail"] = (res.get("traceback") or res.get("stderr") or "")[-3000:]
            log("r%d %-15s %-19s FAILED: %s" % (rep, case, tool, rec["error"]))
        shutil.rmtree(rd, ignore_errors=True)
        shutil.rmtree(ld, ignore_errors=True)
        self.runs.append(rec)

    # ------------------------------------------------------------- main
    def run(self):
        a = self.args
        cases = a.cases
        self.meta = {
            "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "mode": "quick" if a.quick else "full",
            "repeats": a.repeats,
            "cases": cases,
            "sizes": self.sizes,
            "git": git_rev(),
            "machine": machine_info(),
            "loadavg_before": loadavg(),
            "rtt_ms": sorted(RTTS_MS),
            "openssh_cipher": a.openssh_cipher,
            "ferrosftp_source": os.environ.get("FERRO_BENCH_SOURCE", "?"),
            "client_key": "%s (%s)" % (CLIENT_KEY, "3072-bit RSA, OpenSSH format"),
        }
        j0 = cpu_jiffies()
        t0 = time.time()
        log("load average before: %s" % self.meta["loadavg_before"])
        self.srv = SshdServer(test_user=True)
        self.srv.start()
        # one latency proxy per round trip (half of it each way)
        self.proxies = {
            rtt: FaultProxy("127.0.0.1", self.srv.port, latency=rtt / 2000.0, max_lifetime=3600) for rtt in RTTS_MS
        }
        for proxy in self.proxies.values():
            proxy.start()
        self.meta["sshd"] = subprocess.run(
            ["/usr/sbin/sshd", "-V"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ).stdout.strip()
        aborted = None
        try:
            log("preparing data on %s (%s)" % (a.tmpfs, self.meta["mode"]))
            self.prepare()
            self.write_known_hosts()
            self.freeze_ferrosftp()
            self.meta["workdir"] = self.base
            tools = self.probe_tools(a.tools)
            if "openssh" not in tools:
                raise SystemExit("the OpenSSH baseline is required (add it to --tools)")
            self.meta["tools"] = tools
            for rep in range(a.repeats):
                k = rep % len(tools)
                order = tools[k:] + tools[:k]
                for case in cases:
                    for tool in order:
                        self.run_one(rep, case, tool)
        except IntegrityError as e:
            aborted = str(e)
            log("!!!!!! INTEGRITY CHECK FAILED: %s" % e)
        except KeyboardInterrupt:
            aborted = "interrupted"
        finally:
            for proxy in self.proxies.values():
                proxy.stop()
            self.srv.stop()
            if getattr(self, "base", None) and not a.keep_data:
                shutil.rmtree(self.base, ignore_errors=True)
        j1 = cpu_jiffies()
        tot, idle = j1[0] - j0[0], j1[1] - j0[1]
        self.meta.update(
            finished=datetime.datetime.now().isoformat(timespec="seconds"),
            duration_s=round(time.time() - t0, 1),
            loadavg_after=loadavg(),
            loadavg1_during=report.describe(self.load_samples),
            machine_busy_pct=round(100.0 * (tot - idle) / tot, 1) if tot else None,
            tool_info=self.tool_info,
            skipped=self.skipped,
            aborted=aborted,
        )
        return self.finish(aborted)

    def finish(self, aborted):
        a = self.args
        data = {"meta": self.meta, "runs": self.runs}
        data["summary"] = report.summarize(data)
        os.makedirs(a.results_dir, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        stem = os.path.join(a.results_dir, stamp + ("-quick" if a.quick else ""))
        with open(stem + ".json", "w") as f:
            json.dump(data, f, indent=1)
        md = report.markdown(data)
        with open(stem + ".md", "w") as f:
            f.write(md)
        png = None
        try:
            png = report.chart(data, stem + ".png")
        except Exception as e:  # matplotlib missing or broken: the table still counts
            log("chart failed: %r" % e)
        print(md)
        log("wrote %s.json / .md%s" % (stem, " / .png" if png else ""))
        full = not a.quick and set(a.cases) == set(C.CASES) and set(a.tools) == set(C.TOOLS) and not aborted
        if a.snapshot if a.snapshot is not None else full:
            snap = os.path.join(BENCH, "snapshot")
            os.makedirs(snap, exist_ok=True)
            for ext in (".json", ".md") + ((".png",) if png else ()):
                shutil.copyfile(stem + ext, os.path.join(snap, "latest" + ext))
            log("copied to %s/latest.*" % snap)
        if aborted:
            log("RUN ABORTED: %s" % aborted)
            return 2
        failed = [r for r in self.runs if not r["ok"]]
        if failed:
            log("%d job(s) FAILED (see the table)" % len(failed))
            return 1
        return 0


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help="small sizes, 1 repeat (smoke test of the harness, not numbers)"
    )
    ap.add_argument(
        "--cases", nargs="+", default=None, help="subset of: %s (comma or space separated)" % ", ".join(C.CASES)
    )
    ap.add_argument(
        "--tools", nargs="+", default=None, help="subset of: %s (openssh is always added)" % ", ".join(C.TOOLS)
    )
    ap.add_argument("--repeats", type=int, default=None, help="default 5 (1 with --quick)")
    ap.add_argument("--timeout", type=float, default=900.0, help="per worker job, seconds")
    ap.add_argument(
        "--openssh-cipher", default=None, help="force a cipher for OpenSSH sftp (-c), e.g. aes128-gcm@openssh.com"
    )
    ap.add_argument("--tmpfs", default="/dev/shm", help="where data lives (default /dev/shm)")
    ap.add_argument("--results-dir", default=os.path.join(BENCH, "results"))
    ap.add_argument(
        "--snapshot",
        dest="snapshot",
        action="store_true",
        default=None,
        help="copy results to bench/snapshot/latest.* (default: only for full runs)",
    )
    ap.add_argument("--no-snapshot", dest="snapshot", action="store_false")
    ap.add_argument("--keep-data", action="store_true", help="leave the tmpfs work dir")
    ap.add_argument(
        "--inject-corruption",
        metavar="CASE",
        default=None,
        help="self-test: damage the first output of CASE; the run must abort",
    )
    ap.add_argument("--peers-python", default=os.path.join(BENCH, ".venv-peers", "bin", "python"))
    ap.add_argument("--pysftp-python", default=os.path.join(BENCH, ".venv-pysftp", "bin", "python"))
    a = ap.parse_args(argv)

    def split(vals, allowed, what):
        out = []
        for v in vals:
            for x in v.split(","):
                x = x.strip()
                if not x:
                    continue
                if x not in allowed:
                    ap.error("unknown %s %r (choose from %s)" % (what, x, ", ".join(allowed)))
                out.append(x)
        return [x for x in allowed if x in out]  # canonical order

    a.cases = split(a.cases, C.CASES, "case") if a.cases else list(C.CASES)
    a.tools = split(a.tools, C.TOOLS, "tool") if a.tools else list(C.TOOLS)
    if "openssh" not in a.tools:
        a.tools.append("openssh")
    if a.repeats is None:
        a.repeats = 1 if a.quick else 5
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return Bench(args).run()


if __name__ == "__main__":
    raise SystemExit(main())
