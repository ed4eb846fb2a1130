"""What went wrong, as the command line says it: an exit code and one line
on stderr for every exception (:func:`explain`)."""

from __future__ import annotations

import contextlib
import socket
import sys
from typing import Tuple

from ..exceptions import ConnectionError as SyncConnectionError
from ..exceptions import FileNotFound, LocalCacheDirNotFound, LocalFileNotFound, SyncConflict, TransferError
from ..host_config import UsageError
from ..sessions import ConnectFailed, UnknownHostKeyError
from ..ssh_exception import (
    AuthenticationException,
    BadHostKeyException,
    NoValidConnectionsError,
    PasswordRequiredException,
    SSHException,
)

PROG = "ferrosftp"

EXIT_OK = 0
EXIT_OTHER = 1
EXIT_USAGE = 2
EXIT_CONNECT = 3
EXIT_AUTH = 4
EXIT_HOSTKEY = 5
EXIT_NOTFOUND = 6
EXIT_CONFLICT = 7
EXIT_TRANSFER = 8
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_OTHER: "other error",
    EXIT_USAGE: "usage error (bad arguments or options, unsupported ssh config)",
    EXIT_CONNECT: "cannot connect (DNS failure, connection refused, timeout, server unreachable)",
    EXIT_AUTH: "authentication failed (wrong key, password or passphrase)",
    EXIT_HOSTKEY: "host key unknown or changed (not verified)",
    EXIT_NOTFOUND: "file not found or permission denied (remote or local)",
    EXIT_CONFLICT: "sync conflict: a file changed on both sides (nothing overwritten)",
    EXIT_TRANSFER: "a transfer failed part-way (nothing partial left under the final name)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}


class Failures(Exception):
    """Several files failed (already reported one line each)."""

    def __init__(self, code: int, message: str):
        Exception.__init__(self, message)
        self.code = code


def _chain(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        if isinstance(exc, ConnectFailed):
            exc = exc.cause
        else:
            exc = exc.__cause__ or exc.__context__


def explain(exc: BaseException) -> Tuple[int, str]:
    """(exit code, one-line message) for an exception."""
    target = address = ""
    for e in _chain(exc):
        if isinstance(e, ConnectFailed):
            target, address = e.target, e.address
            break
    where = (target + ": ") if target else ""
    at = (" ({})".format(address)) if address else ""

    if isinstance(exc, UsageError):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(exc, SyncConflict):
        return EXIT_CONFLICT, "sync conflict (nothing overwritten; use --force to override): " + ", ".join(exc.paths)
    if isinstance(exc, Failures):
        return exc.code, str(exc)
    if isinstance(exc, TransferError):
        return EXIT_TRANSFER, str(exc)
    for e in _chain(exc):
        if isinstance(e, UnknownHostKeyError):
            return EXIT_HOSTKEY, "{}{} (or pass --accept-new-host-key)".format(where, e)
        if isinstance(e, BadHostKeyException):
            return EXIT_HOSTKEY, (
                "{}HOST KEY MISMATCH: the server's host key differs from the one in "
                "known_hosts; refusing to connect".format(where)
            )
        if isinstance(e, PasswordRequiredException):
            return EXIT_AUTH, "{}private key is encrypted: give its passphrase with --passphrase-env VAR".format(where)
        if isinstance(e, AuthenticationException):
            detail = str(e).strip().rstrip(".")
            detail = "" if detail.lower() in ("", "authentication failed") else " ({})".format(detail)
            return EXIT_AUTH, "{}authentication failed{}: check the key (-i KEY), the agent or the password".format(
                where, detail
            )
        if isinstance(e, SSHException) and str(e) == "No authentication methods available":
            return EXIT_AUTH, (
                "{}no key, agent or password to log in with: pass -i KEY, start ssh-agent, "
                "or give a password with --password-env VAR".format(where)
            )
        if isinstance(e, socket.gaierror):
            return EXIT_CONNECT, "{}cannot resolve host name ({})".format(where, e.strerror or e)
        if isinstance(e, (NoValidConnectionsError, ConnectionRefusedError)):
            return EXIT_CONNECT, "{}connection refused{}: is sshd running there, and is the port (-P) right?".format(
                where, at
            )
        if isinstance(e, (socket.timeout, TimeoutError)):
            return EXIT_CONNECT, "{}timed out{}".format(where, at)
        if isinstance(e, (OSError,)) and e.errno in (101, 113, 110):  # unreachable, no route, timeout
            return EXIT_CONNECT, "{}{}".format(where, e.strerror or e)
    if isinstance(exc, (FileNotFound, LocalFileNotFound, LocalCacheDirNotFound)):
        return EXIT_NOTFOUND, str(exc)
    if isinstance(exc, (FileNotFoundError, PermissionError)):
        return EXIT_NOTFOUND, os_message(exc)
    if isinstance(exc, (ConnectFailed, SyncConnectionError)):
        inner = exc.cause if isinstance(exc, ConnectFailed) else exc
        return EXIT_CONNECT, "{}{}".format(where, inner) if isinstance(exc, ConnectFailed) else str(exc)
    if isinstance(exc, SSHException):
        return EXIT_OTHER, "ssh: {}".format(exc)
    if isinstance(exc, OSError):
        return EXIT_OTHER, os_message(exc)
    return EXIT_OTHER, "{}: {}".format(type(exc).__name__, exc)


@contextlib.contextmanager
def about(spec: str):
    """Name the remote path in an SFTP error: paramiko-shaped errors carry
    none ("[Errno 2] No such file"), so a message would not say which."""
    try:
        yield
    except OSError as e:
        if not e.filename:
            e.filename = spec
        raise


def os_message(e: OSError) -> str:
    if e.strerror and e.filename:
        return "{}: {}".format(e.filename, e.strerror)
    text = str(e)
    if getattr(e, "filename", None) and str(e.filename) not in text:
        text = "{}: {}".format(e.filename, text)
    return text


def report(msg: str) -> None:
    """One line on stderr, after any progress line in the way."""
    from .._progress import break_open_line

    break_open_line()
    try:
        sys.stderr.write("{}: {}\n".format(PROG, msg))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
