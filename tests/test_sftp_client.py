"""SFTPClient against the real sshd (issue #3): every method of
reference/api.md 2.5 and the error mapping of section 0 (paramiko 5.1 as
observed against OpenSSH's internal-sftp).

The sshd runs on this machine, so the remote side is checked with os.* on
the same paths."""

import errno
import inspect
import os
import socket
import stat
import time

import pytest

import ferrosftp as paramiko
from ferrosftp import SFTPAttributes, SFTPClient, SFTPError, SSHException


def _give_to_dir_owner(path):
    """Files made here (as root in CI) belong to the login user, like remote_dir."""
    if os.geteuid() == 0:
        st = os.stat(os.path.dirname(path))
        os.lchown(path, st.st_uid, st.st_gid)


def _write(path, data=b"", mode=0o644, sshd=None):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    _give_to_dir_owner(path)
    return path


def _assert_plain_failure(excinfo, text="Failure"):
    """paramiko's IOError(text): a plain OSError, errno None, args == (text,)."""
    e = excinfo.value
    assert type(e) is OSError, type(e)
    assert e.errno is None
    assert e.args == (text,)
    assert str(e) == text


def _assert_enoent(excinfo):
    e = excinfo.value
    assert isinstance(e, FileNotFoundError)
    assert e.errno == errno.ENOENT
    assert e.args[:2] == (errno.ENOENT, "No such file")


def _assert_eacces(excinfo):
    e = excinfo.value
    assert isinstance(e, PermissionError)
    assert e.errno == errno.EACCES
    assert e.args[:2] == (errno.EACCES, "Permission denied")


@pytest.fixture
def locked_file(remote_dir):
    """A file the unprivileged login user cannot read or write."""
    path = os.path.join(remote_dir, "locked")
    with open(path, "wb") as f:
        f.write(b"secret")
    os.chmod(path, 0o000 if os.geteuid() != 0 else 0o600)
    return path


@pytest.fixture
def locked_dir(remote_dir):
    """A directory the login user can list but not write into."""
    path = os.path.join(remote_dir, "ro")
    os.mkdir(path)
    os.chmod(path, 0o555)
    return path


# --------------------------------------------------------------------------
# construction, channel, close


def test_open_sftp_type(sftp):
    assert isinstance(sftp, SFTPClient)
    assert paramiko.SFTP is SFTPClient


def test_from_transport(client, remote_dir):
    s = SFTPClient.from_transport(client.get_transport())
    try:
        assert s.listdir(remote_dir) == []
    finally:
        s.close()


def test_context_manager(client, remote_dir):
    with client.open_sftp() as s:
        assert s.listdir(remote_dir) == []
    with pytest.raises((OSError, SSHException, EOFError)):
        s.listdir(remote_dir)


def test_close_twice(client):
    s = client.open_sftp()
    s.close()
    s.close()


def test_get_channel_timeout(sftp):
    chan = sftp.get_channel()
    assert chan is not None
    assert chan.gettimeout() is None
    chan.settimeout(7.5)
    assert sftp.get_channel().gettimeout() == 7.5
    chan.settimeout(None)
    assert sftp.get_channel().gettimeout() is None


# --------------------------------------------------------------------------
# cwd emulation (api.md 0.4)


def test_getcwd_none_until_chdir(sftp, sshd):
    assert sftp.getcwd() is None
    assert sftp.normalize(".") == sshd.home


def test_chdir_and_relative_paths(sftp, remote_dir):
    os.mkdir(os.path.join(remote_dir, "sub"))
    _write(os.path.join(remote_dir, "sub", "f.txt"), b"12345")
    sftp.chdir(remote_dir)
    assert sftp.getcwd() == remote_dir
    assert sorted(sftp.listdir()) == ["sub"]
    assert sftp.stat("sub/f.txt").st_size == 5
    sftp.chdir("sub")
    assert sftp.getcwd() == remote_dir + "/sub"
    assert sftp.listdir(".") == ["f.txt"]
    assert sftp.normalize(".") == remote_dir + "/sub"
    assert sftp.normalize("f.txt") == remote_dir + "/sub/f.txt"
    with sftp.open("f.txt") as f:
        assert f.read() == b"12345"
    sftp.chdir("..")
    assert sftp.getcwd() == remote_dir
    # absolute paths ignore the cwd
    assert sftp.stat(remote_dir + "/sub/f.txt").st_size == 5
    sftp.chdir(None)
    assert sftp.getcwd() is None


def test_chdir_root(sftp):
    sftp.chdir("/")
    assert sftp.getcwd() == "/"
    assert "home" in sftp.listdir()
    assert sftp.normalize("home") == "/home"


def test_chdir_to_file_raises_sftperror(sftp, remote_dir):
    path = _write(os.path.join(remote_dir, "plain"), b"x")
    with pytest.raises(SFTPError) as ei:
        sftp.chdir(path)
    assert not isinstance(ei.value, OSError)
    assert ei.value.args == (errno.ENOTDIR, "Not a directory: %s" % path)
    assert sftp.getcwd() is None


def test_chdir_missing(sftp, remote_dir):
    with pytest.raises(FileNotFoundError) as ei:
        sftp.chdir(remote_dir + "/missing")
    _assert_enoent(ei)


def test_normalize(sftp, remote_dir):
    os.mkdir(os.path.join(remote_dir, "a"))
    assert sftp.normalize(remote_dir + "/a/../a/.") == remote_dir + "/a"
    with pytest.raises(FileNotFoundError):
        sftp.normalize(remote_dir + "/missing/deeper")


def test_normalize_dangling_symlink(sftp, remote_dir):
    os.symlink(remote_dir + "/nowhere", remote_dir + "/dangling")
    assert sftp.normalize(remote_dir + "/dangling") == remote_dir + "/nowhere"


# --------------------------------------------------------------------------
# listings


def test_listdir(sftp, remote_dir):
    names = {"a.txt", "b", "with space", "ünï"}
    for n in names - {"b"}:
        _write(os.path.join(remote_dir, n), b"x")
    os.mkdir(os.path.join(remote_dir, "b"))
    got = sftp.listdir(remote_dir)
    assert isinstance(got, list)
    assert sorted(got) == sorted(names)
    assert "." not in got and ".." not in got


def test_listdir_empty(sftp, remote_dir):
    assert sftp.listdir(remote_dir) == []


def test_listdir_missing_and_file(sftp, remote_dir):
    with pytest.raises(FileNotFoundError) as ei:
        sftp.listdir(remote_dir + "/missing")
    _assert_enoent(ei)
    path = _write(os.path.join(remote_dir, "f"), b"x")
    with pytest.raises(FileNotFoundError):
        sftp.listdir(path)


def test_listdir_permission_denied(sftp, remote_dir):
    d = os.path.join(remote_dir, "closed")
    os.mkdir(d)
    os.chmod(d, 0o000 if os.geteuid() != 0 else 0o700)
    with pytest.raises(PermissionError) as ei:
        sftp.listdir(d)
    _assert_eacces(ei)


def test_listdir_attr(sftp, sshd, remote_dir):
    _write(os.path.join(remote_dir, "five"), b"12345", 0o640, sshd)
    os.mkdir(os.path.join(remote_dir, "dir"), 0o750)
    os.chmod(os.path.join(remote_dir, "dir"), 0o750)
    os.symlink("five", os.path.join(remote_dir, "lnk"))
    attrs = {a.filename: a for a in sftp.listdir_attr(remote_dir)}
    assert set(attrs) == {"five", "dir", "lnk"}
    for a in attrs.values():
        assert isinstance(a, SFTPAttributes)
        assert a.longname.endswith(" " + a.filename)
    f = attrs["five"]
    local = os.stat(os.path.join(remote_dir, "five"))
    assert f.st_size == 5
    assert f.st_mode == local.st_mode == stat.S_IFREG | 0o640
    assert f.st_uid == local.st_uid and f.st_gid == local.st_gid
    assert f.st_mtime == int(local.st_mtime)
    assert f.longname.startswith("-rw-r-----")
    assert stat.S_ISDIR(attrs["dir"].st_mode)
    assert attrs["dir"].longname.startswith("drwxr-x---")
    # listings do not follow links
    assert stat.S_ISLNK(attrs["lnk"].st_mode)
    assert attrs["lnk"].longname.startswith("l")
    # str() is paramiko's own ls -l rendering, ending with the name
    assert str(f).startswith("-rw-r-----   1 ")
    assert str(f).endswith(" five")
    assert repr(f).startswith("<SFTPAttributes: [ size=5 ")


def test_listdir_iter(sftp, remote_dir):
    for i in range(120):
        _write(os.path.join(remote_dir, "f%03d" % i), b"x" * i)
    it = sftp.listdir_iter(remote_dir)
    assert inspect.isgenerator(it) or inspect.isgeneratorfunction(sftp.listdir_iter) or hasattr(it, "__next__")
    got = {a.filename: a.st_size for a in it}
    assert got == {"f%03d" % i: i for i in range(120)}


def test_listdir_iter_read_aheads_kw(sftp, remote_dir):
    _write(os.path.join(remote_dir, "only"), b"")
    assert [a.filename for a in sftp.listdir_iter(remote_dir, read_aheads=2)] == ["only"]


def test_listdir_many_entries(sftp, remote_dir):
    names = {"n%05d" % i for i in range(1500)}
    for n in names:
        open(os.path.join(remote_dir, n), "wb").close()
    assert set(sftp.listdir(remote_dir)) == names


def test_non_utf8_names_roundtrip(sftp, sshd, remote_dir):
    bdir = os.fsencode(remote_dir)
    raw = bdir + b"/caf\xe9"
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"latin-1 named")
    os.close(fd)
    os.chown(raw, sshd.uid, sshd.gid) if os.geteuid() == 0 else None
    names = sftp.listdir(remote_dir)
    assert names == ["caf\udce9"]
    name = names[0]
    assert isinstance(name, str)
    assert os.fsencode(name) == b"caf\xe9"
    attrs = sftp.listdir_attr(remote_dir)
    assert attrs[0].filename == name
    path = remote_dir + "/" + name
    assert sftp.stat(path).st_size == 13
    with sftp.open(path, "rb") as f:
        assert f.read() == b"latin-1 named"
    sftp.rename(path, remote_dir + "/caf\udce9-2")
    assert os.path.exists(bdir + b"/caf\xe9-2")
    sftp.remove(remote_dir + "/caf\udce9-2")
    assert os.listdir(bdir) == []


def test_non_utf8_name_created_remotely(sftp, remote_dir):
    name = remote_dir + "/na\udcefve"
    with sftp.open(name, "w") as f:
        f.write(b"x")
    assert os.path.exists(os.fsencode(remote_dir) + b"/na\xefve")
    sftp.mkdir(remote_dir + "/d\udcff")
    assert os.path.isdir(os.fsencode(remote_dir) + b"/d\xff")


def test_odd_names(sftp, remote_dir):
    odd = ["new\nline", "quo'te\"", "back\\slash", " lead space", "-dash", "star*", "x" * 255]
    for n in odd:
        with sftp.open(remote_dir + "/" + n, "w") as f:
            f.write(n.encode())
    assert sorted(sftp.listdir(remote_dir)) == sorted(odd)
    for n in odd:
        with open(os.path.join(remote_dir, n), "rb") as f:
            assert f.read() == n.encode()
        sftp.remove(remote_dir + "/" + n)
    assert os.listdir(remote_dir) == []


# --------------------------------------------------------------------------
# stat / lstat


def test_stat(sftp, sshd, remote_dir):
    path = _write(os.path.join(remote_dir, "f"), b"abc", 0o600, sshd)
    os.utime(path, (1000000000, 1200000000))
    a = sftp.stat(path)
    assert isinstance(a, SFTPAttributes)
    assert not hasattr(a, "filename")
    assert not hasattr(a, "longname")
    assert a.st_size == 3
    assert a.st_mode == stat.S_IFREG | 0o600
    assert a.st_uid == sshd.uid and a.st_gid == sshd.gid
    assert a.st_atime == 1000000000
    assert a.st_mtime == 1200000000
    assert isinstance(a.st_mtime, int)
    assert repr(a) == (
        "<SFTPAttributes: [ size=3 uid=%d gid=%d mode=0o100600 "
        "atime=1000000000 mtime=1200000000 ]>" % (sshd.uid, sshd.gid)
    )
    assert str(a).startswith("-rw-------   1 %-8d %-8d        3 " % (sshd.uid, sshd.gid))


def test_stat_directory(sftp, remote_dir):
    assert stat.S_ISDIR(sftp.stat(remote_dir).st_mode)


def test_stat_missing(sftp, remote_dir):
    with pytest.raises(FileNotFoundError) as ei:
        sftp.stat(remote_dir + "/nope")
    _assert_enoent(ei)
    with pytest.raises(FileNotFoundError):
        sftp.lstat(remote_dir + "/nope")


def test_stat_under_regular_file(sftp, remote_dir):
    path = _write(os.path.join(remote_dir, "f"), b"x")
    with pytest.raises(FileNotFoundError):
        sftp.stat(path + "/child")


def test_stat_vs_lstat_on_symlink(sftp, remote_dir):
    _write(os.path.join(remote_dir, "target"), b"0123456789")
    os.symlink("target", os.path.join(remote_dir, "lnk"))
    assert stat.S_ISREG(sftp.stat(remote_dir + "/lnk").st_mode)
    assert sftp.stat(remote_dir + "/lnk").st_size == 10
    assert stat.S_ISLNK(sftp.lstat(remote_dir + "/lnk").st_mode)
    assert not hasattr(sftp.lstat(remote_dir + "/lnk"), "filename")


def test_symlink_loop(sftp, remote_dir):
    os.symlink("b", os.path.join(remote_dir, "a"))
    os.symlink("a", os.path.join(remote_dir, "b"))
    with pytest.raises(OSError):
        sftp.stat(remote_dir + "/a")
    assert stat.S_ISLNK(sftp.lstat(remote_dir + "/a").st_mode)


def test_very_long_path_keeps_connection(sftp, remote_dir):
    with pytest.raises(OSError):
        sftp.stat(remote_dir + "/" + "x" * 5000)
    assert sftp.stat(remote_dir).st_mode


# --------------------------------------------------------------------------
# mkdir / rmdir / remove / rename


def test_mkdir_mode(sftp, remote_dir):
    sftp.mkdir(remote_dir + "/d700", 0o700)
    st = os.stat(remote_dir + "/d700")
    assert stat.S_ISDIR(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o700
    sftp.mkdir(remote_dir + "/ddef")
    assert os.path.isdir(remote_dir + "/ddef")
    sftp.mkdir(remote_dir + "/dpos", 0o711)
    assert stat.S_IMODE(os.stat(remote_dir + "/dpos").st_mode) == 0o711


def test_mkdir_existing(sftp, remote_dir):
    with pytest.raises(OSError) as ei:
        sftp.mkdir(remote_dir)
    _assert_plain_failure(ei)


def test_mkdir_missing_parent(sftp, remote_dir):
    with pytest.raises(FileNotFoundError) as ei:
        sftp.mkdir(remote_dir + "/no/such")
    _assert_enoent(ei)


def test_mkdir_permission_denied(sftp, locked_dir):
    with pytest.raises(PermissionError) as ei:
        sftp.mkdir(locked_dir + "/sub")
    _assert_eacces(ei)


def test_rmdir(sftp, remote_dir):
    os.mkdir(remote_dir + "/d")
    sftp.rmdir(remote_dir + "/d")
    assert not os.path.exists(remote_dir + "/d")


def test_rmdir_errors(sftp, remote_dir):
    with pytest.raises(FileNotFoundError):
        sftp.rmdir(remote_dir + "/missing")
    os.mkdir(remote_dir + "/full")
    _write(remote_dir + "/full/f", b"x")
    with pytest.raises(OSError) as ei:
        sftp.rmdir(remote_dir + "/full")
    _assert_plain_failure(ei)
    assert os.path.exists(remote_dir + "/full/f")


def test_remove_and_unlink(sftp, remote_dir):
    _write(remote_dir + "/a", b"x")
    _write(remote_dir + "/b", b"x")
    sftp.remove(remote_dir + "/a")
    sftp.unlink(remote_dir + "/b")
    assert os.listdir(remote_dir) == []


def test_remove_errors(sftp, remote_dir, locked_dir):
    with pytest.raises(FileNotFoundError) as ei:
        sftp.remove(remote_dir + "/missing")
    _assert_enoent(ei)
    os.mkdir(remote_dir + "/dir")
    with pytest.raises(OSError) as ei:
        sftp.remove(remote_dir + "/dir")
    _assert_plain_failure(ei)
    _write(locked_dir + "/keep", b"x")
    with pytest.raises(PermissionError):
        sftp.remove(locked_dir + "/keep")
    assert os.path.exists(locked_dir + "/keep")


def test_rename(sftp, remote_dir):
    _write(remote_dir + "/old", b"content")
    sftp.rename(remote_dir + "/old", remote_dir + "/new")
    assert os.listdir(remote_dir) == ["new"]
    with open(remote_dir + "/new", "rb") as f:
        assert f.read() == b"content"


def test_rename_onto_existing_fails(sftp, remote_dir):
    _write(remote_dir + "/a", b"aaa")
    _write(remote_dir + "/b", b"bbb")
    with pytest.raises(OSError) as ei:
        sftp.rename(remote_dir + "/a", remote_dir + "/b")
    _assert_plain_failure(ei)
    with open(remote_dir + "/b", "rb") as f:
        assert f.read() == b"bbb"
    assert os.path.exists(remote_dir + "/a")


def test_rename_missing_source(sftp, remote_dir):
    with pytest.raises(FileNotFoundError):
        sftp.rename(remote_dir + "/missing", remote_dir + "/x")


def test_rename_relative_with_cwd(sftp, remote_dir):
    _write(remote_dir + "/r1", b"x")
    sftp.chdir(remote_dir)
    sftp.rename("r1", "r2")
    assert os.listdir(remote_dir) == ["r2"]


def test_posix_rename_overwrites(sftp, remote_dir):
    _write(remote_dir + "/a", b"aaa")
    _write(remote_dir + "/b", b"bbb")
    sftp.posix_rename(remote_dir + "/a", remote_dir + "/b")
    assert os.listdir(remote_dir) == ["b"]
    with open(remote_dir + "/b", "rb") as f:
        assert f.read() == b"aaa"


def test_posix_rename_missing(sftp, remote_dir):
    with pytest.raises(FileNotFoundError):
        sftp.posix_rename(remote_dir + "/missing", remote_dir + "/x")


# --------------------------------------------------------------------------
# setstat family


def test_chmod(sftp, remote_dir):
    path = _write(remote_dir + "/f", b"x", 0o644)
    sftp.chmod(path, 0o600)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    sftp.chmod(path, 0o4755)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o4755
    assert sftp.stat(path).st_mode == stat.S_IFREG | 0o4755


def test_chmod_errors(sftp, remote_dir, locked_file):
    with pytest.raises(FileNotFoundError):
        sftp.chmod(remote_dir + "/missing", 0o600)
    if os.geteuid() == 0:
        # a root-owned file: the login user may not chmod it
        with pytest.raises(PermissionError):
            sftp.chmod(locked_file, 0o666)


def test_chown(sftp, sshd, remote_dir):
    path = _write(remote_dir + "/f", b"x", 0o644, sshd)
    sftp.chown(path, sshd.uid, sshd.gid)  # a no-op chown is allowed
    st = os.stat(path)
    assert (st.st_uid, st.st_gid) == (sshd.uid, sshd.gid)
    if sshd.uid != 0:
        with pytest.raises(PermissionError):
            sftp.chown(path, 0, 0)
    with pytest.raises(FileNotFoundError):
        sftp.chown(remote_dir + "/missing", sshd.uid, sshd.gid)


def test_utime(sftp, remote_dir):
    path = _write(remote_dir + "/f", b"x")
    sftp.utime(path, (1000000000, 1100000000.9))
    st = os.stat(path)
    assert st.st_atime == 1000000000
    assert st.st_mtime == 1100000000  # fractions dropped
    a = sftp.stat(path)
    assert (a.st_atime, a.st_mtime) == (1000000000, 1100000000)
    sftp.utime(path, None)
    assert abs(os.stat(path).st_mtime - time.time()) < 300
    with pytest.raises(FileNotFoundError):
        sftp.utime(remote_dir + "/missing", (1, 2))


def test_truncate(sftp, remote_dir):
    path = _write(remote_dir + "/f", b"0123456789")
    sftp.truncate(path, 4)
    with open(path, "rb") as f:
        assert f.read() == b"0123"
    sftp.truncate(path, 8)
    with open(path, "rb") as f:
        assert f.read() == b"0123\0\0\0\0"
    assert sftp.stat(path).st_size == 8
    with pytest.raises(FileNotFoundError):
        sftp.truncate(remote_dir + "/missing", 0)


def test_truncate_sparse_beyond_4gib(sftp, remote_dir):
    path = _write(remote_dir + "/sparse", b"")
    size = 5 * 1024**3
    sftp.truncate(path, size)
    assert os.stat(path).st_size == size
    assert sftp.stat(path).st_size == size


# --------------------------------------------------------------------------
# symlink / readlink


# Every symlink test keeps *both* arguments inside remote_dir, so that a
# swapped-argument bug (OpenSSH reads SSH_FXP_SYMLINK swapped) could not leave
# stray links in the login user's home.


def test_symlink_argument_order(sftp, remote_dir):
    target = remote_dir + "/target"
    sftp.symlink(target, remote_dir + "/lnk")
    assert os.path.islink(remote_dir + "/lnk")
    assert os.readlink(remote_dir + "/lnk") == target
    assert sftp.readlink(remote_dir + "/lnk") == target
    assert not os.path.lexists(target)
    _write(target, b"t")
    assert sftp.stat(remote_dir + "/lnk").st_size == 1


def test_symlink_relative_target_stored_verbatim(sftp, sshd, remote_dir):
    # a relative target that, resolved from the login dir, still lies in remote_dir
    rel = os.path.relpath(remote_dir, sshd.home) + "/rel-target"
    sftp.symlink(rel, remote_dir + "/lnk")
    assert os.readlink(remote_dir + "/lnk") == rel
    assert sftp.readlink(remote_dir + "/lnk") == rel


def test_symlink_with_cwd_source_verbatim(sftp, sshd, remote_dir):
    sftp.chdir(remote_dir)
    rel = os.path.relpath(remote_dir, sshd.home) + "/t2"
    sftp.symlink(rel, "lnk")  # dest is cwd-adjusted, source is not
    assert os.readlink(remote_dir + "/lnk") == rel
    assert sftp.readlink("lnk") == rel


def test_symlink_onto_existing(sftp, remote_dir):
    _write(remote_dir + "/exists", b"x")
    with pytest.raises(OSError) as ei:
        sftp.symlink(remote_dir + "/whatever", remote_dir + "/exists")
    _assert_plain_failure(ei)
    assert not os.path.islink(remote_dir + "/exists")
    assert not os.path.lexists(remote_dir + "/whatever")


def test_readlink_of_links(sftp, remote_dir):
    os.symlink("rel/target", remote_dir + "/rel")
    os.symlink(remote_dir + "/abs", remote_dir + "/abs-link")
    assert sftp.readlink(remote_dir + "/rel") == "rel/target"
    assert sftp.readlink(remote_dir + "/abs-link") == remote_dir + "/abs"
    sftp.chdir(remote_dir)
    assert sftp.readlink("rel") == "rel/target"


def test_dangling_symlink(sftp, remote_dir):
    os.symlink(remote_dir + "/nowhere", remote_dir + "/dangling")
    with pytest.raises(FileNotFoundError):
        sftp.stat(remote_dir + "/dangling")
    assert stat.S_ISLNK(sftp.lstat(remote_dir + "/dangling").st_mode)
    assert "dangling" in sftp.listdir(remote_dir)


def test_readlink_not_a_link(sftp, remote_dir):
    path = _write(remote_dir + "/plain", b"x")
    with pytest.raises(OSError) as ei:
        sftp.readlink(path)
    _assert_plain_failure(ei, "Bad message")


def test_readlink_missing(sftp, remote_dir):
    with pytest.raises(FileNotFoundError):
        sftp.readlink(remote_dir + "/missing")


# --------------------------------------------------------------------------
# open modes


def _read_local(path):
    with open(path, "rb") as f:
        return f.read()


def test_open_r(sftp, remote_dir):
    path = _write(remote_dir + "/f", b"line1\nline2\n")
    with sftp.open(path) as f:
        assert isinstance(f, paramiko.SFTPFile)
        assert f.readable() and not f.writable()
        assert f.read() == b"line1\nline2\n"
        with pytest.raises(IOError, match="File not open for writing"):
            f.write(b"x")


def test_open_w_creates_and_truncates(sftp, remote_dir):
    path = _write(remote_dir + "/f", b"old old old")
    with sftp.open(path, "w") as f:
        assert f.writable() and not f.readable()
        f.write(b"new")
        with pytest.raises(IOError, match="not open for reading"):
            f.read()
    assert _read_local(path) == b"new"
    with sftp.open(remote_dir + "/created", "w") as f:
        f.write("text")
    assert _read_local(remote_dir + "/created") == b"text"


def test_open_w_default_mode_respects_umask(sftp, remote_dir):
    with sftp.open(remote_dir + "/f", "w"):
        pass
    mode = stat.S_IMODE(os.stat(remote_dir + "/f").st_mode)
    assert mode & 0o600 == 0o600
    assert mode & 0o111 == 0


def test_open_a_appends(sftp, remote_dir):
    path = _write(remote_dir + "/f", b"abc")
    with sftp.open(path, "a") as f:
        assert f.tell() == 3
        f.write(b"def")
        assert f.tell() == 6
        f.seek(0)
        f.write(b"ghi")  # append mode: still lands at the end
    assert _read_local(path) == b"abcdefghi"
    with sftp.open(remote_dir + "/new", "a") as f:
        f.write(b"x")
    assert _read_local(remote_dir + "/new") == b"x"


def test_open_a_plus(sftp, remote_dir):
    path = _write(remote_dir + "/f", b"abc")
    with sftp.open(path, "a+") as f:
        f.write(b"def")
        f.seek(0)
        assert f.read() == b"abcdef"
    assert _read_local(path) == b"abcdef"


def test_open_r_plus(sftp, remote_dir):
    path = _write(remote_dir + "/f", b"0123456789")
    with sftp.open(path, "r+") as f:
        assert f.readable() and f.writable()
        assert f.read(3) == b"012"
        f.seek(5)
        f.write(b"XY")
        f.seek(0)
        assert f.read() == b"01234XY789"
    assert _read_local(path) == b"01234XY789"
    with pytest.raises(FileNotFoundError):
        sftp.open(remote_dir + "/missing", "r+")


def test_open_w_plus(sftp, remote_dir):
    path = _write(remote_dir + "/f", b"old contents")
    with sftp.open(path, "w+") as f:
        assert f.read() == b""
        f.write(b"fresh")
        f.seek(0)
        assert f.read() == b"fresh"
    assert _read_local(path) == b"fresh"


def test_open_x_alone_creates_but_not_writable(sftp, remote_dir):
    path = remote_dir + "/x-only"
    f = sftp.open(path, "x")
    try:
        assert os.path.exists(path)
        assert not f.writable()
        with pytest.raises(IOError) as ei:
            f.write(b"data")
        assert str(ei.value) == "File not open for writing"
    finally:
        f.close()
    assert _read_local(path) == b""


def test_open_x_existing(sftp, remote_dir):
    path = _write(remote_dir + "/f", b"keep")
    with pytest.raises(OSError) as ei:
        sftp.open(path, "x")
    _assert_plain_failure(ei)
    with pytest.raises(OSError) as ei:
        sftp.open(path, "wx")
    _assert_plain_failure(ei)
    assert _read_local(path) == b"keep"


def test_open_wx_new(sftp, remote_dir):
    with sftp.open(remote_dir + "/new", "wx") as f:
        f.write(b"exclusive")
    assert _read_local(remote_dir + "/new") == b"exclusive"


def test_open_missing(sftp, remote_dir):
    with pytest.raises(FileNotFoundError) as ei:
        sftp.open(remote_dir + "/missing")
    _assert_enoent(ei)


def test_open_missing_parent_creates_nothing(sftp, remote_dir):
    with pytest.raises(FileNotFoundError) as ei:
        sftp.open(remote_dir + "/no/such/file", "w")
    _assert_enoent(ei)
    assert os.listdir(remote_dir) == []


def test_open_permission_denied(sftp, locked_file, locked_dir):
    with pytest.raises(PermissionError) as ei:
        sftp.open(locked_file)
    _assert_eacces(ei)
    with pytest.raises(PermissionError):
        sftp.open(locked_file, "w")
    with pytest.raises(PermissionError):
        sftp.open(locked_dir + "/new", "w")
    assert _read_local(locked_file) == b"secret"
    assert os.listdir(locked_dir) == []


def test_open_directory_for_write(sftp, remote_dir):
    with pytest.raises(OSError) as ei:
        sftp.open(remote_dir, "w")
    assert not isinstance(ei.value, FileNotFoundError)


def test_file_alias(sftp, remote_dir):
    path = _write(remote_dir + "/f", b"alias")
    with sftp.file(path, "r") as f:
        assert f.read() == b"alias"


def test_open_relative_with_cwd(sftp, remote_dir):
    sftp.chdir(remote_dir)
    with sftp.open("rel.txt", "w") as f:
        f.write(b"rel")
    assert _read_local(remote_dir + "/rel.txt") == b"rel"


def test_open_bytes_path(sftp, remote_dir):
    path = _write(remote_dir + "/b", b"bytes path")
    with sftp.open(os.fsencode(path)) as f:
        assert f.read() == b"bytes path"


def test_none_path_is_typeerror(sftp):
    with pytest.raises(TypeError):
        sftp.stat(None)


# --------------------------------------------------------------------------
# the session survives errors; connection loss is an SSHException


def test_errors_do_not_break_session(sftp, remote_dir):
    for _ in range(20):
        with pytest.raises(FileNotFoundError):
            sftp.stat(remote_dir + "/missing")
    assert sftp.listdir(remote_dir) == []


def test_operation_after_transport_close(client, remote_dir):
    s = client.open_sftp()
    client.get_transport().close()
    with pytest.raises((SSHException, OSError, EOFError)):
        s.listdir(remote_dir)


def test_stat_timeout_on_stalled_connection(sshd, fault_proxy, remote_dir):
    p = fault_proxy()
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect(
        "127.0.0.1",
        port=p.port,
        username=sshd.username,
        key_filename=sshd.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    try:
        s = c.open_sftp()
        assert s.listdir(remote_dir) == []
        s.get_channel().settimeout(1)
        p.stall_all()
        start = time.monotonic()
        with pytest.raises(socket.timeout):
            s.stat(remote_dir)
        assert time.monotonic() - start < 1 * 1.5 + 2
    finally:
        c.close()


def test_get_channel_transport_idiom(client, sshd):
    # a common liveness check: sftp.get_channel().get_transport().is_active()
    s = client.open_sftp()
    chan = s.get_channel()
    assert chan.get_transport() is client.get_transport()
    assert chan.get_transport().is_active()
    assert chan.getpeername()[1] == sshd.port
    assert s.sock.get_transport() is client.get_transport()
    assert not chan.closed
    s.close()
    assert chan.closed
    client.close()
    assert not chan.get_transport().is_active()


def test_sftpclient_over_channel_close_closes_channel(client, remote_dir):
    chan = client.get_transport().open_session()
    chan.invoke_subsystem("sftp")
    s = SFTPClient(chan)
    assert s.get_channel().get_transport() is client.get_transport()
    assert s.sock is chan
    s.close()
    assert chan.closed
