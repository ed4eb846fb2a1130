"""Type stubs for the Rust extension module ``ferrosftp._native``.

This is the contract between the Rust core and the Python layer. Everything that
touches the network releases the GIL. Paths cross the boundary as ``bytes`` (the
Python layer encodes with ``os.fsencode`` so non-UTF-8 names round-trip).

Attribute tuples (``_Attrs`` below) are ``(size, uid, gid, mode, atime, mtime)``; any
field the server did not send is ``None``.

Timeouts are floats in seconds or ``None`` (block forever). A timeout raises
``socket.timeout``.
"""

import os
from typing import Callable, Optional, Protocol, Union, final, type_check_only

from typing_extensions import TypeAlias

# Stub-only aliases (private: they do not exist at runtime).
_Attrs: TypeAlias = tuple[Optional[int], Optional[int], Optional[int], Optional[int], Optional[int], Optional[int]]
_Progress: TypeAlias = Optional[Callable[[int, int], object]]
_LocalPath: TypeAlias = Union[str, os.PathLike[str]]

@type_check_only
class _Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...

@type_check_only
class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...

__all__ = [
    "__version__",
    "LIBSSH2_VERSION",
    "Session",
    "Channel",
    "Listener",
    "Sftp",
    "File",
    "supported_algorithms",
    "before_exit",
    "parse_private_key",
    "public_key_info",
    "agent_identities",
]

__version__: str
LIBSSH2_VERSION: str

def before_exit() -> None:
    """Called by atexit: no libssh2 call starts after it."""
    ...

def supported_algorithms(kind: str) -> list[str]:
    """Algorithms libssh2 implements for ``kind`` in
    {"kex", "hostkey", "cipher", "mac", "compression"}."""

def parse_private_key(data: bytes, passphrase: Optional[bytes] = None) -> tuple[str, bytes, int, str, Optional[bytes]]:
    """Parse an OpenSSH or PEM private key. Returns (key type, public blob, bits, comment,
    an unencrypted copy of an OpenSSH key that had to be decrypted, else None).
    Raises PasswordRequiredException if encrypted and no passphrase, SSHException for
    a wrong passphrase or an unparsable key."""

def public_key_info(blob: bytes) -> tuple[str, int]:
    """(key type, bits) of an SSH public key blob. SSHException if unparsable."""

def agent_identities() -> list[tuple[bytes, str]]:
    """(public blob, comment) of every key the ssh-agent at $SSH_AUTH_SOCK holds;
    [] if there is no agent."""
@final
class Listener:
    """A remote port forwarding: the server listens, we accept its channels."""
    @property
    def port(self) -> int: ...
    def accept(self, timeout: Optional[float] = None) -> Optional["Channel"]: ...
    def cancel(self) -> None: ...

@final
class Session:
    @staticmethod
    def handshake_fd(
        fd: int, handshake_timeout: Optional[float], compress: bool, prefs: dict[str, str], unix: bool = False
    ) -> "Session":
        """SSH handshake over an already-connected stream socket (TCP, or with ``unix`` one end
        of a Unix socket pair); takes ownership of fd."""
    def host_key(self) -> tuple[str, bytes]: ...
    def negotiated(self, kind: str) -> Optional[str]:
        """kind in {"kex","hostkey","cipher_cs","cipher_sc","mac_cs","mac_sc","comp_cs","comp_sc"}."""
    def banner(self) -> Optional[str]: ...
    def peer(self) -> Optional[tuple[str, int]]: ...
    def auth_methods(self, username: str, timeout: Optional[float]) -> Optional[list[str]]:
        """Methods the server allows; None if the "none" method already authenticated us."""
    def auth_password(self, username: str, password: str, timeout: Optional[float]) -> None: ...
    def auth_keyboard_interactive(self, username: str, password: str, timeout: Optional[float]) -> None: ...
    def auth_publickey(
        self, username: str, private_key: bytes, passphrase: Optional[bytes], timeout: Optional[float]
    ) -> None: ...
    def auth_agent(self, username: str, timeout: Optional[float]) -> None: ...
    def is_authenticated(self) -> bool: ...
    def is_active(self) -> bool: ...
    def set_keepalive(self, interval: int) -> None: ...
    def keepalives_sent(self) -> int: ...
    def open_channel(self, timeout: Optional[float]) -> "Channel": ...
    def open_direct_tcpip(self, host: str, port: int, timeout: Optional[float]) -> "Channel": ...
    def forward_listen(self, address: str, port: int, timeout: Optional[float] = None) -> "Listener":
        """Ask the server to listen on address:port and forward what it accepts to us."""
    def open_sftp(self, timeout: Optional[float]) -> "Sftp": ...
    def close(self) -> None: ...
    def abandon(self) -> None:
        """End the connection here without a word to the server (atfork)."""
        ...

@final
class Channel:
    def exec(self, command: bytes) -> None: ...
    def subsystem(self, name: str) -> None: ...
    def shell(self) -> None: ...
    def request_pty(self, term: str, width: int, height: int, width_px: int, height_px: int) -> None: ...
    def resize_pty(self, width: int, height: int, width_px: int, height_px: int) -> None: ...
    def setenv(self, name: str, value: str) -> None: ...
    def merge_stderr(self, merge: bool) -> None:
        """Deliver stderr data on stdout (set before exec)."""
    def read(self, n: int, stream: int = 0) -> bytes:
        """Up to n bytes from stdout (stream 0) or stderr (1); b'' at EOF. Honours the timeout."""
    def ready(self, stream: int = 0) -> bool:
        """True if a read would not block."""
    def write(self, data: bytes, stream: int = 0) -> int: ...
    def send_eof(self) -> None: ...
    def eof(self) -> bool: ...
    def exit_status_ready(self) -> bool: ...
    def recv_exit_status(self) -> int: ...
    def settimeout(self, timeout: Optional[float]) -> None: ...
    def gettimeout(self) -> Optional[float]: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def fileno(self) -> int:
        """A descriptor readable exactly while a read would return at once."""
        ...

@final
class Sftp:
    def stat(self, path: bytes) -> _Attrs: ...
    def lstat(self, path: bytes) -> _Attrs: ...
    def setstat(
        self,
        path: bytes,
        size: Optional[int] = None,
        uid: Optional[int] = None,
        gid: Optional[int] = None,
        mode: Optional[int] = None,
        atime: Optional[int] = None,
        mtime: Optional[int] = None,
        follow_symlinks: bool = True,
    ) -> None:
        """``follow_symlinks=False``: on a link itself (lsetstat@openssh.com)."""
    def listdir(self, path: bytes) -> list[tuple[bytes, bytes, _Attrs]]:
        """(name, longname, attrs) for every entry but '.' and '..', in server order."""
    def mkdir(self, path: bytes, mode: int) -> None: ...
    def rmdir(self, path: bytes) -> None: ...
    def remove(self, path: bytes) -> None: ...
    def rename(self, old: bytes, new: bytes) -> None: ...
    def posix_rename(self, old: bytes, new: bytes) -> None: ...
    def symlink(self, target: bytes, link: bytes) -> None: ...
    def readlink(self, path: bytes) -> bytes: ...
    def realpath(self, path: bytes) -> bytes: ...
    def open(self, path: bytes, flags: int, mode: int) -> "File":
        """flags: SFTP_FLAG_READ 1, WRITE 2, APPEND 4, CREATE 8, TRUNC 0x10, EXCL 0x20."""
    def extensions(self) -> list[tuple[str, bytes]]:
        """The SFTP extensions the server offered: (name, data)."""
    def limits(self) -> tuple[int, int, int, int]:
        """(max packet, max read, max write, max open handles) from limits@openssh.com."""
    def statvfs(self, path: bytes) -> tuple[int, int, int, int, int, int, int, int, int, int, int]:
        """statvfs@openssh.com: bsize, frsize, blocks, bfree, bavail, files, ffree, favail, fsid, flag, namemax."""
    def hardlink(self, old: bytes, new: bytes) -> None: ...
    def expand_path(self, path: bytes) -> bytes:
        """``~`` and ``~user`` made absolute by the server (expand-path@openssh.com)."""
    def copy_data(self, src: File, dst: File, src_offset: int = 0, length: int = 0, dst_offset: int = 0) -> None:
        """Server-side copy between two open files (copy-data); length 0: to the end."""
    @property
    def channels(self) -> int:
        """SFTP channels open: the client's own and the helpers of parallel transfers."""
    def is_usable(self) -> bool: ...
    def set_idle_limit(self, limit: Optional[float]) -> None:
        """With no timeout set, how long an SFTP request may go unanswered."""
    def get(self, remote: bytes, local: _LocalPath, callback: _Progress = None, lanes: Optional[int] = None) -> int:
        """Download to a temp file beside ``local``, verify the size, rename into place.
        Returns the byte count. On any failure the temp file is removed and an existing
        ``local`` is left untouched. ``lanes``: SFTP channels a big file may use at once."""
    def getfo(self, remote: bytes, fl: _Writable, callback: _Progress = None) -> int: ...
    def put_each(
        self,
        jobs: list[tuple[_LocalPath, bytes]],
        expect: Optional[list[Optional[tuple[int, int]]]] = None,
        confirm: bool = True,
        atomic: bool = True,
        times: bool = False,
        mode: bool = False,
        callback: Optional[Callable[[int, int, int, bool], object]] = None,
        stop_at_first: bool = False,
    ) -> tuple[list[Union[_Attrs, BaseException, None]], Optional[BaseException]]:
        """Upload many files with many in flight, each to its own outcome (attributes,
        an exception, None if never finished) and the exception that ended the batch early."""
    def get_each(
        self,
        jobs: list[tuple[bytes, _LocalPath]],
        recheck: bool = False,
        callback: Optional[Callable[[int, int, int, bool], object]] = None,
        stop_at_first: bool = False,
    ) -> tuple[list[Union[_Attrs, BaseException, None]], Optional[BaseException]]:
        """Download many files with many in flight, each to its own outcome (as put_each)."""
    def put(
        self,
        local: _LocalPath,
        remote: bytes,
        callback: _Progress = None,
        confirm: bool = True,
        atomic: bool = False,
        lanes: Optional[int] = None,
    ) -> Optional[_Attrs]:
        """Upload with a sliding write window. ``atomic``: write a temp name beside
        ``remote`` and posix-rename it into place. ``confirm``: stat and compare sizes.
        ``lanes``: SFTP channels a big file may use at once."""
    def putfo(
        self,
        fl: _Readable,
        remote: bytes,
        file_size: int = 0,
        callback: _Progress = None,
        confirm: bool = True,
        atomic: bool = False,
    ) -> Optional[_Attrs]: ...
    def settimeout(self, timeout: Optional[float]) -> None: ...
    def gettimeout(self) -> Optional[float]: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...

@final
class File:
    def read(self, n: int) -> bytes:
        """Up to n bytes at the current position; b'' at EOF."""
    def readv(self, chunks: list[tuple[int, int]]) -> list[bytes]:
        """The data of each (offset, length), in order; shorter at EOF."""
    def write(self, data: bytes, behind: bool = False) -> None:
        """Write all of data at the current position (pipelined). ``behind``: return
        once sent; an error is raised by the next call or close()."""
    def seek(self, offset: int) -> None: ...
    def stat(self) -> _Attrs: ...
    def setstat(
        self,
        size: Optional[int] = None,
        uid: Optional[int] = None,
        gid: Optional[int] = None,
        mode: Optional[int] = None,
        atime: Optional[int] = None,
        mtime: Optional[int] = None,
    ) -> None: ...
    def fsync(self) -> None: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
