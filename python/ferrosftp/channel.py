"""paramiko.Channel twin and the stdin/stdout/stderr files of exec_command."""

from __future__ import annotations

import socket
from typing import Optional

from .file import BufferedFile
from .ssh_exception import SSHException

_READ_SIZE = 32768


def _as_bytes(s) -> bytes:
    """paramiko's asbytes: str is sent as UTF-8 (scp.py sends '\\x00'); any
    buffer as is; anything else (an int: bytes(5) would be five NULs) is a
    TypeError."""
    if isinstance(s, str):
        return s.encode("utf-8")
    return bytes(memoryview(s))


# A count is a limit: recv(1 << 80) returns what is there (the core hands back
# at most 1 MiB a call anyway).
_MAX_READ = 1 << 20


class Channel:
    """A session channel (paramiko.Channel), backed by the Rust ``_native.Channel``."""

    _next_id = 0

    def __init__(self, transport, native) -> None:
        self.transport = transport
        self._native = native
        Channel._next_id += 1
        self.chanid = Channel._next_id
        self._name = str(self.chanid)
        self.closed = False
        self.exit_status = -1
        self._timeout: Optional[float] = None
        self._combine_stderr = False
        self._write_shut = False

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return "<ferrosftp.Channel {} ({})>".format(self.chanid, state)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # -- requests -----------------------------------------------------------

    def exec_command(self, command) -> None:
        if isinstance(command, str):
            command = command.encode("utf-8")
        try:
            self._native.exec(command)
        except OSError as e:
            raise SSHException(str(e)) from e

    def invoke_shell(self) -> None:
        self._native.shell()

    def invoke_subsystem(self, subsystem: str) -> None:
        self._native.subsystem(subsystem)

    def get_pty(self, term="vt100", width=80, height=24, width_pixels=0, height_pixels=0) -> None:
        self._native.request_pty(term, width, height, width_pixels, height_pixels)

    def resize_pty(self, width=80, height=24, width_pixels=0, height_pixels=0) -> None:
        self._native.resize_pty(width, height, width_pixels, height_pixels)

    def update_environment(self, environment: dict) -> None:
        for name, value in environment.items():
            self.set_environment_variable(name, value)

    def set_environment_variable(self, name: str, value: str) -> None:
        self._native.setenv(str(name), str(value))

    # -- data ---------------------------------------------------------------

    def recv(self, nbytes: int) -> bytes:
        """Up to nbytes of stdout; b'' when the stream closed. socket.timeout past the timeout."""
        if self.closed or nbytes <= 0:  # the core reads at least one byte
            return b""
        return self._native.read(min(nbytes, _MAX_READ), 0)

    def recv_stderr(self, nbytes: int) -> bytes:
        if self.closed or nbytes <= 0:
            return b""
        return self._native.read(min(nbytes, _MAX_READ), 1)

    def recv_ready(self) -> bool:
        return not self.closed and self._native.ready(0)

    def recv_stderr_ready(self) -> bool:
        return not self.closed and self._native.ready(1)

    def send(self, s) -> int:
        """Send ``s`` (bytes-like, or str sent as UTF-8 like paramiko); returns
        how much of ``s`` was sent."""
        if self.closed or self._write_shut:
            return 0
        self._native.write(_as_bytes(s), 0)
        return len(s)

    def send_stderr(self, s) -> int:
        if self.closed or self._write_shut:
            return 0
        self._native.write(_as_bytes(s), 1)
        return len(s)

    def sendall(self, s) -> None:
        if self.closed or self._write_shut:
            raise socket.error("Socket is closed")
        self._native.write(_as_bytes(s), 0)

    def sendall_stderr(self, s) -> None:
        self._native.write(_as_bytes(s), 1)

    def send_ready(self) -> bool:
        return not self.closed and not self._write_shut

    def exit_status_ready(self) -> bool:
        return self.closed or self._native.exit_status_ready()

    def recv_exit_status(self) -> int:
        if not self._native.closed:
            self.exit_status = self._native.recv_exit_status()
        return self.exit_status

    @property
    def eof_received(self) -> bool:
        return self._native.eof()

    @property
    def active(self) -> bool:
        return not self.closed

    # -- settings -----------------------------------------------------------

    def settimeout(self, timeout: Optional[float]) -> None:
        self._native.settimeout(timeout)  # ValueError for NaN or negative, as socket's
        self._timeout = timeout

    def gettimeout(self) -> Optional[float]:
        return self._timeout

    def setblocking(self, blocking) -> None:
        self.settimeout(None if blocking else 0.0)

    def set_combine_stderr(self, combine: bool) -> bool:
        old, self._combine_stderr = self._combine_stderr, bool(combine)
        self._native.merge_stderr(self._combine_stderr)
        return old

    def get_id(self) -> int:
        return self.chanid

    def get_name(self) -> str:
        return self._name

    def set_name(self, name: str) -> None:
        self._name = name

    def get_transport(self):
        return self.transport

    def getpeername(self):
        return self.transport.getpeername()

    def fileno(self) -> int:
        """paramiko's pipe: a descriptor that ``select``/``selectors``/``poll``
        see readable exactly while ``recv_ready()`` or ``recv_stderr_ready()``
        is true or the channel reached EOF or was closed, so one loop can wait
        on channels and sockets at once (port forwarding)."""
        return self._native.fileno()

    # -- files and shutdown -------------------------------------------------

    def makefile(self, *params) -> "ChannelFile":
        return ChannelFile(self, *params)

    def makefile_stderr(self, *params) -> "ChannelStderrFile":
        return ChannelStderrFile(self, *params)

    def makefile_stdin(self, *params) -> "ChannelStdinFile":
        return ChannelStdinFile(self, *params)

    def shutdown(self, how: int) -> None:
        if how in (1, 2):
            self.shutdown_write()

    def shutdown_read(self) -> None:
        self.shutdown(0)

    def shutdown_write(self) -> None:
        if not self._write_shut and not self.closed:
            self._write_shut = True
            self._native.send_eof()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        native = getattr(self, "_native", None)
        if native is not None and not native.closed:
            try:
                if native.exit_status_ready():
                    self.exit_status = native.recv_exit_status()
            except Exception:
                pass
            native.close()


class ChannelFile(BufferedFile):
    """A file over a channel's stdout (paramiko.ChannelFile)."""

    def __init__(self, channel: Channel, mode: str = "r", bufsize: int = -1) -> None:
        self.channel = channel
        BufferedFile.__init__(self)
        self._set_mode(mode, bufsize)

    def __repr__(self) -> str:
        return "<ferrosftp.ChannelFile from {!r}>".format(self.channel)

    def _read(self, size: int) -> bytes:
        return self.channel.recv(size)

    def _write(self, data) -> int:
        self.channel.sendall(data)
        return len(data)


class ChannelStderrFile(ChannelFile):
    def _read(self, size: int) -> bytes:
        return self.channel.recv_stderr(size)

    def _write(self, data) -> int:
        self.channel.sendall_stderr(data)
        return len(data)


class ChannelStdinFile(ChannelFile):
    """stdin of a command: closing it sends EOF to the command."""

    def close(self) -> None:
        super().close()
        self.channel.shutdown_write()
