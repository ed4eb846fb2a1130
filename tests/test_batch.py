"""The batch engine behind put_r/get_r/put_d/get_d (src/sftp/batch.rs): many
files in flight on one SFTP channel, each walking its own steps, the first
error raised once the files under way are done, nothing partial left."""

import hashlib
import os

import pytest

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


def test_put_many_then_get_many_round_trip(sftp, remote_dir, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    expected = _tree(src, SIZES)
    pairs = [(str(src / n), remote_dir + "/" + n) for n in expected]
    assert sftp._put_many(pairs, confirm=True, atomic=True) == len(pairs)
    assert _digests(remote_dir) == expected  # read on the server's disk
    back = tmp_path / "back"
    back.mkdir()
    attrs = sftp._get_many([(remote_dir + "/" + n, str(back / n)) for n in expected])
    assert _digests(back) == expected
    assert [a[0] for a in attrs] == [os.path.getsize(src / n) for n in expected]


def test_a_missing_local_file_fails_before_anything_remote(sftp, remote_dir, tmp_path):
    (tmp_path / "a").write_bytes(b"a")
    pairs = [(str(tmp_path / "a"), remote_dir + "/a"),
             (str(tmp_path / "missing"), remote_dir + "/missing")]
    with pytest.raises(FileNotFoundError):
        sftp._put_many(pairs)
    assert "missing" not in os.listdir(remote_dir)
    assert sftp.stat(remote_dir + "/a").st_size == 1  # started before the failure: finished


def test_a_refused_directory_raises_and_the_others_finish(sshd, sftp, remote_dir, tmp_path):
    locked = os.path.join(remote_dir, "locked")
    os.mkdir(locked)
    sshd.chown_to_user(locked)
    os.chmod(locked, 0o555)
    src = tmp_path / "src"
    src.mkdir()
    expected = _tree(src, [10] * 20)
    pairs = [(str(src / n), (locked if i == 7 else remote_dir) + "/" + n)
             for i, n in enumerate(expected)]
    with pytest.raises(PermissionError):
        sftp._put_many(pairs, atomic=True)
    assert os.listdir(locked) == []  # no temp name left behind
    for name, digest in _digests(remote_dir).items():
        assert digest == expected[name]  # nothing half written, no temp names
    assert sftp.listdir(remote_dir)  # the client is still usable


def test_a_missing_remote_file_raises_and_leaves_no_temp(sftp, remote_dir, tmp_path):
    with open(os.path.join(remote_dir, "here"), "wb") as f:
        f.write(os.urandom(5000))
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "gone").write_bytes(b"old")
    with pytest.raises(FileNotFoundError):
        sftp._get_many([(remote_dir + "/here", str(dest / "here")),
                        (remote_dir + "/gone", str(dest / "gone"))])
    assert sorted(os.listdir(dest)) == ["gone", "here"]  # no temp files
    assert (dest / "gone").read_bytes() == b"old"  # untouched
    assert sftp.stat(remote_dir + "/here").st_size == 5000


def test_a_full_disk_fails_fast_not_hangs(sftp, tmp_path):
    big = tmp_path / "big"
    big.write_bytes(os.urandom(4 * MiB))
    with pytest.raises(OSError):
        sftp._put_many([(str(big), "/dev/full")], confirm=False)
    assert sftp.stat("/").st_mode  # still usable


def test_nothing_to_do(sftp):
    assert sftp._put_many([]) == 0
    assert sftp._get_many([]) == []
