"""paramiko.proxy: SSH over something other than a TCP socket.

libssh2 reads and writes a file descriptor, so every ``sock=`` that is not
a socket becomes one end of a Unix socket pair:

* `ProxyCommand` runs its command with the other end as stdin and stdout,
  as OpenSSH does: the bytes never pass through Python.
* Any other socket-like object (a ``direct-tcpip`` `Channel` to a jump host,
  or anything with ``send``/``recv``) is pumped to and from the other end by
  two threads (`Bridge`).
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import threading
import time
from select import select
from typing import Optional

from .ssh_exception import ProxyCommandFailure
from .util import ClosingContextManager

__all__ = ["ProxyCommand"]

#: How much of a proxy command's stderr is kept for error messages.
_STDERR_KEEP = 4096


class ProxyCommand(ClosingContextManager):
    """A command whose stdin/stdout carry the SSH connection (paramiko's
    ``ProxyCommand``, OpenSSH's ``ProxyCommand``), e.g.
    ``ProxyCommand("ssh -W %s:%d jump" % (host, port))``. Pass it as
    ``sock=`` to `SSHClient.connect` or `Transport`.

    ``send``/``recv``/``settimeout`` work as paramiko's for code that talks
    to the command itself. The command's stderr is read and its end kept
    for error messages (paramiko leaves it in a pipe nobody reads)."""

    def __init__(self, command_line: str):
        self.cmd = shlex.split(command_line)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # a missing command raises FileNotFoundError here, as in paramiko
            self.process = subprocess.Popen(self.cmd, stdin=theirs, stdout=theirs, stderr=subprocess.PIPE, bufsize=0)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._sock = ours
        self.timeout: Optional[float] = None
        self._stderr = b""
        threading.Thread(target=self._read_stderr, name="ferrosftp-proxycommand-stderr", daemon=True).start()

    def _read_stderr(self) -> None:
        for chunk in iter(lambda: self.process.stderr.read(4096), b""):
            self._stderr = (self._stderr + chunk)[-_STDERR_KEEP:]

    def _failure(self, what) -> ProxyCommandFailure:
        detail = self._stderr.decode("utf-8", "replace").strip()
        return ProxyCommandFailure(" ".join(self.cmd), "{}{}".format(what, ": " + detail if detail else ""))

    def _fd_for_transport(self) -> int:
        """A descriptor of our end for libssh2 (the Transport owns it)."""
        return os.dup(self._sock.fileno())

    def send(self, content) -> int:
        try:
            self._sock.sendall(content)
        except OSError as e:
            raise self._failure(e.strerror)
        return len(content)

    def recv(self, size: int) -> bytes:
        """Up to ``size`` bytes; shorter once ``timeout`` passed with some
        bytes; ``socket.timeout`` with none; EOFError once the command is gone."""
        buffer = b""
        start = time.monotonic()
        try:
            while len(buffer) < size:
                wait = None
                if self.timeout is not None:
                    wait = self.timeout - (time.monotonic() - start)
                    if wait <= 0:
                        if buffer:
                            return buffer
                        raise socket.timeout()
                ready, _, _ = select([self._sock], [], [], wait)
                if not ready:
                    continue
                data = self._sock.recv(size - len(buffer))
                if not data:
                    if buffer:
                        return buffer
                    raise EOFError()
                buffer += data
            return buffer
        except (socket.timeout, EOFError):
            raise
        except OSError as e:
            raise self._failure(e.strerror)

    def close(self) -> None:
        self._sock.close()
        if self.process.poll() is None:
            try:
                self.process.terminate()
            except OSError:
                pass

    @property
    def closed(self) -> bool:
        return self.process.poll() is not None

    @property
    def _closed(self) -> bool:
        return self.closed

    def settimeout(self, timeout: Optional[float]) -> None:
        self.timeout = timeout


class Bridge:
    """Carries a connection between one end of a socket pair (handed to
    libssh2) and a socket-like object with ``send``/``recv`` (a Channel to a
    jump host...): one thread per direction. The object's EOF closes the
    pair's writing side; closing the bridge closes the object."""

    _CHUNK = 64 << 10

    def __init__(self, obj):
        self.obj = obj
        self._ours, self._theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._closed = False
        self._lock = threading.Lock()
        self._running = 2  # the pair's end is closed when both pumps are done
        for target, name in ((self._up, "up"), (self._down, "down")):
            threading.Thread(target=self._pump, args=(target,), name="ferrosftp-bridge-" + name, daemon=True).start()

    def _pump(self, target) -> None:
        try:
            target()
        finally:
            with self._lock:
                self._running -= 1
                last = self._running == 0
            if last:
                self._theirs.close()

    def fd_for_transport(self) -> int:
        """Our end's descriptor, handed over to libssh2 (owned by it from now on)."""
        return self._ours.detach()

    def _up(self) -> None:
        """libssh2's bytes to the object."""
        try:
            while True:
                data = self._theirs.recv(self._CHUNK)
                if not data:
                    break
                sendall = getattr(self.obj, "sendall", None)
                if sendall is not None:
                    sendall(data)
                else:
                    while data:
                        data = data[self.obj.send(data) :]
        except (OSError, EOFError):
            pass
        finally:
            self.close()

    def _down(self) -> None:
        """The object's bytes to libssh2."""
        try:
            while True:
                try:
                    data = self.obj.recv(self._CHUNK)
                except socket.timeout:
                    continue
                if not data:
                    break
                self._theirs.sendall(data)
        except (OSError, EOFError):
            pass
        finally:
            try:
                self._theirs.shutdown(socket.SHUT_WR)  # libssh2 sees EOF
            except OSError:
                pass

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._theirs.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.obj.close()
        except Exception:  # noqa: BLE001 - best effort, as paramiko's sock.close()
            pass
