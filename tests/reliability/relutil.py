"""Helpers shared by the reliability tests (tests/reliability/test_*.py).

Nothing here is a test; the fixtures live in conftest.py beside this file.
"""

from __future__ import annotations

import gc
import os
import re
import signal
import socket
import threading
import time

from ferrosftp.testing.sshd import descendants  # noqa: F401 (the reliability tests use it)

MiB = 1 << 20


def open_files_of(pids):
    """Paths of regular files the given processes hold open."""
    paths = []
    for pid in pids:
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                paths.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
            except OSError:
                pass
    return paths


def kill_sessions(srv, sig=signal.SIGKILL):
    """Kill every per-connection process of `srv` (the listener survives)."""
    kids = descendants(srv.pid)
    for pid in kids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    return kids


# ------------------------------------------------------------------ clients
def connect(sshd, port=None, **overrides):
    """A connected ferrosftp.SSHClient (AutoAddPolicy, ed25519 key)."""
    import ferrosftp

    c = ferrosftp.SSHClient()
    c.set_missing_host_key_policy(ferrosftp.AutoAddPolicy())
    kw = dict(
        port=port or sshd.port,
        username=sshd.username,
        key_filename=sshd.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    kw.update(overrides)
    try:
        c.connect(sshd.host, **kw)
    except BaseException:
        c.close()
        raise
    return c


def write_random(path, size, chunk=4 * MiB):
    """Write `size` pseudo-random bytes (fast: a repeated random block with a
    per-block counter, so no two MiB are equal). Returns nothing."""
    block = os.urandom(chunk)
    with open(path, "wb") as f:
        done = 0
        n = 0
        while done < size:
            piece = (n.to_bytes(8, "big") + block[8:])[: size - done]
            f.write(piece)
            done += len(piece)
            n += 1


def same_file(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(MiB), fb.read(MiB)
            if x != y:
                return False
            if not x:
                return True


def timed(fn, *args, **kw):
    """(exception or None, result, seconds)."""
    t0 = time.monotonic()
    try:
        res = fn(*args, **kw)
    except BaseException as e:  # noqa: BLE001 - the tests judge it
        return e, None, time.monotonic() - t0
    return None, res, time.monotonic() - t0


class Background:
    """Run fn in a daemon thread; .join(t) -> True when it finished."""

    def __init__(self, fn, *args, **kw):
        self.exc = None
        self.result = None
        self.t0 = time.monotonic()
        self.t1 = None

        def run():
            try:
                self.result = fn(*args, **kw)
            except BaseException as e:  # noqa: BLE001
                self.exc = e
            finally:
                self.t1 = time.monotonic()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self, timeout):
        self.thread.join(timeout)
        return not self.thread.is_alive()

    @property
    def elapsed(self):
        return (self.t1 or time.monotonic()) - self.t0


def within(limit):
    """The plan's "within T": timeout x 1.5 + 2 s."""
    return limit * 1.5 + 2


# ---------------------------------------------------------------- resources
def fd_count():
    return len(os.listdir("/proc/self/fd"))


def task_count():
    return len(os.listdir("/proc/self/task"))


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def settle(check, timeout=3.0, interval=0.05):
    """Poll `check()` (gc.collect() first) until it is true or time runs out;
    returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        gc.collect()
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def leftovers(directory, expected=()):
    """Names in `directory` other than `expected` (temp files, partials)."""
    return sorted(set(os.listdir(directory)) - set(expected))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def userauth_requests(log_text):
    """userauth requests sshd logged at DEBUG level (one per attempt)."""
    return re.findall(r"userauth-request for user", log_text)
