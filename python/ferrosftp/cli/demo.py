"""``ferrosftp demo``: a round trip (upload a generated tree and a large
file, list them, download them, compare sha256) against a throwaway sshd on
127.0.0.1 (:class:`ferrosftp.testing.SshdServer`), or against a server of
yours."""

from __future__ import annotations

import hashlib
import os
import posixpath
import secrets
import shutil
import sys
import tempfile
import time
from typing import Dict

from .. import _tree
from ..host_config import UsageError
from ..sessions import ConnectFailed, Connector
from .connect import connector_for
from .errors import EXIT_OK, EXIT_OTHER, report
from .jobs import download, download_jobs, make_remote_dirs, upload, upload_jobs
from .targets import parse_remote


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _make_tree(root, nfiles, big_mb, rng) -> Dict[str, str]:
    """Generate the demo data; returns {relative path: sha256}."""
    sums = {}
    for i in range(nfiles):
        d = os.path.join(root, "tree", "dir%d" % (i % 7), "sub%d" % (i % 3))
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, "file%04d.bin" % i)
        with open(p, "wb") as f:
            f.write(rng(1 + (i * 7919) % 65536))
        sums[os.path.relpath(p, root)] = _sha256(p)
    big = os.path.join(root, "large.bin")
    block = rng(1 << 20)
    with open(big, "wb") as f:
        for i in range(big_mb):
            f.write(block[i % 251 :] + block[: i % 251])  # distinct 1 MiB blocks, cheap to make
    sums["large.bin"] = _sha256(big)
    return sums


def cmd_demo(args) -> int:
    from .._progress import format_rate, format_size
    from ..testing import sshd

    out = sys.stdout
    server = None
    if args.target:
        r = parse_remote(args.target)
        if r is None:
            raise UsageError("demo: expected [user@]host:path, got {!r}".format(args.target))
        conn = connector_for(args, r)
        base = r.path
    else:
        try:
            # the login user is the one running the demo, with a key made for this run
            server = sshd.SshdServer(
                client_keys=("ed25519",),
                host_key_types=("ed25519",),
                password_authentication=False,
                remote_root_in_home=False,
            )
        except sshd.SshdMissing as e:
            report(str(e))
            return EXIT_OTHER
        out.write("starting a throwaway sshd on 127.0.0.1 ...\n")
        out.flush()
        _stop_on_sigterm()
        server.start()
        out.write("sshd listening on 127.0.0.1:{} (user {})\n".format(server.port, server.username))
        conn = Connector(
            server.host,
            server.port,
            server.username,
            [server.keys["ed25519"]],
            known_hosts=[server.known_hosts_path],
            timeout=30.0,
            allow_agent=False,
            look_for_keys=False,
        )
        base = server.remote_root
    local = tempfile.mkdtemp(prefix="ferrosftp-demo-")
    client = sftp = None
    remote_top = None
    try:
        src = os.path.join(local, "src")
        os.makedirs(src)
        sums = _make_tree(src, args.files, args.size, os.urandom)
        tree_bytes = sum(os.path.getsize(os.path.join(src, p)) for p in sums if p != "large.bin")
        out.write(
            "generated {} files ({}) and large.bin ({})\n".format(
                args.files, format_size(tree_bytes), format_size(args.size << 20)
            )
        )
        out.flush()
        try:
            client, sftp = conn.session()
        except ConnectFailed as e:
            from ..ssh_exception import AuthenticationException

            if server is not None and isinstance(e.cause, AuthenticationException):
                report(
                    "the throwaway sshd refused the demo key for {} (is that account locked or "
                    "without a usable shell?); its log ends:\n{}".format(server.username, server.log_tail())
                )
            raise
        remote_top = posixpath.join(base, "ferrosftp-demo-" + secrets.token_hex(4))
        sftp.mkdir(remote_top)

        # upload: the tree (many files in flight), then the large file
        t0 = time.monotonic()
        jobs, dirs = upload_jobs(os.path.join(src, "tree"), posixpath.join(remote_top, "tree"))
        make_remote_dirs(sftp, dirs)
        upload(sftp, jobs, args, "upload tree")
        t1 = time.monotonic()
        upload(
            sftp,
            [(os.path.join(src, "large.bin"), posixpath.join(remote_top, "large.bin"), args.size << 20, None)],
            args,
            "large.bin",
        )
        t2 = time.monotonic()
        out.write(
            "upload: tree {} in {:.2f}s ({}), large file {} in {:.2f}s ({})\n".format(
                format_size(tree_bytes),
                t1 - t0,
                format_rate(tree_bytes / max(t1 - t0, 1e-6)),
                format_size(args.size << 20),
                t2 - t1,
                format_rate((args.size << 20) / max(t2 - t1, 1e-6)),
            )
        )

        dst = os.path.join(local, "dst")
        jobs, dirs = download_jobs(sftp, remote_top, dst)
        listed = sum(j[2] for j in jobs)
        out.write(
            "listing: {} files in {} directories, {} on the server\n".format(len(jobs), len(dirs), format_size(listed))
        )
        if len(jobs) != len(sums):
            raise RuntimeError("server lists {} files, expected {}".format(len(jobs), len(sums)))

        for d in dirs:
            os.makedirs(d, exist_ok=True)
        t3 = time.monotonic()
        download(sftp, [j for j in jobs if not j[0].endswith("/large.bin")], args, "download tree")
        t4 = time.monotonic()
        download(sftp, [j for j in jobs if j[0].endswith("/large.bin")], args, "large.bin")
        t5 = time.monotonic()
        out.write(
            "download: tree in {:.2f}s ({}), large file in {:.2f}s ({})\n".format(
                t4 - t3,
                format_rate(tree_bytes / max(t4 - t3, 1e-6)),
                t5 - t4,
                format_rate((args.size << 20) / max(t5 - t4, 1e-6)),
            )
        )

        bad = [
            p for p, h in sums.items() if not os.path.isfile(os.path.join(dst, p)) or _sha256(os.path.join(dst, p)) != h
        ]
        if bad:
            raise RuntimeError("sha256 mismatch for {} file(s): {}".format(len(bad), ", ".join(bad[:5])))
        out.write("verified: {} files, sha256 identical after the round trip\n".format(len(sums)))
        out.write("demo OK\n")
        out.flush()
        return EXIT_OK
    finally:
        if sftp is not None and remote_top is not None:
            try:
                _tree.remove_remote_tree(sftp, remote_top)
            except Exception:  # noqa: BLE001
                pass
        for obj in (sftp, client):
            if obj is not None:
                try:
                    obj.close()
                except Exception:  # noqa: BLE001
                    pass
        shutil.rmtree(local, ignore_errors=True)
        if server is not None:
            server.stop()


def _stop_on_sigterm():
    """`kill` ends the demo like Ctrl-C does: through its cleanup (sshd stopped,
    temp dirs removed), not by dying with them left behind."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def raise_exit(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, raise_exit)
