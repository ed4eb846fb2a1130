"""Every pysftp.Connection error path: the exception class pysftp 0.2.9 (on
paramiko) raises, and that a failure leaves nothing behind.  Against the real
sshd fixture; the login user is unprivileged when the suite runs as root."""

import errno
import io
import os
import socket
import subprocess
import time

import pytest

import ferrosftp as pysftp
from ferrosftp import AuthenticationException, SSHException


def write_remote(sshd, path, data=b"data", mode=None):
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)
    sshd.chown_to_user(path)


def bare_cnopts(sshd):
    return pysftp.CnOpts(knownhosts=sshd.known_hosts_bare_path)


def connect(sshd, **kw):
    args = dict(username=sshd.username, port=sshd.port, private_key=sshd.keys["ed25519"], cnopts=bare_cnopts(sshd))
    args.update(kw)
    return pysftp.Connection(sshd.host, **args)


@pytest.fixture
def rconn(sshd, remote_dir):
    with connect(sshd, default_path=remote_dir) as c:
        yield c


def refused_port():
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_enoent(excinfo):
    assert isinstance(excinfo.value, FileNotFoundError)
    assert excinfo.value.errno == errno.ENOENT


# ---------------------------------------------------------------- connecting


def test_dns_failure_is_connection_exception(sshd, monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # hermetic: no DNS packet leaves
    cnopts = bare_cnopts(sshd)
    cnopts.hostkeys = None
    with pytest.warns(UserWarning), pytest.raises(pysftp.ConnectionException) as e:
        pysftp.Connection("no-such-host.invalid", username="u", password="p", port=2222, cnopts=cnopts)
    assert e.value.args == ("no-such-host.invalid", 2222)
    assert e.value.message == "Could not connect to host:port.  %s:%s"


def test_refused_port_is_sshexception_not_connection_exception(sshd):
    port = refused_port()
    with pytest.raises(SSHException, match=r"Unable to connect to 127\.0\.0\.1: .*Connection refused") as e:
        connect(sshd, port=port)
    assert not isinstance(e.value, pysftp.ConnectionException)


def test_wrong_password(sshd):
    with pytest.raises(AuthenticationException):
        connect(sshd, password="definitely-wrong", private_key=None)


def test_unauthorized_key(sshd, tmp_path):
    key = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    with pytest.raises(AuthenticationException):
        connect(sshd, private_key=str(key))


def test_missing_host_key(sshd, tmp_path):
    known = tmp_path / "kh"
    known.write_text("elsewhere %s\n" % sshd.host_public_keys["ed25519"])
    with pytest.raises(SSHException, match=r"^No hostkey for host 127\.0\.0\.1 found\.$"):
        connect(sshd, cnopts=pysftp.CnOpts(knownhosts=str(known)))


def test_changed_host_key(sshd, tmp_path):
    with open(sshd.pub_keys["ed25519"]) as f:  # an ed25519 key, but not the server's
        impostor = " ".join(f.read().split()[:2])
    known = tmp_path / "kh"
    known.write_text("%s %s\n" % (sshd.host, impostor))
    with pytest.raises(SSHException, match="^Bad host key from server$") as e:
        connect(sshd, cnopts=pysftp.CnOpts(knownhosts=str(known)))
    assert not isinstance(e.value, pysftp.BadHostKeyException)  # as pysftp: plain SSHException


def test_bad_host_key_stops_before_authentication(sshd, tmp_path):
    with open(sshd.pub_keys["ed25519"]) as f:
        impostor = " ".join(f.read().split()[:2])
    known = tmp_path / "kh"
    known.write_text("%s %s\n" % (sshd.host, impostor))
    start = len(sshd.read_log())
    credentials = dict(password=sshd.password) if sshd.password_auth else {}
    with pytest.raises(SSHException, match="Bad host key"):
        connect(sshd, cnopts=pysftp.CnOpts(knownhosts=str(known)), **credentials)
    deadline = time.monotonic() + 10
    while "Disconnected from" not in sshd.read_log()[start:] and time.monotonic() < deadline:
        time.sleep(0.05)  # wait for sshd to log the end of that connection
    log = sshd.read_log()[start:]
    assert "Disconnected from" in log and "[preauth]" in log
    assert sshd.username not in log  # no userauth request ever reached the server
    assert "Accepted" not in log and "Failed" not in log


def test_no_username(sshd, monkeypatch):
    monkeypatch.delenv("LOGNAME", raising=False)
    with pytest.raises(pysftp.CredentialException) as e:
        connect(sshd, username=None)
    assert e.value.message == "No username specified."


def test_no_password_and_no_key(sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.ssh/id_* to fall back on
    with pytest.raises(pysftp.CredentialException) as e:
        connect(sshd, private_key=None)
    assert e.value.message == "No password or key specified."


def test_missing_key_file(sshd, tmp_path):
    with pytest.raises(FileNotFoundError):
        connect(sshd, private_key=str(tmp_path / "no-such-key"))


def test_unusable_key_files(sshd, tmp_path):
    garbage = tmp_path / "garbage"
    garbage.write_text("not a key\n")
    garbage.chmod(0o600)
    with pytest.raises(SSHException):
        connect(sshd, private_key=str(garbage))
    encrypted = sshd.keys["ed25519_enc"]
    with pytest.raises(pysftp.PasswordRequiredException):
        connect(sshd, private_key=encrypted)
    with pytest.raises(SSHException):
        connect(sshd, private_key=encrypted, private_key_pass="wrong")


def test_unknown_cipher(sshd):
    cnopts = bare_cnopts(sshd)
    cnopts.ciphers = ("arcfour256",)
    with pytest.raises(ValueError, match="unknown cipher"):
        connect(sshd, cnopts=cnopts)


def test_known_hosts_problems(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(pysftp.HostKeysException, match="No Host Keys Found"):
        pysftp.CnOpts(knownhosts=str(empty))
    bad = tmp_path / "bad"
    bad.write_text("somehost ssh-ed25519 @@not-base64@@\n")
    with pytest.raises(pysftp.HostKeysException) as e:
        pysftp.CnOpts(knownhosts=str(bad))
    assert isinstance(e.value, pysftp.InvalidHostKey)  # what pysftp on paramiko 3 raised
    with pytest.warns(UserWarning, match="Failed to load HostKeys"):
        cnopts = pysftp.CnOpts(knownhosts=str(tmp_path / "missing"))
    with pytest.raises(SSHException, match="No hostkey for host somehost found."):
        cnopts.get_hostkey("somehost")


# --------------------------------------------------------------- transfers


def test_get_errors_leave_no_local_file(sshd, rconn, remote_dir, tmp_path):
    os.mkdir(os.path.join(remote_dir, "adir"))
    write_remote(sshd, os.path.join(remote_dir, "secret"), b"s", mode=0o000)
    dest = tmp_path / "out"
    with pytest.raises(FileNotFoundError) as e:
        rconn.get("missing", str(dest))
    assert_enoent(e)
    with pytest.raises(FileNotFoundError):
        rconn.get("missing", str(dest), preserve_mtime=True)
    with pytest.raises(PermissionError):
        rconn.get("secret", str(dest))
    with pytest.raises(OSError):
        rconn.get("adir", str(dest))
    with pytest.raises(FileNotFoundError):
        rconn.get("secret", str(tmp_path / "no-such-dir" / "out"))
    assert os.listdir(tmp_path) == []


def test_getfo_missing(rconn):
    buf = io.BytesIO()
    with pytest.raises(FileNotFoundError):
        rconn.getfo("missing", buf)
    assert buf.getvalue() == b""


def test_get_d_errors(sshd, rconn, remote_dir, tmp_path):
    before = rconn.pwd
    with pytest.raises(FileNotFoundError):
        rconn.get_d("missing", str(tmp_path))
    assert rconn.pwd == before
    os.mkdir(os.path.join(remote_dir, "d"))
    write_remote(sshd, os.path.join(remote_dir, "d", "f"))
    with pytest.raises(FileNotFoundError):
        rconn.get_d("d", str(tmp_path / "no-such-local-dir"))
    assert rconn.pwd == before
    assert os.listdir(tmp_path) == []


def test_get_r_errors(sshd, rconn, remote_dir, tmp_path):
    with pytest.raises(FileNotFoundError):
        rconn.get_r("missing", str(tmp_path))
    os.makedirs(os.path.join(remote_dir, "d", "sub"))
    write_remote(sshd, os.path.join(remote_dir, "d", "sub", "f"))
    (tmp_path / "d").write_bytes(b"a file where a directory must go")
    with pytest.raises(FileExistsError):
        rconn.get_r("d", str(tmp_path))
    os.symlink("gone", os.path.join(remote_dir, "d", "dangling"))
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(FileNotFoundError):
        rconn.get_r("d", str(tmp_path / "elsewhere"))
    assert os.listdir(tmp_path / "elsewhere") == []  # the walk fails before any download


def test_put_errors(sshd, rconn, remote_dir, tmp_path):
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    os.mkdir(os.path.join(remote_dir, "adir"))
    locked = os.path.join(remote_dir, "locked")
    os.mkdir(locked, 0o555)
    sshd.chown_to_user(locked)
    os.chmod(locked, 0o555)
    with pytest.raises(FileNotFoundError):
        rconn.put(str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError):
        rconn.put(str(tmp_path / "missing"), preserve_mtime=True)
    with pytest.raises(FileNotFoundError):
        rconn.put(str(src), "no-such-dir/src")
    with pytest.raises(OSError):
        rconn.put(str(src), "adir")
    with pytest.raises(PermissionError):
        rconn.put(str(src), "locked/src")
    assert sorted(os.listdir(remote_dir)) == ["adir", "locked"]
    assert os.listdir(os.path.join(remote_dir, "adir")) == []


def test_putfo_errors(rconn, remote_dir):
    with pytest.raises(TypeError):
        rconn.putfo(io.BytesIO(b"x"))
    with pytest.raises(FileNotFoundError):
        rconn.putfo(io.BytesIO(b"x"), "no-such-dir/x")
    assert os.listdir(remote_dir) == []


def test_put_d_and_put_r_errors(rconn, remote_dir, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f").write_bytes(b"f")
    for method in (rconn.put_d, rconn.put_r):
        with pytest.raises(FileNotFoundError):
            method(str(tmp_path / "missing"), remote_dir)
        with pytest.raises(FileNotFoundError):
            method(str(tmp_path / "src"), "no-such-remote-dir")
    assert os.listdir(remote_dir) == []


# --------------------------------------------------------- paths and files


def test_navigation_errors(sshd, rconn, remote_dir):
    write_remote(sshd, os.path.join(remote_dir, "file"))
    before = rconn.pwd
    with pytest.raises(FileNotFoundError):
        rconn.chdir("missing")
    with pytest.raises(pysftp.SFTPError):
        rconn.chdir("file")
    with pytest.raises(FileNotFoundError):
        with rconn.cd("missing"):
            pass
    assert rconn.pwd == before
    with pytest.raises(FileNotFoundError):
        rconn.normalize("missing/deeper")


def test_listing_errors(sshd, rconn, remote_dir):
    write_remote(sshd, os.path.join(remote_dir, "file"))
    for call in (rconn.listdir, rconn.listdir_attr):
        with pytest.raises(FileNotFoundError):
            call("missing")
        with pytest.raises(FileNotFoundError):
            call("file")  # OpenSSH reports ENOTDIR as "no such file"
    with pytest.raises(FileNotFoundError):
        rconn.walktree("missing", print, print, print)


def test_attribute_errors(sshd, rconn, remote_dir):
    write_remote(sshd, os.path.join(remote_dir, "file"))
    for call in (
        rconn.stat,
        rconn.lstat,
        lambda p: rconn.truncate(p, 0),
        lambda p: rconn.chmod(p, 644),
        lambda p: rconn.chown(p, uid=sshd.uid),
        lambda p: rconn.chown(p, gid=sshd.gid),
    ):
        with pytest.raises(FileNotFoundError):
            call("missing")
    with pytest.raises(ValueError):
        rconn.chmod("file", 999)
    with pytest.raises(PermissionError):
        rconn.chown("file", uid=0, gid=0)


def test_namespace_errors(sshd, rconn, remote_dir):
    write_remote(sshd, os.path.join(remote_dir, "file"))
    write_remote(sshd, os.path.join(remote_dir, "other"))
    os.makedirs(os.path.join(remote_dir, "full", "inner"))
    with pytest.raises(OSError):
        rconn.mkdir("file")
    with pytest.raises(FileNotFoundError):
        rconn.mkdir("missing/child")
    with pytest.raises(OSError, match="a file with the same name"):
        rconn.makedirs("file")
    with pytest.raises(FileNotFoundError):
        rconn.remove("missing")
    with pytest.raises(OSError):
        rconn.remove("full")
    with pytest.raises(FileNotFoundError):
        rconn.rmdir("missing")
    with pytest.raises(OSError):
        rconn.rmdir("full")
    with pytest.raises(FileNotFoundError):
        rconn.rename("missing", "new")
    with pytest.raises(OSError):
        rconn.rename("file", "other")  # never overwrites
    with pytest.raises(OSError):
        rconn.symlink(remote_dir + "/file", remote_dir + "/other")
    with pytest.raises(FileNotFoundError):
        rconn.readlink("missing")
    with pytest.raises(OSError):
        rconn.readlink("file")
    assert sorted(os.listdir(remote_dir)) == ["file", "full", "other"]
    assert open(os.path.join(remote_dir, "other"), "rb").read() == b"data"


def test_open_errors(sshd, rconn, remote_dir):
    write_remote(sshd, os.path.join(remote_dir, "file"))
    with pytest.raises(FileNotFoundError):
        rconn.open("missing")
    with pytest.raises(FileNotFoundError):
        rconn.open("no-such-dir/new", "w")
    with pytest.raises(OSError):
        rconn.open("file", "x")
    assert sorted(os.listdir(remote_dir)) == ["file"]


def test_predicates_never_raise(sshd, rconn, remote_dir):
    locked = os.path.join(remote_dir, "locked")
    os.mkdir(locked, 0o000)
    sshd.chown_to_user(locked)
    os.chmod(locked, 0o000)
    for path in ("missing", "missing/deeper", "locked/inside"):
        assert rconn.isdir(path) is False
        assert rconn.isfile(path) is False
        assert rconn.exists(path) is False
        assert rconn.lexists(path) is False


def test_timeout_raises_when_server_stalls(sshd, fault_proxy):
    proxy = fault_proxy()
    with connect(sshd, port=proxy.port) as c:
        c.timeout = 1.5
        assert c.stat(".").st_mode
        proxy.stall_all()
        with pytest.raises(socket.timeout):
            c.listdir(".")


def test_execute_after_close(sshd):
    c = connect(sshd)
    c.close()
    with pytest.raises(SSHException):
        c.execute("true")
