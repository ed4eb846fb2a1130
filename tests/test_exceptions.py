"""Exception classes: paramiko's hierarchy (ssh_exception), SFTP constants
and SFTPError (sftp), pysftp's and sftpsyncer's exceptions (exceptions).

The exception each SFTP status becomes is checked against a real server in
test_sftp_client.py (the mapping is the Rust core's, src/error.rs)."""

import pickle
import socket

import pytest

from ferrosftp import exceptions as fx
from ferrosftp import sftp
from ferrosftp import ssh_exception as se


class _FakeKey:
    def __init__(self, b64):
        self._b64 = b64

    def get_base64(self):
        return self._b64


# --- paramiko hierarchy ----------------------------------------------------------


@pytest.mark.parametrize(
    "cls, base",
    [
        (se.SSHException, Exception),
        (se.AuthenticationException, se.SSHException),
        (se.PasswordRequiredException, se.AuthenticationException),
        (se.BadAuthenticationType, se.AuthenticationException),
        (se.PartialAuthentication, se.AuthenticationException),
        (se.UnableToAuthenticate, se.AuthenticationException),
        (se.ChannelException, se.SSHException),
        (se.BadHostKeyException, se.SSHException),
        (se.IncompatiblePeer, se.SSHException),
        (se.ProxyCommandFailure, se.SSHException),
        (se.CouldNotCanonicalize, se.SSHException),
        (se.ConfigParseError, se.SSHException),
        (se.MessageOrderError, se.SSHException),
        (se.NoValidConnectionsError, OSError),
    ],
)
def test_hierarchy(cls, base):
    assert issubclass(cls, base)


def test_ssh_exception_plain_message():
    e = se.SSHException("No authentication methods available")
    assert str(e) == "No authentication methods available"
    assert e.args == ("No authentication methods available",)
    e = se.PasswordRequiredException("private key file is encrypted")
    assert str(e) == "private key file is encrypted"
    assert isinstance(e, se.SSHException)


def test_bad_authentication_type():
    e = se.BadAuthenticationType("Bad authentication type", ["publickey"])
    assert e.explanation == "Bad authentication type"
    assert e.allowed_types == ["publickey"]
    assert e.args == ("Bad authentication type", ["publickey"])
    assert str(e) == "Bad authentication type; allowed types: ['publickey']"
    assert se.BadAuthenticationType.allowed_types == []


def test_partial_authentication():
    e = se.PartialAuthentication(["password", "publickey"])
    assert e.allowed_types == ["password", "publickey"]
    assert e.args == (["password", "publickey"],)
    assert str(e) == "Partial authentication; allowed types: ['password', 'publickey']"


def test_channel_exception():
    e = se.ChannelException(2, "Connect failed")
    assert (e.code, e.text) == (2, "Connect failed")
    assert e.args == (2, "Connect failed")
    assert str(e) == "ChannelException(2, 'Connect failed')"


def test_bad_host_key_exception():
    got, expected = _FakeKey("AAAAgot"), _FakeKey("AAAAexp")
    e = se.BadHostKeyException("example.com", got, expected)
    assert e.hostname == "example.com"
    assert e.key is got
    assert e.expected_key is expected
    assert e.args == ("example.com", got, expected)
    assert str(e) == ("Host key for server 'example.com' does not match: got 'AAAAgot', expected 'AAAAexp'")


def test_proxy_command_failure():
    e = se.ProxyCommandFailure("ssh -W %h:%p jump", "broken pipe")
    assert (e.command, e.error) == ("ssh -W %h:%p jump", "broken pipe")
    assert e.args == ("ssh -W %h:%p jump", "broken pipe")
    assert str(e) == ('ProxyCommand("ssh -W %h:%p jump") returned nonzero exit status: broken pipe')


def test_no_valid_connections_single():
    errors = {("127.0.0.1", 22): ConnectionRefusedError(111, "refused")}
    e = se.NoValidConnectionsError(errors)
    assert isinstance(e, socket.error)
    assert e.errno is None
    assert e.errors is errors
    assert str(e) == "[Errno None] Unable to connect to port 22 on 127.0.0.1"


def test_no_valid_connections_multiple_and_pickle():
    errors = {
        ("::1", 2222, 0, 0): ConnectionRefusedError(111, "refused"),
        ("127.0.0.1", 2222): ConnectionRefusedError(111, "refused"),
    }
    e = se.NoValidConnectionsError(errors)
    assert e.strerror == "Unable to connect to port 2222 on 127.0.0.1 or ::1"
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is se.NoValidConnectionsError
    assert set(again.errors) == set(errors)
    assert str(again) == str(e)


def test_catch_as_oserror():
    with pytest.raises(OSError):
        raise se.NoValidConnectionsError({("10.0.0.1", 22): OSError("x")})


# --- SFTP constants ----------------------------------------------------------------------


def test_sftp_constants():
    assert [
        sftp.SFTP_OK,
        sftp.SFTP_EOF,
        sftp.SFTP_NO_SUCH_FILE,
        sftp.SFTP_PERMISSION_DENIED,
        sftp.SFTP_FAILURE,
        sftp.SFTP_BAD_MESSAGE,
        sftp.SFTP_NO_CONNECTION,
        sftp.SFTP_CONNECTION_LOST,
        sftp.SFTP_OP_UNSUPPORTED,
    ] == list(range(9))
    assert (
        sftp.SFTP_FLAG_READ,
        sftp.SFTP_FLAG_WRITE,
        sftp.SFTP_FLAG_APPEND,
        sftp.SFTP_FLAG_CREATE,
        sftp.SFTP_FLAG_TRUNC,
        sftp.SFTP_FLAG_EXCL,
    ) == (0x1, 0x2, 0x4, 0x8, 0x10, 0x20)
    assert issubclass(sftp.int64, int) and sftp.int64(5) == 5
    assert issubclass(sftp.SFTPError, Exception)
    assert not issubclass(sftp.SFTPError, OSError)


# --- pysftp ---------------------------------------------------------------------------


def test_connection_exception_quirk():
    e = fx.ConnectionException("badhost", 22)
    assert e.args == ("badhost", 22)
    assert e.message == "Could not connect to host:port.  %s:%s"
    assert str(e) == "('badhost', 22)"


def test_credential_exception():
    e = fx.CredentialException("No username specified.")
    assert e.message == "No username specified."
    assert str(e) == "No username specified."
    assert e.args == ("No username specified.",)


def test_host_keys_exception():
    e = fx.HostKeysException("No Host Keys Found")
    assert isinstance(e, Exception)
    assert str(e) == "No Host Keys Found"


# --- sftpsyncer -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, builtin",
    [
        (fx.FileNotFound, FileNotFoundError),
        (fx.ConnectionError, ConnectionError),
        (fx.LocalFileNotFound, FileNotFoundError),
        (fx.LocalCacheDirNotFound, FileNotFoundError),
        (fx.TransferError, OSError),
        (fx.RemoteDirNotCreated, OSError),
    ],
)
def test_syncer_exceptions_message_only(cls, builtin):
    e = cls("something went wrong: x/y")
    assert isinstance(e, builtin)
    assert str(e) == "something went wrong: x/y"
    assert e.message == "something went wrong: x/y"
    with pytest.raises(builtin):
        raise e
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is cls and str(again) == str(e)


def test_syncer_connection_error_shadows_builtin():
    assert fx.ConnectionError is not ConnectionError
    assert issubclass(fx.ConnectionError, ConnectionError)


def test_sync_conflict():
    e = fx.SyncConflict(["a.txt", "sub/b.txt"])
    assert e.paths == ["a.txt", "sub/b.txt"]
    assert not isinstance(e, OSError)
    assert "a.txt" in str(e) and "sub/b.txt" in str(e)
    e2 = fx.SyncConflict("only.txt", "custom")
    assert e2.paths == ["only.txt"] and str(e2) == "custom"
    again = pickle.loads(pickle.dumps(e))
    assert again.paths == e.paths and str(again) == str(e)


# --- paramiko.common constants ------------------------------------------------------------


def test_common_constants():
    from ferrosftp import common

    assert common.DEFAULT_WINDOW_SIZE == 2097152
    assert common.DEFAULT_MAX_PACKET_SIZE == 32768
    assert common.io_sleep == 0.01
    assert (common.AUTH_SUCCESSFUL, common.AUTH_PARTIALLY_SUCCESSFUL, common.AUTH_FAILED) == (0, 1, 2)
    assert (
        common.OPEN_SUCCEEDED,
        common.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
        common.OPEN_FAILED_CONNECT_FAILED,
        common.OPEN_FAILED_UNKNOWN_CHANNEL_TYPE,
        common.OPEN_FAILED_RESOURCE_SHORTAGE,
    ) == (0, 1, 2, 3, 4)
    assert common.MSG_CHANNEL_DATA == 94 and common.cMSG_CHANNEL_DATA == b"\x5e"
    assert common.MSG_NAMES[common.MSG_KEXINIT] == "kexinit"
    assert common.o600 == 0o600 and common.xffffffff == 0xFFFFFFFF
    assert common.asbytes("é") == "é".encode() and common.asbytes(b"x") == b"x"
    assert common.byte_ord(b"A") == 65 and common.byte_chr(65) == b"A"
