"""Exceptions of pysftp (``pysftp.exceptions``) and of the sftpsyncer-style
sync agent (``sftpsyncer.exceptions``), in one module.

pysftp's classes are exactly pysftp 0.2.9's (including the
``ConnectionException.message`` quirk).

sftpsyncer's classes were plain ``Exception`` subclasses; ours additionally
derive from the matching built-in so that generic handlers work too:

==========================  =====================================
``FileNotFound``            ``FileNotFoundError``
``ConnectionError``         built-in ``ConnectionError`` (``OSError``)
``LocalFileNotFound``       ``FileNotFoundError``
``LocalCacheDirNotFound``   ``FileNotFoundError``
``TransferError``           ``OSError``
``RemoteDirNotCreated``     ``OSError``
``SyncConflict``            ``Exception`` (new: not an I/O failure)
==========================  =====================================

Each keeps a ``.message`` attribute (the first argument), as the Python 2
era originals had, and ``str(e)`` is the message.
"""

import builtins

__all__ = [
    # pysftp
    "ConnectionException",
    "CredentialException",
    "HostKeysException",
    # sftpsyncer
    "FileNotFound",
    "ConnectionError",
    "LocalFileNotFound",
    "LocalCacheDirNotFound",
    "TransferError",
    "RemoteDirNotCreated",
    "SyncConflict",
]


# --- pysftp ------------------------------------------------------------------


class ConnectionException(Exception):
    """Exception raised for connection problems

    Attributes:
        message  -- explanation of the error
    """

    def __init__(self, host, port):
        Exception.__init__(self, host, port)
        # pysftp never formats this template: keep the quirk.
        self.message = "Could not connect to host:port.  %s:%s"


class CredentialException(Exception):
    """Exception raised for credential problems

    Attributes:
        message  -- explanation of the error
    """

    def __init__(self, message):
        Exception.__init__(self, message)
        self.message = message


class HostKeysException(Exception):
    """raised when a problem with HostKeys is encountered"""


# --- sftpsyncer ----------------------------------------------------------------


class _MessageMixin:
    """Message-only constructor: ``str(e)`` is the message, ``e.message`` too.

    For the ``OSError`` family this avoids the ``(errno, strerror)`` reading
    of two arguments: the first argument is always the message.
    """

    def __init__(self, message="", *args):
        super().__init__(message, *args)
        self.message = message

    def __str__(self):
        return str(self.message)


class FileNotFound(_MessageMixin, FileNotFoundError):
    """The file is neither in the local cache nor on the server."""


class ConnectionError(_MessageMixin, builtins.ConnectionError):
    """Connecting or authenticating to the server failed (any cause)."""


class LocalFileNotFound(_MessageMixin, FileNotFoundError):
    """A file queued for upload does not exist locally."""


class LocalCacheDirNotFound(_MessageMixin, FileNotFoundError):
    """The local cache root is not an existing directory."""


class TransferError(_MessageMixin, OSError):
    """An upload or download failed."""


class RemoteDirNotCreated(_MessageMixin, OSError):
    """A remote directory could not be created."""


class SyncConflict(Exception):
    """Both sides changed a file since the last sync; nothing was overwritten.

    ``paths`` lists the conflicting (relative) paths.  This is not an I/O
    failure, so it derives from ``Exception`` only.
    """

    def __init__(self, paths, message=None):
        if isinstance(paths, str):
            paths = [paths]
        paths = list(paths)
        if message is None:
            message = "changed on both sides since the last sync: {}".format(", ".join(str(p) for p in paths))
        Exception.__init__(self, message)
        self.paths = paths
        self.message = message

    def __reduce__(self):
        return (self.__class__, (self.paths, self.message))
