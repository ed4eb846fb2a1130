"""ferrosftp.fsspec.SFTPFileSystem: fsspec's own abstract test-suite (copy,
get, put, open, pipe) against the loopback sshd, plus our own cases: safe
host keys, atomic writes, ranges, many files, pickling, the URL protocol
(the connection pool and cat_ranges across files: test_fsspec_pool.py).
fsspec comes from FERROSFTP_PROGRAMS_PATH (tests/programs-requirements.txt)."""

import hashlib
import os
import pickle
import posixpath
import sys

import pytest
from client_helpers import programs_path

_PROGRAMS = programs_path()
sys.path.append(_PROGRAMS)  # after the venv: its packages win (pytest, packaging...)

import fsspec  # noqa: E402
import fsspec.tests.abstract as abstract  # noqa: E402

from ferrosftp.fsspec import SFTPFileSystem  # noqa: E402

pytestmark = pytest.mark.timeout(120)


def make_fs(sshd, **kw):
    kw.setdefault("known_hosts", sshd.known_hosts_path)
    return SFTPFileSystem(
        sshd.host,
        port=sshd.port,
        username=sshd.username,
        key_filename=sshd.keys["ed25519"],
        ssh_config="none",
        skip_instance_cache=True,
        **kw,
    )


class Fixtures(abstract.AbstractFixtures):
    @pytest.fixture
    def fs(self, sshd):
        fs = make_fs(sshd)
        yield fs
        fs.client.close()

    @pytest.fixture
    def fs_join(self):
        return posixpath.join

    @pytest.fixture
    def fs_path(self, remote_dir):
        return remote_dir


class TestCopy(abstract.AbstractCopyTests, Fixtures):
    pass


class TestGet(abstract.AbstractGetTests, Fixtures):
    pass


class TestPut(abstract.AbstractPutTests, Fixtures):
    pass


class TestOpen(abstract.AbstractOpenTests, Fixtures):
    pass


class TestPipe(abstract.AbstractPipeTests, Fixtures):
    pass


# ------------------------------------------------------------------ our own


@pytest.fixture
def fs(sshd):
    fs = make_fs(sshd)
    yield fs
    fs.client.close()


def test_unknown_host_keys_are_refused_unless_asked(sshd, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(Exception) as e:
        make_fs(sshd, known_hosts=str(empty))
    assert "known" in str(e.value).lower() or "host key" in str(e.value).lower()
    fs = make_fs(sshd, known_hosts=str(empty), accept_new_host_key=True)
    assert fs.ls("/", detail=False)
    assert empty.read_text()  # recorded
    fs.client.close()


def test_a_write_that_raises_leaves_the_destination_alone(fs, remote_dir):
    path = remote_dir + "/keep.txt"
    fs.pipe_file(path, b"old")
    with pytest.raises(RuntimeError):
        with fs.open(path, "wb") as f:
            f.write(b"new half")
            raise RuntimeError("stop")
    assert fs.cat_file(path) == b"old"
    assert sorted(os.listdir(remote_dir)) == ["keep.txt"]  # no temp name left
    with fs.open(path, "wb") as f:
        f.write(b"new")
    assert fs.cat_file(path) == b"new"


def test_ranges_and_random_access(fs, remote_dir):
    data = os.urandom(3_000_000)
    path = remote_dir + "/r.bin"
    fs.pipe_file(path, data)
    assert fs.cat_file(path, start=10, end=20) == data[10:20]
    assert fs.cat_file(path, start=-5) == data[-5:]
    starts = [0, 100, 1_000_000, 2_999_990]
    ends = [10, 50_000, 1_000_001, 3_000_000]
    assert fs.cat_ranges([path] * 4, starts, ends) == [data[s:e] for s, e in zip(starts, ends)]
    with fs.open(path, "rb", block_size=65536) as f:
        f.seek(2_000_000)
        assert f.read(7) == data[2_000_000:2_000_007]
        f.seek(5)
        assert f.read(3) == data[5:8]


@pytest.mark.parametrize("cache_type", [None, "readahead", "bytes"])
def test_reads_of_every_size_and_order_give_the_file_bytes(fs, remote_dir, cache_type):
    """The default read path (exact for large or jumping reads, read-ahead
    for small ones that follow) and fsspec's caches when one is asked for:
    small reads in a row across read-ahead boundaries, jumps back and
    forth, reads past the end."""
    import random

    data = os.urandom(1_000_003)
    path = remote_dir + "/mixed.bin"
    fs.pipe_file(path, data)
    rng = random.Random(5)
    kw = {} if cache_type is None else {"cache_type": cache_type}
    with fs.open(path, "rb", block_size=50_000, **kw) as f:
        pos = 0
        for _ in range(400):
            if rng.random() < 0.2:
                pos = rng.randrange(len(data) + 10)
                f.seek(pos)
            n = rng.choice([1, 7, 4096, 30_000, 49_999, 50_000, 120_000])
            got = f.read(n)
            assert got == data[pos : pos + n], (pos, n)
            pos = min(pos + n, len(data))
        f.seek(0)
        lines = f.read()
    assert lines == data


def test_many_files_put_and_get_with_progress(fs, remote_dir, tmp_path):
    from fsspec.callbacks import Callback

    src = tmp_path / "src"
    files = {}
    for i in range(120):
        p = src / ("d%d" % (i % 3)) / ("f%03d" % i)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(os.urandom(1000 + i))
        files[p.relative_to(src).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    cb = Callback()
    fs.put(str(src) + "/", remote_dir + "/tree", recursive=True, callback=cb)
    assert cb.value == cb.size == 120
    back = tmp_path / "back"
    fs.get(remote_dir + "/tree/", str(back), recursive=True)
    got = {
        p.relative_to(back).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in back.rglob("*")
        if p.is_file()
    }
    assert got == files
    assert len(fs.find(remote_dir + "/tree")) == 120
    assert fs.du(remote_dir + "/tree") == sum(1000 + i for i in range(120))


def test_get_of_a_list_of_paths_with_a_directory_among_them(fs, remote_dir, tmp_path):
    """fsspec's list form (no listing to learn the types from): the files
    come, the directory is made locally, a missing path fails as fsspec's."""
    fs.pipe_file(remote_dir + "/a", b"A")
    fs.makedirs(remote_dir + "/d", exist_ok=True)
    fs.get([remote_dir + "/a", remote_dir + "/d"], [str(tmp_path / "a"), str(tmp_path / "d")])
    assert (tmp_path / "a").read_bytes() == b"A" and (tmp_path / "d").is_dir()
    with pytest.raises(FileNotFoundError):
        fs.get([remote_dir + "/a", remote_dir + "/missing"], [str(tmp_path / "a2"), str(tmp_path / "m")])


def test_move_copy_and_remove(fs, remote_dir):
    fs.pipe_file(remote_dir + "/a", b"aaa")
    fs.mv(remote_dir + "/a", remote_dir + "/b")
    assert not fs.exists(remote_dir + "/a") and fs.cat_file(remote_dir + "/b") == b"aaa"
    fs.cp_file(remote_dir + "/b", remote_dir + "/c")
    assert fs.cat_file(remote_dir + "/c") == b"aaa"
    fs.makedirs(remote_dir + "/x/y/z", exist_ok=True)
    fs.pipe_file(remote_dir + "/x/y/z/f", b"f")
    fs.rm(remote_dir + "/x", recursive=True)
    assert sorted(fs.ls(remote_dir, detail=False)) == [remote_dir + "/b", remote_dir + "/c"]
    with pytest.raises(FileNotFoundError):
        fs.info(remote_dir + "/nothing")


def test_edge_cases(fs, sshd, remote_dir):
    fs.pipe_file(remote_dir + "/empty", b"")
    assert fs.cat_file(remote_dir + "/empty") == b"" and fs.size(remote_dir + "/empty") == 0
    raw = os.path.join(os.fsencode(remote_dir), b"caf\xe9")
    with open(raw, "wb") as f:
        f.write(b"latin-1 name")
    name = os.fsdecode(raw)
    assert name in fs.ls(remote_dir, detail=False)
    assert fs.cat_file(name) == b"latin-1 name"
    sparse = os.path.join(remote_dir, "sparse")
    with open(sparse, "wb") as f:
        f.truncate((4 << 30) + 10)
        f.seek(4 << 30)
        f.write(b"beyond4g")
    assert fs.size(sparse) == (4 << 30) + 10
    assert fs.cat_file(sparse, start=4 << 30, end=(4 << 30) + 8) == b"beyond4g"
    if sshd.uid != 0:
        locked = os.path.join(remote_dir, "locked")
        os.mkdir(locked, 0o500)
        with pytest.raises(PermissionError):
            fs.pipe_file(locked + "/f", b"x")


def test_a_pickled_filesystem_in_the_same_process_shares_the_pooled_connection(fs, remote_dir):
    """Unpickled here, the copy is re-created from its arguments and finds
    the pooled connection (other processes: tests/test_fsspec_pool.py)."""
    fs.pipe_file(remote_dir + "/p", b"pickled")
    clone = pickle.loads(pickle.dumps(fs))
    assert clone.cat_file(remote_dir + "/p") == b"pickled"
    assert clone.client.get_transport() is fs.client.get_transport()


def test_the_url_protocol(sshd, remote_dir):
    url = "ferrosftp://%s@%s:%d%s/u.txt" % (sshd.username, sshd.host, sshd.port, remote_dir)
    opts = {"key_filename": sshd.keys["ed25519"], "known_hosts": sshd.known_hosts_path, "ssh_config": "none"}
    with fsspec.open(url, "wb", **opts) as f:
        f.write(b"by url")
    with fsspec.open(url, "rb", **opts) as f:
        assert f.read() == b"by url"


def test_pandas_csv_and_parquet_column_ranges(sshd, remote_dir):
    """pandas over ferrosftp:// URLs: to_csv/read_csv, to_parquet, and
    read_parquet of 2 of 20 columns (pyarrow reads the footer and those
    columns' byte ranges)."""
    import pandas as pd

    so = {"key_filename": sshd.keys["ed25519"], "known_hosts": sshd.known_hosts_path, "ssh_config": "none"}
    base = "ferrosftp://%s@%s:%d%s" % (sshd.username, sshd.host, sshd.port, remote_dir)
    df = pd.DataFrame({"c%d" % i: range(i, i + 5000) for i in range(20)})
    df.to_csv(base + "/x.csv", index=False, storage_options=so)
    df.to_parquet(base + "/x.parquet", storage_options=so)
    assert pd.read_csv(base + "/x.csv", storage_options=so).equals(df)
    cols = pd.read_parquet(base + "/x.parquet", columns=["c3", "c17"], storage_options=so)
    assert cols.equals(df[["c3", "c17"]])
    assert sorted(os.listdir(remote_dir)) == ["x.csv", "x.parquet"]  # no temp names left


def test_transactions_commit_at_the_end_or_not_at_all(fs, remote_dir):
    """fsspec's transactions (autocommit=False): files appear when the
    transaction ends, and none of them if it raised."""
    path = remote_dir + "/t1"
    with fs.transaction:
        with fs.open(path, "wb") as f:
            f.write(b"in a transaction")
        assert not fs.exists(path)  # written, not yet in place
    assert fs.cat_file(path) == b"in a transaction"
    with pytest.raises(RuntimeError):
        with fs.transaction:
            with fs.open(remote_dir + "/t2", "wb") as f:
                f.write(b"never")
            raise RuntimeError("abort")
    assert not fs.exists(remote_dir + "/t2")
    assert sorted(os.listdir(remote_dir)) == ["t1"]  # no temp names left
