"""SFTP protocol constants and errors, shaped like ``paramiko.sftp``.

The exception an SFTP status code becomes (``FileNotFoundError``,
``PermissionError``, ``EOFError``, ``OSError``, as paramiko raises) is chosen
by the Rust core, in one place: ``src/error.rs``.
"""

import logging

__all__ = [
    "SFTPError",
    "BaseSFTP",
    "int64",
    "SFTP_OK",
    "SFTP_EOF",
    "SFTP_NO_SUCH_FILE",
    "SFTP_PERMISSION_DENIED",
    "SFTP_FAILURE",
    "SFTP_BAD_MESSAGE",
    "SFTP_NO_CONNECTION",
    "SFTP_CONNECTION_LOST",
    "SFTP_OP_UNSUPPORTED",
    "SFTP_DESC",
    "SFTP_FLAG_READ",
    "SFTP_FLAG_WRITE",
    "SFTP_FLAG_APPEND",
    "SFTP_FLAG_CREATE",
    "SFTP_FLAG_TRUNC",
    "SFTP_FLAG_EXCL",
]

# --- packet types (draft-ietf-secsh-filexfer-02, protocol version 3) ---------
(
    CMD_INIT,
    CMD_VERSION,
    CMD_OPEN,
    CMD_CLOSE,
    CMD_READ,
    CMD_WRITE,
    CMD_LSTAT,
    CMD_FSTAT,
    CMD_SETSTAT,
    CMD_FSETSTAT,
    CMD_OPENDIR,
    CMD_READDIR,
    CMD_REMOVE,
    CMD_MKDIR,
    CMD_RMDIR,
    CMD_REALPATH,
    CMD_STAT,
    CMD_RENAME,
    CMD_READLINK,
    CMD_SYMLINK,
) = range(1, 21)
(CMD_STATUS, CMD_HANDLE, CMD_DATA, CMD_NAME, CMD_ATTRS) = range(101, 106)
CMD_EXTENDED, CMD_EXTENDED_REPLY = range(200, 202)

# --- status codes ----------------------------------------------------------------
SFTP_OK = 0
(
    SFTP_EOF,
    SFTP_NO_SUCH_FILE,
    SFTP_PERMISSION_DENIED,
    SFTP_FAILURE,
    SFTP_BAD_MESSAGE,
    SFTP_NO_CONNECTION,
    SFTP_CONNECTION_LOST,
    SFTP_OP_UNSUPPORTED,
) = range(1, 9)

SFTP_DESC = [
    "Success",
    "End of file",
    "No such file",
    "Permission denied",
    "Failure",
    "Bad message",
    "No connection",
    "Connection lost",
    "Operation unsupported",
]

# --- open flags ------------------------------------------------------------------
SFTP_FLAG_READ = 0x1
SFTP_FLAG_WRITE = 0x2
SFTP_FLAG_APPEND = 0x4
SFTP_FLAG_CREATE = 0x8
SFTP_FLAG_TRUNC = 0x10
SFTP_FLAG_EXCL = 0x20

_VERSION = 3

CMD_NAMES = {
    CMD_INIT: "init",
    CMD_VERSION: "version",
    CMD_OPEN: "open",
    CMD_CLOSE: "close",
    CMD_READ: "read",
    CMD_WRITE: "write",
    CMD_LSTAT: "lstat",
    CMD_FSTAT: "fstat",
    CMD_SETSTAT: "setstat",
    CMD_FSETSTAT: "fsetstat",
    CMD_OPENDIR: "opendir",
    CMD_READDIR: "readdir",
    CMD_REMOVE: "remove",
    CMD_MKDIR: "mkdir",
    CMD_RMDIR: "rmdir",
    CMD_REALPATH: "realpath",
    CMD_STAT: "stat",
    CMD_RENAME: "rename",
    CMD_READLINK: "readlink",
    CMD_SYMLINK: "symlink",
    CMD_STATUS: "status",
    CMD_HANDLE: "handle",
    CMD_DATA: "data",
    CMD_NAME: "name",
    CMD_ATTRS: "attrs",
    CMD_EXTENDED: "extended",
    CMD_EXTENDED_REPLY: "extended_reply",
}


class SFTPError(Exception):
    """A protocol-level SFTP error (not an ``OSError``).

    Raised e.g. by ``SFTPClient.chdir`` on a regular file, with
    ``args == (errno.ENOTDIR, "Not a directory: <path>")``.
    """


class int64(int):
    """Marks an integer that travels as a 64-bit value on the wire."""


class BaseSFTP:
    """Placeholder for paramiko's protocol base class (the wire protocol is
    implemented by the Rust core). Exists so imports keep working."""

    def __init__(self):
        self.logger = logging.getLogger("paramiko.sftp")
        self.sock = None
        self.ultra_debug = False
