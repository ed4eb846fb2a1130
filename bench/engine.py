#!/usr/bin/env python3
"""Connection-engine benchmark: what one connection does while shared.

    bench/.venv-peers/bin/python bench/engine.py [--rounds N]

(`bash bench/run.sh --setup-only` creates that venv with paramiko and
ferrosftp.) Against a throwaway loopback sshd, ferrosftp and paramiko, the
same code for both (`import ... as paramiko`), rounds interleaved, medians:

* stat latency on an idle connection, and on one whose other channel is
  blocked in a read (`exec_command("sleep ...")` + `stdout.read()` in a
  thread): the engine's target is no difference;
* 4 concurrent downloads over 4 SFTP channels of one connection, against
  4 connections.

Prints a Markdown table; times are per run of the machine, so compare the
tools within one run only.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import statistics
import sys
import tempfile
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))

from ferrosftp.testing import SshdServer  # noqa: E402

MiB = 1 << 20
TOOLS = ("ferrosftp", "paramiko")


def connect(mod, srv):
    c = mod.SSHClient()
    c.set_missing_host_key_policy(mod.AutoAddPolicy())
    c.connect(
        srv.host,
        port=srv.port,
        username=srv.username,
        key_filename=srv.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=30,
    )
    return c


def stat_ms(sftp, path, n):
    t0 = time.perf_counter()
    for _ in range(n):
        sftp.stat(path)
    return (time.perf_counter() - t0) / n * 1000


def stat_latency(mod, srv, path, n):
    """(idle ms, ms with another channel blocked in a read) per stat."""
    c = connect(mod, srv)
    try:
        sftp = c.open_sftp()
        stat_ms(sftp, path, 20)  # warm up
        idle = stat_ms(sftp, path, n)
        _, stdout, _ = c.exec_command("sleep 5; echo done")
        reader = threading.Thread(target=stdout.read, daemon=True)
        reader.start()
        time.sleep(0.2)
        busy = stat_ms(sftp, path, n)
        blocked = reader.is_alive()
        reader.join(10)
        if not blocked:
            raise RuntimeError("the reader finished early: no blocked channel was measured")
        sftp.close()
        return idle, busy
    finally:
        c.close()


def parallel_get(mod, srv, remotes, local_dir, one_connection):
    """MiB/s of len(remotes) concurrent gets, over SFTP channels of one
    connection or one connection each."""
    clients = [connect(mod, srv)] if one_connection else [connect(mod, srv) for _ in remotes]
    try:
        sftps = [clients[0 if one_connection else i].open_sftp() for i in range(len(remotes))]
        errors = []

        def get(i):
            try:
                sftps[i].get(remotes[i], os.path.join(local_dir, "out%d" % i))
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=get, args=(i,)) for i in range(len(remotes))]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.perf_counter() - t0
        if errors:
            raise errors[0]
        total = sum(os.path.getsize(os.path.join(local_dir, "out%d" % i)) for i in range(len(remotes)))
        for s in sftps:
            s.close()
        return total / MiB / took
    finally:
        for c in clients:
            c.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--stats", type=int, default=300, help="stat calls per measurement")
    ap.add_argument("--size-mib", type=int, default=64, help="size of each parallel download")
    args = ap.parse_args(argv)
    mods = {name: importlib.import_module(name) for name in TOOLS}
    results = {}
    with SshdServer(test_user=True) as srv:
        rdir = srv.make_remote_dir()
        target = os.path.join(rdir, "stat-me")
        with open(target, "wb") as f:
            f.write(b"x")
        remotes = []
        digests = []
        for i in range(4):
            p = os.path.join(rdir, "big%d" % i)
            data = os.urandom(MiB) * args.size_mib
            with open(p, "wb") as f:
                f.write(data)
            srv.chown_to_user(p)
            remotes.append(p)
            digests.append(hashlib.sha256(data).hexdigest())
        for r in range(args.rounds):
            order = TOOLS if r % 2 == 0 else TOOLS[::-1]
            for name in order:
                mod = mods[name]
                idle, busy = stat_latency(mod, srv, target, args.stats)
                results.setdefault((name, "stat idle (ms)"), []).append(idle)
                results.setdefault((name, "stat, other channel blocked (ms)"), []).append(busy)
                for one, label in (
                    (True, "4 gets, 4 channels of 1 connection (MiB/s)"),
                    (False, "4 gets, 4 connections (MiB/s)"),
                ):
                    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as d:
                        rate = parallel_get(mod, srv, remotes, d, one)
                        for i in range(4):
                            with open(os.path.join(d, "out%d" % i), "rb") as f:
                                if hashlib.sha256(f.read()).hexdigest() != digests[i]:
                                    raise SystemExit("integrity check failed: %s out%d" % (name, i))
                    results.setdefault((name, label), []).append(rate)
            print("round %d/%d done" % (r + 1, args.rounds), file=sys.stderr)
    measures = []
    for _, m in results:
        if m not in measures:
            measures.append(m)
    print("| measure | ferrosftp | paramiko | ratio |")
    print("| --- | --- | --- | --- |")
    for m in measures:
        f = statistics.median(results[("ferrosftp", m)])
        p = statistics.median(results[("paramiko", m)])
        # ratio: how many times better ferrosftp is (lower ms, higher MiB/s)
        ratio = p / f if m.endswith("(ms)") else f / p
        print("| {} | {:.3f} | {:.3f} | {:.2f}x |".format(m, f, p, ratio))
    print("\n(medians of {} interleaved rounds; ratio > 1: ferrosftp better)".format(args.rounds))


if __name__ == "__main__":
    main()
