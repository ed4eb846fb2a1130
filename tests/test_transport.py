"""Transport against the real sshd (issue #2): the low-level connect path
pysftp and sftpsyncer use, host-key checks, algorithm preferences, state and
channels (reference/api.md 2.3)."""

import base64
import socket
import subprocess
import time

import pytest
from sshd_server import SshdServer

import ferrosftp as paramiko
from ferrosftp import (
    AuthenticationException,
    BadAuthenticationType,
    SSHException,
    Transport,
)

GCM = ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"]


def _pub(line):
    """A PKey from an OpenSSH public key line (paramiko: from_type_string takes the blob)."""
    typ, b64 = line.split()[:2]
    return paramiko.PKey.from_type_string(typ, base64.b64decode(b64))


def _key(sshd, kind="ed25519"):
    return paramiko.PKey.from_path(sshd.keys[kind])


@pytest.fixture
def transport(sshd):
    t = Transport((sshd.host, sshd.port))
    try:
        yield t
    finally:
        t.close()


# --------------------------------------------------------------------------
# the SSHClient's transport


def test_client_transport_state(client, sshd):
    t = client.get_transport()
    assert isinstance(t, Transport)
    assert t.is_active()
    assert t.is_authenticated()
    assert t.active
    assert t.get_username() == sshd.username
    assert t.getpeername() == ("127.0.0.1", sshd.port)
    assert t.remote_version.startswith("SSH-2.0-OpenSSH")
    assert t.local_version.startswith("SSH-2.0-")
    assert "authenticated" in repr(t)


def test_remote_server_key_matches_host_key_file(client, sshd):
    key = client.get_transport().get_remote_server_key()
    assert isinstance(key, paramiko.PKey)
    name = key.get_name()
    kinds = {"ssh-ed25519": "ed25519", "ecdsa-sha2-nistp256": "ecdsa", "ssh-rsa": "rsa"}
    assert name in kinds
    with open(sshd.host_key_paths[kinds[name]] + ".pub") as f:
        typ, b64 = f.read().split()[:2]
    assert typ == name
    assert key.get_base64() == b64
    assert len(key.get_fingerprint()) == 16
    assert key.fingerprint.startswith("SHA256:")
    # parsed once per connection: the same object each time, as paramiko's
    assert client.get_transport().get_remote_server_key() is key


def test_ssh_keygen_fingerprint_matches(client, sshd):
    key = client.get_transport().get_remote_server_key()
    kinds = {"ssh-ed25519": "ed25519", "ecdsa-sha2-nistp256": "ecdsa", "ssh-rsa": "rsa"}
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", sshd.host_key_paths[kinds[key.get_name()]] + ".pub"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert key.fingerprint == out.split()[1]


def test_aes_gcm_negotiated_by_default(client):
    t = client.get_transport()
    assert t.local_cipher in GCM
    assert t.remote_cipher in GCM
    assert t.local_cipher == "aes128-gcm@openssh.com"


def test_security_options(client):
    opts = client.get_transport().get_security_options()
    assert isinstance(opts, paramiko.SecurityOptions)
    assert isinstance(opts.ciphers, tuple)
    assert opts.ciphers[0] == "aes128-gcm@openssh.com"
    assert isinstance(opts.digests, tuple) and opts.digests
    assert isinstance(opts.kex, tuple) and opts.kex
    assert "ssh-ed25519" in opts.key_types
    assert isinstance(opts.compression, tuple)


def test_libssh2_algorithms_are_asked_once_per_process(monkeypatch):
    a, b = socket.socketpair()
    Transport(a).close()  # the first transport of the process asks libssh2
    calls = []
    monkeypatch.setattr(paramiko._native, "supported_algorithms", calls.append)
    t = Transport(b)
    try:
        assert calls == []
        opts = t.get_security_options()
        assert opts.ciphers[0] == "aes128-gcm@openssh.com" and opts.kex and opts.key_types
        opts.digests = opts.digests[:1]  # the setter checks names against the same lists
        assert calls == []
    finally:
        t.close()


def test_security_options_setters_validate(transport):
    opts = transport.get_security_options()
    with pytest.raises(ValueError, match="unknown cipher"):
        opts.ciphers = ("no-such-cipher",)
    with pytest.raises(TypeError, match="expected tuple or list"):
        opts.ciphers = "aes128-ctr"
    opts.ciphers = ["aes256-ctr", "aes128-ctr"]
    assert opts.ciphers == ("aes256-ctr", "aes128-ctr")


def test_security_options_ciphers_take_effect(sshd, transport):
    transport.get_security_options().ciphers = ("aes256-ctr",)
    transport.connect(username=sshd.username, pkey=_key(sshd))
    assert transport.local_cipher == "aes256-ctr"
    assert transport.remote_cipher == "aes256-ctr"


def test_disabled_algorithms_changes_cipher(sshd):
    t = Transport((sshd.host, sshd.port), disabled_algorithms={"ciphers": GCM})
    try:
        assert not set(GCM) & set(t.get_security_options().ciphers)
        t.connect(username=sshd.username, pkey=_key(sshd))
        assert t.local_cipher not in GCM
        assert t.local_cipher != ""
        assert t.is_authenticated()
    finally:
        t.close()


def test_client_disabled_algorithms(sshd):
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect(
        sshd.host,
        port=sshd.port,
        username=sshd.username,
        key_filename=sshd.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        disabled_algorithms={"ciphers": GCM + ["aes128-ctr"]},
    )
    try:
        assert c.get_transport().local_cipher not in GCM + ["aes128-ctr"]
    finally:
        c.close()


def test_set_keepalive(client):
    t = client.get_transport()
    t.set_keepalive(1)
    native = t._session
    deadline = time.monotonic() + 10
    while native.keepalives_sent() == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert native.keepalives_sent() >= 1
    # the connection is still fine while keepalives flow
    _, stdout, _ = client.exec_command("echo alive")
    assert stdout.read() == b"alive\n"
    t.set_keepalive(0)


def test_open_session_exec(client):
    chan = client.get_transport().open_session()
    assert isinstance(chan, paramiko.Channel)
    chan.exec_command("echo via-transport")
    assert chan.makefile().read() == b"via-transport\n"
    assert chan.recv_exit_status() == 0
    chan.close()


def test_open_channel_session(client):
    chan = client.get_transport().open_channel("session")
    chan.exec_command("exit 4")
    assert chan.recv_exit_status() == 4
    chan.close()


def test_open_channel_direct_tcpip(client, sshd):
    # the jump-host pattern: a tunnel to a TCP port reachable from the server
    chan = client.get_transport().open_channel("direct-tcpip", (sshd.host, sshd.port), ("127.0.0.1", 0))
    chan.settimeout(10)
    banner = b""
    while b"\n" not in banner:
        data = chan.recv(256)
        assert data
        banner += data
    assert banner.startswith(b"SSH-2.0-OpenSSH")
    chan.close()


def test_open_channel_direct_tcpip_refused(client):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(paramiko.ChannelException) as ei:
        client.get_transport().open_channel("direct-tcpip", ("127.0.0.1", port), ("127.0.0.1", 0), timeout=10)
    assert isinstance(ei.value, SSHException)
    # the transport survives a refused channel
    _, stdout, _ = client.exec_command("echo ok")
    assert stdout.read() == b"ok\n"


def test_open_sftp_client(client, remote_dir):
    sftp = client.get_transport().open_sftp_client()
    assert isinstance(sftp, paramiko.SFTPClient)
    assert sftp.listdir(remote_dir) == []
    sftp.close()


def test_sftpclient_from_transport(client, remote_dir):
    sftp = paramiko.SFTPClient.from_transport(client.get_transport())
    assert sftp.normalize(remote_dir) == remote_dir
    sftp.close()


# --------------------------------------------------------------------------
# Transport((host, port)) + connect: the pysftp / sftpsyncer path


def test_transport_tuple_connect_pkey(sshd, transport, remote_dir):
    assert not transport.is_active()
    assert not transport.is_authenticated()
    assert transport.local_cipher == ""
    transport.connect(username=sshd.username, pkey=_key(sshd))
    assert transport.is_active()
    assert transport.is_authenticated()
    assert transport.get_username() == sshd.username
    sftp = paramiko.SFTPClient.from_transport(transport)
    sftp.open(remote_dir + "/f", "w").close()
    assert sftp.listdir(remote_dir) == ["f"]
    sftp.close()


def test_transport_string_host_port(sshd):
    t = Transport("%s:%d" % (sshd.host, sshd.port))
    try:
        t.connect(username=sshd.username, pkey=_key(sshd, "ecdsa"))
        assert t.is_authenticated()
    finally:
        t.close()


def test_transport_over_socket(sshd):
    sock = socket.create_connection((sshd.host, sshd.port), timeout=10)
    t = Transport(sock)
    try:
        t.start_client(timeout=10)
        assert t.is_active()
        assert not t.is_authenticated()
        t.auth_publickey(sshd.username, _key(sshd, "rsa"))
        assert t.is_authenticated()
    finally:
        t.close()


def test_transport_connect_password(sshd, transport):
    if not sshd.password_auth:
        pytest.skip("password authentication needs root")
    transport.connect(username=sshd.username, password=sshd.password)
    assert transport.is_authenticated()


def test_transport_connect_wrong_password(sshd, transport):
    if not sshd.password_auth:
        pytest.skip("password authentication needs root")
    with pytest.raises(AuthenticationException):
        transport.connect(username=sshd.username, password="wrong-password")
    assert not transport.is_authenticated()


def test_transport_connect_pkey_wins_over_password(sshd, transport):
    transport.connect(username=sshd.username, password="ignored-wrong", pkey=_key(sshd))
    assert transport.is_authenticated()


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_transport_connect_right_hostkey(sshd, transport, kind):
    # pysftp passes the known key: the transport must negotiate that key's type
    hostkey = _pub(sshd.host_public_keys[kind])
    transport.connect(hostkey=hostkey, username=sshd.username, pkey=_key(sshd))
    assert transport.get_remote_server_key() == hostkey
    assert transport.is_authenticated()


def test_transport_connect_wrong_hostkey(sshd, transport, tmp_path):
    other = tmp_path / "k"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True, stdin=subprocess.DEVNULL
    )
    wrong = _pub((tmp_path / "k.pub").read_text())
    with pytest.raises(SSHException) as ei:
        transport.connect(hostkey=wrong, username=sshd.username, pkey=_key(sshd))
    assert str(ei.value) == "Bad host key from server"
    assert not isinstance(ei.value, paramiko.BadHostKeyException)
    assert not transport.is_authenticated()


def test_transport_connect_no_credentials_handshake_only(sshd, transport):
    transport.connect()
    assert transport.is_active()
    assert not transport.is_authenticated()


def test_transport_refused_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(SSHException, match=r"Unable to connect to 127\.0\.0\.1"):
        Transport(("127.0.0.1", port))


def test_auth_none_reports_allowed_types(sshd, transport):
    transport.start_client()
    with pytest.raises(BadAuthenticationType) as ei:
        transport.auth_none(sshd.username)
    assert "publickey" in ei.value.allowed_types
    assert isinstance(ei.value, AuthenticationException)


def test_auth_publickey_wrong_key(sshd, transport, tmp_path):
    path = tmp_path / "k"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True, stdin=subprocess.DEVNULL
    )
    transport.start_client()
    with pytest.raises(AuthenticationException):
        transport.auth_publickey(sshd.username, paramiko.PKey.from_path(str(path)))
    # a second attempt with the right key on the same transport works
    assert transport.auth_publickey(sshd.username, _key(sshd)) == []
    assert transport.is_authenticated()


def _method_queries(monkeypatch):
    """The times the transport asks the server which methods it allows (one
    round trip each), seen by a spy on Transport._allowed."""
    asked = []
    real = Transport._allowed

    def spy(self, username):
        asked.append(username)
        return real(self, username)

    monkeypatch.setattr(Transport, "_allowed", spy)
    return asked


def test_auth_publickey_offers_the_key_at_once(sshd, transport, tmp_path, monkeypatch):
    # as paramiko: the key goes out first; the allowed methods are asked only
    # after a refusal, to tell a refused key from a refused method
    asked = _method_queries(monkeypatch)
    path = tmp_path / "k"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True, stdin=subprocess.DEVNULL
    )
    transport.start_client()
    with pytest.raises(AuthenticationException) as ei:
        transport.auth_publickey(sshd.username, paramiko.PKey.from_path(str(path)))
    assert type(ei.value) is AuthenticationException
    assert str(ei.value) == "Authentication failed."
    assert asked == [sshd.username]
    assert transport.auth_publickey(sshd.username, _key(sshd)) == []
    assert asked == [sshd.username]  # the accepted key asked nothing
    assert transport.is_authenticated()


@pytest.mark.timeout(60)
def test_auth_publickey_where_the_server_allows_passwords_only():
    srv = SshdServer(extra_config="AuthenticationMethods password", rsa_bits=2048).start()
    try:
        t = Transport((srv.host, srv.port))
        try:
            t.start_client()
            with pytest.raises(BadAuthenticationType) as ei:
                t.auth_publickey(srv.username, paramiko.PKey.from_path(srv.keys["ed25519"]))
            assert ei.value.allowed_types == ["password"]
            assert str(ei.value) == "Bad authentication type; allowed types: ['password']"
            assert not t.is_authenticated()
        finally:
            t.close()
    finally:
        srv.stop()


def test_auth_password_returns_list(sshd, transport):
    if not sshd.password_auth:
        pytest.skip("password authentication needs root")
    transport.start_client()
    assert transport.auth_password(sshd.username, sshd.password) == []


def test_start_client_on_silent_server():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    try:
        t = Transport(s.getsockname())
        t.banner_timeout = 1
        start = time.monotonic()
        with pytest.raises(SSHException):
            t.start_client(timeout=1)
        assert time.monotonic() - start < 1 * 1.5 + 3
        assert not t.is_active()
        t.close()
    finally:
        s.close()


def test_default_timeouts():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        t = Transport(s.getsockname())
        assert t.banner_timeout == 15
        assert t.handshake_timeout == 15
        assert t.auth_timeout == 30
        assert t.channel_timeout == 3600
        assert t.default_window_size == 2097152
        assert t.default_max_packet_size == 32768
        t.close()
    finally:
        s.close()


def test_compression(sshd):
    t = Transport((sshd.host, sshd.port))
    try:
        t.use_compression(True)
        t.connect(username=sshd.username, pkey=_key(sshd))
        assert t.local_compression in ("zlib@openssh.com", "zlib")
        assert t.remote_compression in ("zlib@openssh.com", "zlib")
        sftp = paramiko.SFTPClient.from_transport(t)
        assert sftp.normalize(".")
        sftp.close()
    finally:
        t.close()


def test_no_compression_by_default(client):
    t = client.get_transport()
    assert t.local_compression == "none"
    assert t.remote_compression == "none"


# --------------------------------------------------------------------------
# closing


def test_close_before_the_handshake_closes_the_socket(sshd):
    """paramiko's Transport((host, port)) connects at once; close() closes it."""
    t = Transport((sshd.host, sshd.port))
    sock = t.sock
    assert sock.fileno() >= 0
    t.close()
    assert sock.fileno() == -1
    t.close()  # idempotent


def test_close_makes_inactive(sshd):
    t = Transport((sshd.host, sshd.port))
    t.connect(username=sshd.username, pkey=_key(sshd))
    assert t.is_active()
    t.close()
    assert not t.is_active()
    assert not t.is_authenticated()
    assert not t.active
    t.close()  # idempotent
    with pytest.raises(SSHException):
        t.open_session()
    with pytest.raises(SSHException):
        t.get_remote_server_key()


def test_close_closes_channels_and_sftp(sshd, remote_dir):
    t = Transport((sshd.host, sshd.port))
    t.connect(username=sshd.username, pkey=_key(sshd))
    chan = t.open_session()
    chan.exec_command("sleep 5")
    sftp = paramiko.SFTPClient.from_transport(t)
    t.close()
    with pytest.raises((SSHException, OSError, EOFError)):
        sftp.stat(remote_dir)


def test_context_manager(sshd):
    with Transport((sshd.host, sshd.port)) as t:
        t.connect(username=sshd.username, pkey=_key(sshd))
        assert t.is_active()
    assert not t.is_active()


def test_context_manager_on_error(sshd):
    with pytest.raises(KeyError):
        with Transport((sshd.host, sshd.port)) as t:
            t.connect(username=sshd.username, pkey=_key(sshd))
            raise KeyError("boom")
    assert not t.is_active()


def test_logging_settings(transport):
    transport.set_log_channel("x.y")
    assert transport.get_log_channel() == "x.y"
    transport.set_hexdump(True)
    assert transport.get_hexdump() is True


def test_open_session_before_auth_refused_quickly(sshd, transport):
    # OpenSSH ignores a channel open before authentication: never wait for it
    transport.start_client()
    start = time.monotonic()
    with pytest.raises(SSHException):
        transport.open_session()
    with pytest.raises(SSHException):
        transport.open_channel("direct-tcpip", (sshd.host, sshd.port), ("127.0.0.1", 0))
    with pytest.raises(SSHException):
        paramiko.SFTPClient.from_transport(transport)
    assert time.monotonic() - start < 10
    # authenticating afterwards still works
    transport.auth_publickey(sshd.username, _key(sshd))
    chan = transport.open_session()
    chan.exec_command("echo late")
    assert chan.makefile().read() == b"late\n"
    chan.close()


def test_sftpclient_over_subsystem_channel(client, remote_dir):
    # paramiko's constructor form: SFTPClient(channel running the sftp subsystem)
    chan = client.get_transport().open_session()
    chan.invoke_subsystem("sftp")
    sftp = paramiko.SFTPClient(chan)
    try:
        with sftp.open(remote_dir + "/x", "w") as f:
            f.write(b"via channel")
        assert sftp.listdir(remote_dir) == ["x"]
    finally:
        sftp.close()


@pytest.mark.timeout(60)
def test_thread_shaped_api_as_sshtunnel_uses_it(sshd):
    """sshtunnel: Transport(sock); set_keepalive() and .daemon before the
    handshake; is_alive() while up; stop_thread()/join() to end it."""
    sock = socket.create_connection((sshd.host, sshd.port), timeout=10)
    t = paramiko.Transport(sock)
    t.set_keepalive(1)  # before the handshake: paramiko allows it
    t.daemon = False
    assert not t.is_alive()
    t.connect(username=sshd.username, pkey=paramiko.PKey.from_path(sshd.keys["ed25519"]))
    try:
        assert t.is_alive() and t.is_active()
        native = t._session
        deadline = time.monotonic() + 10
        while native.keepalives_sent() == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert native.keepalives_sent() >= 1, "the keepalive set before the handshake never ran"
        t0 = time.monotonic()
        t.join(timeout=0.3)  # still up: returns after the timeout
        assert t.is_alive() and time.monotonic() - t0 >= 0.25
    finally:
        t.stop_thread()
    t.join(timeout=5)
    assert not t.is_alive() and not t.is_active()
