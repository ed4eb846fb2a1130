"""``sftpsyncer.sftpagent`` twin: ``from ferrosftp.sftpagent import SyncAgent``.

The implementation lives in :mod:`ferrosftp.sync`; the exceptions are the
ones sftpsyncer kept in ``sftpsyncer.exceptions`` (here
:mod:`ferrosftp.exceptions`).  Unlike sftpsyncer, importing this module does
not monkey-patch anything.
"""

from .exceptions import (  # noqa: F401
    ConnectionError,
    FileNotFound,
    LocalCacheDirNotFound,
    LocalFileNotFound,
    RemoteDirNotCreated,
    SyncConflict,
    TransferError,
)
from .sync import SyncAgent, SyncStatus, UploadQueue  # noqa: F401

syncagent = SyncAgent

__all__ = [
    "SyncAgent",
    "syncagent",
    "SyncStatus",
    "UploadQueue",
    "ConnectionError",
    "FileNotFound",
    "LocalCacheDirNotFound",
    "LocalFileNotFound",
    "RemoteDirNotCreated",
    "SyncConflict",
    "TransferError",
]
