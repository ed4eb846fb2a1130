"""Exception classes, shaped like ``paramiko.ssh_exception``.

Every class keeps paramiko's base class, constructor arguments, ``args``,
attributes and ``str()`` so that ``except`` clauses and message checks written
for paramiko keep working.  The Rust core raises these classes directly (it
imports them from this module).
"""

import socket

__all__ = [
    "ConnectionDropped",
    "ConnectionResetDuringConnect",
    "SSHException",
    "AuthenticationException",
    "PasswordRequiredException",
    "BadAuthenticationType",
    "PartialAuthentication",
    "UnableToAuthenticate",
    "ChannelException",
    "BadHostKeyException",
    "IncompatiblePeer",
    "ProxyCommandFailure",
    "NoValidConnectionsError",
    "CouldNotCanonicalize",
    "ConfigParseError",
    "MessageOrderError",
]


class SSHException(Exception):
    """Failure in SSH protocol negotiation or logic."""


class AuthenticationException(SSHException):
    """Authentication failed; retrying with other credentials may work."""


class PasswordRequiredException(AuthenticationException):
    """A password (passphrase) is needed to unlock a private key file."""


class BadAuthenticationType(AuthenticationException):
    """The server does not allow the authentication method that was tried.

    ``allowed_types`` lists the methods the server would accept.
    """

    allowed_types = []

    def __init__(self, explanation, types):
        # paramiko passes both values to the base class: keep ``args`` equal.
        AuthenticationException.__init__(self, explanation, types)
        self.explanation = explanation
        self.allowed_types = types

    def __str__(self):
        return "{}; allowed types: {!r}".format(self.explanation, self.allowed_types)


class PartialAuthentication(AuthenticationException):
    """Authentication succeeded partially; more methods are required."""

    allowed_types = []

    def __init__(self, types):
        AuthenticationException.__init__(self, types)
        self.allowed_types = types

    def __str__(self):
        return "Partial authentication; allowed types: {!r}".format(self.allowed_types)


class UnableToAuthenticate(AuthenticationException):
    """Every authentication source was tried and none worked."""


class ChannelException(SSHException):
    """Opening a new channel failed; ``code`` is the server's reason code."""

    def __init__(self, code, text):
        SSHException.__init__(self, code, text)
        self.code = code
        self.text = text

    def __str__(self):
        return "ChannelException({!r}, {!r})".format(self.code, self.text)


class BadHostKeyException(SSHException):
    """The server's host key differs from the one we expected.

    :param str hostname: the host name (without port) of the server
    :param PKey got_key: the key the server presented
    :param PKey expected_key: the key we had on record
    """

    def __init__(self, hostname, got_key, expected_key):
        SSHException.__init__(self, hostname, got_key, expected_key)
        self.hostname = hostname
        self.key = got_key
        self.expected_key = expected_key

    def __str__(self):
        return ("Host key for server '{}' does not match: got '{}', expected '{}'").format(
            self.hostname,
            self.key.get_base64(),
            self.expected_key.get_base64(),
        )


class IncompatiblePeer(SSHException):
    """Client and server share no algorithm needed for key exchange."""


class ProxyCommandFailure(SSHException):
    """The ProxyCommand subprocess failed.

    :param str command: the command line
    :param str error: what went wrong
    """

    def __init__(self, command, error):
        SSHException.__init__(self, command, error)
        self.command = command
        self.error = error

    def __str__(self):
        return 'ProxyCommand("{}") returned nonzero exit status: {}'.format(self.command, self.error)


class NoValidConnectionsError(socket.error):
    """Every address of the target refused or could not be reached.

    A ``socket.error`` (``OSError``) with ``errno`` ``None``; the individual
    failures are in ``errors``, a dict mapping ``(address, port)`` (or the
    longer IPv6 address tuple) to the exception seen for that address.
    """

    def __init__(self, errors):
        addrs = sorted(errors.keys())
        body = ", ".join([x[0] for x in addrs[:-1]])
        tail = addrs[-1][0]
        if body:
            msg = "Unable to connect to port {0} on {1} or {2}"
        else:
            msg = "Unable to connect to port {0} on {2}"
        # ``None`` stands in for the errno: the errors may all differ.
        super().__init__(None, msg.format(addrs[0][1], body, tail))
        self.errors = errors

    def __reduce__(self):
        return (self.__class__, (self.errors,))


class CouldNotCanonicalize(SSHException):
    """Host name canonicalization failed and fallback is disabled."""


class ConfigParseError(SSHException):
    """A fatal error in SSH config data."""


class MessageOrderError(SSHException):
    """Out-of-order protocol messages broke "strict kex" mode."""


class ConnectionDropped(SSHException, EOFError):
    """The connection died mid-operation (reset, EOF, corrupt packet).

    ferrosftp's own class: paramiko raises a bare EOFError on some paths and an
    SSHException on others; this is both, so either ``except`` clause catches it.
    """


class ConnectionResetDuringConnect(SSHException, ConnectionResetError):
    """The peer reset (or closed) the TCP connection before the SSH session existed.

    ferrosftp's own class. paramiko raises ``ConnectionResetError`` when the
    reset reaches ``socket.connect()`` or its banner write, and
    ``SSHException("Error reading SSH protocol banner...")`` when it reaches the
    banner read, depending only on timing; this is both (with ``errno``), so
    either ``except`` clause catches it every time.
    """
