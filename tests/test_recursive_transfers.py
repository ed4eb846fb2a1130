"""put_r / get_r / put_d / get_d over many files, with the concurrent worker
sessions (``workers=``): identical bytes, pysftp's layout, preserved mtimes,
re-runs, and failures that leave no partial files.  Against the real sshd."""

import os
import random
import threading
import time

import pytest

import ferrosftp as pysftp
from ferrosftp import SSHException

N_FILES = 500
BASE_MTIME = 1_200_000_000


def connect(sshd, **kw):
    args = dict(
        username=sshd.username,
        port=sshd.port,
        private_key=sshd.keys["ed25519"],
        cnopts=pysftp.CnOpts(knownhosts=sshd.known_hosts_bare_path),
    )
    args.update(kw)
    return pysftp.Connection(sshd.host, **args)


def snapshot(root, skip_hidden=False):
    """{relative path: bytes, or None for a directory} of a tree on disk."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = None
        for f in filenames:
            if skip_hidden and f.startswith("."):
                continue
            with open(os.path.join(dirpath, f), "rb") as fh:
                out[os.path.relpath(os.path.join(dirpath, f), root)] = fh.read()
    return out


def mtimes(root):
    return {
        os.path.relpath(os.path.join(d, f), root): int(os.stat(os.path.join(d, f)).st_mtime)
        for d, _, files in os.walk(root)
        for f in files
    }


def leftovers(root):
    """Temp files of interrupted transfers anywhere under root."""
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f.endswith(".ferrosftp-part")]


def transfer_threads():
    return [t for t in threading.enumerate() if t.name.startswith("ferrosftp-transfer")]


@pytest.fixture
def local_tree(tmp_path):
    """500 small files (0-4 KiB, some empty) in nested directories, three
    empty directories, distinct old mtimes."""
    rnd = random.Random(1234)
    root = tmp_path / "src"
    for i in range(N_FILES):
        if i % 10 == 0:
            rel = "top%03d.txt" % i
        else:
            rel = "d%d/e%d/f%03d.bin" % (i % 7, i % 5, i)
            if i % 3 == 0:
                rel = "d%d/g%03d.dat" % (i % 7, i)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rnd.randbytes(rnd.choice([0, rnd.randrange(1, 4097)])))
        os.utime(path, (BASE_MTIME + i, BASE_MTIME + i))
    for rel in ("empty", "d1/empty", "d2/e3/empty"):
        (root / rel).mkdir(parents=True)
    return root


@pytest.fixture
def rconn(sshd, remote_dir):
    with connect(sshd, default_path=remote_dir) as c:
        yield c


def count_workers(monkeypatch, conn):
    """The extra SFTP channels transfers open (ferrosftp.batch)."""
    from ferrosftp import batch

    opened = []
    original = batch.open_sibling

    def counting(sftp):
        result = original(sftp)
        opened.append(result)
        return result

    monkeypatch.setattr(batch, "open_sibling", counting)
    return opened


@pytest.mark.parametrize("workers", [1, 4])
def test_put_r_then_get_r_round_trip(sshd, rconn, remote_dir, local_tree, tmp_path, workers, monkeypatch):
    opened = count_workers(monkeypatch, rconn)
    source = snapshot(local_tree)
    assert sum(1 for v in source.values() if v is not None) == N_FILES
    up = os.path.join(remote_dir, "up")
    os.mkdir(up)
    sshd.chown_to_user(up)

    rconn.put_r(str(local_tree), "up", workers=workers)
    assert snapshot(up) == source  # checked on the server's disk
    opened_by_put = list(opened)

    dest = tmp_path / "dest"
    dest.mkdir()
    rconn.get_r("up", str(dest), workers=workers)
    assert snapshot(dest / "up") == source
    assert leftovers(dest) == []
    assert transfer_threads() == []
    opened_by_get = opened[len(opened_by_put) :]
    for sessions in (opened_by_put, opened_by_get):
        if workers == 1:
            assert sessions == []
        else:
            assert 1 <= len(sessions) <= workers - 1
            assert all(sftp.sock.closed for sftp in sessions)  # closed after use


def test_preserve_mtime_both_ways(sshd, rconn, remote_dir, local_tree, tmp_path):
    rconn.put_r(str(local_tree), ".", preserve_mtime=True, workers=4)
    assert mtimes(remote_dir) == mtimes(local_tree)
    dest = tmp_path / "dest"
    dest.mkdir()
    rconn.get_r(".", str(dest), preserve_mtime=True, workers=4)
    assert mtimes(dest) == mtimes(local_tree)
    assert snapshot(dest) == snapshot(local_tree)


def test_without_preserve_mtime_times_are_fresh(rconn, remote_dir, local_tree):
    rconn.put_r(str(local_tree), ".", workers=4)
    assert all(t > BASE_MTIME + N_FILES for t in mtimes(remote_dir).values())


def test_put_r_rerun_over_existing_tree(sshd, rconn, remote_dir, local_tree):
    rconn.put_r(str(local_tree), ".", workers=4)
    (local_tree / "top000.txt").write_bytes(b"changed")
    (local_tree / "d1" / "new").mkdir()
    (local_tree / "d1" / "new" / "added.txt").write_bytes(b"added")
    rconn.put_r(str(local_tree), ".", workers=4)
    assert snapshot(remote_dir) == snapshot(local_tree)


def test_put_r_makes_the_directories_of_one_level_at_once(sshd, remote_dir, tmp_path, fault_proxy):
    """A remote directory is made by trying mkdir (no stat first), those of
    one depth several at a time: 40 of them over a 100 ms round trip take a
    fraction of the 40 round trips one at a time would (80 with a stat each)."""
    src = tmp_path / "src"
    for i in range(40):
        (src / ("d%02d" % i) / "sub").mkdir(parents=True)
    proxy = fault_proxy(latency=0.05)
    with connect(sshd, port=proxy.port, default_path=remote_dir) as c:
        c.listdir()  # the session is open before the clock starts
        t0 = time.monotonic()
        c.put_r(str(src), ".")
        took = time.monotonic() - t0
        c.put_r(str(src), ".")  # again: every directory is there already, which is fine
    assert snapshot(remote_dir) == snapshot(src)
    assert took < 40 * 0.1, took  # two levels of 40: one at a time would be 80 round trips


def test_get_r_rerun_into_existing_tree(sshd, rconn, remote_dir, local_tree, tmp_path):
    # pysftp 0.2.9's get_r failed with FileExistsError here; ours updates in place
    rconn.put_r(str(local_tree), ".", workers=4)
    dest = tmp_path / "dest"
    dest.mkdir()
    rconn.get_r(".", str(dest), workers=4)
    with open(os.path.join(remote_dir, "top010.txt"), "wb") as f:
        f.write(b"server side edit")
    rconn.get_r(".", str(dest), workers=4)
    assert snapshot(dest) == snapshot(remote_dir)
    assert (dest / "top010.txt").read_bytes() == b"server side edit"


def test_relative_paths_and_process_cwd_untouched(sshd, rconn, remote_dir, local_tree, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rconn.makedirs("a/b")
    rconn.chdir("a")
    rconn.put_r("src", "b", workers=4)
    assert os.getcwd() == str(tmp_path)
    assert snapshot(os.path.join(remote_dir, "a", "b")) == snapshot(local_tree)
    os.mkdir("back")
    rconn.get_r("b", "back", workers=4)  # relative to the remote cwd, in every worker
    assert os.getcwd() == str(tmp_path)
    assert snapshot(tmp_path / "back" / "b") == snapshot(local_tree)


def test_put_d_and_get_d_with_workers(sshd, rconn, remote_dir, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(60):
        (flat / ("f%02d" % i)).write_bytes(os.urandom(i * 100))
        os.utime(flat / ("f%02d" % i), (BASE_MTIME + i, BASE_MTIME + i))
    (flat / "sub").mkdir()
    (flat / "sub" / "ignored").write_bytes(b"x")
    expected = {k: v for k, v in snapshot(flat).items() if not k.startswith("sub")}

    rconn.put_d(str(flat), ".", preserve_mtime=True, workers=4)
    assert snapshot(remote_dir) == expected
    assert mtimes(remote_dir) == {k: BASE_MTIME + int(k[1:]) for k in expected}

    back = tmp_path / "back"
    back.mkdir()
    before = rconn.pwd
    rconn.get_d(remote_dir, str(back), preserve_mtime=True, workers=4)
    assert snapshot(back) == expected
    assert mtimes(back) == mtimes(remote_dir)
    assert rconn.pwd == before


def test_worker_channels_that_fail_to_open_are_skipped(sshd, remote_dir, tmp_path, monkeypatch, caplog):
    for i in range(100):
        with open(os.path.join(remote_dir, "f%02d" % i), "wb") as f:
            f.write(os.urandom(5_000))
    with connect(sshd, default_path=remote_dir) as c:
        from ferrosftp import batch

        def refuse(sftp):
            raise SSHException("no more channels")

        monkeypatch.setattr(batch, "open_sibling", refuse)
        dest = tmp_path / "dest"
        dest.mkdir()
        with caplog.at_level("WARNING", logger="ferrosftp.transfer"):
            c.get_d(".", str(dest), workers=4)
    assert snapshot(dest) == snapshot(remote_dir)  # the connection's own channel did it all
    assert any("Could not open an extra SFTP channel" in r.getMessage() for r in caplog.records)


def test_invalid_workers(rconn, tmp_path):
    with pytest.raises(ValueError):
        rconn.get_d(".", str(tmp_path), workers=0)


# --------------------------------------------------------------- failures


def test_get_r_failure_leaves_no_partial_files(sshd, rconn, remote_dir, local_tree, tmp_path):
    rconn.put_r(str(local_tree), ".", workers=4)
    unreadable = os.path.join(remote_dir, "d3", "g003.dat")
    os.chmod(unreadable, 0o000)
    dest = tmp_path / "dest"
    dest.mkdir()

    with pytest.raises(PermissionError):
        rconn.get_r(".", str(dest), workers=4)

    assert transfer_threads() == []  # every worker finished before the raise
    assert leftovers(dest) == []
    assert not (dest / "d3" / "g003.dat").exists()
    remote = snapshot(remote_dir)
    for rel, data in snapshot(dest).items():
        assert remote[rel] == data  # whatever arrived is complete


def test_connection_cut_mid_get_r_leaves_no_partial_files(sshd, remote_dir, tmp_path, fault_proxy):
    for i in range(12):
        with open(os.path.join(remote_dir, "big%02d" % i), "wb") as f:
            f.write(os.urandom(1_000_000))
    # the connection dies a quarter of the way through
    proxy = fault_proxy(bandwidth=20_000_000, cut_after=3_000_000, cut_direction="down")
    with connect(sshd, port=proxy.port, default_path=remote_dir) as c:
        c.listdir()
        dest = tmp_path / "dest"
        dest.mkdir()
        with pytest.raises((SSHException, OSError)):
            c.get_d(".", str(dest), workers=3)
        assert transfer_threads() == []
    assert leftovers(dest) == []
    for name in os.listdir(dest):
        with open(os.path.join(remote_dir, name), "rb") as f:
            assert (dest / name).read_bytes() == f.read()


def test_connection_cut_mid_atomic_put_r_leaves_no_truncated_files(sshd, remote_dir, tmp_path, fault_proxy):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    for i in range(12):
        (src / ("sub" if i % 2 else ".") / ("big%02d" % i)).write_bytes(os.urandom(1_000_000))
    proxy = fault_proxy(bandwidth=20_000_000, cut_after=3_000_000, cut_direction="up")
    with connect(sshd, port=proxy.port, default_path=remote_dir) as c:
        c.listdir()
        with pytest.raises((SSHException, OSError)):
            c.put_r(str(src), ".", workers=3, atomic=True)
        assert transfer_threads() == []
    local = snapshot(src)
    for rel, data in snapshot(remote_dir, skip_hidden=True).items():
        assert local[rel] == data  # hidden temp files aside, nothing truncated


def test_put_r_failure_raises_first_error(sshd, rconn, remote_dir, local_tree):
    # a remote directory the user cannot write into
    os.makedirs(os.path.join(remote_dir, "d4", "e4"))
    for d in ("d4", "d4/e4"):
        sshd.chown_to_user(os.path.join(remote_dir, d))
    os.chmod(os.path.join(remote_dir, "d4", "e4"), 0o555)
    with pytest.raises(PermissionError):
        rconn.put_r(str(local_tree), ".", workers=4)
    assert transfer_threads() == []
    assert os.listdir(os.path.join(remote_dir, "d4", "e4")) == []
    local = snapshot(local_tree)
    for rel, data in snapshot(remote_dir).items():
        if data is not None:
            assert local[rel] == data
