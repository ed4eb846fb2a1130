"""paramiko.SFTPFile twin: paramiko's buffering and line rules (BufferedFile)
over the Rust ``_native.File``, which does the positioned, pipelined I/O."""

from __future__ import annotations

import errno
import sys
import time
from typing import Iterator, Optional

from .file import BufferedFile
from .sftp_attr import SFTPAttributes


class SFTPFile(BufferedFile):
    """A remote file opened by ``SFTPClient.open``."""

    MAX_REQUEST_SIZE = 32768
    # One trip to Rust per 4 MiB: libssh2 keeps several requests in flight inside it.
    _DEFAULT_READ_SIZE = 4 << 20

    def __init__(self, sftp, handle, mode: str = "r", bufsize: int = -1) -> None:
        BufferedFile.__init__(self)
        self.sftp = sftp
        self.handle = handle
        self.pipelined = False
        self._set_mode(mode, bufsize)
        if self._realpos:
            handle.seek(self._realpos)

    def __repr__(self) -> str:
        return "<ferrosftp.SFTPFile {}>".format("closed" if self._closed else "open")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- BufferedFile hooks ---------------------------------------------------

    def _read(self, size: int) -> bytes:
        # a limit, not an allocation: read(1 << 80) returns the rest of the file
        return self.handle.read(min(size, sys.maxsize))

    def _write(self, data) -> int:
        # pipelined: return once sent; an error comes with the next call or close()
        self.handle.write(bytes(data), self.pipelined)
        return len(data)

    def _get_size(self) -> int:
        return self.stat().st_size

    def close(self) -> None:
        if self._closed:
            return
        try:
            BufferedFile.close(self)
        finally:
            self.handle.close()

    def seek(self, offset: int, whence: int = 0) -> None:
        self.flush()
        if whence == self.SEEK_SET:
            target = offset
        elif whence == self.SEEK_CUR:
            target = self._pos + offset
        else:
            target = self._get_size() + offset
        if target < 0:
            # like os.lseek; the position is left unchanged
            raise IOError(errno.EINVAL, "Invalid argument")
        self._realpos = self._pos = target
        self._rbuffer = bytes()
        self.handle.seek(self._realpos)

    def seekable(self) -> bool:
        return True

    # -- metadata on the open handle --------------------------------------------

    def stat(self) -> SFTPAttributes:
        return SFTPAttributes._from_tuple(self.handle.stat())

    def chmod(self, mode: int) -> None:
        self.handle.setstat(mode=mode)

    def chown(self, uid: int, gid: int) -> None:
        self.handle.setstat(uid=uid, gid=gid)

    def utime(self, times) -> None:
        if times is None:
            times = (time.time(), time.time())
        self.handle.setstat(atime=int(times[0]), mtime=int(times[1]))

    def truncate(self, size: int) -> None:
        self.handle.setstat(size=size)

    # -- paramiko extras ----------------------------------------------------------

    def settimeout(self, timeout: Optional[float]) -> None:
        self.sftp._sftp.settimeout(timeout)

    def gettimeout(self) -> Optional[float]:
        return self.sftp._sftp.gettimeout()

    def setblocking(self, blocking) -> None:
        self.settimeout(None if blocking else 0.0)

    def set_pipelined(self, pipelined: bool = True) -> None:
        """As paramiko: a write returns once it is sent, without waiting for
        the server; an error is raised by the next call on the file (or by
        ``close()``). Writes of one call are always pipelined."""
        self.pipelined = pipelined

    def prefetch(self, file_size: Optional[int] = None, max_concurrent_requests: Optional[int] = None) -> None:
        """Accepted for compatibility: libssh2 reads ahead on every large read."""

    def readv(self, chunks, max_concurrent_prefetch_requests: Optional[int] = None) -> Iterator[bytes]:
        """Yield the data of each (offset, length) chunk, in order (short at EOF).
        Every chunk is requested at once, neighbouring chunks merged into one
        request; the file position is left alone."""
        self.flush()
        # a length is a limit (read(1 << 80) returns the file), never an allocation
        chunks = [(int(offset), min(int(length), sys.maxsize)) for offset, length in chunks]
        for offset, length in chunks:
            if offset < 0 or length < 0:
                raise ValueError("readv offsets and lengths must not be negative")
        yield from self.handle.readv(chunks)

    def check(self, hash_algorithm, offset: int = 0, length: int = 0, block_size: int = 0) -> bytes:
        """The check-file extension: not implemented by OpenSSH, nor by ferrosftp."""
        raise IOError("Operation unsupported")

    def fsync(self) -> None:
        """fsync@openssh.com on the remote file."""
        self.flush()
        self.handle.fsync()
