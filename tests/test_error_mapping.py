"""The one mapping from the Rust core's errors to Python exceptions
(src/error.rs), each produced by a real event against the real sshd: the
class, its paramiko/OSError arguments and its text, as paramiko raises them.
"""

import errno
import os
import socket
import subprocess

import pytest

import ferrosftp
from ferrosftp.ssh_exception import (
    AuthenticationException,
    ChannelException,
    ConnectionDropped,
    ConnectionResetDuringConnect,
    PasswordRequiredException,
    SSHException,
)

from client_helpers import connect_client

pytestmark = pytest.mark.timeout(60)


def test_libssh2_auth_failure_codes_are_authentication_exception(sshd, tmp_path):
    # LIBSSH2_ERROR_AUTHENTICATION_FAILED (password) and the unverified-key code
    with pytest.raises(AuthenticationException) as e:
        connect_client(sshd, key_filename=None, password="definitely-wrong")
    assert str(e.value) == "Authentication failed."
    key = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    with pytest.raises(AuthenticationException) as e:
        connect_client(sshd, key_filename=str(key))
    assert str(e.value) == "Authentication failed."


def test_refused_channel_open_is_channel_exception_with_the_servers_reason(client):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ChannelException) as e:
        client.get_transport().open_channel("direct-tcpip", ("127.0.0.1", port), ("127.0.0.1", 0), timeout=10)
    # paramiko: ChannelException(reason code, CONNECTION_FAILED_CODE[reason])
    assert (e.value.code, e.value.text) == (2, "Connect failed")
    assert isinstance(e.value, SSHException)


def test_sftp_status_codes(sftp, sshd, remote_dir):
    with pytest.raises(FileNotFoundError) as e:
        sftp.stat(remote_dir + "/missing")
    assert (e.value.errno, e.value.strerror) == (errno.ENOENT, "No such file")
    locked = os.path.join(remote_dir, "locked")
    with open(locked, "wb"):
        pass
    os.chmod(locked, 0)
    with pytest.raises(PermissionError) as e:
        sftp.open(locked, "r")
    assert (e.value.errno, e.value.strerror) == (errno.EACCES, "Permission denied")
    full = os.path.join(remote_dir, "full")
    os.makedirs(full + "/inside")
    sshd.chown_to_user(full)
    with pytest.raises(OSError) as e:  # SSH_FX_FAILURE: OSError with only a text
        sftp.rmdir(full)
    assert type(e.value) is OSError and e.value.errno is None and str(e.value) == "Failure"


def test_local_io_error_keeps_errno(sftp, remote_dir, tmp_path):
    path = os.path.join(remote_dir, "f")
    with open(path, "wb") as f:
        f.write(b"x")
    with pytest.raises(FileNotFoundError) as e:
        sftp.get(path, str(tmp_path / "no-such-dir" / "f"))
    assert e.value.errno == errno.ENOENT


def test_timeout_is_socket_timeout(sshd, fault_proxy):
    proxy = fault_proxy()
    c = connect_client(sshd, port=proxy.port)
    try:
        sftp = c.open_sftp()
        sftp.get_channel().settimeout(1.0)
        proxy.stall_all()
        with pytest.raises(socket.timeout):
            sftp.listdir(".")
    finally:
        c.close()


def test_reset_connection_is_connection_dropped(sshd, fault_proxy):
    proxy = fault_proxy()
    c = connect_client(sshd, port=proxy.port)
    try:
        sftp = c.open_sftp()
        sftp.listdir(".")
        proxy.cut_all()
        with pytest.raises(SSHException) as e:
            for _ in range(50):
                sftp.listdir(".")
        # both paramiko's "Server connection dropped" and an EOFError
        assert isinstance(e.value, ConnectionDropped) and isinstance(e.value, EOFError)
        assert str(e.value).startswith("Server connection dropped")
    finally:
        c.close()


def test_reset_before_the_banner_is_connection_reset_during_connect():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        sock = socket.create_connection(listener.getsockname(), timeout=10)
        peer, _ = listener.accept()
        peer.close()
        t = ferrosftp.Transport(sock)
        with pytest.raises(SSHException) as e:
            t.start_client(timeout=10)
        t.close()
    # a socket code before the first packet: the peer went away
    assert isinstance(e.value, ConnectionResetDuringConnect) and isinstance(e.value, ConnectionResetError)
    assert e.value.errno == errno.ECONNRESET
    assert e.value.strerror.startswith("Error reading SSH protocol banner")


def test_encrypted_key_without_passphrase(tmp_path):
    key = tmp_path / "locked"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", str(key)], check=True)
    with pytest.raises(PasswordRequiredException) as e:
        ferrosftp.Ed25519Key.from_private_key_file(str(key))
    assert isinstance(e.value, AuthenticationException)
