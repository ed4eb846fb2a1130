"""Reliability plan, section B: bad input (TB1-TB34).

Connecting and authenticating (TB1-TB10), host keys (TB11-TB20), paths and
files (TB21-TB34).  Host-key tests run against a DEBUG3 sshd so they can also
show that nothing reached authentication.
"""

import errno
import os
import shutil
import socket
import stat
import subprocess
import time
import warnings

import pytest

import ferrosftp
from ferrosftp import (
    AuthenticationException,
    AutoAddPolicy,
    BadHostKeyException,
    NoValidConnectionsError,
    PasswordRequiredException,
    PKey,
    SFTPError,
    SSHClient,
    SSHException,
    WarningPolicy,
)
from ferrosftp.hostkeys import InvalidHostKey

from relutil import (
    MiB,
    Background,
    connect,
    free_port,
    timed,
    userauth_requests,
    within,
    write_random,
)

pytestmark = pytest.mark.timeout(120)


def _keygen(path, ktype="ed25519", passphrase=""):
    subprocess.run(
        ["ssh-keygen", "-q", "-t", ktype, "-N", passphrase, "-C", "other", "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    with open(str(path) + ".pub") as f:
        return " ".join(f.read().split()[:2])


def _private_b64_lines(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("-----")]


# ====================================================== connecting, auth
def test_TB01_unresolvable_host_raises_gaierror(sshd, monkeypatch):
    asked = []

    def fake_getaddrinfo(host, *a, **kw):
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    with pytest.raises(socket.gaierror):
        c.connect(
            "no-such-host.invalid",
            port=sshd.port,
            username=sshd.username,
            key_filename=sshd.keys["ed25519"],
            look_for_keys=False,
            allow_agent=False,
        )
    assert asked == ["no-such-host.invalid"]


def test_TB02_refused_port(sshd):
    port = free_port()
    exc, res, took = timed(connect, sshd, port=port)
    assert isinstance(exc, NoValidConnectionsError) and isinstance(exc, OSError)
    assert "Unable to connect to port %d on 127.0.0.1" % port in str(exc)
    assert took < 1.0


class _FullListener:
    """A listening socket whose accept queue is full: further SYNs are dropped."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.fillers = []
        for _ in range(8):
            s = socket.socket()
            s.settimeout(0.3)
            try:
                s.connect(("127.0.0.1", self.port))
            except OSError:
                pass
            self.fillers.append(s)

    def close(self):
        for s in self.fillers + [self.sock]:
            s.close()


def test_TB03_connect_timeout(sshd):
    lst = _FullListener()
    try:
        exc, res, took = timed(connect, sshd, port=lst.port, timeout=3)
        assert isinstance(exc, socket.timeout), repr(exc)
        assert 2.5 <= took <= 3.5
    finally:
        lst.close()


def test_TB03_connect_without_timeout_hits_default(sshd, monkeypatch):
    monkeypatch.setattr(ferrosftp, "DEFAULT_TIMEOUT", 3, raising=False)
    lst = _FullListener()
    try:
        job = Background(connect, sshd, port=lst.port, timeout=None)
        assert job.join(within(3)), "connect still blocked after %.0f s" % job.elapsed
        assert isinstance(job.exc, socket.timeout)
    finally:
        lst.close()  # the next SYN retry gets a RST: the thread ends


def _needs_password(sshd):
    if not sshd.password_auth:
        pytest.skip(
            "password login needs the suite to run as root (an unprivileged sshd "
            "cannot check passwords); CI runs as root"
        )


def test_TB04_wrong_password(sshd):
    _needs_password(sshd)
    before = len(sshd.read_log())
    exc, res, took = timed(connect, sshd, key_filename=None, password="wrong-" + sshd.password)
    assert isinstance(exc, AuthenticationException), repr(exc)
    assert str(exc) == "Authentication failed."
    assert took < 2.0
    time.sleep(0.2)
    log = sshd.read_log()[before:]
    assert "Failed password for %s" % sshd.username in log
    assert "Accepted password" not in log


def test_TB05_wrong_key(sshd, tmp_path):
    _keygen(tmp_path / "id_other")
    exc, res, took = timed(connect, sshd, key_filename=str(tmp_path / "id_other"))
    assert isinstance(exc, AuthenticationException), repr(exc)


def test_TB06_encrypted_key_without_passphrase(debug_sshd):
    with pytest.raises(PasswordRequiredException):
        PKey.from_private_key_file(debug_sshd.keys["ed25519_enc"])
    offset = debug_sshd.log_size()
    exc, res, took = timed(connect, debug_sshd, key_filename=debug_sshd.keys["ed25519_enc"])
    assert isinstance(exc, PasswordRequiredException), repr(exc)
    assert "encrypted" in str(exc).lower()
    time.sleep(0.2)
    assert userauth_requests(debug_sshd.log_since(offset)) == []


def test_TB07_encrypted_key_wrong_passphrase(sshd):
    with pytest.raises(SSHException) as e:
        PKey.from_private_key_file(sshd.keys["ed25519_enc"], "wrong-passphrase")
    assert not isinstance(e.value, AuthenticationException)
    exc, res, took = timed(connect, sshd, key_filename=sshd.keys["ed25519_enc"], passphrase="wrong-passphrase")
    assert isinstance(exc, SSHException) and not isinstance(exc, AuthenticationException), repr(exc)


def test_TB08_encrypted_key_right_passphrase(sshd):
    c = connect(sshd, key_filename=sshd.keys["ed25519_enc"], passphrase=sshd.key_passphrase)
    try:
        assert c.get_transport().is_authenticated()
    finally:
        c.close()


def test_TB09_key_file_mode_0644_accepted_with_one_warning(sshd, tmp_path):
    key = tmp_path / "id_world_readable"
    shutil.copyfile(sshd.keys["ed25519"], key)
    os.chmod(key, 0o644)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = connect(sshd, key_filename=str(key))
    try:
        assert c.get_transport().is_authenticated()
    finally:
        c.close()
    mine = [w for w in caught if str(key) in str(w.message)]
    assert len(mine) == 1, [str(w.message) for w in caught]
    text = str(mine[0].message)
    for line in _private_b64_lines(key):
        assert line not in text
    # a 0600 key loads without a warning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        PKey.from_private_key_file(sshd.keys["ed25519"])
    assert [w for w in caught if "accessible" in str(w.message)] == []


def test_TB10_missing_or_unreadable_key_file(sshd, tmp_path):
    missing = str(tmp_path / "no_such_key")
    with pytest.raises(FileNotFoundError):
        PKey.from_private_key_file(missing)
    exc, res, took = timed(connect, sshd, key_filename=missing)
    assert isinstance(exc, FileNotFoundError), repr(exc)

    unreadable = tmp_path / "unreadable_key"
    shutil.copyfile(sshd.keys["ed25519"], unreadable)
    os.chmod(unreadable, 0)
    euid = os.geteuid()
    if euid == 0:
        os.seteuid(sshd.uid)  # root reads any file: act as the unprivileged user
    try:
        with pytest.raises(PermissionError):
            PKey.from_private_key_file(str(unreadable))
        with pytest.raises(PermissionError):
            PKey.from_path(str(unreadable))
    finally:
        if euid == 0:
            os.seteuid(0)


# ============================================================= host keys
def _ed25519_only_known_hosts(srv, path, lines):
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    return str(path)


def _strict_connect(srv, known_hosts, **kw):
    """Connect with the default policy (RejectPolicy) and `known_hosts`."""
    c = SSHClient()
    if known_hosts is not None:
        c.load_host_keys(known_hosts)
    args = dict(
        port=srv.port,
        username=srv.username,
        key_filename=srv.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    args.update(kw)
    try:
        c.connect(srv.host, **args)
    except BaseException:
        c.close()
        raise
    return c


def _name(srv):
    return "[%s]:%d" % (srv.host, srv.port)


def _refused_before_auth(srv, known_hosts, exc_type):
    offset = srv.log_size()
    exc, res, took = timed(_strict_connect, srv, known_hosts)
    if res is not None:
        res.close()
    assert isinstance(exc, exc_type), repr(exc)
    time.sleep(0.2)
    assert userauth_requests(srv.log_since(offset)) == [], "credentials reached an unverified host"
    return exc


def test_TB11_unknown_host_default_policy(debug_sshd):
    exc = _refused_before_auth(debug_sshd, None, SSHException)
    assert not isinstance(exc, BadHostKeyException)
    assert str(exc) == "Server '%s' not found in known_hosts" % _name(debug_sshd)


def test_TB12_changed_host_key(debug_sshd, tmp_path):
    other = _keygen(tmp_path / "other_host_key")
    kh = _ed25519_only_known_hosts(debug_sshd, tmp_path / "kh", ["%s %s" % (_name(debug_sshd), other)])
    exc = _refused_before_auth(debug_sshd, kh, BadHostKeyException)
    server_key = debug_sshd.host_public_keys["ed25519"]
    assert exc.hostname == debug_sshd.host
    assert exc.key.get_base64() == server_key.split()[1]
    assert exc.expected_key.get_base64() == other.split()[1]
    assert str(exc) == "Host key for server '%s' does not match: got '%s', expected '%s'" % (
        debug_sshd.host,
        server_key.split()[1],
        other.split()[1],
    )


@pytest.mark.parametrize("policy", ["auto", "warning"])
def test_TB13_autoadd_and_warning_policies(sshd, tmp_path, policy):
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy() if policy == "auto" else WarningPolicy())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c.connect(
            sshd.host,
            port=sshd.port,
            username=sshd.username,
            key_filename=sshd.keys["ed25519"],
            look_for_keys=False,
            allow_agent=False,
            timeout=10,
        )
    try:
        key = c.get_transport().get_remote_server_key()
        user_warnings = [w for w in caught if issubclass(w.category, UserWarning)]
        if policy == "auto":
            hk = c.get_host_keys()
            assert hk.lookup(_name(sshd))[key.get_name()] == key
            assert user_warnings == []
            saved = tmp_path / "saved_known_hosts"
            c.save_host_keys(str(saved))
            # OpenSSH's own client accepts the saved file with strict checking
            p = sshd.ssh_run(
                "echo ok", options=["UserKnownHostsFile=%s" % saved, "HostKeyAlgorithms=%s" % key.get_name()]
            )
            assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr
        else:
            assert len(user_warnings) == 1
    finally:
        c.close()


def test_TB14_hashed_known_hosts_entry(debug_sshd, tmp_path):
    kh = _ed25519_only_known_hosts(
        debug_sshd, tmp_path / "kh", ["%s %s" % (_name(debug_sshd), debug_sshd.host_public_keys["ed25519"])]
    )
    subprocess.run(
        ["ssh-keygen", "-q", "-H", "-f", kh],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert open(kh).read().startswith("|1|")
    c = _strict_connect(debug_sshd, kh)
    c.close()


def test_TB15_bare_host_entry_does_not_cover_other_port(debug_sshd, tmp_path):
    kh = _ed25519_only_known_hosts(
        debug_sshd, tmp_path / "kh", ["%s %s" % (debug_sshd.host, debug_sshd.host_public_keys["ed25519"])]
    )
    exc = _refused_before_auth(debug_sshd, kh, SSHException)
    assert not isinstance(exc, BadHostKeyException)
    assert "not found in known_hosts" in str(exc)


def test_TB16_port_entry_with_other_key_wins_over_bare_match(debug_sshd, tmp_path):
    other = _keygen(tmp_path / "other_host_key")
    kh = _ed25519_only_known_hosts(
        debug_sshd,
        tmp_path / "kh",
        ["%s %s" % (_name(debug_sshd), other), "%s %s" % (debug_sshd.host, debug_sshd.host_public_keys["ed25519"])],
    )
    _refused_before_auth(debug_sshd, kh, BadHostKeyException)


def test_TB17_cert_authority_line_is_tolerated(debug_sshd, tmp_path):
    ca = _keygen(tmp_path / "ca")
    kh = _ed25519_only_known_hosts(
        debug_sshd,
        tmp_path / "kh",
        [
            "@cert-authority %s %s" % (_name(debug_sshd), ca),
            "@cert-authority * %s" % ca,
            "%s %s" % (_name(debug_sshd), debug_sshd.host_public_keys["ed25519"]),
        ],
    )
    c = _strict_connect(debug_sshd, kh)
    c.close()


def test_TB18_revoked_key_is_refused(debug_sshd, tmp_path):
    key = debug_sshd.host_public_keys["ed25519"]
    kh = _ed25519_only_known_hosts(
        debug_sshd, tmp_path / "kh", ["@revoked * %s" % key, "%s %s" % (_name(debug_sshd), key)]
    )
    _refused_before_auth(debug_sshd, kh, SSHException)


def test_TB19_malformed_lines_are_skipped(debug_sshd, tmp_path):
    name = _name(debug_sshd)
    key = debug_sshd.host_public_keys["ed25519"]
    kh = _ed25519_only_known_hosts(
        debug_sshd,
        tmp_path / "kh",
        [
            "garbage",
            "%s ssh-ed25519" % name,  # too few fields
            "%s ssh-ed25519 AAAA" % name,  # truncated key blob
            "%s ssh-unknown-type AAAAB3NzaC1yc2E=" % name,  # unknown key type
            "@bogus-marker %s %s" % (name, key),  # unknown marker
            "%s %s" % (name, key),
        ],
    )
    c = _strict_connect(debug_sshd, kh)
    c.close()
    # Documented deviation (paramiko-compatible): a key field that is not
    # base64 at all makes load() raise InvalidHostKey -- loudly, never by
    # letting a host in.
    bad = _ed25519_only_known_hosts(debug_sshd, tmp_path / "kh_bad", ["this is not-base64", "%s %s" % (name, key)])
    with pytest.raises(InvalidHostKey):
        SSHClient().load_host_keys(bad)


def test_TB20_pysftp_host_key_semantics(sshd, tmp_path, monkeypatch):
    from ferrosftp import CnOpts, Connection, HostKeysException

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    with pytest.warns(UserWarning, match="Failed to load HostKeys"):
        CnOpts()
    kw = dict(username=sshd.username, private_key=sshd.keys["ed25519"], port=sshd.port)

    other = tmp_path / "kh_other"
    other.write_text("otherhost %s\n" % sshd.host_public_keys["ed25519"])
    with pytest.raises(SSHException, match=r"No hostkey for host 127\.0\.0\.1 found\."):
        Connection(sshd.host, cnopts=CnOpts(knownhosts=str(other)), **kw)

    opts = CnOpts(knownhosts=str(other))
    opts.hostkeys = None
    with pytest.warns(UserWarning):
        with Connection(sshd.host, cnopts=opts, **kw) as conn:
            assert conn.listdir(sshd.remote_root) is not None

    empty = tmp_path / "kh_empty"
    empty.write_text("")
    with pytest.raises(HostKeysException, match="No Host Keys Found"):
        CnOpts(knownhosts=str(empty))

    # documented decision: pysftp's bare-host entry and OpenSSH's [host]:port
    # entry both work for a non-22 port
    for kh in (sshd.known_hosts_bare_path, sshd.known_hosts_path):
        with Connection(sshd.host, cnopts=CnOpts(knownhosts=kh), **kw) as conn:
            assert conn.exists(sshd.remote_root)
    # ... and a wrong key under the bare name is still refused
    wrong = tmp_path / "kh_wrong"
    wrong.write_text("%s %s\n" % (sshd.host, _keygen(tmp_path / "other_host_key")))
    with pytest.raises(SSHException):
        Connection(sshd.host, cnopts=CnOpts(knownhosts=str(wrong)), **kw)


# ======================================================== paths and files
OLD = b"existing local content\n"


def test_TB21_get_missing_remote_creates_nothing(sftp, remote_dir, tmp_path):
    dest = tmp_path / "missing.bin"
    with pytest.raises(FileNotFoundError) as e:
        sftp.get(os.path.join(remote_dir, "missing"), str(dest))
    assert e.value.errno == errno.ENOENT
    assert os.listdir(tmp_path) == []


def test_TB22_get_missing_remote_keeps_existing_local(sftp, remote_dir, tmp_path):
    dest = tmp_path / "keep.bin"
    dest.write_bytes(OLD)
    with pytest.raises(FileNotFoundError):
        sftp.get(os.path.join(remote_dir, "missing"), str(dest))
    assert dest.read_bytes() == OLD
    assert os.listdir(tmp_path) == ["keep.bin"]


def test_TB23_get_permission_denied(sshd, sftp, remote_dir, tmp_path):
    secret = os.path.join(remote_dir, "secret")
    with open(secret, "w") as f:
        f.write("not for you")
    os.chmod(secret, 0)  # root-owned when root; the login user cannot read it
    with pytest.raises(PermissionError) as e:
        sftp.get(secret, str(tmp_path / "secret"))
    assert e.value.errno == errno.EACCES
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("atomic", [False, True])
def test_TB24_put_into_unwritable_directory(sshd, sftp, remote_dir, tmp_path, atomic):
    ro = os.path.join(remote_dir, "readonly")
    os.mkdir(ro)
    sshd.chown_to_user(ro)
    os.chmod(ro, 0o555)
    src = tmp_path / "src"
    src.write_bytes(b"x" * 1000)
    try:
        with pytest.raises(PermissionError) as e:
            sftp.put(str(src), os.path.join(ro, "f"), atomic=atomic)
        assert e.value.errno == errno.EACCES
        assert os.listdir(ro) == []
    finally:
        os.chmod(ro, 0o755)


def test_TB25_get_a_directory(sftp, remote_dir, tmp_path):
    with pytest.raises(OSError):
        sftp.get(remote_dir, str(tmp_path / "d"))
    assert os.listdir(tmp_path) == []


def test_TB26_put_onto_existing_directory(sftp, remote_dir, tmp_path):
    d = os.path.join(remote_dir, "adir")
    os.mkdir(d)
    open(os.path.join(d, "inside"), "w").close()
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    with pytest.raises(OSError):
        sftp.put(str(src), d)
    assert os.path.isdir(d) and os.listdir(d) == ["inside"]


def test_TB27_listdir_and_chdir_on_a_file(sftp, remote_dir):
    f = os.path.join(remote_dir, "afile")
    open(f, "w").close()
    with pytest.raises(FileNotFoundError) as e:
        sftp.listdir(f)
    assert e.value.errno == errno.ENOENT
    with pytest.raises((SFTPError, OSError)) as e:
        sftp.chdir(f)
    assert "Not a directory" in str(e.value)


def test_TB28_non_utf8_names(sshd, sftp, remote_dir, tmp_path):
    raw = b"latin1-\xe9t\xe9.txt"
    with open(os.path.join(os.fsencode(remote_dir), raw), "wb") as f:
        f.write(b"latin-1 named content")
    names = sftp.listdir(remote_dir)
    assert names == [os.fsdecode(raw)] and isinstance(names[0], str)
    attrs = sftp.listdir_attr(remote_dir)
    assert [a.filename for a in attrs] == names and attrs[0].st_size == 21
    path = remote_dir + "/" + names[0]
    assert sftp.stat(path).st_size == 21
    sftp.get(path, str(tmp_path / "copy"))
    assert (tmp_path / "copy").read_bytes() == b"latin-1 named content"
    sftp.remove(path)
    assert os.listdir(os.fsencode(remote_dir)) == []


def test_TB28_non_utf8_names_pysftp_walktree(sshd, conn, remote_dir):
    raw = b"latin1-\xe9t\xe9.txt"
    with open(os.path.join(os.fsencode(remote_dir), raw), "wb") as f:
        f.write(b"x")
    seen = []
    conn.walktree(remote_dir, seen.append, seen.append, seen.append)
    assert [os.path.basename(p) for p in seen] == [os.fsdecode(raw)]


ODD_NAMES = ["new\nline", "quo'te\"s", "back\\slash", "sp ace", "-leading-dash", "star*", "semi;colon", "dollar$HOME"]


def test_TB29_odd_but_valid_names_round_trip(sftp, remote_dir, tmp_path):
    for i, name in enumerate(ODD_NAMES):
        src = tmp_path / ("src-%d" % i)
        src.write_bytes(name.encode() * 10)
        remote = remote_dir + "/" + name
        sftp.put(str(src), remote)
        assert os.path.exists(remote)
        local = tmp_path / name
        sftp.get(remote, str(local))
        assert local.read_bytes() == name.encode() * 10
    assert sorted(sftp.listdir(remote_dir)) == sorted(ODD_NAMES)
    for name in ODD_NAMES:
        sftp.rename(remote_dir + "/" + name, remote_dir + "/" + name + ".moved")
    assert sorted(sftp.listdir(remote_dir)) == sorted(n + ".moved" for n in ODD_NAMES)
    for name in ODD_NAMES:
        sftp.remove(remote_dir + "/" + name + ".moved")
    assert os.listdir(remote_dir) == []


def test_TB29_255_byte_name_put_listdir_remove(sftp, remote_dir, tmp_path):
    name = "n" * 255
    src = tmp_path / "src"
    src.write_bytes(b"long name")
    sftp.put(str(src), remote_dir + "/" + name)
    assert sftp.listdir(remote_dir) == [name]
    sftp.rename(remote_dir + "/" + name, remote_dir + "/" + "m" * 255)
    sftp.remove(remote_dir + "/" + "m" * 255)
    assert os.listdir(remote_dir) == []


def test_TB29_255_byte_name_get_and_atomic_put(sftp, remote_dir, tmp_path):
    name = "n" * 255
    with open(os.path.join(remote_dir, name), "wb") as f:
        f.write(b"long name")
    sftp.get(remote_dir + "/" + name, str(tmp_path / name))
    assert (tmp_path / name).read_bytes() == b"long name"
    sftp.put(str(tmp_path / name), remote_dir + "/" + "m" * 255, atomic=True)
    assert open(os.path.join(remote_dir, "m" * 255), "rb").read() == b"long name"


def test_TB30_very_long_path(sftp, remote_dir):
    exc, res, took = timed(sftp.stat, remote_dir + "/" + "x" * 5000)
    assert isinstance(exc, OSError), repr(exc)
    assert took < 2.0
    assert sftp.stat(remote_dir).st_mode is not None  # still usable


def test_TB31_symlink_loop(sftp, remote_dir, tmp_path):
    a, b = os.path.join(remote_dir, "loop-a"), os.path.join(remote_dir, "loop-b")
    os.symlink("loop-b", a)
    os.symlink("loop-a", b)
    with pytest.raises(FileNotFoundError):
        sftp.stat(a)
    assert stat.S_ISLNK(sftp.lstat(a).st_mode)
    with pytest.raises(OSError):
        sftp.get(a, str(tmp_path / "loop"))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("atomic", [False, True])
def test_TB32_server_disk_full(sftp, tmp_path, atomic):
    src = tmp_path / "src"
    write_random(str(src), MiB)
    with pytest.raises(OSError):
        sftp.put(str(src), "/dev/full", atomic=atomic)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def _full_device(tmp_path):
    """A local "disk full" device node: a private /dev/full twin as root (so a
    regression can never replace the system's /dev/full), else /dev/full."""
    if os.geteuid() == 0:
        path = str(tmp_path / "full")
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 7))
        return path
    return "/dev/full"


def test_TB33_local_disk_full_device(sshd, sftp, big_remote, tmp_path):
    dev = _full_device(tmp_path)
    before = set(os.listdir(os.path.dirname(dev)))
    with pytest.raises(OSError) as e:
        sftp.get(big_remote, dev)
    assert e.value.errno == errno.ENOSPC
    assert stat.S_ISCHR(os.stat(dev).st_mode), "the device node was replaced"
    assert set(os.listdir(os.path.dirname(dev))) == before


def _small_tmpfs_get(sftp, big_remote, tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    p = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    if p.returncode != 0:
        pytest.skip(
            "cannot mount a small tmpfs here (%s); the device variant covers ENOSPC"
            % p.stdout.decode(errors="replace").strip()
        )
    try:
        (mnt / "dest").write_bytes(OLD)
        exc, res, took = timed(sftp.get, big_remote, str(mnt / "dest"))
        return exc, os.listdir(mnt), (mnt / "dest").read_bytes()
    finally:
        subprocess.run(["umount", str(mnt)])


def test_TB33_local_disk_full_small_tmpfs(sshd, sftp, big_remote, tmp_path):
    exc, names, content = _small_tmpfs_get(sftp, big_remote, tmp_path)
    assert isinstance(exc, OSError), repr(exc)
    assert "No space left on device" in str(exc)
    assert names == ["dest"], "a temp file was left behind"
    assert content == OLD


def test_TB33_local_disk_full_errno_is_ENOSPC(sshd, sftp, big_remote, tmp_path):
    exc, names, content = _small_tmpfs_get(sftp, big_remote, tmp_path)
    assert isinstance(exc, OSError) and exc.errno == errno.ENOSPC


def test_TB34_empty_files_and_missing_local_dir(sftp, remote_dir, tmp_path):
    empty_remote = os.path.join(remote_dir, "empty")
    open(empty_remote, "w").close()
    sftp.get(empty_remote, str(tmp_path / "empty"))
    assert (tmp_path / "empty").read_bytes() == b""
    (tmp_path / "empty_src").write_bytes(b"")
    attrs = sftp.put(str(tmp_path / "empty_src"), os.path.join(remote_dir, "empty2"))
    assert attrs.st_size == 0 and os.path.getsize(os.path.join(remote_dir, "empty2")) == 0
    attrs = sftp.put(str(tmp_path / "empty_src"), os.path.join(remote_dir, "empty3"), atomic=True)
    assert attrs.st_size == 0 and os.path.getsize(os.path.join(remote_dir, "empty3")) == 0
    with pytest.raises(FileNotFoundError):
        sftp.get(empty_remote, str(tmp_path / "no" / "such" / "dir" / "f"))
    assert not (tmp_path / "no").exists()


# ------------------------------------------ counts and timeouts from the caller
# A count is a limit, never an allocation; a timeout is validated like
# socket.settimeout's. Neither may abort the interpreter or raise pyo3's
# PanicException (a BaseException that `except Exception` misses).


@pytest.mark.parametrize("count", [1 << 40, 1 << 62, 1 << 80])
def test_huge_read_count_returns_the_file(sftp, remote_dir, count):
    path = remote_dir + "/small.bin"
    data = os.urandom(100_000)
    with open(path, "wb") as f:
        f.write(data)
    with sftp.open(path, "rb") as f:
        assert f.read(count) == data
        assert f.read(count) == b""
    with sftp.open(path, "rb") as f:
        assert b"".join(f.readv([(0, 10), (99_990, count)])) == data[:10] + data[99_990:]


@pytest.mark.parametrize("count", [1 << 40, 1 << 80])
def test_huge_recv_count_returns_what_is_there(client, count):
    chan = client.get_transport().open_session()
    chan.settimeout(10)
    chan.exec_command("printf out; printf err >&2")
    out = b""
    while True:
        piece = chan.recv(count)
        if not piece:
            break
        out += piece
    err = b""
    while True:
        piece = chan.recv_stderr(count)
        if not piece:
            break
        err += piece
    assert (out, err) == (b"out", b"err")
    assert chan.recv_exit_status() == 0
    chan.close()


@pytest.mark.parametrize("value", [float("inf"), 1e300])
def test_infinite_timeouts_mean_wait_forever(client, sftp, remote_dir, value):
    sftp.get_channel().settimeout(value)
    assert sftp.get_channel().gettimeout() == value
    assert sftp.listdir(remote_dir) == []
    chan = client.get_transport().open_session()
    chan.settimeout(value)
    assert chan.gettimeout() == value
    chan.exec_command("echo hi")
    assert chan.recv(10) == b"hi\n"
    chan.close()


@pytest.mark.parametrize(
    "value, message", [(float("nan"), "NaN"), (-1.0, "out of range"), (float("-inf"), "out of range")]
)
def test_bad_timeouts_are_value_errors(client, sftp, remote_dir, value, message):
    with pytest.raises(ValueError, match=message):
        sftp.get_channel().settimeout(value)
    chan = client.get_transport().open_session()
    with pytest.raises(ValueError, match=message):
        chan.settimeout(value)
    assert chan.gettimeout() is None  # the bad value was not kept
    chan.close()
    t = client.get_transport()
    with pytest.raises(ValueError, match=message):
        t.open_session(timeout=value)
    # the session is still usable afterwards
    assert sftp.listdir(remote_dir) == []


@pytest.mark.parametrize("kw", ["timeout", "banner_timeout", "auth_timeout", "channel_timeout"])
def test_connect_timeouts_nan_is_value_error(sshd, kw):
    exc, res, took = timed(connect, sshd, **{kw: float("nan")})
    if res is not None:
        # channel_timeout only matters when a channel opens
        assert kw == "channel_timeout"
        with pytest.raises(ValueError):
            res.open_sftp()
        res.close()
        return
    assert isinstance(exc, ValueError), repr(exc)


def test_connect_timeout_inf_is_overflow_like_paramiko(sshd):
    # paramiko hands the timeout to socket.settimeout, which raises OverflowError
    exc, res, took = timed(connect, sshd, timeout=float("inf"))
    if res is not None:
        res.close()
    assert isinstance(exc, OverflowError), repr(exc)


@pytest.mark.parametrize("kw", ["banner_timeout", "auth_timeout", "channel_timeout"])
def test_connect_other_timeouts_inf_wait_forever(sshd, kw):
    c = connect(sshd, **{kw: float("inf")})
    try:
        s = c.open_sftp()
        assert s.listdir(".") is not None
        s.close()
    finally:
        c.close()


def test_TB32_big_put_onto_a_full_disk_fails_fast_and_keeps_the_client(sftp, remote_dir, tmp_path):
    """A write error in the middle of a pipelined upload: libssh2 drops its
    pending requests, one maybe half written, and the server would read the
    next request as the rest of that write (before: a 300 s stall, then a dead
    session, in 12 of 16 runs). Now: OSError("Failure") at once, and the same
    SFTPClient goes on, on a fresh SFTP channel."""
    src = tmp_path / "src"
    write_random(str(src), 16 * MiB)
    for _ in range(6):
        exc, res, took = timed(sftp.put, str(src), "/dev/full")
        assert isinstance(exc, OSError) and str(exc) == "Failure", repr(exc)
        assert took < 2.0
        assert sftp.listdir(remote_dir) == []  # usable, and no temp file left behind
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_TB32_file_write_onto_a_full_disk_fails_and_keeps_the_client(sftp, remote_dir):
    exc, res, took = timed(lambda: sftp.open("/dev/full", "wb").write(os.urandom(8 * MiB)))
    assert isinstance(exc, OSError), repr(exc)
    assert took < 2.0
    with sftp.open(remote_dir + "/after", "wb") as f:
        f.write(b"fine")
    assert sftp.stat(remote_dir + "/after").st_size == 4
