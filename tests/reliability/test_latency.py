"""Reliability plan, section L: load (TL1-TL6).

Threads with their own clients, the GIL released during transfers, threads
sharing one SFTP session, many files, a connection storm, 64-bit offsets.
"""

import gc
import os
import threading
import time

import pytest

from ferrosftp import SSHException

from relutil import MiB, connect, fd_count, same_file, write_random

pytestmark = pytest.mark.timeout(240)


def test_TL01_threads_with_their_own_clients(sshd, remote_dir, tmp_path):
    n = 16
    for i in range(n):
        write_random(os.path.join(remote_dir, "f%02d" % i), 4 * MiB)
    errors = []

    def worker(i):
        try:
            with connect(sshd) as c:
                s = c.open_sftp()
                s.get(os.path.join(remote_dir, "f%02d" % i), str(tmp_path / ("f%02d" % i)))
        except BaseException as e:  # noqa: BLE001
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    for i in range(n):
        assert same_file(tmp_path / ("f%02d" % i), os.path.join(remote_dir, "f%02d" % i))


def _count_for(seconds, stop=None):
    n = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and not (stop and stop.is_set()):
        n += 1
    return n


def _counter_rate_during(fn):
    """Iterations/s of a pure-Python counting thread while fn() runs."""
    stop = threading.Event()
    counted = {}

    def counter():
        t = time.perf_counter()
        counted["n"] = _count_for(120, stop)
        counted["t"] = time.perf_counter() - t

    th = threading.Thread(target=counter)
    th.start()
    try:
        fn()
    finally:
        stop.set()
        th.join(10)
    return counted["n"] / counted["t"]


def test_TL02_gil_released_during_get(sshd, sftp, big_remote, tmp_path):
    """While a 64 MiB get runs, a Python thread keeps at least half the rate it
    has while OpenSSH's sftp (another process, no GIL at all) moves the same
    file: on a 2-core machine the transfer's crypto (client and sshd) takes
    CPU either way, so the solo rate is not a fair yardstick here; a get that
    held the GIL would leave the counter near 0."""
    t0 = time.perf_counter()
    solo = _count_for(1.0) / (time.perf_counter() - t0)
    dest = tmp_path / "openssh.bin"
    openssh = _counter_rate_during(lambda: sshd.sftp_batch("get %s %s\n" % (big_remote, dest)))
    ours = _counter_rate_during(lambda: sftp.get(big_remote, str(tmp_path / "big.bin")))
    assert same_file(tmp_path / "big.bin", big_remote)
    assert ours >= 0.5 * openssh, "counter at %.0f%% of its rate beside OpenSSH sftp (%.0f%% of solo)" % (
        100 * ours / openssh,
        100 * ours / solo,
    )


def test_TL03_threads_sharing_one_sftp_client(sftp, remote_dir, tmp_path):
    n = 8
    sizes = {}
    for i in range(n):
        d = os.path.join(remote_dir, "t%d" % i)
        os.mkdir(d)
        sizes[i] = 65536 * (i + 1) + i
        write_random(os.path.join(d, "file"), sizes[i])
    errors = []
    rounds = {i: 0 for i in range(n)}
    deadline = time.monotonic() + 10

    def worker(i):
        d = os.path.join(remote_dir, "t%d" % i)
        local = tmp_path / ("t%d" % i)
        try:
            while time.monotonic() < deadline:
                assert sftp.stat(d + "/file").st_size == sizes[i]
                assert sftp.listdir(d) == ["file"]
                sftp.get(d + "/file", str(local))
                assert same_file(local, d + "/file")
                rounds[i] += 1
        except BaseException as e:  # noqa: BLE001
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert all(r >= 1 for r in rounds.values()), rounds


def test_TL04_a_thousand_small_files(sftp, remote_dir, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    names = ["small-%04d.txt" % i for i in range(1000)]
    for name in names:
        (src / name).write_bytes(name.encode() * 64)  # 1 KiB each
        sftp.put(str(src / name), remote_dir + "/" + name)
    assert sorted(sftp.listdir(remote_dir)) == names
    back = tmp_path / "back"
    back.mkdir()
    for name in names:
        sftp.get(remote_dir + "/" + name, str(back / name))
        assert (back / name).read_bytes() == name.encode() * 64
    for name in names:
        sftp.remove(remote_dir + "/" + name)
    assert sftp.listdir(remote_dir) == []
    assert sorted(os.listdir(back)) == names


def _storm(srv, n):
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        try:
            barrier.wait(30)
            c = connect(srv, timeout=20)
            try:
                c.open_sftp().listdir(srv.remote_root)
                results[i] = "ok"
            finally:
                c.close()
        except BaseException as e:  # noqa: BLE001
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert not any(t.is_alive() for t in threads), "a connect hung"
    return results


def test_TL05_connection_storm_raised_maxstartups(sshd):
    results = _storm(sshd, 60)
    assert results.count("ok") == 60, [r for r in results if r != "ok"][:5]


def test_TL05_connection_storm_default_maxstartups(private_sshd):
    srv = private_sshd(overrides={"MaxStartups": "10:30:100"})
    gc.collect()
    fds = fd_count()
    results = _storm(srv, 60)
    failures = [r for r in results if r != "ok"]
    assert results.count("ok") >= 10
    for r in failures:
        assert isinstance(r, SSHException), repr(r)
    del failures, results
    gc.collect()
    assert fd_count() <= fds


def test_TL06_offsets_beyond_4_GiB(sftp, remote_dir):
    big = os.path.join(remote_dir, "sparse5g")
    marker = b"MARKER-at-4.5GiB"
    with open(big, "wb") as f:
        f.truncate(5 * 1024**3)
        f.seek(4608 * MiB)
        f.write(marker)
    assert sftp.stat(big).st_size == 5368709120
    with sftp.open(big, "rb") as f:
        f.seek(4608 * MiB)
        assert f.read(len(marker)) == marker
    new = remote_dir + "/written"
    with sftp.open(new, "wb") as f:
        f.seek(4608 * MiB + 7)
        f.write(b"abc")
    assert sftp.stat(new).st_size == 4831838218
    with open(os.path.join(remote_dir, "written"), "rb") as f:
        f.seek(4608 * MiB + 7)
        assert f.read() == b"abc"
