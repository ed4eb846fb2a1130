"""Reliability plan, section R: resources (TR1-TR7).

No fd, thread or memory growth over many cycles; server-side handles and
sessions released by garbage collection and context managers; nothing left
behind by failures.
"""

import gc
import os
import threading

import pytest

import ferrosftp
from ferrosftp import SSHClient, SSHException

from relutil import (
    MiB,
    connect,
    descendants,
    fd_count,
    free_port,
    leftovers,
    open_files_of,
    rss_bytes,
    settle,
    task_count,
    timed,
)

pytestmark = pytest.mark.timeout(600)


def _snapshot():
    gc.collect()
    return {"fds": fd_count(), "threads": threading.active_count(), "tasks": task_count(), "rss": rss_bytes()}


def _assert_no_growth(base, after, rss_limit=20 * MiB):
    assert after["fds"] <= base["fds"] + 2, (base, after)
    assert after["threads"] <= base["threads"], (base, after)
    assert after["tasks"] <= base["tasks"], (base, after)
    assert after["rss"] - base["rss"] < rss_limit, (base, after)


def _settled_snapshot(base):
    """Snapshot once fds/tasks are back (a closed session's threads and
    sockets go within a moment), or after 3 s."""
    settle(lambda: fd_count() <= base["fds"] + 2 and task_count() <= base["tasks"])
    return _snapshot()


def _cycle(sshd, d):
    c = connect(sshd)
    try:
        s = c.open_sftp()
        assert s.listdir(d) == ["one"]
        s.close()
    finally:
        c.close()


@pytest.mark.slow
def test_TR01_thousand_connect_close_cycles(sshd, remote_dir):
    open(os.path.join(remote_dir, "one"), "w").close()
    for _ in range(100):  # warm-up: caches, allocator arenas, lazy imports
        _cycle(sshd, remote_dir)
    base = _snapshot()
    for _ in range(900):
        _cycle(sshd, remote_dir)
    _assert_no_growth(base, _settled_snapshot(base))


def _failing_connects(sshd, n):
    refused_port = free_port()
    for i in range(n):
        kind = i % 3
        if kind == 0:
            exc, res, took = timed(connect, sshd, port=refused_port)
            assert isinstance(exc, OSError), repr(exc)
        elif kind == 1:
            if sshd.password_auth:
                exc, res, took = timed(connect, sshd, key_filename=None, password="wrong")
            else:
                exc, res, took = timed(connect, sshd, key_filename=sshd.keys["rsa"] + ".pub")
            assert isinstance(exc, (SSHException, OSError)), repr(exc)
        else:
            c = SSHClient()  # RejectPolicy: unknown host key
            exc, res, took = timed(
                c.connect,
                sshd.host,
                port=sshd.port,
                username=sshd.username,
                key_filename=sshd.keys["ed25519"],
                look_for_keys=False,
                allow_agent=False,
                timeout=10,
            )
            assert isinstance(exc, SSHException), repr(exc)
        assert res is None
        del exc


@pytest.mark.slow
def test_TR02_thousand_failing_connects(sshd):
    _failing_connects(sshd, 99)
    base = _snapshot()
    _failing_connects(sshd, 999)
    _assert_no_growth(base, _settled_snapshot(base))


def _open_in_sessions(sshd, path):
    return [p for p in open_files_of(descendants(sshd.pid)) if p == path]


def test_TR03_sftpfile_dropped_without_close(sshd, sftp, remote_dir):
    path = os.path.join(remote_dir, "held.txt")
    with open(path, "w") as f:
        f.write("hello")
    fh = sftp.open(path)
    assert fh.read(5) == b"hello"
    assert len(_open_in_sessions(sshd, path)) == 1
    del fh
    gc.collect()
    sftp.stat(path)  # one round trip
    assert settle(lambda: _open_in_sessions(sshd, path) == [], timeout=2)
    # and the session is still fine
    assert sftp.listdir(remote_dir) == ["held.txt"]


def _new_session_pids(sshd, before):
    return [p for p in descendants(sshd.pid) if p not in before]


def _all_gone(pids):
    return all(not os.path.exists("/proc/%d" % p) or _is_zombie(p) for p in pids)


def _is_zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_TR04_sshclient_dropped_without_close(sshd):
    before = set(descendants(sshd.pid))
    c = connect(sshd)
    c.open_sftp().listdir(sshd.remote_root)
    pids = _new_session_pids(sshd, before)
    assert pids
    del c
    gc.collect()
    assert settle(lambda: _all_gone(pids), timeout=2), "server session still running"


class Boom(Exception):
    pass


def test_TR05_context_managers_close_on_error(sshd, remote_dir):
    before = set(descendants(sshd.pid))
    with pytest.raises(Boom):
        with connect(sshd) as c:
            s = c.open_sftp()
            path = os.path.join(remote_dir, "f")
            with pytest.raises(Boom):
                with s.open(path, "w") as f:
                    f.write(b"data")
                    assert len(_open_in_sessions(sshd, path)) == 1
                    raise Boom
            assert f.closed
            assert _open_in_sessions(sshd, path) == []
            assert open(path, "rb").read() == b"data"
            pids = _new_session_pids(sshd, before)
            raise Boom
    assert pids
    assert c.get_transport() is None or not c.get_transport().is_active()
    assert settle(lambda: _all_gone(pids), timeout=2)

    before = set(descendants(sshd.pid))
    with pytest.raises(Boom):
        with ferrosftp.Connection(
            sshd.host,
            username=sshd.username,
            private_key=sshd.keys["ed25519"],
            port=sshd.port,
            cnopts=ferrosftp.CnOpts(knownhosts=sshd.known_hosts_path),
        ) as conn:
            conn.listdir(remote_dir)
            pids = _new_session_pids(sshd, before)
            raise Boom
    assert pids
    assert settle(lambda: _all_gone(pids), timeout=2)


def test_TR06_no_leftovers_after_failures(sshd, fault_proxy, big_remote, remote_dir, tmp_path):
    base = _snapshot()
    dest = tmp_path / "dest.bin"
    dest.write_bytes(b"old")

    def failing_get(remote, proxy_opts=None, timeout=None):
        p = fault_proxy(**proxy_opts) if proxy_opts else None
        c = connect(sshd, port=p.port if p else None)
        try:
            s = c.open_sftp()
            if timeout:
                s.get_channel().settimeout(timeout)
            exc, res, took = timed(s.get, remote, str(dest))
            assert isinstance(exc, (SSHException, OSError)), repr(exc)
        finally:
            c.close()
            if p:
                p.stop()

    failing_get(big_remote, dict(cut_after=MiB))
    failing_get(big_remote, dict(cut_after=MiB, cut_mode="fin"))
    failing_get(big_remote, dict(stall_after=MiB), timeout=2)
    failing_get(big_remote, dict(corrupt_after=MiB))
    failing_get(os.path.join(remote_dir, "missing"))
    failing_get(remote_dir)  # a directory
    secret = os.path.join(remote_dir, "secret")
    open(secret, "w").close()
    os.chmod(secret, 0)
    failing_get(secret)
    failing_get(remote_dir + "/" + "x" * 5000)
    os.symlink("loop-b", os.path.join(remote_dir, "loop-a"))
    os.symlink("loop-a", os.path.join(remote_dir, "loop-b"))
    failing_get(os.path.join(remote_dir, "loop-a"))

    assert leftovers(tmp_path, ["dest.bin"]) == []
    assert dest.read_bytes() == b"old"
    after = _settled_snapshot(base)
    assert after["fds"] <= base["fds"], (base, after)
    assert after["threads"] <= base["threads"], (base, after)
    assert after["tasks"] <= base["tasks"], (base, after)


def test_TR07_repeated_failing_get_into_one_path(sftp, remote_dir, tmp_path):
    dest = tmp_path / "never"
    missing = os.path.join(remote_dir, "missing")
    sftp.get  # noqa: B018 - bound once
    for _ in range(5):
        with pytest.raises(FileNotFoundError):
            sftp.get(missing, str(dest))
    base = _snapshot()
    for _ in range(100):
        with pytest.raises(FileNotFoundError):
            sftp.get(missing, str(dest))
        assert not dest.exists()
    after = _snapshot()
    assert after["fds"] <= base["fds"]
    assert os.listdir(tmp_path) == []
