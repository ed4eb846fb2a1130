"""The batch engine (src/sftp/batch.rs, python/ferrosftp/batch.py): many
files in flight on one SFTP channel, each walking its own steps and getting
its own outcome, shared out over several channels of one connection; behind
put_r/get_r/put_d/get_d (first error raised, no file started after it), the
sync agent and the CLI (every file has its go). Nothing partial is left."""

import hashlib
import os
import stat
import threading
import time

import pytest

from ferrosftp import SyncConflict, batch

pytestmark = pytest.mark.timeout(120)

MiB = 1024 * 1024


def _tree(root, sizes):
    files = {}
    for i, n in enumerate(sizes):
        p = root / ("f%03d.bin" % i)
        data = os.urandom(n)
        p.write_bytes(data)
        files[p.name] = hashlib.sha256(data).hexdigest()
    return files


def _digests(directory):
    out = {}
    for name in os.listdir(directory):
        if os.path.isdir(os.path.join(directory, name)):
            continue
        with open(os.path.join(directory, name), "rb") as f:
            out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


SIZES = [0, 1, 4096, 261_120, 261_121, 3 * MiB + 5] + [100 + i for i in range(150)]


def test_put_each_then_get_each_round_trip(sftp, remote_dir, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    expected = _tree(src, SIZES)
    pairs = [(str(src / n), remote_dir + "/" + n) for n in expected]
    results = batch.put_each(sftp, pairs, confirm=True, atomic=True)
    assert [r.st_size for r in results] == [os.path.getsize(src / n) for n in expected]
    assert _digests(remote_dir) == expected  # read on the server's disk
    back = tmp_path / "back"
    back.mkdir()
    results = batch.get_each(sftp, [(remote_dir + "/" + n, str(back / n)) for n in expected])
    assert _digests(back) == expected
    assert [r.st_size for r in results] == [os.path.getsize(src / n) for n in expected]


def test_stop_at_first_a_missing_local_file_fails_before_anything_remote(sftp, remote_dir, tmp_path):
    (tmp_path / "a").write_bytes(b"a")
    pairs = [
        (str(tmp_path / "a"), remote_dir + "/a"),
        (str(tmp_path / "missing"), remote_dir + "/missing"),
        (str(tmp_path / "a"), remote_dir + "/after"),
    ]
    results = batch.put_each(sftp, pairs, stop_at_first=True)
    assert results[0].st_size == 1  # started before the failure: finished
    assert isinstance(results[1], FileNotFoundError)
    assert results[2] is None  # not started after it
    assert sorted(os.listdir(remote_dir)) == ["a"]
    with pytest.raises(FileNotFoundError):
        batch.first_error(results)


def test_every_file_has_its_go_and_its_own_outcome(sshd, sftp, remote_dir, tmp_path):
    locked = os.path.join(remote_dir, "locked")
    os.mkdir(locked)
    sshd.chown_to_user(locked)
    os.chmod(locked, 0o555)
    src = tmp_path / "src"
    src.mkdir()
    expected = _tree(src, [10] * 20)
    names = sorted(expected)
    pairs = [(str(src / n), (locked if i == 7 else remote_dir) + "/" + n) for i, n in enumerate(names)]
    pairs.append((str(tmp_path / "missing"), remote_dir + "/missing"))
    results = batch.put_each(sftp, pairs, atomic=True)
    assert isinstance(results[7], PermissionError)
    assert isinstance(results[-1], FileNotFoundError)
    assert all(r.st_size == 10 for i, r in enumerate(results[:-1]) if i != 7)
    assert os.listdir(locked) == []  # no temp name left behind
    assert _digests(remote_dir) == {n: expected[n] for i, n in enumerate(names) if i != 7}
    assert sftp.listdir(remote_dir)  # the client is still usable


def test_expect_leaves_a_changed_remote_file_alone(sftp, remote_dir, tmp_path):
    (tmp_path / "new").write_bytes(b"new content")
    for name, content in (("same", b"12345"), ("changed", b"123456789")):
        with open(os.path.join(remote_dir, name), "wb") as f:
            f.write(content)
    os.utime(os.path.join(remote_dir, "same"), (1_600_000_000, 1_600_000_000))
    os.utime(os.path.join(remote_dir, "changed"), (1_600_000_000, 1_600_000_000))
    names = ["same", "changed", "absent", "appeared"]
    with open(os.path.join(remote_dir, "appeared"), "wb") as f:
        f.write(b"x")
    expect = [(5, 1_600_000_000), (5, 1_600_000_000), None, None]
    results = batch.put_each(sftp, [(str(tmp_path / "new"), remote_dir + "/" + n) for n in names], expect=expect)
    assert results[0].st_size == 11 and results[2].st_size == 11
    assert isinstance(results[1], SyncConflict) and isinstance(results[3], SyncConflict)
    with open(os.path.join(remote_dir, "changed"), "rb") as f:
        assert f.read() == b"123456789"  # untouched
    with open(os.path.join(remote_dir, "appeared"), "rb") as f:
        assert f.read() == b"x"
    assert not [n for n in os.listdir(remote_dir) if n.startswith(".")]  # no temp names


def test_times_and_mode_follow_the_local_file(sftp, remote_dir, tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"data")
    os.chmod(p, 0o640)
    os.utime(p, (1_500_000_000, 1_500_000_100))
    [r] = batch.put_each(sftp, [(str(p), remote_dir + "/f")], times=True, mode=True)
    st = os.stat(os.path.join(remote_dir, "f"))
    assert (int(st.st_atime), int(st.st_mtime)) == (1_500_000_000, 1_500_000_100)
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert r.st_mtime == 1_500_000_100  # the final stat, after the attributes


def test_progress_reports_each_finished_file_once(sftp, remote_dir, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    expected = _tree(src, [0, 7, 5 * MiB] + [300] * 30)
    names = sorted(expected)
    calls = []
    batch.put_each(
        sftp,
        [(str(src / n), remote_dir + "/" + n) for n in names],
        lambda i, done, total, finished: calls.append((i, done, total, finished)),
    )
    finished = [c[0] for c in calls if c[3]]
    assert sorted(finished) == list(range(len(names)))  # once each
    assert all(0 <= done <= total for _, done, total, _ in calls)
    sizes = {i: os.path.getsize(src / n) for i, n in enumerate(names)}
    assert all(c[1] == c[2] == sizes[c[0]] for c in calls if c[3])


def test_a_file_that_changes_while_read_is_not_put_in_place(sftp, remote_dir, tmp_path):
    remote = os.path.join(remote_dir, "growing")
    with open(remote, "wb") as f:
        f.write(os.urandom(128 * MiB))
    dest = tmp_path / "dest"
    dest.write_bytes(b"old")
    grown = []

    def grow(i, done, total, finished):
        if not grown:
            with open(remote, "ab") as f:
                f.write(b"more")
            grown.append(done)

    [r] = batch.get_each(sftp, [(remote, str(dest))], grow, recheck=True)
    assert grown and grown[0] < 128 * MiB  # it grew while the reads ran
    assert isinstance(r, SyncConflict)
    assert dest.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["dest"]  # no temp file
    [r] = batch.get_each(sftp, [(remote, str(dest))], recheck=True)  # again, now still
    assert r.st_size == 128 * MiB + 4 and dest.stat().st_size == r.st_size


def test_a_missing_remote_file_fails_alone_and_leaves_no_temp(sftp, remote_dir, tmp_path):
    with open(os.path.join(remote_dir, "here"), "wb") as f:
        f.write(os.urandom(5000))
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "gone").write_bytes(b"old")
    results = batch.get_each(
        sftp, [(remote_dir + "/gone", str(dest / "gone")), (remote_dir + "/here", str(dest / "here"))]
    )
    assert isinstance(results[0], FileNotFoundError)
    assert results[1].st_size == 5000
    assert sorted(os.listdir(dest)) == ["gone", "here"]  # no temp files
    assert (dest / "gone").read_bytes() == b"old"  # untouched


def test_a_full_disk_fails_fast_not_hangs(sftp, tmp_path):
    big = tmp_path / "big"
    big.write_bytes(os.urandom(4 * MiB))
    [r] = batch.put_each(sftp, [(str(big), "/dev/full")], confirm=False, atomic=False)
    assert isinstance(r, OSError)
    assert sftp.stat("/").st_mode  # still usable


def test_nothing_to_do(sftp):
    assert batch.put_each(sftp, []) == []
    assert batch.get_each(sftp, []) == []


def test_spread_shares_files_over_channels_of_one_connection(client, sftp, remote_dir, tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    expected = _tree(src, [50] * 100)
    names = sorted(expected)
    opened = []
    real = batch.open_sibling

    def counting(client):
        sibling = real(client)
        opened.append(sibling)
        return sibling

    monkeypatch.setattr(batch, "open_sibling", counting)
    seen = set()
    transports = set()

    def move(c, share, report):
        transports.add(id(c.get_channel().get_transport()))
        return batch.put_each(c, [(str(src / n), remote_dir + "/" + n) for n in share], report)

    results = batch.spread(sftp, names, 4, move, lambda i, d, t, f: seen.add(i) if f else None)
    assert len(opened) == 2  # 100 files: 3 channels, the caller's own first
    assert all(o.sock.closed for o in opened)  # closed after the batch
    assert len(transports) == 1  # one connection
    assert seen == set(range(100))
    assert all(r.st_size == 50 for r in results)
    assert _digests(remote_dir) == expected


def test_a_callback_error_ends_every_channel_promptly(sftp, remote_dir, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    names = sorted(_tree(src, [2 * MiB] * 96))

    class Stop(Exception):
        pass

    def stop(i, done, total, finished):
        raise Stop()

    t0 = time.monotonic()
    results = batch.spread(
        sftp,
        names,
        3,
        lambda c, share, report: batch.put_each(c, [(str(src / n), remote_dir + "/" + n) for n in share], report),
        stop,
    )
    assert time.monotonic() - t0 < 30
    assert any(isinstance(r, Stop) for r in results)  # every file not done fails with it
    assert all(isinstance(r, Stop) or r.st_size == 2 * MiB for r in results)
    assert not [t for t in threading.enumerate() if t.name.startswith("ferrosftp-transfer")]
    for name in os.listdir(remote_dir):  # a closed channel may leave a hidden temp name
        assert name.startswith(".") or os.path.getsize(os.path.join(remote_dir, name)) == 2 * MiB
    assert sftp.stat("/").st_mode  # the caller's channel still works
