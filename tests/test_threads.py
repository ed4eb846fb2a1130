"""Threads (issue #2/#3): separate clients run in parallel with the GIL
released; one client shared by several threads is serialised safely and every
thread gets its own correct data.  Nothing here asserts a speed: parallelism
is proven by a thread making progress while another is blocked inside the
core, and by threads meeting at a barrier from inside their transfers."""

import hashlib
import os
import secrets
import threading
import time

import pytest

import ferrosftp as paramiko
from ferrosftp import SSHException

from client_helpers import connect_client as _connect_client

MiB = 1024 * 1024


def _run_threads(targets, timeout=180):
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        return run

    threads = [threading.Thread(target=wrap(fn), daemon=True) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


class Counter(threading.Thread):
    """Pure-Python busy loop: it can only count while it holds the GIL."""

    def __init__(self):
        super().__init__(daemon=True)
        self.value = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.value += 1


def test_two_clients_concurrent_put_get_16mb(sshd, remote_dir, tmp_path):
    size = 16 * MiB
    datas = [secrets.token_bytes(size), secrets.token_bytes(size)]
    for i, d in enumerate(datas):
        (tmp_path / ("src%d" % i)).write_bytes(d)
    clients = [_connect_client(sshd), _connect_client(sshd)]
    barrier = threading.Barrier(2, timeout=60)
    met = []

    def work(i):
        def fn():
            s = clients[i].open_sftp()
            first = []

            def cb(done, total):
                # both uploads are in progress at the same moment: the barrier
                # could not be passed if one client blocked the other
                if not first:
                    first.append(done)
                    barrier.wait()
                    met.append(i)

            s.put(str(tmp_path / ("src%d" % i)), "%s/f%d" % (remote_dir, i), callback=cb)
            s.get("%s/f%d" % (remote_dir, i), str(tmp_path / ("dst%d" % i)))
            s.close()

        return fn

    counter = Counter()
    counter.start()
    try:
        errors = _run_threads([work(0), work(1)])
    finally:
        counter.stop.set()
        counter.join()
        for c in clients:
            c.close()
    assert errors == []
    assert sorted(met) == [0, 1]
    for i, d in enumerate(datas):
        assert (tmp_path / ("dst%d" % i)).read_bytes() == d
        with open("%s/f%d" % (remote_dir, i), "rb") as f:
            assert hashlib.sha256(f.read()).digest() == hashlib.sha256(d).digest()
    # a pure-Python thread kept running throughout 64 MB of transfers
    assert counter.value > 100000


def test_gil_released_while_blocked_in_core(sshd, fault_proxy, remote_dir, tmp_path):
    """Client A is stuck inside a get (the proxy stopped forwarding). Meanwhile
    a Python counter runs and client B completes a 16 MB put+get: neither the
    GIL nor any global lock is held by A while it waits."""
    with open(remote_dir + "/big", "wb") as f:
        f.write(secrets.token_bytes(16 * MiB))
    p = fault_proxy(stall_after=1 * MiB, stall_direction="down")
    a = paramiko.SSHClient()
    a.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    a.connect(
        "127.0.0.1",
        port=p.port,
        username=sshd.username,
        key_filename=sshd.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    sa = a.open_sftp()
    sa.get_channel().settimeout(120)
    a_result = []

    def a_get():
        try:
            sa.get(remote_dir + "/big", str(tmp_path / "a"))
            a_result.append("returned")
        except BaseException as e:  # noqa: BLE001
            a_result.append(e)

    ta = threading.Thread(target=a_get, daemon=True)
    ta.start()
    deadline = time.monotonic() + 30
    while p.bytes_down < 1 * MiB and time.monotonic() < deadline:
        time.sleep(0.05)
    assert p.bytes_down >= 1 * MiB, "the stall never happened"
    assert ta.is_alive() and a_result == []

    counter = Counter()
    counter.start()
    before = counter.value
    time.sleep(0.3)  # the main thread sleeps: the counter needs the GIL to count
    advanced = counter.value - before

    data = secrets.token_bytes(16 * MiB)
    (tmp_path / "b-src").write_bytes(data)
    b = _connect_client(sshd)
    try:
        sb = b.open_sftp()
        sb.put(str(tmp_path / "b-src"), remote_dir + "/b")
        sb.get(remote_dir + "/b", str(tmp_path / "b-dst"))
    finally:
        b.close()
    counter.stop.set()
    counter.join()
    assert (tmp_path / "b-dst").read_bytes() == data
    assert advanced > 1000
    # A was blocked in the core the whole time
    assert ta.is_alive() and a_result == []

    p.cut_all()
    ta.join(30)
    a.close()
    assert not ta.is_alive()
    assert len(a_result) == 1 and isinstance(a_result[0], (SSHException, OSError))
    assert not (tmp_path / "a").exists()
    assert [n for n in os.listdir(tmp_path) if "ferrosftp-part" in n] == []


UPLOAD_WEDGE_BUG = (
    "Rust SFTP core: any SFTP request (stat, listdir, open, get, read, another put or "
    "SFTPFile.write) issued from a second thread on the same SFTPClient while a put()/"
    "write() is in progress wedges the SFTP channel: that request times out "
    "(socket.timeout; without a timeout it hangs until DEFAULT_TIMEOUT) and the upload "
    "fails with ConnectionDropped ('SSH session not active' / 'Failure while draining "
    "incoming flow'); the session is dead afterwards. exec_command on the same transport "
    "is unaffected, concurrent downloads are fine. Likely libssh2_sftp_write returns "
    "acked bytes while a WRITE packet is only partly sent; the op lock is then released "
    "and the other request's packet is interleaved into the channel stream"
)


def test_one_client_shared_by_threads_downloads(client, remote_dir, tmp_path):
    """Several threads share one SSHClient and one SFTPClient, downloading,
    reading, stat-ing, listing and running commands at once: calls are
    serialised, nothing crashes, every thread sees its own data."""
    sftp = client.open_sftp()
    sftp.get_channel().settimeout(60)  # a wedged session fails the test, never hangs it
    datas = {i: secrets.token_bytes(3 * MiB + i) for i in range(4)}
    for i, d in datas.items():
        with open("%s/t%d" % (remote_dir, i), "wb") as f:
            f.write(d)

    def work(i):
        def fn():
            remote = "%s/t%d" % (remote_dir, i)
            for rnd in range(4):
                assert sftp.stat(remote).st_size == len(datas[i])
                assert len(sftp.listdir(remote_dir)) == 4
                local = tmp_path / ("dst%d-%d" % (i, rnd))
                sftp.get(remote, str(local))
                assert local.read_bytes() == datas[i]
                with sftp.open(remote, "rb") as f:
                    f.seek(1000 + rnd)
                    assert f.read(100) == datas[i][1000 + rnd : 1100 + rnd]
                    assert f.read() == datas[i][1100 + rnd :]
                _, stdout, _ = client.exec_command("echo thread-%d-%d" % (i, rnd))
                assert stdout.read() == b"thread-%d-%d\n" % (i, rnd)

        return fn

    errors = _run_threads([work(i) for i in range(4)])
    sftp.close()
    assert errors == []


def test_upload_in_parallel_with_exec_on_one_client(client, remote_dir, tmp_path):
    sftp = client.open_sftp()
    sftp.get_channel().settimeout(60)
    data = secrets.token_bytes(8 * MiB)
    (tmp_path / "src").write_bytes(data)
    outputs = []

    def upload():
        for rnd in range(3):
            sftp.put(str(tmp_path / "src"), "%s/u%d" % (remote_dir, rnd))

    def commands():
        for rnd in range(10):
            _, stdout, _ = client.exec_command("echo c%d" % rnd)
            outputs.append(stdout.read())

    assert _run_threads([upload, commands]) == []
    assert outputs == [b"c%d\n" % rnd for rnd in range(10)]
    for rnd in range(3):
        with open("%s/u%d" % (remote_dir, rnd), "rb") as f:
            assert f.read() == data
    sftp.close()


def test_stat_while_another_thread_uploads(client, remote_dir, tmp_path):
    sftp = client.open_sftp()
    sftp.get_channel().settimeout(5)
    data = secrets.token_bytes(3 * MiB)
    (tmp_path / "src").write_bytes(data)
    with open(remote_dir + "/r", "wb") as f:
        f.write(b"12345")
    done = threading.Event()
    stats = []

    def upload():
        try:
            for _ in range(10):
                sftp.put(str(tmp_path / "src"), remote_dir + "/t")
        finally:
            done.set()

    def stat_loop():
        while not done.is_set():
            stats.append(sftp.stat(remote_dir + "/r").st_size)

    assert _run_threads([upload, stat_loop], timeout=120) == []
    assert stats and set(stats) == {5}
    with open(remote_dir + "/t", "rb") as f:
        assert f.read() == data
    sftp.close()


def test_one_client_shared_by_threads(client, remote_dir, tmp_path):
    """Several threads share one SSHClient and one SFTPClient: one thread keeps
    uploading while the others download, read, stat, list and run commands.
    Calls are serialised, nothing crashes, every thread sees correct data."""
    sftp = client.open_sftp()
    sftp.get_channel().settimeout(5)  # a wedged session fails the test, never hangs it
    n_readers = 3
    datas = {i: secrets.token_bytes(2 * MiB + i) for i in range(n_readers)}
    for i, d in datas.items():
        with open("%s/t%d" % (remote_dir, i), "wb") as f:
            f.write(d)
    up_data = secrets.token_bytes(3 * MiB)
    (tmp_path / "up").write_bytes(up_data)

    def uploader():
        for rnd in range(4):
            sftp.put(str(tmp_path / "up"), "%s/up%d" % (remote_dir, rnd))
            with sftp.open("%s/w%d" % (remote_dir, rnd), "wb") as f:
                f.write(up_data)
            _, stdout, _ = client.exec_command("echo uploader-%d" % rnd)
            assert stdout.read() == b"uploader-%d\n" % rnd

    def reader(i):
        def fn():
            remote = "%s/t%d" % (remote_dir, i)
            for rnd in range(4):
                assert sftp.stat(remote).st_size == len(datas[i])
                assert "t%d" % i in sftp.listdir(remote_dir)
                local = tmp_path / ("dst%d-%d" % (i, rnd))
                sftp.get(remote, str(local))
                assert local.read_bytes() == datas[i]
                with sftp.open(remote, "rb") as f:
                    f.seek(1000)
                    assert f.read(100) == datas[i][1000:1100]
                _, stdout, _ = client.exec_command("echo thread-%d-%d" % (i, rnd))
                assert stdout.read() == b"thread-%d-%d\n" % (i, rnd)

        return fn

    errors = _run_threads([uploader] + [reader(i) for i in range(n_readers)])
    sftp.close()
    assert errors == []
    for rnd in range(4):
        for name in ("up%d" % rnd, "w%d" % rnd):
            with open("%s/%s" % (remote_dir, name), "rb") as f:
                assert f.read() == up_data


def test_concurrent_uploads_one_sftp_client(client, remote_dir, tmp_path):
    sftp = client.open_sftp()
    sftp.get_channel().settimeout(5)
    data = secrets.token_bytes(2 * MiB)
    (tmp_path / "src").write_bytes(data)

    def put(i):
        return lambda: sftp.put(str(tmp_path / "src"), "%s/p%d" % (remote_dir, i))

    def write(i):
        def fn():
            with sftp.open("%s/w%d" % (remote_dir, i), "wb") as f:
                f.write(data)

        return fn

    for _ in range(15):
        assert _run_threads([put(0), put(1)], timeout=60) == []
        assert _run_threads([write(0), write(1)], timeout=60) == []
    for name in ("p0", "p1", "w0", "w1"):
        with open("%s/%s" % (remote_dir, name), "rb") as f:
            assert f.read() == data
    sftp.close()


def test_threads_sharing_one_sftp_small_ops(sftp, remote_dir):
    names = ["f%02d" % i for i in range(8)]
    for i, n in enumerate(names):
        with open(os.path.join(remote_dir, n), "wb") as f:
            f.write(bytes([i]) * (i * 1000 + 1))

    def work(i):
        def fn():
            path = "%s/%s" % (remote_dir, names[i])
            for _ in range(25):
                assert sftp.stat(path).st_size == i * 1000 + 1
                assert len(sftp.listdir(remote_dir)) == len(names)
                with sftp.open(path, "rb") as f:
                    assert f.read() == bytes([i]) * (i * 1000 + 1)

        return fn

    assert _run_threads([work(i) for i in range(len(names))]) == []


def test_many_clients_in_threads(sshd, remote_dir):
    data = secrets.token_bytes(4 * MiB)
    with open(remote_dir + "/shared", "wb") as f:
        f.write(data)
    digests = []

    def fn():
        c = _connect_client(sshd)
        try:
            s = c.open_sftp()
            with s.open(remote_dir + "/shared", "rb") as f:
                digests.append(hashlib.sha256(f.read()).hexdigest())
        finally:
            c.close()

    assert _run_threads([fn] * 8) == []
    assert digests == [hashlib.sha256(data).hexdigest()] * 8


def test_close_from_another_thread_during_exec_read(sshd):
    c = _connect_client(sshd)
    _, stdout, _ = c.exec_command("sleep 30")
    result = []

    def reader():
        try:
            result.append(stdout.read())
        except BaseException as e:  # noqa: BLE001
            result.append(e)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    time.sleep(0.5)
    c.close()
    t.join(20)
    assert not t.is_alive(), "a read blocked in another thread survived close()"
    assert len(result) == 1
    assert result[0] == b"" or isinstance(result[0], (SSHException, OSError, EOFError))


@pytest.mark.parametrize("n", [2])
def test_exec_commands_in_parallel_one_transport(client, n):
    outs = {}

    def work(i):
        def fn():
            _, stdout, _ = client.exec_command("sleep 0.5; echo %d" % i)
            outs[i] = stdout.read()

        return fn

    assert _run_threads([work(i) for i in range(n)]) == []
    assert outs == {i: b"%d\n" % i for i in range(n)}


def test_sftp_and_exec_channels_set_up_at_once_on_one_transport(sshd, fault_proxy, remote_dir):
    """Channel requests of several channels in flight together: SFTP
    subsystem requests (which do not take turns: libssh2 patch 0002 tells
    their replies apart) and exec requests, from 8 threads released at once
    over a 40 ms link, so the replies cross. Every channel works."""
    p = fault_proxy(latency=0.02)
    c = _connect_client(sshd, port=p.port, timeout=30)
    start = threading.Barrier(8)
    results = {}

    def sftp_user(i):
        def fn():
            start.wait()
            s = c.open_sftp()
            with s.open(remote_dir + "/t%d" % i, "w") as f:
                f.write(b"%d" % i)
            results[("sftp", i)] = s.stat(remote_dir + "/t%d" % i).st_size
            s.close()

        return fn

    def exec_user(i):
        def fn():
            start.wait()
            _, stdout, _ = c.exec_command("echo %d" % i)
            results[("exec", i)] = stdout.read()

        return fn

    try:
        for _ in range(3):  # the replies cross differently each time
            results.clear()
            errors = _run_threads([sftp_user(i) for i in range(5)] + [exec_user(i) for i in range(3)], timeout=120)
            assert errors == []
            assert results == {**{("sftp", i): 1 for i in range(5)}, **{("exec", i): b"%d\n" % i for i in range(3)}}
    finally:
        c.close()
