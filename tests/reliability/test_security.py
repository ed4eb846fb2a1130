"""Reliability plan, section S: security (TS1-TS9).

Strict host-key checking by default and before authentication, no secrets in
logs/reprs/exceptions, strict KEX with the pinned bundled libssh2, safe
key/known_hosts/temp-file writes.
"""

import logging
import os
import re
import shutil
import stat
import subprocess
import time
import traceback

import pytest

import ferrosftp
from ferrosftp import (
    AutoAddPolicy,
    BadHostKeyException,
    PKey,
    RejectPolicy,
    SSHClient,
    SSHException,
)

from relutil import MiB, connect, leftovers, timed, userauth_requests, write_random

pytestmark = pytest.mark.timeout(120)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _keygen(path, ktype="ed25519"):
    subprocess.run(
        ["ssh-keygen", "-q", "-t", ktype, "-N", "", "-C", "other", "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    with open(str(path) + ".pub") as f:
        return " ".join(f.read().split()[:2])


def _private_material(path):
    """The base64 lines of a private key file (each is secret)."""
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("-----")]


# ------------------------------------------------------------------- TS1
def test_TS01_strict_host_key_checking_by_default(sshd, tmp_path, monkeypatch):
    c = SSHClient()
    assert isinstance(c._policy, RejectPolicy)
    with pytest.raises(SSHException, match="not found in known_hosts"):
        c.connect(
            sshd.host,
            port=sshd.port,
            username=sshd.username,
            key_filename=sshd.keys["ed25519"],
            look_for_keys=False,
            allow_agent=False,
            timeout=10,
        )
    assert c.get_transport() is None or not c.get_transport().is_authenticated()

    # pysftp's Connection checks ~/.ssh/known_hosts by default
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    kw = dict(username=sshd.username, private_key=sshd.keys["ed25519"], port=sshd.port)
    (home / ".ssh" / "known_hosts").write_text("%s %s\n" % (sshd.host, _keygen(tmp_path / "wrong_host_key")))
    with pytest.raises(SSHException):
        ferrosftp.Connection(sshd.host, **kw)
    shutil.copyfile(sshd.known_hosts_bare_path, home / ".ssh" / "known_hosts")
    with ferrosftp.Connection(sshd.host, **kw) as conn:
        assert conn.exists(sshd.remote_root)


# ------------------------------------------------------------- TS2 TS3
class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        try:
            self.lines.append("%s %s %s" % (record.name, record.levelname, record.getMessage()))
        except Exception as e:  # noqa: BLE001
            self.lines.append("unformattable record %r: %r" % (record.msg, e))


def _secrets(sshd):
    out = [sshd.key_passphrase]
    if sshd.password:
        out.append(sshd.password)
    for name in ("ed25519", "ed25519_enc", "rsa_pem"):
        out += _private_material(sshd.keys[name])
    return out


def _login_attempts(sshd):
    """Every login TS2/TS3 look at; yields (label, client or None, exception or None)."""
    attempts = []
    kw = dict(key_filename=None)
    if sshd.password_auth:
        attempts.append(("password", dict(kw, password=sshd.password)))
        attempts.append(("wrong password", dict(kw, password="wrong-" + sshd.password)))
    attempts.append(("encrypted key", dict(key_filename=sshd.keys["ed25519_enc"], passphrase=sshd.key_passphrase)))
    attempts.append(
        ("encrypted key, wrong passphrase", dict(key_filename=sshd.keys["ed25519_enc"], passphrase="wrong"))
    )
    attempts.append(("encrypted key, no passphrase", dict(key_filename=sshd.keys["ed25519_enc"])))
    attempts.append(("pem key", dict(key_filename=sshd.keys["rsa_pem"])))
    for label, args in attempts:
        exc, c, took = timed(connect, sshd, **args)
        yield label, c, exc


def test_TS02_secrets_not_in_logs(sshd, capfd):
    cap = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(cap)
    root.setLevel(logging.DEBUG)
    for name in ("ferrosftp", "paramiko"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        for label, c, exc in _login_attempts(sshd):
            if c is not None:
                c.open_sftp().listdir(sshd.remote_root)
                c.close()
    finally:
        root.removeHandler(cap)
        root.setLevel(old_level)
        for name in ("ferrosftp", "paramiko"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    out, err = capfd.readouterr()
    text = "\n".join(cap.lines) + "\n" + out + "\n" + err
    assert any(" DEBUG " in line for line in cap.lines), "no debug record captured at all"
    for secret in _secrets(sshd):
        assert secret not in text


def test_TS03_secrets_not_in_reprs_or_exceptions(sshd, remote_dir):
    texts = []
    for label, c, exc in _login_attempts(sshd):
        if exc is not None:
            texts.append("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
            texts += [repr(exc), str(exc), repr(exc.args)]
        if c is not None:
            t = c.get_transport()
            s = c.open_sftp()
            texts += [repr(c), str(c), repr(t), str(t), repr(s), str(s)]
            c.close()
    key = PKey.from_private_key_file(sshd.keys["ed25519_enc"], sshd.key_passphrase)
    texts += [repr(key), str(key)]
    for name in ("ed25519", "rsa_pem"):
        k = PKey.from_private_key_file(sshd.keys[name])
        texts += [repr(k), str(k)]
    for bad in (None, "wrong"):
        try:
            PKey.from_private_key_file(sshd.keys["ed25519_enc"], bad)
        except SSHException as e:
            texts.append("".join(traceback.format_exception(type(e), e, e.__traceback__)))
    opts = ferrosftp.CnOpts(knownhosts=sshd.known_hosts_path)
    kw = dict(username=sshd.username, port=sshd.port, cnopts=opts)
    with ferrosftp.Connection(
        sshd.host, private_key=sshd.keys["ed25519_enc"], private_key_pass=sshd.key_passphrase, **kw
    ) as conn:
        texts += [repr(conn), str(conn), repr(opts), str(opts)]
    if sshd.password_auth:
        with ferrosftp.Connection(sshd.host, password=sshd.password, **kw) as conn:
            texts += [repr(conn), str(conn)]
        try:
            ferrosftp.Connection(sshd.host, password="wrong-" + sshd.password, **kw)
        except SSHException as e:
            texts.append("".join(traceback.format_exception(type(e), e, e.__traceback__)))
    text = "\n".join(texts)
    for secret in _secrets(sshd) + ["wrong-" + (sshd.password or "x")]:
        assert secret not in text


# ------------------------------------------------------------- TS4 TS5
def test_TS04_strict_kex_negotiated(debug_sshd):
    offset = debug_sshd.log_size()
    c = connect(debug_sshd)
    c.close()
    time.sleep(0.2)
    assert "will use strict KEX ordering" in debug_sshd.log_since(offset)


def _version_tuple(text):
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


def test_TS04_linked_libssh2_is_recent():
    assert _version_tuple(ferrosftp._native.LIBSSH2_VERSION) >= (1, 11, 1), ferrosftp._native.LIBSSH2_VERSION


def test_TS05_cargo_lock_pins_bundled_libssh2_sys():
    with open(os.path.join(REPO, "Cargo.lock")) as f:
        lock = f.read()
    m = re.search(r'name = "libssh2-sys"\nversion = "([^"]+)"', lock)
    assert m, "libssh2-sys not in Cargo.lock"
    assert _version_tuple(m.group(1)) >= (0, 3, 4)
    assert not os.environ.get("LIBSSH2_SYS_USE_PKG_CONFIG")


# ------------------------------------------------------------------- TS6
@pytest.mark.parametrize("case", ["unknown", "changed", "port-entry-differs", "revoked"])
def test_TS06_host_key_checked_before_authentication(debug_sshd, tmp_path, case):
    srv = debug_sshd
    name = "[%s]:%d" % (srv.host, srv.port)
    key = srv.host_public_keys["ed25519"]
    other = _keygen(tmp_path / "other")
    lines = {
        "unknown": [],
        "changed": ["%s %s" % (name, other)],
        "port-entry-differs": ["%s %s" % (name, other), "%s %s" % (srv.host, key)],
        "revoked": ["@revoked * %s" % key, "%s %s" % (name, key)],
    }[case]
    kh = tmp_path / "known_hosts"
    kh.write_text("".join(line + "\n" for line in lines))
    c = SSHClient()
    c.load_host_keys(str(kh))
    kw = dict(
        port=srv.port,
        username=srv.username,
        key_filename=srv.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    if srv.password_auth:
        kw["password"] = srv.password
    offset = srv.log_size()
    with pytest.raises(SSHException) as e:
        c.connect(srv.host, **kw)
    if case != "unknown":
        assert isinstance(e.value, BadHostKeyException)
    time.sleep(0.2)
    assert userauth_requests(srv.log_since(offset)) == []
    # the detector works: an accepted host does reach userauth
    offset = srv.log_size()
    connect(srv).close()
    time.sleep(0.2)
    assert userauth_requests(srv.log_since(offset))


# ------------------------------------------------------------------- TS7
def test_TS07_private_key_files_written_0600(sshd, tmp_path, monkeypatch):
    key = PKey.from_private_key_file(sshd.keys["ed25519"])
    calls = []
    real_open, real_fchmod = os.open, os.fchmod

    def spy_open(path, flags, mode=0o777, *a, **kw):
        calls.append(("open", os.fspath(path), flags, mode))
        return real_open(path, flags, mode, *a, **kw)

    def spy_fchmod(fd, mode):
        calls.append(("fchmod", os.fstat(fd).st_size, mode))
        return real_fchmod(fd, mode)

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(os, "fchmod", spy_fchmod)
    old_umask = os.umask(0)
    try:
        new = tmp_path / "new_key"
        key.write_private_key_file(str(new))
        existing = tmp_path / "existing_key"
        existing.write_text("placeholder")
        os.chmod(existing, 0o644)
        key.write_private_key_file(str(existing))
    finally:
        os.umask(old_umask)
        monkeypatch.undo()
    opens = [c for c in calls if c[0] == "open" and c[1] == str(new)]
    assert opens and opens[0][2] & os.O_CREAT and opens[0][3] == 0o600
    assert stat.S_IMODE(os.stat(new).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(existing).st_mode) == 0o600
    # the existing file was made 0600 while still empty (before any key byte)
    assert ("fchmod", 0, 0o600) in calls
    assert open(existing, "rb").read() == open(sshd.keys["ed25519"], "rb").read()


# ------------------------------------------------------------------- TS8
def test_TS08_known_hosts_writes_are_safe(sshd, tmp_path):
    kh = tmp_path / "known_hosts"
    other = _keygen(tmp_path / "other")
    ca = _keygen(tmp_path / "ca")
    hashed = ferrosftp.HostKeys.hash_host("hashed.example")
    keep = [
        "# a comment the user wrote",
        "%s %s" % (hashed, other),
        "@cert-authority *.example %s" % ca,
        "@revoked revoked.example %s" % other,
        "sk.example sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t",
        "plain.example %s" % other,
    ]
    kh.write_text("".join(line + "\n" for line in keep))
    os.chmod(kh, 0o640)
    inode = os.stat(kh).st_ino
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    c.load_host_keys(str(kh))
    c.connect(
        sshd.host,
        port=sshd.port,
        username=sshd.username,
        key_filename=sshd.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    server_key = c.get_transport().get_remote_server_key()
    c.close()
    lines = kh.read_text().splitlines()
    for line in keep:
        assert line in lines
    assert "[%s]:%d %s %s" % (sshd.host, sshd.port, server_key.get_name(), server_key.get_base64()) in lines
    assert stat.S_IMODE(os.stat(kh).st_mode) == 0o640
    assert os.stat(kh).st_ino != inode, "rewritten in place instead of temp + rename"
    assert leftovers(tmp_path, ["known_hosts", "other", "other.pub", "ca", "ca.pub"]) == []


# ------------------------------------------------------------------- TS9
def _observe_temp_names(directory, final_name):
    """A progress callback that records the temp files beside the destination
    (and their modes) while a get runs."""
    seen = {}

    def cb(done, total):
        for name in os.listdir(directory):
            if name != final_name and name not in seen:
                try:
                    seen[name] = stat.S_IMODE(os.lstat(os.path.join(directory, name)).st_mode)
                except OSError:
                    pass

    return seen, cb


def test_TS09_download_temp_file_cannot_be_hijacked(sshd, sftp, remote_dir, tmp_path):
    remote = os.path.join(remote_dir, "payload.bin")
    write_random(remote, 9 * MiB)
    dl = tmp_path / "downloads"
    dl.mkdir()
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    seen, cb = _observe_temp_names(str(dl), "dest.bin")
    sftp.get(remote, str(dl / "dest.bin"), callback=cb)
    assert seen, "no temp file observed during the get"
    (dl / "dest.bin").unlink()
    # plant symlinks at every name an attacker can guess from what was seen
    planted = {"dest.bin.part", "dest.part", ".dest.bin.part"} | set(seen)
    for name in seen:
        m = re.match(r"^(.*\D)(\d+)(\D*)$", name)
        if m:
            for k in range(1, 50):
                planted.add("%s%d%s" % (m.group(1), int(m.group(2)) + k, m.group(3)))
    for name in planted:
        os.symlink(str(victim), str(dl / name))
    try:
        sftp.get(remote, str(dl / "dest.bin"))
    except OSError:
        pass  # refusing is fine; writing through the link is not
    assert victim.read_bytes() == b"precious"
    assert not os.path.islink(dl / "dest.bin")


def test_TS09_download_temp_file_is_private(sshd, sftp, remote_dir, tmp_path):
    remote = os.path.join(remote_dir, "payload.bin")
    write_random(remote, 9 * MiB)
    seen, cb = _observe_temp_names(str(tmp_path), "dest.bin")
    sftp.get(remote, str(tmp_path / "dest.bin"), callback=cb)
    assert seen
    for name, mode in seen.items():
        assert mode & 0o077 == 0, "%s has mode %04o" % (name, mode)
