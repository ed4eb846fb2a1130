"""paramiko.SFTPClient twin over the Rust ``_native.Sftp``.

Path handling follows paramiko: SFTP has no working directory, so ``chdir`` is
emulated on the client and relative paths are joined onto it before sending.
Paths go to the Rust core as bytes (``os.fsencode``), names come back decoded
with surrogateescape, so non-UTF-8 names round-trip like ``os.listdir``'s.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from typing import Callable, Iterator, Optional

from . import _native
from .sftp import SFTPError
from .sftp_attr import SFTPAttributes, SFTPLimits, SFTPVFSAttrs
from .sftp_file import SFTPFile
from .ssh_exception import SSHException

_SFTP_FLAG_READ = 0x01
_SFTP_FLAG_WRITE = 0x02
_SFTP_FLAG_APPEND = 0x04
_SFTP_FLAG_CREATE = 0x08
_SFTP_FLAG_TRUNC = 0x10
_SFTP_FLAG_EXCL = 0x20


def _to_bytes(path) -> bytes:
    if path is None:
        raise TypeError("path must be str or bytes, not None")
    return os.fsencode(path)


def _to_str(path: bytes) -> str:
    return os.fsdecode(path)


def _attrs(t, filename=None, longname=None) -> SFTPAttributes:
    return SFTPAttributes._from_tuple(t, filename, longname)


class SFTPClient:
    """An SFTP session (paramiko.SFTPClient, alias SFTP)."""

    def __init__(self, sock, _native_sftp: Optional[_native.Sftp] = None) -> None:
        # paramiko: `sock` is a Channel already running the sftp subsystem.
        if _native_sftp is None:
            transport = sock.get_transport() if hasattr(sock, "get_transport") else None
            if transport is None:
                raise SSHException("SFTPClient needs a Channel or use SFTPClient.from_transport()")
            _native_sftp = transport._require_authenticated().open_sftp(transport.channel_timeout)
            self._channel = sock
        else:
            self._channel = None
        self.sock = sock
        self._sftp = _native_sftp
        self._sftp.set_idle_limit(sys.modules["ferrosftp"].DEFAULT_TIMEOUT)
        self._cwd: Optional[bytes] = None
        self.ultra_debug = False

    @classmethod
    def from_transport(cls, t, window_size=None, max_packet_size=None) -> "SFTPClient":
        native = t._require_authenticated().open_sftp(t.channel_timeout)
        client = cls(t, native)
        client._transport = t
        client.sock = client.get_channel()  # paramiko: sftp.sock is the Channel
        return client

    def __repr__(self) -> str:
        return "<ferrosftp.SFTPClient {}>".format("closed" if self._sftp.closed else "open")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._sftp.close()
        if self._channel is not None:  # SFTPClient(channel): paramiko closes it too
            self._channel.close()

    def _put_each(
        self,
        pairs,
        report=None,
        *,
        expect=None,
        confirm=True,
        atomic=True,
        times=False,
        mode=False,
        stop_at_first=False,
    ) -> list:
        """Upload many (local, remote) files with many in flight, each to its
        own result: SFTPAttributes once in place, or the exception that
        failed it. ``expect`` (one per pair): the remote file each may
        replace, None (absent) or (size, mtime); otherwise SyncConflict.
        ``times``/``mode``: give the remote file the local times/mode.
        ``report(i, done, total, finished)`` at bounded intervals (``finished``
        once per file that succeeded). ``stop_at_first``:
        no file starts after a failure (those get None)."""
        jobs = [(os.fspath(local), self._adjust_cwd(remote)) for local, remote in pairs]
        if expect is not None:
            expect = [None if e is None else (int(e[0]), int(e[1])) for e in expect]
        files, ended_by = self._sftp.put_each(jobs, expect, confirm, atomic, times, mode, report, stop_at_first)
        return _each_results(files, ended_by)

    def _get_each(self, pairs, report=None, *, recheck=False, stop_at_first=False) -> list:
        """Download many (remote, local) files with many in flight, each to
        its own result: the SFTPAttributes its bytes match, or the exception
        that failed it (``recheck``: SyncConflict if it changed while read)."""
        jobs = [(self._adjust_cwd(remote), os.fspath(local)) for remote, local in pairs]
        files, ended_by = self._sftp.get_each(jobs, recheck, report, stop_at_first)
        return _each_results(files, ended_by)

    def _open_sibling(self) -> "SFTPClient":
        """Another SFTP channel of this client's connection, with the same
        remote cwd and timeout (for transfers over several channels)."""
        transport = getattr(self, "_transport", None)
        if transport is None and self._channel is not None:
            transport = self._channel.get_transport()
        if transport is None:
            raise SSHException("no transport to open another SFTP channel on")
        sibling = SFTPClient.from_transport(transport)
        sibling._cwd = self._cwd
        sibling._sftp.settimeout(self._sftp.gettimeout())
        return sibling

    def get_channel(self):
        """A channel-like handle whose timeout is the SFTP session's (pysftp's `timeout`)."""
        transport = getattr(self, "_transport", None)
        if transport is None and self._channel is not None:
            transport = self._channel.get_transport()
        return _SftpChannel(self._sftp, transport)

    # -- paths ------------------------------------------------------------------

    def _adjust_cwd(self, path) -> bytes:
        path = _to_bytes(path)
        if self._cwd is None or path.startswith(b"/"):
            return path
        if self._cwd == b"/":
            return self._cwd + path
        return self._cwd + b"/" + path

    def chdir(self, path=None) -> None:
        if path is None:
            self._cwd = None
            return
        if not stat.S_ISDIR(self.stat(path).st_mode):
            raise SFTPError(errno.ENOTDIR, "{}: {}".format(os.strerror(errno.ENOTDIR), path))
        self._cwd = _to_bytes(self.normalize(path))

    def getcwd(self) -> Optional[str]:
        return _to_str(self._cwd) if self._cwd is not None else None

    def normalize(self, path) -> str:
        path = _to_bytes(path)
        if path.startswith(b"~") and self._has("expand-path@openssh.com"):
            # ~ and ~user, as the server resolves them (OpenSSH 8.7+)
            return _to_str(self._sftp.expand_path(path))
        return _to_str(self._sftp.realpath(self._adjust_cwd(path)))

    # -- listings -------------------------------------------------------------

    def listdir(self, path=".") -> list:
        return [a.filename for a in self.listdir_attr(path)]

    def listdir_attr(self, path=".") -> list:
        entries = self._sftp.listdir(self._adjust_cwd(path))
        return [_attrs(t, _to_str(name), _to_str(long)) for name, long, t in entries]

    def listdir_iter(self, path=".", read_aheads=50) -> Iterator[SFTPAttributes]:
        yield from self.listdir_attr(path)

    # -- metadata ---------------------------------------------------------------

    def stat(self, path) -> SFTPAttributes:
        return _attrs(self._sftp.stat(self._adjust_cwd(path)))

    def lstat(self, path) -> SFTPAttributes:
        return _attrs(self._sftp.lstat(self._adjust_cwd(path)))

    def chmod(self, path, mode: int) -> None:
        self._sftp.setstat(self._adjust_cwd(path), mode=mode)

    def chown(self, path, uid: int, gid: int) -> None:
        self._sftp.setstat(self._adjust_cwd(path), uid=uid, gid=gid)

    def utime(self, path, times) -> None:
        if times is None:
            times = (time.time(), time.time())
        atime, mtime = times
        self._sftp.setstat(self._adjust_cwd(path), atime=int(atime), mtime=int(mtime))

    def truncate(self, path, size: int) -> None:
        self._sftp.setstat(self._adjust_cwd(path), size=size)

    # -- namespace --------------------------------------------------------------

    def mkdir(self, path, mode: int = 0o777) -> None:
        self._sftp.mkdir(self._adjust_cwd(path), mode)

    def rmdir(self, path) -> None:
        self._sftp.rmdir(self._adjust_cwd(path))

    def remove(self, path) -> None:
        self._sftp.remove(self._adjust_cwd(path))

    unlink = remove

    def rename(self, oldpath, newpath) -> None:
        self._sftp.rename(self._adjust_cwd(oldpath), self._adjust_cwd(newpath))

    def posix_rename(self, oldpath, newpath) -> None:
        self._sftp.posix_rename(self._adjust_cwd(oldpath), self._adjust_cwd(newpath))

    # -- OpenSSH extensions (ours; asyncssh's names) -----------------------------

    @property
    def extensions(self) -> dict:
        """The SFTP extensions the server offered: ``{name: bytes}``."""
        return dict(self._sftp.extensions())

    def _has(self, name: str) -> bool:
        return any(n == name for n, _ in self._sftp.extensions())

    @property
    def limits(self) -> SFTPLimits:
        """The server's limits (``limits@openssh.com``), or SFTP's safe minimum."""
        return SFTPLimits(*self._sftp.limits())

    def statvfs(self, path=".") -> SFTPVFSAttrs:
        """File system statistics (``statvfs@openssh.com``), as asyncssh's
        ``statvfs``; ``f_*`` aliases as in ``os.statvfs``."""
        return SFTPVFSAttrs(*self._sftp.statvfs(self._adjust_cwd(path)))

    def link(self, oldpath, newpath) -> None:
        """Hard link (``hardlink@openssh.com``): ``newpath`` becomes another
        name of ``oldpath``."""
        self._sftp.hardlink(self._adjust_cwd(oldpath), self._adjust_cwd(newpath))

    def setstat(self, path, attrs: SFTPAttributes, *, follow_symlinks: bool = True) -> None:
        """Set the attributes ``attrs`` holds (size, uid+gid, mode, atime+mtime);
        ``follow_symlinks=False`` sets them on a link itself
        (``lsetstat@openssh.com``), as asyncssh's ``setstat``."""
        kw = {}
        if attrs.st_size is not None:
            kw["size"] = attrs.st_size
        if attrs.st_uid is not None and attrs.st_gid is not None:
            kw["uid"], kw["gid"] = attrs.st_uid, attrs.st_gid
        if attrs.st_mode is not None:
            kw["mode"] = attrs.st_mode & 0o7777
        if attrs.st_atime is not None and attrs.st_mtime is not None:
            kw["atime"], kw["mtime"] = int(attrs.st_atime), int(attrs.st_mtime)
        self._sftp.setstat(self._adjust_cwd(path), follow_symlinks=follow_symlinks, **kw)

    def remote_copy(self, src, dst, src_offset: int = 0, src_length: int = 0, dst_offset: int = 0) -> None:
        """Copy bytes from one remote file to another on the server
        (``copy-data``), as asyncssh's ``remote_copy``: ``src``/``dst`` are
        paths or open SFTPFiles; ``src_length=0`` copies to the end. Without
        the extension the bytes are streamed through this client."""
        own = []
        try:
            if not isinstance(src, SFTPFile):
                src = self.open(src, "rb")
                own.append(src)
            if not isinstance(dst, SFTPFile):
                dst = self.open(dst, "wb")
                own.append(dst)
            dst.flush()
            if self._has("copy-data"):
                self._sftp.copy_data(src.handle, dst.handle, src_offset, src_length, dst_offset)
                return
            src.seek(src_offset)
            dst.seek(dst_offset)
            left = src_length or None
            while left is None or left > 0:
                block = src.read(min(left or 4 << 20, 4 << 20))
                if not block:
                    break
                dst.write(block)
                if left is not None:
                    left -= len(block)
            dst.flush()
        finally:
            for f in own:
                f.close()

    def copy(self, srcpath, dstpath) -> None:
        """Copy one remote file to another on the server (``copy-data``; the
        bytes are streamed through this client when the server lacks it)."""
        self.remote_copy(srcpath, dstpath)

    def symlink(self, source, dest) -> None:
        # The target is stored verbatim (not cwd-adjusted), like paramiko.
        self._sftp.symlink(_to_bytes(source), self._adjust_cwd(dest))

    def readlink(self, path) -> Optional[str]:
        target = self._sftp.readlink(self._adjust_cwd(path))
        return _to_str(target) if target else None

    # -- files ------------------------------------------------------------------

    def open(self, filename, mode: str = "r", bufsize: int = -1) -> SFTPFile:
        flags = 0
        if "r" in mode or "+" in mode:
            flags |= _SFTP_FLAG_READ
        if "w" in mode or "+" in mode or "a" in mode:
            flags |= _SFTP_FLAG_WRITE
        if "w" in mode:
            flags |= _SFTP_FLAG_CREATE | _SFTP_FLAG_TRUNC
        if "a" in mode:
            flags |= _SFTP_FLAG_CREATE | _SFTP_FLAG_APPEND
        if "x" in mode:
            flags |= _SFTP_FLAG_CREATE | _SFTP_FLAG_EXCL
        handle = self._sftp.open(self._adjust_cwd(filename), flags, 0o666)
        return SFTPFile(self, handle, mode, bufsize)

    file = open

    # -- transfers --------------------------------------------------------------

    def put(
        self,
        localpath,
        remotepath,
        callback: Optional[Callable] = None,
        confirm: bool = True,
        *,
        atomic: bool = False,
        max_concurrency: Optional[int] = None,
    ) -> SFTPAttributes:
        """Upload a local file. ``atomic=True`` (ours) uploads to a temp name and
        posix-renames it into place, so readers never see a partial file.
        ``max_concurrency`` (ours): SFTP channels a file of 64 MiB or more may
        use at once (default by the connection's round trip: 1 under 5 ms, 4
        from 5 ms, 6 from 50 ms; 1 keeps it on this client's channel)."""
        localpath = os.fspath(localpath)
        os.stat(localpath)  # FileNotFoundError before any remote action, like paramiko
        t = self._sftp.put(localpath, self._adjust_cwd(remotepath), callback, confirm, atomic, _lanes(max_concurrency))
        return _attrs(t) if t is not None else SFTPAttributes()

    def putfo(
        self,
        fl,
        remotepath,
        file_size: int = 0,
        callback: Optional[Callable] = None,
        confirm: bool = True,
        *,
        atomic: bool = False,
    ) -> SFTPAttributes:
        t = self._sftp.putfo(fl, self._adjust_cwd(remotepath), file_size, callback, confirm, atomic)
        return _attrs(t) if t is not None else SFTPAttributes()

    def get(
        self,
        remotepath,
        localpath,
        callback: Optional[Callable] = None,
        prefetch: bool = True,
        max_concurrent_prefetch_requests: Optional[int] = None,
        *,
        max_concurrency: Optional[int] = None,
    ) -> None:
        """Download to a temp file beside localpath, renamed into place only when
        complete and size-checked (paramiko writes in place).
        ``max_concurrency`` (ours): SFTP channels a file of 64 MiB or more may
        use at once (default 1: one channel with a 16 MiB window already keeps
        up at 100 ms; more help when that window is the limit). Setting
        paramiko's ``max_concurrent_prefetch_requests`` keeps one channel."""
        if max_concurrency is None and max_concurrent_prefetch_requests is not None:
            max_concurrency = 1
        localpath = os.fspath(localpath)
        if os.path.islink(localpath):
            # update the link's target, as writing in place would; keep the link
            localpath = os.path.realpath(localpath)
        try:
            st = os.stat(localpath)
        except OSError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
            # a device or FIFO (/dev/null, /dev/full, a pipe): write into it; a
            # rename would replace the device node itself
            with open(localpath, "wb") as fl:
                self.getfo(remotepath, fl, callback)
            return
        self._sftp.get(self._adjust_cwd(remotepath), localpath, callback, _lanes(max_concurrency))

    def getfo(
        self,
        remotepath,
        fl,
        callback: Optional[Callable] = None,
        prefetch: bool = True,
        max_concurrent_prefetch_requests: Optional[int] = None,
    ) -> int:
        return self._sftp.getfo(self._adjust_cwd(remotepath), fl, callback)


SFTP = SFTPClient


def _each_results(files, ended_by) -> list:
    """Native per-file outcomes as SFTPAttributes or exceptions; a file the
    batch ended early gets the exception that ended it; one never started
    after a failure (``stop_at_first``) stays None. Ctrl-C is raised."""
    if ended_by is not None and not isinstance(ended_by, Exception):
        raise ended_by
    out = []
    for r in files:
        if r is None:
            r = ended_by
        elif isinstance(r, tuple):
            r = _attrs(r)
        out.append(r)
    return out


def _lanes(max_concurrency: Optional[int]) -> Optional[int]:
    if max_concurrency is None:
        return None
    n = int(max_concurrency)
    if n < 1:
        raise ValueError("max_concurrency must be at least 1")
    return n


class _SftpChannel:
    """What ``SFTPClient.get_channel()`` returns: timeout control of the session."""

    def __init__(self, native: _native.Sftp, transport=None) -> None:
        self._native = native
        self.transport = transport

    def get_transport(self):
        """The Transport (scripts check ``sftp.get_channel().get_transport().is_active()``)."""
        return self.transport

    def getpeername(self):
        return self.transport.getpeername()

    def settimeout(self, timeout: Optional[float]) -> None:
        self._native.settimeout(timeout)

    def gettimeout(self) -> Optional[float]:
        return self._native.gettimeout()

    def setblocking(self, blocking) -> None:
        self.settimeout(None if blocking else 0.0)

    def close(self) -> None:
        self._native.close()

    @property
    def closed(self) -> bool:
        return self._native.closed
