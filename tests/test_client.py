"""SSHClient against the real sshd: every authentication path, host-key
policies and known_hosts handling, connection failures and timeouts (issue #2).

Behaviour and exception classes follow paramiko 5.1 (reference/api.md 2.1,
2.2, 2.13)."""

import os
import shutil
import socket
import subprocess
import threading
import time
import warnings

import pytest

import ferrosftp as paramiko
from ferrosftp import (
    AuthenticationException,
    AutoAddPolicy,
    BadHostKeyException,
    MissingHostKeyPolicy,
    NoValidConnectionsError,
    PasswordRequiredException,
    RejectPolicy,
    SSHClient,
    SSHException,
    WarningPolicy,
)


def _kw(sshd, **overrides):
    kw = dict(port=sshd.port, username=sshd.username, look_for_keys=False, allow_agent=False, timeout=10)
    kw.update(overrides)
    return kw


def _connect(sshd, policy=AutoAddPolicy, **overrides):
    c = SSHClient()
    if policy is not None:
        c.set_missing_host_key_policy(policy)
    c.connect(sshd.host, **_kw(sshd, **overrides))
    return c


def _whoami(client):
    _, stdout, _ = client.exec_command("id -un")
    return stdout.read().decode().strip()


def _host_name(sshd):
    return "[%s]:%d" % (sshd.host, sshd.port)


def _server_key_b64(sshd, kind):
    return sshd.host_public_keys[kind].split()[1]


@pytest.fixture
def no_agent(monkeypatch):
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


@pytest.fixture
def foreign_key(tmp_path):
    """A fresh ed25519 key the server does not know."""
    path = str(tmp_path / "id_foreign")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path], check=True, stdin=subprocess.DEVNULL)
    return path


# --------------------------------------------------------------------------
# authentication


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa", "rsa_pem"])
def test_key_filename_str(sshd, kind):
    with _connect(sshd, key_filename=sshd.keys[kind]) as c:
        t = c.get_transport()
        assert t.is_active()
        assert t.is_authenticated()
        assert t.get_username() == sshd.username
        assert _whoami(c) == sshd.username


def test_key_filename_list_tries_each(sshd, foreign_key):
    # the unknown key is refused, the second one works (paramiko tries them in order)
    with _connect(sshd, key_filename=[foreign_key, sshd.keys["ecdsa"]]) as c:
        assert c.get_transport().is_authenticated()
        assert _whoami(c) == sshd.username


def test_key_filename_tuple(sshd):
    with _connect(sshd, key_filename=(sshd.keys["rsa"],)) as c:
        assert c.get_transport().is_authenticated()


@pytest.mark.parametrize(
    "cls,kind",
    [
        (paramiko.Ed25519Key, "ed25519"),
        (paramiko.ECDSAKey, "ecdsa"),
        (paramiko.RSAKey, "rsa"),
        (paramiko.RSAKey, "rsa_pem"),
    ],
)
def test_pkey_object(sshd, cls, kind):
    key = cls.from_private_key_file(sshd.keys[kind])
    with _connect(sshd, pkey=key) as c:
        assert c.get_transport().is_authenticated()
        assert _whoami(c) == sshd.username


def test_pkey_from_path(sshd):
    key = paramiko.PKey.from_path(sshd.keys["ed25519"])
    with _connect(sshd, pkey=key) as c:
        assert c.get_transport().is_authenticated()


def test_encrypted_key_with_passphrase(sshd):
    with _connect(sshd, key_filename=sshd.keys["ed25519_enc"], passphrase=sshd.key_passphrase) as c:
        assert c.get_transport().is_authenticated()
        assert _whoami(c) == sshd.username


def test_encrypted_key_password_used_as_passphrase(sshd):
    # paramiko: "if passphrase is None and password is not None: passphrase = password"
    with _connect(sshd, key_filename=sshd.keys["ed25519_enc"], password=sshd.key_passphrase) as c:
        assert c.get_transport().is_authenticated()


def test_encrypted_pkey_object_with_password(sshd):
    key = paramiko.Ed25519Key.from_private_key_file(sshd.keys["ed25519_enc"], password=sshd.key_passphrase)
    with _connect(sshd, pkey=key) as c:
        assert c.get_transport().is_authenticated()


def test_an_encrypted_key_is_decrypted_once_and_signs_from_that_copy(sshd):
    # The bcrypt KDF of an OpenSSH key runs when the key is loaded; the SSH
    # layer then signs with the unencrypted copy (no second KDF per login).
    from ferrosftp import _native

    key = paramiko.Ed25519Key.from_private_key_file(sshd.keys["ed25519_enc"], password=sshd.key_passphrase)
    text, passphrase = key._signing
    assert passphrase is None and b"OPENSSH PRIVATE KEY" in text
    # the copy is the same key, and needs no passphrase
    assert _native.parse_private_key(text)[1] == key.asbytes()
    with open(sshd.keys["ed25519_enc"], "rb") as f:
        assert key._private_bytes == f.read()  # written back as it was loaded
    for _ in range(2):
        with _connect(sshd, pkey=key) as c:
            assert c.get_transport().is_authenticated()


def test_encrypted_key_without_passphrase(sshd):
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    with pytest.raises(PasswordRequiredException) as ei:
        c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519_enc"]))
    assert isinstance(ei.value, AuthenticationException)
    assert "encrypted" in str(ei.value).lower()
    # a failed connect leaves no live transport behind
    t = c.get_transport()
    assert t is None or not t.is_active()
    c.close()


def test_encrypted_key_file_without_passphrase_loading(sshd):
    with pytest.raises(PasswordRequiredException):
        paramiko.Ed25519Key.from_private_key_file(sshd.keys["ed25519_enc"])


def test_encrypted_key_wrong_passphrase(sshd):
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    with pytest.raises(SSHException) as ei:
        c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519_enc"], passphrase="not-the-passphrase"))
    # paramiko: SSHException, not an authentication failure
    assert not isinstance(ei.value, AuthenticationException)
    assert "not-the-passphrase" not in str(ei.value)
    c.close()


def test_password_auth(sshd):
    if not sshd.password_auth:
        pytest.skip("password authentication needs the fixture to run as root")
    with _connect(sshd, password=sshd.password) as c:
        assert c.get_transport().is_authenticated()
        assert _whoami(c) == sshd.username


def test_wrong_password(sshd):
    if not sshd.password_auth:
        pytest.skip("password authentication needs the fixture to run as root")
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    start = time.monotonic()
    with pytest.raises(AuthenticationException) as ei:
        c.connect(sshd.host, **_kw(sshd, password="definitely-wrong"))
    assert time.monotonic() - start < 30
    assert str(ei.value) == "Authentication failed."
    assert "definitely-wrong" not in repr(ei.value)
    c.close()


def test_wrong_key(sshd, foreign_key):
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    with pytest.raises(AuthenticationException):
        c.connect(sshd.host, **_kw(sshd, key_filename=foreign_key))
    c.close()


def test_wrong_pkey_object(sshd, foreign_key):
    key = paramiko.Ed25519Key.from_private_key_file(foreign_key)
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    with pytest.raises(AuthenticationException):
        c.connect(sshd.host, **_kw(sshd, pkey=key))
    c.close()


def test_missing_key_file(sshd, tmp_path):
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    with pytest.raises((FileNotFoundError, SSHException)):
        c.connect(sshd.host, **_kw(sshd, key_filename=str(tmp_path / "nope")))
    c.close()


def test_wrong_key_then_password_falls_through(sshd, foreign_key):
    if not sshd.password_auth:
        pytest.skip("password authentication needs the fixture to run as root")
    with _connect(sshd, key_filename=foreign_key, password=sshd.password) as c:
        assert c.get_transport().is_authenticated()


def test_no_auth_methods(sshd, no_agent):
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    with pytest.raises(SSHException) as ei:
        c.connect(sshd.host, **_kw(sshd))
    assert str(ei.value) == "No authentication methods available"
    c.close()


def _fake_home(monkeypatch, tmp_path, key_src=None, name="id_ed25519"):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    if key_src is not None:
        shutil.copy(key_src, home / ".ssh" / name)
        os.chmod(home / ".ssh" / name, 0o600)
    monkeypatch.setenv("HOME", str(home))
    return home


def test_look_for_keys_finds_id_ed25519(sshd, tmp_path, monkeypatch, no_agent):
    _fake_home(monkeypatch, tmp_path, sshd.keys["ed25519"])
    with _connect(sshd, look_for_keys=True) as c:
        assert c.get_transport().is_authenticated()
        assert _whoami(c) == sshd.username


def test_look_for_keys_finds_id_rsa(sshd, tmp_path, monkeypatch, no_agent):
    _fake_home(monkeypatch, tmp_path, sshd.keys["rsa"], name="id_rsa")
    with _connect(sshd, look_for_keys=True) as c:
        assert c.get_transport().is_authenticated()


def test_look_for_keys_false_ignores_home_keys(sshd, tmp_path, monkeypatch, no_agent):
    _fake_home(monkeypatch, tmp_path, sshd.keys["ed25519"])
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    with pytest.raises(SSHException, match="No authentication methods available"):
        c.connect(sshd.host, **_kw(sshd, look_for_keys=False))
    c.close()


def test_look_for_keys_empty_home(sshd, tmp_path, monkeypatch, no_agent):
    _fake_home(monkeypatch, tmp_path)
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    with pytest.raises(SSHException, match="No authentication methods available"):
        c.connect(sshd.host, **_kw(sshd, look_for_keys=True))
    c.close()


def test_allow_agent_without_agent_uses_key(sshd, no_agent):
    with _connect(sshd, allow_agent=True, key_filename=sshd.keys["ed25519"]) as c:
        assert c.get_transport().is_authenticated()


def test_allow_agent_without_agent_nothing_else(sshd, no_agent):
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    with pytest.raises(SSHException, match="No authentication methods available"):
        c.connect(sshd.host, **_kw(sshd, allow_agent=True))
    c.close()


def test_allow_agent_dead_agent_socket(sshd, tmp_path, monkeypatch):
    # SSH_AUTH_SOCK pointing at nothing: the agent is skipped, the key still works
    monkeypatch.setenv("SSH_AUTH_SOCK", str(tmp_path / "no-agent.sock"))
    with _connect(sshd, allow_agent=True, key_filename=sshd.keys["ed25519"]) as c:
        assert c.get_transport().is_authenticated()


def test_username_defaults_to_getuser(sshd, monkeypatch):
    import getpass

    monkeypatch.setattr(getpass, "getuser", lambda: sshd.username)
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    kw = _kw(sshd, key_filename=sshd.keys["ed25519"])
    del kw["username"]
    c.connect(sshd.host, **kw)
    try:
        assert c.get_transport().get_username() == sshd.username
    finally:
        c.close()


def test_connect_positional_1x_signature(sshd):
    # paramiko 1.x order: hostname, port, username, password, pkey, key_filename, timeout,
    # allow_agent, look_for_keys
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    c.connect(sshd.host, sshd.port, sshd.username, None, None, sshd.keys["ed25519"], 10, False, False)
    try:
        assert c.get_transport().is_authenticated()
    finally:
        c.close()


def test_gss_false_accepted(sshd):
    # 2.x-4.x scripts pass gss_auth=False explicitly
    with _connect(sshd, key_filename=sshd.keys["ed25519"], gss_auth=False, gss_kex=False) as c:
        assert c.get_transport().is_authenticated()


# --------------------------------------------------------------------------
# host keys and policies


def test_default_policy_is_reject(sshd):
    c = SSHClient()
    with pytest.raises(SSHException) as ei:
        c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    assert str(ei.value) == "Server '%s' not found in known_hosts" % _host_name(sshd)
    assert not isinstance(ei.value, AuthenticationException)
    t = c.get_transport()
    assert t is None or not t.is_active()
    c.close()


def test_explicit_reject_policy(sshd):
    c = SSHClient()
    c.set_missing_host_key_policy(RejectPolicy())
    with pytest.raises(SSHException, match=r"not found in known_hosts"):
        c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    c.close()


@pytest.mark.parametrize("policy", [AutoAddPolicy, AutoAddPolicy()], ids=["class", "instance"])
def test_autoadd_policy_adds_key(sshd, policy):
    c = SSHClient()
    c.set_missing_host_key_policy(policy)
    assert len(c.get_host_keys()) == 0
    c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    try:
        server_key = c.get_transport().get_remote_server_key()
        entry = c.get_host_keys().lookup(_host_name(sshd))
        assert entry is not None
        assert entry[server_key.get_name()] == server_key
        assert c.get_host_keys().check(_host_name(sshd), server_key)
        # the key is one of the server's real host keys
        assert "%s %s" % (server_key.get_name(), server_key.get_base64()) in sshd.host_public_keys.values()
    finally:
        c.close()


def test_autoadd_policy_saves_to_loaded_file(sshd, tmp_path):
    kh = tmp_path / "known_hosts"
    kh.write_text("")
    c = SSHClient()
    c.load_host_keys(str(kh))
    c.set_missing_host_key_policy(AutoAddPolicy())
    c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    try:
        server_key = c.get_transport().get_remote_server_key()
    finally:
        c.close()
    lines = [line.split() for line in kh.read_text().splitlines() if line.strip()]
    assert [_host_name(sshd), server_key.get_name(), server_key.get_base64()] in lines
    # and the saved file lets a strict client in
    c2 = SSHClient()
    c2.load_host_keys(str(kh))
    c2.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    try:
        assert c2.get_transport().is_authenticated()
    finally:
        c2.close()


def test_autoadd_policy_no_file_written_without_load(sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with _connect(sshd, key_filename=sshd.keys["ed25519"]):
        pass
    assert not (tmp_path / ".ssh" / "known_hosts").exists()


def test_save_host_keys_explicit(sshd, tmp_path):
    out = tmp_path / "saved_known_hosts"
    with _connect(sshd, key_filename=sshd.keys["ed25519"]) as c:
        key = c.get_transport().get_remote_server_key()
        c.save_host_keys(str(out))
    assert "%s %s %s" % (_host_name(sshd), key.get_name(), key.get_base64()) in out.read_text().splitlines()


def test_warning_policy_warns_and_connects(sshd):
    c = SSHClient()
    c.set_missing_host_key_policy(WarningPolicy())
    with pytest.warns(UserWarning) as record:
        c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    try:
        assert c.get_transport().is_authenticated()
        texts = [str(w.message) for w in record]
        assert any(_host_name(sshd) in t for t in texts)
        # WarningPolicy does not remember the key
        assert c.get_host_keys().lookup(_host_name(sshd)) is None
    finally:
        c.close()


def test_warning_policy_class(sshd):
    c = SSHClient()
    c.set_missing_host_key_policy(WarningPolicy)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    c.close()
    assert any(issubclass(w.category, UserWarning) for w in record)


class _Recorder(MissingHostKeyPolicy):
    def __init__(self):
        self.calls = []

    def missing_host_key(self, client, hostname, key):
        self.calls.append((client, hostname, key))


class _Refuse(Exception):
    pass


class _Raiser(MissingHostKeyPolicy):
    def missing_host_key(self, client, hostname, key):
        raise _Refuse("no thanks: %s %s" % (hostname, key.get_name()))


def test_custom_policy_called_with_client_name_key(sshd):
    policy = _Recorder()
    c = SSHClient()
    c.set_missing_host_key_policy(policy)
    c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    try:
        assert len(policy.calls) == 1
        client, hostname, key = policy.calls[0]
        assert client is c
        assert hostname == _host_name(sshd)
        assert isinstance(key, paramiko.PKey)
        assert key == c.get_transport().get_remote_server_key()
        # base class accepts without remembering
        assert c.get_host_keys().lookup(hostname) is None
    finally:
        c.close()


def test_custom_policy_exception_propagates(sshd):
    c = SSHClient()
    c.set_missing_host_key_policy(_Raiser())
    with pytest.raises(_Refuse, match=r"no thanks: \[127\.0\.0\.1\]:%d" % sshd.port):
        c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    t = c.get_transport()
    assert t is None or not t.is_active()
    c.close()


def test_base_policy_accepts(sshd):
    c = SSHClient()
    c.set_missing_host_key_policy(MissingHostKeyPolicy())
    c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    try:
        assert c.get_transport().is_authenticated()
    finally:
        c.close()


def test_known_key_load_host_keys_reject_policy(sshd):
    policy = _Recorder()
    c = SSHClient()
    c.load_host_keys(sshd.known_hosts_path)
    c.set_missing_host_key_policy(policy)
    c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    try:
        assert c.get_transport().is_authenticated()
        assert policy.calls == []  # known: the policy is never asked
    finally:
        c.close()


def test_known_key_load_system_host_keys(sshd):
    c = SSHClient()
    c.load_system_host_keys(sshd.known_hosts_path)
    c.set_missing_host_key_policy(RejectPolicy())
    c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    try:
        assert c.get_transport().is_authenticated()
        # system keys are not the client's own set
        assert c.get_host_keys().lookup(_host_name(sshd)) is None
    finally:
        c.close()


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_known_key_of_each_type_only(sshd, tmp_path, kind):
    # only one type known: the client must negotiate that host key type
    kh = tmp_path / "kh"
    kh.write_text("%s %s\n" % (_host_name(sshd), sshd.host_public_keys[kind]))
    c = SSHClient()
    c.load_host_keys(str(kh))
    c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    try:
        key = c.get_transport().get_remote_server_key()
        assert key.get_base64() == _server_key_b64(sshd, kind)
    finally:
        c.close()


def test_load_system_host_keys_default_missing_is_silent(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    c = SSHClient()
    c.load_system_host_keys()  # no ~/.ssh/known_hosts: ignored
    with pytest.raises(IOError):
        c.load_system_host_keys(str(tmp_path / "missing"))
    with pytest.raises(IOError):
        c.load_host_keys(str(tmp_path / "missing"))


def test_hashed_known_hosts_entry(sshd, tmp_path):
    kh = tmp_path / "kh"
    kh.write_text("%s %s\n" % (_host_name(sshd), sshd.host_public_keys["ed25519"]))
    subprocess.run(
        ["ssh-keygen", "-q", "-H", "-f", str(kh)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    assert kh.read_text().startswith("|1|")
    c = SSHClient()
    c.load_host_keys(str(kh))
    c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    try:
        assert c.get_transport().is_authenticated()
    finally:
        c.close()


def test_bare_host_entry_does_not_match_nonstandard_port(sshd):
    # "127.0.0.1 KEY" is for port 22 only (paramiko and OpenSSH semantics)
    c = SSHClient()
    c.load_host_keys(sshd.known_hosts_bare_path)
    with pytest.raises(SSHException, match="not found in known_hosts"):
        c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    c.close()


def test_changed_host_key(sshd, tmp_path):
    other = tmp_path / "other_host_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True, stdin=subprocess.DEVNULL
    )
    other_pub = (tmp_path / "other_host_key.pub").read_text().split()
    kh = tmp_path / "kh"
    kh.write_text("%s %s %s\n" % (_host_name(sshd), other_pub[0], other_pub[1]))
    c = SSHClient()
    c.load_host_keys(str(kh))
    c.set_missing_host_key_policy(AutoAddPolicy())  # a policy never overrides a mismatch
    with pytest.raises(BadHostKeyException) as ei:
        c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    e = ei.value
    assert isinstance(e, SSHException)
    assert e.hostname == sshd.host
    assert e.key.get_base64() == _server_key_b64(sshd, "ed25519")
    assert e.expected_key.get_base64() == other_pub[1]
    assert str(e) == "Host key for server '%s' does not match: got '%s', expected '%s'" % (
        sshd.host,
        _server_key_b64(sshd, "ed25519"),
        other_pub[1],
    )
    t = c.get_transport()
    assert t is None or not t.is_active()
    # the file was not rewritten with the new key
    assert _server_key_b64(sshd, "ed25519") not in kh.read_text()
    c.close()


def test_changed_host_key_in_system_keys(sshd, tmp_path):
    other = tmp_path / "other"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True, stdin=subprocess.DEVNULL
    )
    pub = (tmp_path / "other.pub").read_text().split()
    kh = tmp_path / "kh"
    kh.write_text("%s %s %s\n" % (_host_name(sshd), pub[0], pub[1]))
    c = SSHClient()
    c.load_system_host_keys(str(kh))
    with pytest.raises(BadHostKeyException):
        c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    c.close()


# --------------------------------------------------------------------------
# connection failures and timeouts


def _closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_refused_port(sshd):
    port = _closed_port()
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    start = time.monotonic()
    with pytest.raises(NoValidConnectionsError) as ei:
        c.connect(
            "127.0.0.1",
            port=port,
            username=sshd.username,
            key_filename=sshd.keys["ed25519"],
            look_for_keys=False,
            allow_agent=False,
            timeout=5,
        )
    assert time.monotonic() - start < 5
    e = ei.value
    assert isinstance(e, OSError)
    assert e.errno is None
    assert ("127.0.0.1", port) in e.errors
    assert "Unable to connect to port %d on 127.0.0.1" % port in str(e)
    assert c.get_transport() is None or not c.get_transport().is_active()
    c.close()


@pytest.fixture
def silent_port():
    """A listening socket that accepts TCP (backlog) but never says a word."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


def test_silent_server_banner_timeout(sshd, silent_port):
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    start = time.monotonic()
    with pytest.raises(SSHException) as ei:
        c.connect(
            "127.0.0.1",
            port=silent_port,
            username=sshd.username,
            key_filename=sshd.keys["ed25519"],
            look_for_keys=False,
            allow_agent=False,
            timeout=1,
            banner_timeout=1,
        )
    elapsed = time.monotonic() - start
    assert elapsed < 1 * 1.5 + 4, elapsed
    assert "banner" in str(ei.value).lower()
    c.close()


def test_silent_server_timeout_only(sshd, silent_port):
    # only `timeout`: bounds the TCP connect and the handshake; never hangs
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    start = time.monotonic()
    with pytest.raises((SSHException, socket.timeout)):
        c.connect(
            "127.0.0.1",
            port=silent_port,
            username=sshd.username,
            key_filename=sshd.keys["ed25519"],
            look_for_keys=False,
            allow_agent=False,
            timeout=1,
        )
    assert time.monotonic() - start < 1 * 1.5 + 4
    c.close()


def test_silent_server_banner_timeout_only(sshd, silent_port):
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    start = time.monotonic()
    with pytest.raises(SSHException):
        c.connect(
            "127.0.0.1",
            port=silent_port,
            username=sshd.username,
            key_filename=sshd.keys["ed25519"],
            look_for_keys=False,
            allow_agent=False,
            banner_timeout=2,
        )
    assert time.monotonic() - start < 2 * 1.5 + 4
    c.close()


def test_unresolvable_host(sshd, monkeypatch):
    def fake_getaddrinfo(*args, **kwargs):
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
    c.close()


def test_connect_with_sock(sshd):
    sock = socket.create_connection((sshd.host, sshd.port), timeout=10)
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"], sock=sock))
    try:
        assert _whoami(c) == sshd.username
    finally:
        c.close()


def test_connect_through_fault_proxy_with_latency(sshd, fault_proxy):
    p = fault_proxy(latency=0.02)
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
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
        assert _whoami(c) == sshd.username
        # the host key name is derived from the port we connected to
        assert c.get_host_keys().lookup("[127.0.0.1]:%d" % p.port) is not None
    finally:
        c.close()


# measured: the key exchange takes ~1760 bytes down / ~1440 up, auth ~1900 / ~1880
@pytest.mark.parametrize(
    "cut_after,direction",
    [
        (0, "down"),  # before the banner
        (30, "down"),  # mid-banner
        (1000, "down"),  # mid key exchange
        (1600, "up"),  # during authentication
    ],
)
def test_connection_cut_during_handshake(sshd, fault_proxy, cut_after, direction):
    p = fault_proxy(cut_after=cut_after, cut_direction=direction)
    c = SSHClient()
    c.set_missing_host_key_policy(AutoAddPolicy())
    start = time.monotonic()
    with pytest.raises(SSHException):
        c.connect(
            "127.0.0.1",
            port=p.port,
            username=sshd.username,
            key_filename=sshd.keys["ed25519"],
            look_for_keys=False,
            allow_agent=False,
            timeout=5,
        )
    assert time.monotonic() - start < 5 * 1.5 + 2
    c.close()


# --------------------------------------------------------------------------
# client lifecycle


def test_get_transport_before_and_after(sshd):
    c = SSHClient()
    assert c.get_transport() is None
    c.set_missing_host_key_policy(AutoAddPolicy())
    c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    t = c.get_transport()
    assert isinstance(t, paramiko.Transport)
    assert t.is_active()
    c.close()
    assert not t.is_active()
    assert c.get_transport() is None
    c.close()  # idempotent


def test_context_manager_closes(sshd):
    with _connect(sshd, key_filename=sshd.keys["ed25519"]) as c:
        t = c.get_transport()
        assert t.is_active()
    assert not t.is_active()


def test_context_manager_closes_on_error(sshd):
    with pytest.raises(ZeroDivisionError):
        with _connect(sshd, key_filename=sshd.keys["ed25519"]) as c:
            t = c.get_transport()
            1 / 0
    assert not t.is_active()


def test_close_kills_open_sftp(sshd):
    c = _connect(sshd, key_filename=sshd.keys["ed25519"])
    sftp = c.open_sftp()
    assert sftp.normalize(".")
    c.close()
    with pytest.raises((SSHException, OSError, EOFError)):
        sftp.listdir(".")


def test_exec_after_close_raises(sshd):
    c = _connect(sshd, key_filename=sshd.keys["ed25519"])
    c.close()
    with pytest.raises((SSHException, AttributeError)):
        c.exec_command("true")


def test_open_sftp_twice(sshd, remote_dir):
    with _connect(sshd, key_filename=sshd.keys["ed25519"]) as c:
        s1 = c.open_sftp()
        s2 = c.open_sftp()
        assert s1 is not s2
        with s1.open(remote_dir + "/x", "w") as f:
            f.write(b"hello")
        assert s2.stat(remote_dir + "/x").st_size == 5
        s1.close()
        # closing one SFTP session leaves the other working
        assert s2.listdir(remote_dir) == ["x"]
        s2.close()


def test_set_log_channel(sshd):
    c = SSHClient()
    c.set_log_channel("my.logger")
    c.set_missing_host_key_policy(AutoAddPolicy())
    c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    try:
        assert c.get_transport().get_log_channel() == "my.logger"
    finally:
        c.close()


def test_many_connect_close_cycles(sshd):
    for _ in range(20):
        with _connect(sshd, key_filename=sshd.keys["ed25519"]) as c:
            s = c.open_sftp()
            s.listdir(".")
            s.close()


def test_concurrent_connects(sshd):
    errors = []
    users = []

    def work():
        try:
            with _connect(sshd, key_filename=sshd.keys["ed25519"]) as c:
                users.append(_whoami(c))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert users == [sshd.username] * 10


def test_autoadd_save_keeps_existing_lines_and_mode(sshd, tmp_path):
    other = sshd.host_public_keys["ecdsa"]
    kh = tmp_path / "known_hosts"
    hashed_src = tmp_path / "hashed"
    hashed_src.write_text("hashed.example %s\n" % other)
    subprocess.run(
        ["ssh-keygen", "-q", "-H", "-f", str(hashed_src)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    hashed_line = hashed_src.read_text().strip()
    original = [
        "# my comment",
        "other.example %s" % other,
        hashed_line,
        "@cert-authority *.example %s" % other,
    ]
    kh.write_text("\n".join(original) + "\n")
    os.chmod(kh, 0o600)
    c = SSHClient()
    c.load_host_keys(str(kh))
    c.set_missing_host_key_policy(AutoAddPolicy())
    c.connect(sshd.host, **_kw(sshd, key_filename=sshd.keys["ed25519"]))
    try:
        key = c.get_transport().get_remote_server_key()
    finally:
        c.close()
    lines = [line.strip() for line in kh.read_text().splitlines() if line.strip()]
    for line in original:
        assert line in lines
    assert "%s %s %s" % (_host_name(sshd), key.get_name(), key.get_base64()) in lines
    assert stat_mode(kh) == 0o600
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []


def stat_mode(path):
    import stat

    return stat.S_IMODE(os.stat(path).st_mode)
