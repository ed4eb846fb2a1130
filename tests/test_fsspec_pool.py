"""ferrosftp.fsspec's connection pool (python/ferrosftp/_pool.py): filesystems
of the same settings share one connection (counted by a proxy in front of
sshd), a dead connection is replaced, a pickled or forked filesystem
connects anew in the other process and the parent's keeps working, and
cat_ranges reads many files at once over pooled channels."""

import multiprocessing
import os
import random
import sys
import threading
import time

import pytest
from client_helpers import Worker, programs_path

_PROGRAMS = programs_path()
sys.path.append(_PROGRAMS)  # fsspec; after the venv: its packages win (pytest, packaging...)


import ferrosftp  # noqa: E402
from ferrosftp.fsspec import SFTPFileSystem  # noqa: E402

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def proxied(sshd, fault_proxy, tmp_path):
    """A proxy in front of sshd (its active_connections is the server's
    count of our connections) and a known_hosts file for its port."""
    proxy = fault_proxy()
    known = tmp_path / "known_hosts"
    known.write_text("".join("[127.0.0.1]:%d %s\n" % (proxy.port, key) for key in sshd.host_public_keys.values()))
    return proxy, str(known)


def options(sshd, proxied, **kw):
    proxy, known = proxied
    out = dict(
        host=sshd.host,
        port=proxy.port,
        username=sshd.username,
        key_filename=sshd.keys["ed25519"],
        known_hosts=known,
        ssh_config="none",
        timeout=20,
    )
    out.update(kw)
    return out


def wait_for_connections(proxy, n, seconds=10):
    deadline = time.monotonic() + seconds
    while proxy.active_connections != n and time.monotonic() < deadline:
        time.sleep(0.05)
    return proxy.active_connections


@pytest.fixture(autouse=True)
def _fresh_pool():
    """Each test starts and ends with no pooled connection (the proxies die with the test)."""
    ferrosftp.fsspec.close_connections()
    yield
    ferrosftp.fsspec.close_connections()


def test_filesystems_of_the_same_settings_share_one_connection(sshd, proxied, tmp_path):
    proxy, known = proxied
    a = SFTPFileSystem(**options(sshd, proxied))
    b = SFTPFileSystem(**options(sshd, proxied), skip_instance_cache=True)
    # fsspec makes one instance per thread: another thread's still shares
    c = Worker(lambda: SFTPFileSystem(**options(sshd, proxied)))
    c.start()
    c = c.outcome()
    assert a is not b and a is not c
    assert a.client.get_transport() is b.client.get_transport() is c.client.get_transport()
    assert wait_for_connections(proxy, 1) == 1
    # other host-key rules: not interchangeable, a connection of its own
    other_known = tmp_path / "other_known_hosts"
    other_known.write_text(open(known).read())
    d = SFTPFileSystem(**options(sshd, proxied, known_hosts=str(other_known)), skip_instance_cache=True)
    assert d.client.get_transport() is not a.client.get_transport()
    assert wait_for_connections(proxy, 2) == 2


def test_many_threads_share_the_connection_and_its_channel(sshd, proxied, remote_dir):
    proxy, _ = proxied
    data = {i: os.urandom(50_000 + i) for i in range(8)}
    for i, blob in data.items():
        with open(os.path.join(remote_dir, "f%d" % i), "wb") as f:
            f.write(blob)

    def job(i):
        fs = SFTPFileSystem(**options(sshd, proxied))
        return fs, [fs.cat_file(remote_dir + "/f%d" % i) for _ in range(5)]

    workers = [Worker(lambda i=i: job(i)) for i in data]
    for w in workers:
        w.start()
    outcomes = [w.outcome(60) for w in workers]
    assert all(got == [data[i]] * 5 for i, (_, got) in enumerate(outcomes))
    assert len({id(fs) for fs, _ in outcomes}) == len(data)  # one instance per thread
    assert len({fs.client.get_transport() for fs, _ in outcomes}) == 1
    assert wait_for_connections(proxy, 1) == 1


def test_a_dead_connection_fails_the_call_under_way_and_is_replaced_on_the_next(sshd, proxied, remote_dir):
    """As fsspec's sftp, the call that meets the dropped connection raises
    paramiko's SSHException (nothing is retried behind the caller's back);
    unlike it, the next call connects anew instead of failing for good."""
    proxy, _ = proxied
    a = SFTPFileSystem(**options(sshd, proxied), skip_instance_cache=True)
    b = SFTPFileSystem(**options(sshd, proxied), skip_instance_cache=True)
    a.pipe_file(remote_dir + "/x", b"still here")
    old = a.client.get_transport()
    proxy.cut_all()
    with pytest.raises(ferrosftp.SSHException, match="dropped"):
        a.cat_file(remote_dir + "/x")
    assert a.cat_file(remote_dir + "/x") == b"still here"
    assert a.client.get_transport() is not old
    assert b.client.get_transport() is a.client.get_transport()  # the replacement is shared
    assert wait_for_connections(proxy, 1) == 1
    # closed by the program: known dead before the call, so nothing fails
    old = a.client.get_transport()
    b.client.close()
    assert a.cat_file(remote_dir + "/x") == b"still here"
    assert a.client.get_transport() is not old
    assert wait_for_connections(proxy, 1) == 1


def _copy_in_child(fs, src, dst):
    """In a child process: a file through a filesystem unpickled there."""
    data = fs.cat_file(src)
    fs.pipe_file(dst, data[::-1])
    conn = fs._connection()
    return data, os.getpid(), conn.pid


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_a_pickled_filesystem_connects_anew_in_a_child_and_the_parent_keeps_its_own(sshd, proxied, remote_dir, method):
    proxy, _ = proxied
    fs = SFTPFileSystem(**options(sshd, proxied))
    fs.pipe_file(remote_dir + "/src", b"from the parent")
    transport = fs.client.get_transport()
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(1) as pool:
        data, child, conn_pid = pool.apply_async(_copy_in_child, (fs, remote_dir + "/src", remote_dir + "/dst")).get(
            timeout=120
        )
    assert data == b"from the parent"
    assert child != os.getpid() and conn_pid == child
    assert fs.cat_file(remote_dir + "/dst") == b"tnerap eht morf"
    assert fs.client.get_transport() is transport  # the parent's connection lived on
    assert wait_for_connections(proxy, 1) == 1  # the child's went with it


def _use_inherited(fs, path, queue):
    """In a forked child: the parent's object itself, not a pickled copy."""
    try:
        before = fs._conn
        data = fs.cat_file(path)
        queue.put((data, fs._conn is not before, fs._conn.pid == os.getpid()))
    except BaseException as e:  # noqa: BLE001 - reported to the parent
        queue.put(repr(e))


def test_a_forked_child_never_uses_the_parents_session(sshd, proxied, remote_dir):
    proxy, _ = proxied
    fs = SFTPFileSystem(**options(sshd, proxied), skip_instance_cache=True)
    fs.pipe_file(remote_dir + "/f", b"inherited")
    transport = fs.client.get_transport()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_use_inherited, args=(fs, remote_dir + "/f", queue))
    child.start()
    try:
        outcome = queue.get(timeout=120)
    finally:
        child.join(30)
    assert outcome == (b"inherited", True, True)  # read over a connection of its own
    assert child.exitcode == 0
    assert fs.cat_file(remote_dir + "/f") == b"inherited"
    assert fs.client.get_transport() is transport
    assert wait_for_connections(proxy, 1) == 1


def test_cat_ranges_across_many_files(sshd, proxied, remote_dir):
    fs = SFTPFileSystem(**options(sshd, proxied, workers=4), skip_instance_cache=True)
    rng = random.Random(13)
    blobs = {}
    for i in range(40):
        blobs[remote_dir + "/f%02d" % i] = data = os.urandom(rng.randint(1, 300_000))
        with open(remote_dir + "/f%02d" % i, "wb") as f:
            f.write(data)
    wanted = []
    for path, data in blobs.items():
        n = len(data)
        a, b = sorted(rng.randrange(n + 1) for _ in range(2))
        wanted += [
            (path, a, b),
            (path, b, min(n, b + 1000)),  # touching: merged into one request
            (path, -min(n, 77), None),
            (path, 0, n + 50),
        ]  # from the end; past the end
    rng.shuffle(wanted)
    missing = remote_dir + "/missing"
    wanted.insert(17, (missing, 0, 10))
    wanted.insert(60, (missing, 5, 6))
    paths, starts, ends = (list(x) for x in zip(*wanted))

    got = fs.cat_ranges(paths, starts, ends)
    for (path, s, e), g in zip(wanted, got):
        if path == missing:
            assert isinstance(g, FileNotFoundError)
        else:
            assert g == blobs[path][s:e], (path, s, e)
    with pytest.raises(FileNotFoundError):
        fs.cat_ranges(paths, starts, ends, on_error="raise")
    # fsspec's argument rules: one start/end for every path; a list of paths
    assert fs.cat_ranges([], [], []) == []
    some = list(blobs)[:5]
    assert fs.cat_ranges(some, 1, 9) == [blobs[p][1:9] for p in some]
    with pytest.raises(TypeError):
        fs.cat_ranges(tuple(some), 1, 9)
    with pytest.raises(ValueError):
        fs.cat_ranges(some, [1], [9])


def test_concurrent_work_borrows_pooled_channels_at_once_and_gives_them_back(
    sshd, proxied, remote_dir, tmp_path, monkeypatch
):
    fs = SFTPFileSystem(**options(sshd, proxied, workers=4), skip_instance_cache=True)
    conn = fs._connection()
    together = threading.Barrier(4, timeout=30)  # passes only if 4 items run at the same time

    def on_channel(sftp, item):
        together.wait()
        return sftp

    first = conn.map(on_channel, range(4), workers=4)
    assert len({id(s) for s in first}) == 4  # four channels at once
    second = conn.map(on_channel, range(4), workers=4)
    assert {id(s) for s in second} == {id(s) for s in first}  # given back, borrowed again
    # many-file put/get (200 files, 4 workers: 3 channels besides the shared
    # one) borrow the same idle channels
    borrowed = []
    borrow = conn.borrow
    monkeypatch.setattr(conn, "borrow", lambda: borrowed.append(borrow()) or borrowed[-1])
    src = tmp_path / "src"
    src.mkdir()
    for i in range(200):
        (src / ("f%03d" % i)).write_bytes(b"%d" % i * 100)
    fs.put(str(src) + "/", remote_dir + "/tree", recursive=True)
    fs.get(remote_dir + "/tree/", str(tmp_path / "back"), recursive=True)
    assert sorted(os.listdir(tmp_path / "back")) == sorted(os.listdir(src))
    assert all((tmp_path / "back" / n).read_bytes() == (src / n).read_bytes() for n in os.listdir(src))
    assert len(borrowed) == 6 and {id(s) for s in borrowed} <= {id(s) for s in first}
    assert {id(s) for s in conn._idle} == {id(s) for s in first}  # all given back
