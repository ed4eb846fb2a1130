"""OpenSSH's SFTP extensions, under asyncssh's names (additions to paramiko's
SFTPClient): limits, statvfs, hardlink, lsetstat, copy-data, expand-path,
fsync. The server runs on this machine, so each answer is checked against
the file system itself."""

import os

import pytest

pytestmark = pytest.mark.timeout(60)


def test_the_server_offers_them_and_its_limits_are_used(sftp):
    ext = sftp.extensions
    for name in (
        "posix-rename@openssh.com",
        "statvfs@openssh.com",
        "hardlink@openssh.com",
        "fsync@openssh.com",
        "lsetstat@openssh.com",
        "limits@openssh.com",
        "expand-path@openssh.com",
        "copy-data",
    ):
        assert name in ext, name
    limits = sftp.limits
    assert limits.max_read_len > 30000  # libssh2's cap was 30,000 bytes
    assert limits.max_write_len > 30000


def test_statvfs_matches_os_statvfs(sftp, remote_dir):
    got = sftp.statvfs(remote_dir)
    want = os.statvfs(remote_dir)
    assert (got.bsize, got.frsize, got.namemax) == (want.f_bsize, want.f_frsize, want.f_namemax)
    assert got.f_blocks == want.f_blocks
    # the protocol carries read-only and nosuid only
    assert got.f_flag == want.f_flag & (os.ST_RDONLY | os.ST_NOSUID)


def test_link_makes_a_hard_link(sshd, sftp, remote_dir):
    a = os.path.join(remote_dir, "a")
    with open(a, "wb") as f:
        f.write(b"data")
    sshd.chown_to_user(a)
    sftp.link(a, remote_dir + "/b")
    assert os.stat(remote_dir + "/b").st_ino == os.stat(a).st_ino
    with pytest.raises(OSError):
        sftp.link(a, remote_dir + "/b")  # exists


def test_setstat_without_following_a_symlink(sshd, sftp, remote_dir):
    target = os.path.join(remote_dir, "target")
    with open(target, "wb") as f:
        f.write(b"x")
    sshd.chown_to_user(target)
    os.utime(target, (1_000_000_000, 1_000_000_000))
    link = os.path.join(remote_dir, "link")
    sftp.symlink(target, link)
    attrs = sftp.lstat(link)
    attrs.st_atime = attrs.st_mtime = 1_500_000_000
    attrs.st_size = attrs.st_mode = attrs.st_uid = attrs.st_gid = None
    sftp.setstat(link, attrs, follow_symlinks=False)
    assert os.lstat(link).st_mtime == 1_500_000_000
    assert os.stat(target).st_mtime == 1_000_000_000
    sftp.setstat(link, attrs)  # follows the link
    assert os.stat(target).st_mtime == 1_500_000_000


def test_remote_copy_on_the_server(sftp, remote_dir):
    src = os.path.join(remote_dir, "src")
    data = os.urandom(3 * 1024 * 1024 + 7)
    with open(src, "wb") as f:
        f.write(data)
    sftp.copy(src, remote_dir + "/dst")
    with open(remote_dir + "/dst", "rb") as f:
        assert f.read() == data
    # a range, into an open file at an offset
    with sftp.open(remote_dir + "/part", "wb") as dst:
        dst.write(b"head")
        sftp.remote_copy(src, dst, src_offset=100, src_length=50, dst_offset=4)
    with open(remote_dir + "/part", "rb") as f:
        assert f.read() == b"head" + data[100:150]
    with pytest.raises(FileNotFoundError):
        sftp.copy(remote_dir + "/missing", remote_dir + "/x")


def test_remote_copy_streams_without_the_extension(sftp, remote_dir, monkeypatch):
    src = os.path.join(remote_dir, "src")
    data = os.urandom(5 * 1024 * 1024 + 3)
    with open(src, "wb") as f:
        f.write(data)
    monkeypatch.setattr(sftp, "_has", lambda name: False)
    sftp.copy(src, remote_dir + "/dst")
    with open(remote_dir + "/dst", "rb") as f:
        assert f.read() == data


def test_normalize_expands_the_home_directory(sshd, sftp):
    assert sftp.normalize("~") == sshd.home
    assert sftp.normalize("~/x") == sshd.home + "/x"
    assert sftp.normalize(".") == sftp.normalize(sshd.home)  # sftp starts in the home


def test_fsync(sftp, remote_dir):
    with sftp.open(remote_dir + "/f", "wb") as f:
        f.write(b"durable")
        f.fsync()
    with open(remote_dir + "/f", "rb") as f:
        assert f.read() == b"durable"
