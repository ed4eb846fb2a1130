"""pysftp.Connection behaviour not covered by the cookbook examples: the rest
of pysftp 0.2.9's API (api.md 1.2-1.5), the private attributes scripts reach
for, and ferrosftp's documented extensions.  Against the real sshd fixture."""

import gc
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap

import pytest

import ferrosftp as pysftp
from ferrosftp import SSHException


def write_remote(sshd, path, data, mode=None):
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)
    sshd.chown_to_user(path)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def connect(sshd, **kw):
    args = dict(
        username=sshd.username,
        port=sshd.port,
        private_key=sshd.keys["ed25519"],
        cnopts=pysftp.CnOpts(knownhosts=sshd.known_hosts_bare_path),
    )
    args.update(kw)
    return pysftp.Connection(sshd.host, **args)


@pytest.fixture
def rconn(sshd, remote_dir):
    """A Connection whose current directory is remote_dir."""
    with connect(sshd, default_path=remote_dir) as c:
        yield c


# ------------------------------------------------------------ construction


def test_sftp_session_opens_lazily(sshd, remote_dir):
    with connect(sshd) as c:
        assert c._sftp is None and c._sftp_live is False
        assert c.execute("echo no sftp needed") == [b"no sftp needed\n"]
        assert c._sftp is None
        assert c.listdir(remote_dir) == []
        assert c._sftp_live is True


def test_default_path_is_applied_at_first_sftp_call(sshd, remote_dir):
    c = connect(sshd, default_path=remote_dir + "/missing")  # constructing is fine
    with c:
        with pytest.raises(FileNotFoundError):
            c.listdir()
    with connect(sshd, default_path=remote_dir) as c:
        assert c.getcwd() == remote_dir
        assert c.pwd == remote_dir


def test_tconnect_and_transport_attributes(sshd, conn):
    assert set(conn._tconnect) == {"username", "password", "hostkey", "pkey"}
    assert conn._tconnect["username"] == sshd.username
    assert conn._tconnect["password"] is None
    assert conn._tconnect["pkey"].get_name() == "ssh-ed25519"
    assert conn._tconnect["hostkey"].get_base64() == sshd.host_public_keys["ed25519"].split()[1]
    assert isinstance(conn._transport, pysftp.Transport)
    assert conn._transport.is_authenticated()


def test_username_defaults_to_logname(sshd, monkeypatch):
    monkeypatch.setenv("LOGNAME", sshd.username)
    c = pysftp.Connection(
        sshd.host,
        private_key=sshd.keys["ed25519"],
        port=sshd.port,
        cnopts=pysftp.CnOpts(knownhosts=sshd.known_hosts_bare_path),
    )
    with c:
        assert c._tconnect["username"] == sshd.username
        assert c._transport.get_username() == sshd.username


def test_password_wins_over_private_key(sshd):
    if not sshd.password_auth:
        pytest.skip("password logins need the fixture to run as root")
    with connect(sshd, password=sshd.password, private_key="/no/such/key") as c:
        assert c._tconnect["pkey"] is None
        assert c.pwd == sshd.home


@pytest.mark.parametrize("name", ["id_rsa", "id_ed25519"])
def test_default_key_from_home(sshd, tmp_path, monkeypatch, name):
    # pysftp looked for ~/.ssh/id_rsa then id_dsa; ECDSA/Ed25519 defaults are ours.
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    source = sshd.keys["rsa" if name == "id_rsa" else "ed25519"]
    shutil.copy(source, tmp_path / ".ssh" / name)
    with connect(sshd, private_key=None) as c:
        assert c.pwd == sshd.home
        expected = "ssh-rsa" if name == "id_rsa" else "ssh-ed25519"
        assert c._tconnect["pkey"].get_name() == expected


def test_key_objects_of_any_type(sshd):
    for name in ("rsa", "ecdsa", "ed25519"):
        key = pysftp.PKey.from_path(sshd.keys[name])
        with connect(sshd, private_key=key) as c:
            assert c._tconnect["pkey"] is key
            assert c.pwd == sshd.home


def test_port_style_known_hosts_entries_are_used(sshd):
    # OpenSSH writes [host]:port for non-22 ports; pysftp never matched those.
    with open(sshd.known_hosts_path) as f:
        assert all(line.startswith("[%s]:%d " % (sshd.host, sshd.port)) for line in f if line.strip())
    cnopts = pysftp.CnOpts(knownhosts=sshd.known_hosts_path)
    with connect(sshd, cnopts=cnopts) as c:
        assert c.remote_server_key.asbytes() == c._tconnect["hostkey"].asbytes()


def test_cnopts_defaults(sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    shutil.copy(sshd.known_hosts_bare_path, tmp_path / ".ssh" / "known_hosts")
    cnopts = pysftp.CnOpts()
    assert (cnopts.log, cnopts.compression, cnopts.ciphers) == (False, False, None)
    assert isinstance(cnopts.hostkeys, pysftp.HostKeys)
    key = cnopts.get_hostkey(sshd.host)
    assert key.get_base64() == sshd.host_public_keys["ed25519"].split()[1]
    with connect(sshd, cnopts=None) as c:  # the default CnOpts() reads ~/.ssh/known_hosts
        assert c.pwd == sshd.home


def test_del_after_failed_constructor_is_quiet(sshd, tmp_path):
    unraisable = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        other = tmp_path / "kh"
        other.write_text("otherhost %s\n" % sshd.host_public_keys["ed25519"])
        for kwargs in (
            dict(cnopts=pysftp.CnOpts(knownhosts=str(other))),
            dict(private_key=sshd.keys["ed25519_enc"]),
            dict(port=1),
        ):
            with pytest.raises(SSHException):
                connect(sshd, **kwargs)
            gc.collect()
    finally:
        sys.unraisablehook = old_hook
    assert unraisable == []


def test_subclass_keeps_pysftp_hooks(sshd, remote_dir):
    class Audited(pysftp.Connection):
        def __init__(self, *args, **kwargs):
            self.calls = []
            super().__init__(*args, **kwargs)

        def listdir(self, remotepath="."):
            self.calls.append(remotepath)
            return super().listdir(remotepath)

    c = Audited(
        sshd.host,
        username=sshd.username,
        private_key=sshd.keys["ed25519"],
        port=sshd.port,
        cnopts=pysftp.CnOpts(knownhosts=sshd.known_hosts_bare_path),
    )
    with c:
        assert c.listdir(remote_dir) == []
        assert c.calls == [remote_dir]


def test_repr_and_errors_hold_no_secrets(sshd):
    with connect(sshd, private_key=sshd.keys["ed25519_enc"], private_key_pass=sshd.key_passphrase) as c:
        assert sshd.key_passphrase not in repr(c)
    with pytest.raises(pysftp.AuthenticationException) as e:
        connect(sshd, password="Wr0ng-s3cret-pw")
    assert "Wr0ng-s3cret-pw" not in str(e.value) and "Wr0ng-s3cret-pw" not in repr(e.value)


def test_install_as_pysftp(sshd, remote_dir):
    script = textwrap.dedent("""
        import json, sys
        import ferrosftp
        ferrosftp.install_as_pysftp()
        import pysftp
        from pysftp.exceptions import ConnectionException
        from pysftp.helpers import reparent
        host, port, user, key, kh, path = sys.argv[1:]
        with pysftp.Connection(host, username=user, private_key=key, port=int(port),
                               cnopts=pysftp.CnOpts(knownhosts=kh)) as sftp:
            sftp.makedirs(path + "/made/by/pysftp")
            names = sftp.listdir(path)
        print(json.dumps({"same": pysftp is ferrosftp,
                          "exc": ConnectionException is ferrosftp.ConnectionException,
                          "reparent": reparent("a", "/b"), "names": names}))
    """)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            sshd.host,
            str(sshd.port),
            sshd.username,
            sshd.keys["ed25519"],
            sshd.known_hosts_bare_path,
            remote_dir,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"same": True, "exc": True, "reparent": "a/./b", "names": ["made"]}
    assert os.path.isdir(os.path.join(remote_dir, "made", "by", "pysftp"))


# --------------------------------------------------------------- properties


def test_timeout_get_set(rconn):
    assert rconn.timeout is None
    rconn.timeout = 7.5
    assert rconn.timeout == 7.5
    assert rconn.sftp_client.get_channel().gettimeout() == 7.5
    rconn.timeout = None
    assert rconn.timeout is None


def test_security_options_and_active_algorithms(rconn):
    so = rconn.security_options
    assert isinstance(so.ciphers, tuple) and so.ciphers
    assert isinstance(so.kex, tuple) and so.kex
    assert isinstance(so.digests, tuple) and so.digests
    assert isinstance(so.key_types, list)  # narrowed after a host-key-checked connect
    local_cipher, remote_cipher = rconn.active_ciphers
    assert local_cipher in so.ciphers and remote_cipher in so.ciphers


def test_remote_server_key_can_be_saved(sshd, rconn, tmp_path):
    key = rconn.remote_server_key
    assert "%s %s" % (key.get_name(), key.get_base64()) == sshd.host_public_keys["ed25519"]
    hostkeys = pysftp.HostKeys()
    hostkeys.add(sshd.host, key.get_name(), key)
    hostkeys.save(str(tmp_path / "saved"))
    with connect(sshd, cnopts=pysftp.CnOpts(knownhosts=str(tmp_path / "saved"))) as c:
        assert c.pwd == sshd.home


def test_closed_connection_raises_sshexception(sshd):
    c = connect(sshd)
    c.close()
    assert c._transport is None
    for call in (
        lambda: c.pwd,
        lambda: c.execute("true"),
        lambda: c.active_ciphers,
        lambda: c.remote_server_key,
        lambda: c.sftp_client,
        lambda: c.stat("."),
    ):
        with pytest.raises(SSHException):
            call()


# ------------------------------------------------------------- file methods


def test_get_default_localpath_and_callback(sshd, rconn, remote_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = os.urandom(100000)
    write_remote(sshd, os.path.join(remote_dir, "data.bin"), data)
    calls = []
    assert rconn.get("data.bin", callback=lambda done, total: calls.append((done, total))) is None
    assert read(tmp_path / "data.bin") == data
    assert calls[-1] == (len(data), len(data))
    assert all(total == len(data) for _, total in calls)


def test_failed_get_keeps_existing_local_file(rconn, tmp_path):
    target = tmp_path / "keep.txt"
    target.write_bytes(b"precious")
    with pytest.raises(FileNotFoundError):
        rconn.get("no-such-remote", str(target))
    assert target.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["keep.txt"]


def test_getfo_returns_byte_count(sshd, rconn, remote_dir):
    data = os.urandom(70000)
    write_remote(sshd, os.path.join(remote_dir, "f"), data)
    buf = io.BytesIO()
    calls = []
    assert rconn.getfo("f", buf, callback=lambda d, t: calls.append((d, t))) == len(data)
    assert buf.getvalue() == data
    assert calls[-1] == (len(data), len(data))


def test_putfo_small_buffer_one_callback(rconn, remote_dir):
    buf = b"hello pysftp" * 10
    calls = []
    attrs = rconn.putfo(io.BytesIO(buf), "fo.txt", callback=lambda d, t: calls.append((d, t)))
    assert calls == [(len(buf), 0)]  # pysftp's own test pins exactly this
    assert attrs.st_size == len(buf)
    assert read(os.path.join(remote_dir, "fo.txt")) == buf
    rconn.putfo(io.BytesIO(buf), "fo2.txt", file_size=len(buf), callback=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (len(buf), len(buf))


def test_put_confirm_false_returns_empty_attributes(rconn, remote_dir, tmp_path):
    src = tmp_path / "f"
    src.write_bytes(b"abc")
    attrs = rconn.put(str(src), "f", confirm=False)
    assert isinstance(attrs, pysftp.SFTPAttributes)
    assert (attrs.st_size, attrs.st_mode, attrs.st_mtime) == (None, None, None)
    assert read(os.path.join(remote_dir, "f")) == b"abc"


def test_put_atomic_replaces_in_one_step(sshd, rconn, remote_dir, tmp_path):
    write_remote(sshd, os.path.join(remote_dir, "f"), b"old contents")
    src = tmp_path / "f"
    src.write_bytes(os.urandom(300000))
    attrs = rconn.put(str(src), "f", atomic=True)
    assert attrs.st_size == 300000
    assert read(os.path.join(remote_dir, "f")) == src.read_bytes()
    assert os.listdir(remote_dir) == ["f"]  # no temp file left behind


def test_execute_returns_bytes_lines_and_ignores_cwd(sshd, rconn, remote_dir):
    rconn.chdir(remote_dir)
    assert rconn.execute("pwd") == [(sshd.home + "\n").encode()]
    assert rconn.execute("printf 'a\\nb\\n'") == [b"a\n", b"b\n"]
    assert rconn.execute("echo oops >&2") == [b"oops\n"]  # stderr when stdout is empty
    assert rconn.execute("echo out; echo err >&2") == [b"out\n"]
    assert rconn.execute("true") == []


def test_open_read_write(rconn, remote_dir):
    with rconn.open("notes.txt", "w") as f:
        f.write("line one\nline two\n")
    assert read(os.path.join(remote_dir, "notes.txt")) == b"line one\nline two\n"
    with rconn.open("notes.txt") as f:
        assert f.readline() == "line one\n"
        assert f.read() == b"line two\n"
    with rconn.open("notes.txt", "rb") as f:
        assert f.readline() == b"line one\n"


def test_stat_lstat_readlink_normalize(sshd, rconn, remote_dir):
    write_remote(sshd, os.path.join(remote_dir, "target"), b"12345", 0o640)
    os.symlink("target", os.path.join(remote_dir, "link"))
    st = rconn.stat("link")
    assert (st.st_size, stat.S_IMODE(st.st_mode), stat.S_ISREG(st.st_mode)) == (5, 0o640, True)
    assert not hasattr(st, "filename")
    assert stat.S_ISLNK(rconn.lstat("link").st_mode)
    assert rconn.readlink("link") == remote_dir + "/target"
    assert rconn.normalize(".") == remote_dir
    assert rconn.normalize("target") == remote_dir + "/target"


def test_symlink_creates_dest_pointing_at_src(sshd, rconn, remote_dir):
    # both paths inside remote_dir: a swapped argument order could not leave strays
    target = remote_dir + "/target"
    write_remote(sshd, target, b"12345")
    rconn.symlink(target, remote_dir + "/link")
    assert os.readlink(os.path.join(remote_dir, "link")) == target
    with pytest.raises(OSError):
        rconn.symlink(target, remote_dir + "/link")  # exists


def test_remove_unlink_rmdir_rename(sshd, rconn, remote_dir):
    for name in ("a", "b"):
        write_remote(sshd, os.path.join(remote_dir, name), name.encode())
    assert pysftp.Connection.unlink is pysftp.Connection.remove
    rconn.remove("a")
    rconn.unlink("b")
    assert os.listdir(remote_dir) == []
    rconn.mkdir("d")
    rconn.rename("d", "e")
    assert os.listdir(remote_dir) == ["e"]
    rconn.rmdir("e")
    assert os.listdir(remote_dir) == []


def test_listdir_attr_entries(sshd, rconn, remote_dir):
    write_remote(sshd, os.path.join(remote_dir, "b.txt"), b"bb")
    os.mkdir(os.path.join(remote_dir, "a"))
    attrs = rconn.listdir_attr()
    assert [a.filename for a in attrs] == ["a", "b.txt"]
    assert stat.S_ISDIR(attrs[0].st_mode) and attrs[1].st_size == 2
    assert all(a.longname for a in attrs)
