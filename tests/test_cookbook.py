"""pysftp 0.2.9's documentation examples (docs/index.rst + docs/cookbook.rst),
one test per example, run against the real sshd fixture with
``import ferrosftp as pysftp``.

The docs' placeholder host, user, password and paths are replaced by the
fixture's; the remote "home" of the cookbook's sample session (``pub/``,
``readme.txt``, ``readme.sym``) is built in a fresh ``remote_dir`` and used as
``default_path``.  Remote files are created and checked directly on disk too
(sshd runs on this machine), independently of the code under test.
"""

import inspect
import logging
import os
import shutil
import stat
import subprocess
import time

import pytest

import ferrosftp as pysftp
from ferrosftp import SSHException

README_SIZE = 8192
OLD_MTIME = 1_000_000_000  # 2001-09-09: clearly not "now"


# --------------------------------------------------------------- helpers


def creds(sshd):
    """The docs log in with a password: do so where the fixture has one (as
    root), else use the fixture's key for the same example."""
    if sshd.password_auth:
        return {"password": sshd.password}
    return {"private_key": sshd.keys["ed25519"]}


def bare_cnopts(sshd):
    return pysftp.CnOpts(knownhosts=sshd.known_hosts_bare_path)


def connect(sshd, **kw):
    args = dict(username=sshd.username, port=sshd.port)
    if "password" not in kw and "private_key" not in kw:
        args.update(creds(sshd))
    args.update(kw)
    if "cnopts" not in args:
        args["cnopts"] = bare_cnopts(sshd)
    return pysftp.Connection(sshd.host, **args)


def write_remote(sshd, path, data, mode=None, mtime=None):
    """Create a file on the server's disk, owned by the login user."""
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    sshd.chown_to_user(path)


def mkdir_remote(sshd, path):
    os.makedirs(path)
    sshd.chown_to_user(path)
    return path


def symlink_remote(sshd, target, path):
    os.symlink(target, path)
    if sshd.is_root:
        os.lchown(path, sshd.uid, sshd.gid)


def write_local(path, data, mtime=None):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def tree(root):
    """{relative path: bytes or None for directories} of a local tree."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = None
        for f in filenames:
            out[os.path.relpath(os.path.join(dirpath, f), root)] = read(os.path.join(dirpath, f))
    return out


@pytest.fixture
def home(sshd, remote_dir):
    """The cookbook's sample remote home: pub/, readme.txt (8192 bytes),
    readme.sym -> readme.txt."""
    mkdir_remote(sshd, os.path.join(remote_dir, "pub"))
    write_remote(sshd, os.path.join(remote_dir, "readme.txt"), os.urandom(README_SIZE), 0o644)
    symlink_remote(sshd, "readme.txt", os.path.join(remote_dir, "readme.sym"))
    return remote_dir


@pytest.fixture
def sftp(sshd, home):
    """A cookbook-style connection whose current directory is `home`."""
    with connect(sshd, default_path=home) as c:
        yield c


@pytest.fixture
def local(tmp_path, monkeypatch):
    """The local working directory of the examples."""
    work = tmp_path / "local"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


# ------------------------------------------------------------ index page


def test_ex01_quickstart_cd_put_get(sshd, home, local, tmp_path):
    public = mkdir_remote(sshd, os.path.join(home, "public"))
    remote_data = os.urandom(5000)
    write_remote(sshd, os.path.join(public, "remote_file"), remote_data)
    my_file = tmp_path / "my" / "local" / "filename"
    local_data = os.urandom(7000)
    write_local(my_file, local_data)

    with connect(sshd, default_path=home) as sftp:
        before = sftp.pwd
        with sftp.cd("public"):
            sftp.put(str(my_file))  # upload by absolute path, no remote name
            sftp.get("remote_file")  # download, no local name
        assert sftp.pwd == before

    assert read(os.path.join(public, "filename")) == local_data
    assert read(local / "remote_file") == remote_data
    with pytest.raises(SSHException):
        sftp.listdir()


# ----------------------------------------------------- Connection basics


def test_ex02_connect_work_close(sshd, home):
    sftp = connect(sshd, default_path=home)
    assert sftp.listdir() == sorted(os.listdir(home))
    transport = sftp._transport
    sftp.close()
    assert not transport.is_active()
    with pytest.raises(SSHException):
        sftp.listdir()
    sftp.close()  # a second close is harmless


def test_ex03_context_manager(sshd, home):
    conn = connect(sshd, default_path=home)
    with conn as sftp:
        assert sftp is conn
        assert sftp.exists("readme.txt")
        transport = sftp._transport
    assert not transport.is_active()
    with pytest.raises(SSHException):
        conn.listdir()

    class Boom(Exception):
        pass

    with pytest.raises(Boom, match="body failed"):
        with connect(sshd, default_path=home) as sftp:
            transport = sftp._transport
            sftp.listdir()
            raise Boom("body failed")
    assert not transport.is_active()


@pytest.mark.parametrize("key", ["rsa", "rsa_pem", "ecdsa", "ed25519"])
def test_ex04_private_key_file(sshd, home, key):
    # pysftp loaded only RSA/DSA files; every key type works here.
    with connect(sshd, private_key=sshd.keys[key], default_path=home) as sftp:
        assert sftp.listdir() == ["pub", "readme.sym", "readme.txt"]
        assert sftp._tconnect["pkey"] is not None
        assert sftp._tconnect["password"] is None


def test_ex04_private_key_path_with_tilde(sshd, home, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    shutil.copy(sshd.keys["rsa"], tmp_path / ".ssh" / "id_test")
    with connect(sshd, private_key="~/.ssh/id_test", default_path=home) as sftp:
        assert sftp.isfile("readme.txt")


def test_ex04_private_key_pass(sshd, home):
    encrypted = sshd.keys["ed25519_enc"]
    with connect(sshd, private_key=encrypted, private_key_pass=sshd.key_passphrase, default_path=home) as sftp:
        assert sftp.isdir("pub")
    with pytest.raises(pysftp.PasswordRequiredException) as missing:
        connect(sshd, private_key=encrypted)
    assert isinstance(missing.value, pysftp.AuthenticationException)
    with pytest.raises(SSHException) as wrong:
        connect(sshd, private_key=encrypted, private_key_pass="not the passphrase")
    assert not isinstance(wrong.value, pysftp.AuthenticationException)


@pytest.fixture
def ssh_agent(sshd, tmp_path, monkeypatch):
    """A private ssh-agent holding a copy of the fixture's ECDSA key; the
    copy is deleted once added, so only the agent can sign."""
    sock = str(tmp_path / "agent.sock")
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", sock], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(sock) and time.monotonic() < deadline:
            time.sleep(0.02)
        key_copy = tmp_path / "agent_key"
        shutil.copy(sshd.keys["ecdsa"], key_copy)
        os.chmod(key_copy, 0o600)
        subprocess.run(
            ["ssh-add", str(key_copy)], env=dict(os.environ, SSH_AUTH_SOCK=sock), check=True, capture_output=True
        )
        key_copy.unlink()
        monkeypatch.setenv("SSH_AUTH_SOCK", sock)
        yield sock
    finally:
        agent.kill()
        agent.wait()


def test_ex05_agent_key_and_port(sshd, home, ssh_agent):
    keys = pysftp.Agent().get_keys()
    assert len(keys) == 1 and isinstance(keys[0], pysftp.AgentKey)
    sftp = pysftp.Connection(
        "127.0.0.1",
        username=sshd.username,
        private_key=keys[0],
        port=sshd.port,
        cnopts=bare_cnopts(sshd),
        default_path=home,
    )
    with sftp:
        assert sftp.listdir() == ["pub", "readme.sym", "readme.txt"]
        assert sftp._tconnect["pkey"] is keys[0]
    assert inspect.signature(pysftp.Connection).parameters["port"].default == 22


# ------------------------------------------------------------------ CnOpts


def test_ex06_disable_hostkey_checking(sshd, home, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.ssh/known_hosts at all
    with pytest.warns(UserWarning, match="Failed to load HostKeys"):
        cnopts = pysftp.CnOpts()
    assert len(cnopts.hostkeys) == 0
    cnopts.hostkeys = None
    with pytest.warns(UserWarning, match="checking is disabled"):
        sftp = connect(sshd, cnopts=cnopts, default_path=home)
    with sftp:
        assert sftp.isfile("readme.txt")
        assert sftp._tconnect["hostkey"] is None


def test_ex06_unknown_host_rejected_before_connecting(sshd, tmp_path, monkeypatch, fault_proxy):
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.warns(UserWarning):
        cnopts = pysftp.CnOpts()
    proxy = fault_proxy()
    with pytest.raises(SSHException, match="No hostkey for host 127.0.0.1 found."):
        connect(sshd, cnopts=cnopts, port=proxy.port)
    assert proxy.connections == 0  # refused before any network traffic


def test_ex07a_custom_known_hosts_then_disabled(sshd, home, tmp_path):
    known = tmp_path / "knownhostsfile"
    known.write_text("otherhost %s\n" % sshd.host_public_keys["ed25519"])
    cnopts = pysftp.CnOpts(knownhosts=str(known))
    cnopts.hostkeys = None  # as printed in the docs
    with pytest.warns(UserWarning):
        sftp = connect(sshd, cnopts=cnopts, default_path=home)
    with sftp:
        assert sftp.exists("pub")


def test_ex07b_custom_known_hosts_checked(sshd, home, tmp_path):
    good = tmp_path / "good_known_hosts"
    good.write_text("%s %s\n" % (sshd.host, sshd.host_public_keys["ed25519"]))
    with connect(sshd, cnopts=pysftp.CnOpts(knownhosts=str(good)), default_path=home) as sftp:
        assert sftp.exists("pub")
        server_key = sftp.remote_server_key
        assert server_key.get_base64() == sshd.host_public_keys["ed25519"].split()[1]

    other = tmp_path / "other_known_hosts"
    other.write_text("otherhost %s\n" % sshd.host_public_keys["ed25519"])
    with pytest.raises(SSHException, match="No hostkey for host"):
        connect(sshd, cnopts=pysftp.CnOpts(knownhosts=str(other)))

    empty = tmp_path / "empty_known_hosts"
    empty.write_text("# nothing here\n")
    with pytest.raises(pysftp.HostKeysException, match="No Host Keys Found"):
        pysftp.CnOpts(knownhosts=str(empty))


def test_ex08_extra_known_hosts_file(sshd, home, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    with open(sshd.pub_keys["rsa"]) as f:
        unrelated = " ".join(f.read().split()[:2])
    (tmp_path / ".ssh" / "known_hosts").write_text("otherhost %s\n" % unrelated)
    extra = tmp_path / "extra_knownhosts"
    extra.write_text("%s %s\n" % (sshd.host, sshd.host_public_keys["ed25519"]))

    cnopts = pysftp.CnOpts()
    assert len(cnopts.hostkeys) == 1
    cnopts.hostkeys.load(str(extra))
    assert len(cnopts.hostkeys) == 2
    assert "otherhost" in cnopts.hostkeys and sshd.host in cnopts.hostkeys
    with connect(sshd, cnopts=cnopts, default_path=home) as sftp:
        assert sftp.isdir("pub")


def test_ex08_tilde_in_known_hosts_paths(sshd, home, tmp_path, monkeypatch):
    # The docs promise ~ expansion (pysftp's code forgot it): honoured here.
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(sshd.known_hosts_bare_path, tmp_path / "bare_known_hosts")
    (tmp_path / "other").write_text("otherhost %s\n" % sshd.host_public_keys["rsa"])
    cnopts = pysftp.CnOpts(knownhosts="~/other")
    cnopts.hostkeys.load("~/bare_known_hosts")
    assert len(cnopts.hostkeys) == 2
    with connect(sshd, cnopts=cnopts, default_path=home) as sftp:
        assert sftp.isfile("readme.txt")


def test_ex08_log_option(sshd, home, tmp_path, monkeypatch):
    paramiko_logger = logging.getLogger("paramiko")
    monkeypatch.setattr(paramiko_logger, "handlers", [])  # log_to_file adds only if none

    cnopts = bare_cnopts(sshd)
    cnopts.log = True
    sftp = connect(sshd, cnopts=cnopts, default_path=home)
    logfile = sftp.logfile
    sftp.listdir()
    sftp.close()
    assert os.path.basename(logfile).startswith("ssh-") and logfile.endswith(".txt")
    assert "Connected (version 2.0" in read(logfile).decode()
    assert not any(getattr(h, "_ferrosftp_log_to_file", False) for h in paramiko_logger.handlers)
    os.unlink(logfile)

    cnopts = bare_cnopts(sshd)
    cnopts.log = str(tmp_path / "my.log")
    with connect(sshd, cnopts=cnopts) as sftp:
        assert sftp.logfile == str(tmp_path / "my.log")
    assert "Authentication" in read(tmp_path / "my.log").decode()

    with connect(sshd) as sftp:
        assert sftp.logfile is False


def test_ex08_compression_option(sshd, home):
    with connect(sshd) as sftp:
        assert sftp.active_compression == ("none", "none")
    cnopts = bare_cnopts(sshd)
    cnopts.compression = True
    with connect(sshd, cnopts=cnopts, default_path=home) as sftp:
        assert sftp.active_compression != ("none", "none")
        assert sftp.listdir() == ["pub", "readme.sym", "readme.txt"]


def test_ex08_ciphers_option(sshd):
    cnopts = bare_cnopts(sshd)
    cnopts.ciphers = ("aes256-ctr", "aes128-ctr")
    with connect(sshd, cnopts=cnopts) as sftp:
        local_cipher, remote_cipher = sftp.active_ciphers
        assert local_cipher in cnopts.ciphers and remote_cipher in cnopts.ciphers
    cnopts = bare_cnopts(sshd)
    cnopts.ciphers = ("aes256-ctr", "no-such-cipher")
    with pytest.raises(ValueError, match="unknown cipher"):
        connect(sshd, cnopts=cnopts)


def test_ex08_deprecated_log_and_ciphers_params(sshd, tmp_path, monkeypatch):
    monkeypatch.setattr(logging.getLogger("paramiko"), "handlers", [])
    log_path = str(tmp_path / "deprecated.log")
    with pytest.warns(DeprecationWarning, match="log parameter is deprecated"):
        sftp = connect(sshd, log=log_path)
    with sftp:
        assert sftp.logfile == log_path
    with pytest.warns(DeprecationWarning, match="ciphers parameter is deprecated"):
        sftp = connect(sshd, ciphers=("aes128-ctr",))
    with sftp:
        assert sftp.active_ciphers == ("aes128-ctr", "aes128-ctr")


def test_ex09_parameters_from_dict(sshd, home):
    params = {
        "host": sshd.host,
        "username": sshd.username,
        "port": sshd.port,
        "private_key": None,
        "private_key_pass": None,
        "cnopts": bare_cnopts(sshd),
        "default_path": home,
    }
    params.update(creds(sshd))
    with pysftp.Connection(**params) as sftp:
        assert sftp.getcwd() == home
        assert sftp._transport.getpeername()[1] == sshd.port
    with pytest.raises(TypeError):
        pysftp.Connection(**dict(params, hostname=sshd.host))


# -------------------------------------------------------------- transfers


def test_ex10_get_preserve_mtime(sshd, sftp, home, local):
    data = os.urandom(20000)
    write_remote(sshd, os.path.join(home, "myfile"), data, mtime=OLD_MTIME)
    assert sftp.get("myfile", preserve_mtime=True) is None
    assert read(local / "myfile") == data
    assert os.stat(local / "myfile").st_mtime == sftp.stat("myfile").st_mtime == OLD_MTIME

    with pytest.raises(FileNotFoundError):
        sftp.get("not-there", preserve_mtime=True)
    with pytest.raises(IOError):
        sftp.get("not-there")  # pysftp would leave an empty file: we don't
    assert sorted(os.listdir(local)) == ["myfile"]


def test_ex11_get_d(sshd, sftp, home, local):
    public = mkdir_remote(sshd, os.path.join(home, "public"))
    files = {"a.txt": os.urandom(300), "b.bin": os.urandom(70000), "c": b""}
    for i, (name, data) in enumerate(sorted(files.items())):
        write_remote(sshd, os.path.join(public, name), data, mtime=OLD_MTIME + i)
    mkdir_remote(sshd, os.path.join(public, "sub"))
    write_remote(sshd, os.path.join(public, "sub", "nested.txt"), b"not copied")
    symlink_remote(sshd, "a.txt", os.path.join(public, "link"))
    os.mkdir("local-backup")
    before = sftp.pwd

    sftp.get_d("public", "local-backup", preserve_mtime=True)

    assert sorted(os.listdir("local-backup")) == sorted(files)
    for i, (name, data) in enumerate(sorted(files.items())):
        assert read(os.path.join("local-backup", name)) == data
        assert os.stat(os.path.join("local-backup", name)).st_mtime == OLD_MTIME + i
    assert sftp.pwd == before
    with pytest.raises(FileNotFoundError):
        sftp.get_d("public", "no-such-local-dir")


def test_ex12_get_r(sshd, sftp, home, local):
    public = mkdir_remote(sshd, os.path.join(home, "public"))
    layout = {"a.txt": os.urandom(100), "sub/b.txt": os.urandom(5000), "sub/deeper/c.bin": os.urandom(100000)}
    for rel, data in layout.items():
        os.makedirs(os.path.dirname(os.path.join(public, rel)), exist_ok=True)
        write_remote(sshd, os.path.join(public, rel), data, mtime=OLD_MTIME)
    mkdir_remote(sshd, os.path.join(public, "empty"))
    for d in ("sub", "sub/deeper"):
        sshd.chown_to_user(os.path.join(public, d))
    os.mkdir("local-backup")

    sftp.get_r("public", "local-backup", preserve_mtime=True)

    expected = dict(layout, sub=None, **{"sub/deeper": None, "empty": None})
    assert tree(os.path.join("local-backup", "public")) == expected
    for rel in layout:
        assert os.stat(os.path.join("local-backup", "public", rel)).st_mtime == OLD_MTIME

    os.mkdir("flat")
    sftp.chdir("public")
    sftp.get_r(".", "flat")
    assert tree("flat") == expected


def test_ex13_put_preserve_mtime(sshd, sftp, home, local):
    data = os.urandom(100000)
    write_local(local / "myfile", data, mtime=OLD_MTIME)
    calls = []
    attrs = sftp.put("myfile", preserve_mtime=True, callback=lambda done, total: calls.append((done, total)))
    assert read(os.path.join(home, "myfile")) == data
    assert attrs.st_size == os.path.getsize("myfile") == len(data)
    assert attrs.st_mtime == int(os.stat("myfile").st_mtime) == OLD_MTIME
    assert os.stat(os.path.join(home, "myfile")).st_mtime == OLD_MTIME
    assert calls[-1] == (len(data), len(data))

    listing = sorted(os.listdir(home))
    with pytest.raises(FileNotFoundError):
        sftp.put("missing-local-file", preserve_mtime=True)
    with pytest.raises(FileNotFoundError):
        sftp.put("missing-local-file")
    assert sorted(os.listdir(home)) == listing
    with pytest.raises(FileNotFoundError):
        sftp.put("myfile", "no-such-dir/myfile")


def test_ex14_put_d(sshd, sftp, home, local):
    images = {"one.png": os.urandom(1000), "two.png": os.urandom(30000), "three.gif": b""}
    for name, data in images.items():
        write_local(local / "images" / name, data, mtime=OLD_MTIME)
    write_local(local / "images" / "thumbs" / "small.png", b"ignored")
    target = mkdir_remote(sshd, os.path.join(home, "static", "images"))
    sshd.chown_to_user(os.path.join(home, "static"))
    cwd = os.getcwd()

    sftp.put_d("images", "static/images", preserve_mtime=True)

    assert os.getcwd() == cwd
    assert sorted(os.listdir(target)) == sorted(images)
    for name, data in images.items():
        assert read(os.path.join(target, name)) == data
        assert os.stat(os.path.join(target, name)).st_mtime == OLD_MTIME
    with pytest.raises(FileNotFoundError):
        sftp.put_d("images", "static/missing")
    assert not os.path.exists(os.path.join(home, "static", "missing"))
    with pytest.raises(OSError):
        sftp.put_d("no-such-local-dir", "static/images")
    assert os.getcwd() == cwd


def test_ex15_put_r_tolerates_existing_dirs(sshd, sftp, home, local):
    layout = {
        "index.html": b"<html/>",
        "css/site.css": os.urandom(2000),
        "js/lib/a.js": os.urandom(9000),
        "js/app.js": os.urandom(100),
    }
    for rel, data in layout.items():
        write_local(local / "static" / rel, data, mtime=OLD_MTIME)
    (local / "static" / "empty").mkdir()
    mkdir_remote(sshd, os.path.join(home, "static"))

    sftp.put_r("static", "static", preserve_mtime=True)
    sftp.put_r("static", "static", preserve_mtime=True)  # "happily succeeds" again

    local_cb = pysftp.WTCallbacks()
    pysftp.walktree("static", local_cb.file_cb, local_cb.dir_cb, local_cb.unk_cb)
    remote_cb = pysftp.WTCallbacks()
    with sftp.cd("static"):
        sftp.walktree(".", remote_cb.file_cb, remote_cb.dir_cb, remote_cb.unk_cb)
    assert [p[len("static/") :] for p in local_cb.flist] == [p[2:] for p in remote_cb.flist]
    assert [p[len("static/") :] for p in local_cb.dlist] == [p[2:] for p in remote_cb.dlist]
    for rel, data in layout.items():
        assert read(os.path.join(home, "static", rel)) == data
        assert os.stat(os.path.join(home, "static", rel)).st_mtime == OLD_MTIME
    with pytest.raises(FileNotFoundError):
        sftp.put_r("static", "no-such-remote-dir")


# ---------------------------------------------------- directories, paths


def test_ex16_cd_with_target(sshd, sftp, home):
    mkdir_remote(sshd, os.path.join(home, "static", "here", "there"))
    for d in ("static", "static/here"):
        sshd.chown_to_user(os.path.join(home, d))
    before = sftp.pwd
    with sftp.cd("static"):
        assert sftp.pwd == home + "/static"
        sftp.chdir("here")
        assert sftp.pwd == home + "/static/here"
        sftp.chdir("there")
        assert sftp.pwd == home + "/static/here/there"
    assert sftp.pwd == before

    with pytest.raises(FileNotFoundError):
        with sftp.cd("not-there"):
            pass
    assert sftp.pwd == before

    with sftp.cd("static"):
        with sftp.cd("here"):
            assert sftp.pwd.endswith("/static/here")
        assert sftp.pwd.endswith("/static")
    assert sftp.pwd == before


def test_ex17_cd_as_bookmark(sshd, home):
    mkdir_remote(sshd, os.path.join(home, "static", "here"))
    sshd.chown_to_user(os.path.join(home, "static"))
    with connect(sshd) as sftp:
        start = sftp.pwd
        assert sftp.getcwd() is None
        with sftp.cd():
            sftp.chdir(home + "/static")
            sftp.chdir("here")
            assert sftp.pwd == home + "/static/here"
        assert sftp.pwd == start
        assert sftp.getcwd() == start  # no longer None after a cd block


def test_ex18_chmod_decimal_looking_mode(sftp, home):
    readme = os.path.join(home, "readme.txt")
    os.chmod(readme, 0o600)
    sftp.chmod("readme.txt", 644)
    assert stat.S_IMODE(os.stat(readme).st_mode) == 0o644
    assert pysftp.st_mode_to_int(sftp.stat("readme.txt").st_mode) == 644
    sftp.chmod("readme.txt", 0o644)  # 420: read as the digits "420"
    assert stat.S_IMODE(os.stat(readme).st_mode) == 0o420
    with pytest.raises(ValueError):
        sftp.chmod("readme.txt", 648)
    with pytest.raises(FileNotFoundError):
        sftp.chmod("not-there", 644)


def test_ex19_st_mode_to_int(sftp, home):
    os.chmod(os.path.join(home, "readme.txt"), 0o644)
    mode = sftp.stat("readme.txt").st_mode
    assert mode == 33188
    assert pysftp.st_mode_to_int(mode) == 644
    sftp.chmod("pub", 755)
    assert sftp.stat("pub").st_mode == 0o40755
    assert pysftp.st_mode_to_int(sftp.stat("pub").st_mode) == 755
    assert pysftp.st_mode_to_int(0o104755) == 755


def test_ex20_chown_one_id(sshd, sftp, home):
    readme = os.path.join(home, "readme.txt")
    before = os.stat(readme)
    sftp.chown("readme.txt", uid=before.st_uid)
    sftp.chown("readme.txt", gid=before.st_gid)
    sftp.chown("readme.txt")
    sftp.chown("not-there")  # no ids: returns without asking the server
    after = os.stat(readme)
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid) == (sshd.uid, sshd.gid)
    with pytest.raises(FileNotFoundError):
        sftp.chown("not-there", uid=sshd.uid)
    with pytest.raises(PermissionError):
        sftp.chown("readme.txt", uid=0)  # the login user is not root
    assert os.stat(readme).st_uid == sshd.uid


def test_ex21_cwd_is_chdir(sftp, home):
    assert pysftp.Connection.cwd is pysftp.Connection.chdir
    sftp.cwd("pub")
    assert sftp.pwd == home + "/pub"
    assert sftp.getcwd() == sftp.pwd
    with pytest.raises(FileNotFoundError):
        sftp.cwd("not-there")
    with pytest.raises(FileNotFoundError):
        sftp.chdir("not-there")
    assert sftp.getcwd() == home + "/pub"


def test_ex22_getcwd_versus_pwd(sshd, home):
    with connect(sshd) as sftp:
        assert sftp.getcwd() is None
        assert sftp.pwd == sshd.home
    with connect(sshd, default_path=home) as sftp:
        assert sftp.getcwd() == sftp.normalize(home) == home


def test_ex23_listdir_sorted(sshd, sftp, home):
    assert sftp.listdir() == ["pub", "readme.sym", "readme.txt"]
    for name in ("zeta", "Alpha", "mid", "beta"):
        write_remote(sshd, os.path.join(home, "pub", name), b"")
    assert sftp.listdir("pub") == ["Alpha", "beta", "mid", "zeta"]
    with pytest.raises(FileNotFoundError):
        sftp.listdir("not-there")


def test_ex24_listdir_attr_sorted_and_printable(sshd, sftp, home):
    os.chmod(os.path.join(home, "readme.txt"), 0o444)
    attrs = sftp.listdir_attr()
    assert [a.filename for a in attrs] == ["pub", "readme.sym", "readme.txt"]
    for attr in attrs:
        assert isinstance(attr.longname, str) and attr.longname.endswith(attr.filename)
    kinds = [str(a)[0] for a in attrs]
    assert kinds == ["d", "l", "-"]
    line = str(attrs[2])
    assert line.startswith("-r--r--r--   1 %-8d %-8d %8d " % (sshd.uid, sshd.gid, README_SIZE))
    assert line.endswith(" readme.txt")


def test_ex25_makedirs(sshd, sftp, home):
    sftp.makedirs("pub/show/off")
    for rel in ("pub", "pub/show", "pub/show/off"):
        assert os.path.isdir(os.path.join(home, rel))
    sftp.makedirs("pub/show/off")  # already there: no-op
    sftp.makedirs("pub/show/off/more")
    assert os.path.isdir(os.path.join(home, "pub/show/off/more"))
    with pytest.raises(OSError, match="a file with the same name as the remotedir"):
        sftp.makedirs("readme.txt")
    sftp.makedirs("m1/m2", mode=711)
    for rel in ("m1", "m1/m2"):
        assert stat.S_IMODE(os.stat(os.path.join(home, rel)).st_mode) == 0o711


def test_ex26_mkdir_with_mode(sftp, home):
    sftp.mkdir("show", mode=644)
    assert os.path.isdir(os.path.join(home, "show"))
    assert stat.S_IMODE(os.stat(os.path.join(home, "show")).st_mode) == 0o644
    with pytest.raises(OSError):
        sftp.mkdir("show", mode=644)
    with pytest.raises(FileNotFoundError):
        sftp.mkdir("missing/child")


def test_ex27_isdir(sshd, sftp, home):
    symlink_remote(sshd, "pub", os.path.join(home, "publink"))
    assert sftp.isdir("pub") is True
    assert sftp.isdir("publink") is True
    assert sftp.isdir("readme.txt") is False
    assert sftp.isdir("not-there") is False


def test_ex28_isfile(sftp):
    assert sftp.isfile("pub") is False
    assert sftp.isfile("readme.txt") is True
    assert sftp.isfile("readme.sym") is True
    assert sftp.isfile("not-there") is False


def test_ex29_readlink_absolute(sftp, home):
    assert sftp.readlink("readme.sym") == home + "/readme.txt"
    with pytest.raises(OSError):
        sftp.readlink("readme.txt")


def test_ex30_exists(sshd, sftp, home):
    symlink_remote(sshd, "gone", os.path.join(home, "dangling"))
    assert sftp.exists("readme.txt") is True
    assert sftp.exists("pub") is True
    assert sftp.exists("not-there") is False
    assert sftp.exists("dangling") is False


def test_ex31_lexists(sshd, sftp, home):
    write_remote(sshd, os.path.join(home, "target"), b"x")
    symlink_remote(sshd, "target", os.path.join(home, "broken"))
    os.unlink(os.path.join(home, "target"))
    assert sftp.lexists("broken") is True
    assert sftp.exists("broken") is False
    assert sftp.lexists("not-there") is False


def test_ex32_truncate_returns_new_size(sftp, home):
    readme = os.path.join(home, "readme.txt")
    original = read(readme)
    assert sftp.truncate("readme.txt", 4096) == 4096
    assert sftp.stat("readme.txt").st_size == 4096
    assert read(readme) == original[:4096]
    assert sftp.truncate("readme.txt", 10000) == 10000
    assert read(readme) == original[:4096] + b"\0" * (10000 - 4096)
    assert sftp.truncate("readme.txt", 10000) == 10000
    with pytest.raises(FileNotFoundError):
        sftp.truncate("not-there", 1)


def test_ex33_remote_walktree(sshd, sftp, home):
    write_remote(sshd, os.path.join(home, "pub", "f.txt"), b"f")
    mkdir_remote(sshd, os.path.join(home, "pub", "sub"))
    os.mkfifo(os.path.join(home, "fifo"))
    sshd.chown_to_user(os.path.join(home, "fifo"))

    calls = []
    wtcb = pysftp.WTCallbacks()
    sftp.walktree(
        ".",
        lambda p: (calls.append(p), wtcb.file_cb(p)),
        lambda p: (calls.append(p), wtcb.dir_cb(p)),
        lambda p: (calls.append(p), wtcb.unk_cb(p)),
    )
    assert calls == ["./fifo", "./pub", "./pub/f.txt", "./pub/sub", "./readme.sym", "./readme.txt"]
    assert wtcb.dlist == ["./pub", "./pub/sub"]
    assert wtcb.flist == ["./pub/f.txt", "./readme.sym", "./readme.txt"]
    assert wtcb.ulist == ["./fifo"]

    flat = pysftp.WTCallbacks()
    sftp.walktree(".", flat.file_cb, flat.dir_cb, flat.unk_cb, recurse=False)
    assert flat.dlist == ["./pub"]
    assert flat.flist == ["./readme.sym", "./readme.txt"]


def test_ex34_sftp_client(sftp):
    client = sftp.sftp_client
    assert isinstance(client, pysftp.SFTPClient)
    for name in ("normalize", "readlink", "listdir", "posix_rename", "listdir_iter", "utime"):
        assert callable(getattr(client, name))
    assert sorted(client.listdir()) == sftp.listdir()
    assert client is sftp.sftp_client


# --------------------------------------------------------- module helpers


def test_ex35_path_advance():
    assert list(pysftp.path_advance("./pub/example/example01")) == [
        ".",
        "./pub",
        "./pub/example",
        "./pub/example/example01",
    ]
    assert list(pysftp.path_advance("foo/bar/baz")) == ["foo", "foo/bar", "foo/bar/baz"]
    assert list(pysftp.path_advance("/foo/bar/baz")) == ["/foo", "/foo/bar", "/foo/bar/baz"]


def test_ex36_path_retreat():
    assert list(pysftp.path_retreat("./pub/example/example01")) == [
        "./pub/example/example01",
        "./pub/example",
        "./pub",
        ".",
    ]
    assert list(pysftp.path_retreat("foo/bar/baz")) == ["foo/bar/baz", "foo/bar", "foo"]
    assert list(pysftp.path_retreat("/foo/bar/baz")) == ["/foo/bar/baz", "/foo/bar", "/foo"]


def test_ex37_reparent():
    assert pysftp.reparent("backup", "/home/test/pub") == "backup/./home/test/pub"
    assert pysftp.reparent("/srv/fuzzy", "./pub/example") == "/srv/fuzzy/./pub/example"
    assert pysftp.reparent("/srv/fuzzy/", ".") == "/srv/fuzzy/."


def test_ex38_local_walktree(tmp_path):
    root = tmp_path / "tree"
    write_local(root / "a.txt", b"a")
    write_local(root / "sub" / "b.txt", b"b")
    write_local(root / "sub" / "deeper" / "c.txt", b"c")
    os.mkfifo(root / "pipe")
    wtcb = pysftp.WTCallbacks()
    pysftp.walktree(str(root), wtcb.file_cb, wtcb.dir_cb, wtcb.unk_cb)
    j = lambda *parts: os.path.join(str(root), *parts)  # noqa: E731
    assert wtcb.flist == [j("a.txt"), j("sub", "b.txt"), j("sub", "deeper", "c.txt")]
    assert wtcb.dlist == [j("sub"), j("sub", "deeper")]
    assert wtcb.ulist == [j("pipe")]
    flat = pysftp.WTCallbacks()
    pysftp.walktree(str(root), flat.file_cb, flat.dir_cb, flat.unk_cb, recurse=False)
    assert flat.flist == [j("a.txt")] and flat.dlist == [j("sub")]
    with pytest.raises(OSError):
        pysftp.walktree(str(tmp_path / "missing"), flat.file_cb, flat.dir_cb, flat.unk_cb)


def test_ex39_local_cd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    original = os.getcwd()
    with pysftp.cd("docs"):
        assert os.getcwd() == os.path.join(original, "docs")
    assert os.getcwd() == original
    with pytest.raises(KeyError):
        with pysftp.cd("docs"):
            raise KeyError("body")
    assert os.getcwd() == original
    with pytest.raises(OSError):
        with pysftp.cd("not-there"):
            pass
    assert os.getcwd() == original
    with pysftp.cd():
        os.chdir("docs")
    assert os.getcwd() == original
