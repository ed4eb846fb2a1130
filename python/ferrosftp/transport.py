"""paramiko.Transport twin: one SSH connection (the Rust ``_native.Session``)."""

from __future__ import annotations

import functools
import logging
import queue
import socket
import threading
import time
from typing import Any, Optional

from . import _native
from .ssh_exception import (
    AuthenticationException,
    BadAuthenticationType,
    SSHException,
)

log = logging.getLogger("ferrosftp.transport")

# libssh2's chacha20 is ~3x slower than AES-GCM with AES-NI; prefer GCM, then CTR.
_CIPHER_PREFERENCE = (
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "chacha20-poly1305@openssh.com",
    "aes256-cbc",
    "aes192-cbc",
    "aes128-cbc",
)
_HOSTKEY_ALGORITHMS_BY_KEY_TYPE = {
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"),
}
# The Rust core's message when the server refuses an authentication (a
# timeout or a lost connection says something else).
_REFUSED = "Authentication failed."
# paramiko's disabled_algorithms keys -> our algorithm kinds
_DISABLED_KINDS = {
    "ciphers": "cipher",
    "macs": "mac",
    "kex": "kex",
    "keys": "hostkey",
    "compression": "compression",
}


@functools.cache
def _supported(kind: str) -> tuple[str, ...]:
    """What libssh2 implements: fixed for the process, and each native call
    creates a libssh2 session to ask, so it is asked once per kind."""
    return tuple(_native.supported_algorithms(kind))


def _preferred(kind: str) -> list[str]:
    supported = _supported(kind)
    if kind == "cipher":
        first = [c for c in _CIPHER_PREFERENCE if c in supported]
        return first + [c for c in supported if c not in first]
    return list(supported)


class SecurityOptions:
    """Algorithm preferences of a transport, as tuples (paramiko's SecurityOptions)."""

    _FIELDS = {
        "ciphers": "cipher",
        "digests": "mac",
        "key_types": "hostkey",
        "kex": "kex",
        "compression": "compression",
    }

    def __init__(self, transport: "Transport") -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return "<ferrosftp.SecurityOptions for {!r}>".format(self._transport)

    def _get(self, field: str) -> tuple:
        return tuple(self._transport._algorithms[self._FIELDS[field]])

    def _set(self, field: str, value: Any) -> None:
        if isinstance(value, str) or not isinstance(value, (tuple, list)):
            raise TypeError("expected tuple or list")
        kind = self._FIELDS[field]
        known = set(_supported(kind))
        if field == "compression":
            known |= {"zlib", "none", "zlib@openssh.com"}
        if any(name not in known for name in value):
            raise ValueError("unknown cipher")
        self._transport._algorithms[kind] = list(value)

    ciphers = property(lambda self: self._get("ciphers"), lambda self, v: self._set("ciphers", v))
    digests = property(lambda self: self._get("digests"), lambda self, v: self._set("digests", v))
    kex = property(lambda self: self._get("kex"), lambda self, v: self._set("kex", v))
    compression = property(lambda self: self._get("compression"), lambda self, v: self._set("compression", v))

    @property
    def key_types(self):
        value = self._transport._algorithms["hostkey"]
        # paramiko narrows key_types to a *list* once a host key is expected.
        return value if self._transport._expected_key_types else tuple(value)

    @key_types.setter
    def key_types(self, value):
        self._set("key_types", value)


def _parse_sock(sock: Any) -> tuple[Optional[str], Optional[int], Any]:
    """paramiko accepts (host, port), "host:port", "host", a socket, a
    ProxyCommand, or any socket-like object with send/recv (a Channel)."""
    if isinstance(sock, str):
        host, _, port = sock.partition(":")
        return host, int(port) if port else 22, None
    if isinstance(sock, tuple):
        return sock[0], int(sock[1]), None
    if isinstance(sock, socket.socket) or (hasattr(sock, "send") and hasattr(sock, "recv")):
        return None, None, sock
    raise SSHException(
        "ferrosftp cannot run SSH over a {} (a socket, a ProxyCommand or an object with send/recv is needed)".format(
            type(sock).__name__
        )
    )


def _fd_for_libssh2(sock) -> tuple[int, bool, Any]:
    """(descriptor handed to libssh2, is it a Unix socket, what to close
    with the transport) for the transport's ``sock`` (see proxy.py)."""
    from .proxy import Bridge, ProxyCommand

    if isinstance(sock, socket.socket):
        unix = sock.family == getattr(socket, "AF_UNIX", None)
        return sock.detach(), unix, None
    if isinstance(sock, ProxyCommand):
        return sock._fd_for_transport(), True, sock
    bridge = Bridge(sock)
    return bridge.fd_for_transport(), True, bridge


# The peer accepted, then reset or closed before the SSH session existed.
_RESET_ERRNOS = frozenset(
    getattr(__import__("errno"), name) for name in ("ECONNRESET", "ECONNABORTED", "EPIPE", "ENOTCONN")
)


def reset_during_connect(e: OSError):
    from .ssh_exception import ConnectionResetDuringConnect

    return ConnectionResetDuringConnect(e.errno, "Error reading SSH protocol banner: {}".format(e.strerror or e))


def connect_tcp(host: str, port: int, timeout: Optional[float]) -> socket.socket:
    """paramiko's connect loop: each address in turn; refused/unreachable are collected."""
    import errno

    from .ssh_exception import NoValidConnectionsError

    errors: dict = {}
    addresses = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    for family, _, _, _, addr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        if timeout is not None:
            sock.settimeout(timeout)
        try:
            sock.connect(addr)
            return sock
        except socket.timeout:
            sock.close()
            raise
        except OSError as e:
            sock.close()
            if e.errno in _RESET_ERRNOS:
                raise reset_during_connect(e) from e
            if e.errno not in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
                raise
            errors[addr[:2]] = e
    raise NoValidConnectionsError(errors)


class Transport:
    """An SSH transport (paramiko.Transport), backed by libssh2."""

    _CLIENT_ID = "ferrosftp"

    def __init__(
        self,
        sock,
        default_window_size: int = 2097152,
        default_max_packet_size: int = 32768,
        gss_kex: bool = False,
        gss_deleg_creds: bool = True,
        disabled_algorithms: Optional[dict] = None,
        server_sig_algs: bool = True,
        strict_kex: bool = True,
        packetizer_class=None,
    ) -> None:
        if gss_kex:
            raise SSHException("GSS-API key exchange is not supported by ferrosftp")
        self.hostname, self._port, self.sock = _parse_sock(sock)
        self.default_window_size = default_window_size
        self.default_max_packet_size = default_max_packet_size
        self.disabled_algorithms = disabled_algorithms or {}
        self.banner_timeout = 15
        self.handshake_timeout = 15
        self.auth_timeout = 30
        self.channel_timeout = 60 * 60
        self.active = False
        # paramiko's Transport is a threading.Thread: programs set and read
        # these (sshtunnel sets .daemon and calls is_alive()/stop_thread()).
        self.daemon = True
        self.name = "ferrosftp.Transport"
        self._keepalive = 0
        self._session: Optional[_native.Session] = None
        self._proxy = None  # a ProxyCommand or Bridge closed with the transport
        self._forwards: dict = {}  # (address, port) -> (listener, stop event)
        self._tcp_handler = None
        self._accepted: queue.Queue = queue.Queue()
        self._compress = False
        self._username: Optional[str] = None
        self._expected_key_types = False
        self._log_channel = "ferrosftp.transport"
        self._hexdump = False
        self._host_key = None  # the server's key, parsed on first request
        self._algorithms = {kind: _preferred(kind) for kind in ("cipher", "mac", "kex", "hostkey", "compression")}
        for paramiko_kind, names in self.disabled_algorithms.items():
            kind = _DISABLED_KINDS.get(paramiko_kind)
            if kind is not None:
                self._algorithms[kind] = [a for a in self._algorithms[kind] if a not in set(names)]
        if self.sock is None:
            # paramiko connects in the constructor for (host, port); so do we.
            try:
                self.sock = connect_tcp(self.hostname, self._port, None)
            except socket.gaierror:
                raise
            except OSError as e:
                # paramiko reports the socket error itself: "[Errno 111] Connection refused"
                reasons = list(getattr(e, "errors", {}).values())
                raise SSHException("Unable to connect to {}: {}".format(self.hostname, reasons[-1] if reasons else e))

    def __repr__(self) -> str:
        state = "active" if self.is_active() else "unconnected"
        if self.is_authenticated():
            state += "; authenticated"
        return "<ferrosftp.Transport ({})>".format(state)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- connection ---------------------------------------------------------

    def _prefs(self) -> dict:
        prefs = {kind: ",".join(names) for kind, names in self._algorithms.items() if kind != "compression"}
        return prefs

    def prefer_host_key_types(self, key_types) -> None:
        """Offer these host key types first (the ones we already know for the host)."""
        wanted: list[str] = []
        for key_type in key_types:
            wanted.extend(_HOSTKEY_ALGORITHMS_BY_KEY_TYPE.get(key_type, (key_type,)))
        current = self._algorithms["hostkey"]
        first = [a for a in wanted if a in current]
        if first:
            self._algorithms["hostkey"] = first + [a for a in current if a not in first]
            self._expected_key_types = True

    def start_client(self, event=None, timeout=None) -> None:
        """Run the SSH handshake (paramiko runs it in a thread; ours is synchronous)."""
        if self._session is not None:
            return
        if timeout is None:
            timeout = self.handshake_timeout
        fd, unix, self._proxy = _fd_for_libssh2(self.sock)
        if fd is None or fd < 0:
            raise SSHException("socket is closed")
        try:
            self._session = _native.Session.handshake_fd(fd, timeout, self._compress, self._prefs(), unix)
        except SSHException:
            raise
        except OSError as e:
            if e.errno in _RESET_ERRNOS:
                raise reset_during_connect(e) from e
            raise SSHException("Error reading SSH protocol banner: {}".format(e)) from e
        self.active = True
        if self._keepalive:
            self._session.set_keepalive(self._keepalive)
        log.debug("Connected (version 2.0, server %s)", self.remote_version)
        if event is not None:
            event.set()

    def _require_session(self) -> _native.Session:
        if self._session is None or not self._session.is_active():
            raise SSHException("SSH session not active")
        return self._session

    def connect(
        self,
        hostkey=None,
        username="",
        password=None,
        pkey=None,
        gss_host=None,
        gss_auth=False,
        gss_kex=False,
        gss_deleg_creds=True,
        gss_trust_dns=True,
    ) -> None:
        """Handshake, optional host-key check, and one authentication (paramiko's Transport.connect)."""
        if hostkey is not None:
            self.prefer_host_key_types([hostkey.get_name()])
        self.start_client()
        if hostkey is not None:
            key = self.get_remote_server_key()
            if key.get_name() != hostkey.get_name() or key.asbytes() != hostkey.asbytes():
                raise SSHException("Bad host key from server")
        if pkey is not None or password is not None:
            if pkey is not None:
                self.auth_publickey(username, pkey)
            else:
                self.auth_password(username, password)

    def close(self) -> None:
        self.active = False
        if self._session is not None:
            self._session.close()
        if self._proxy is not None:
            self._proxy.close()  # paramiko closes its sock: the command ends, the channel closes
        elif self._session is None and self.sock is not None:
            self.sock.close()  # never handed to libssh2: paramiko closes it too

    # -- state --------------------------------------------------------------

    def is_active(self) -> bool:
        return self._session is not None and self._session.is_active()

    @property
    def active(self) -> bool:
        """paramiko's flag: True from the handshake until the connection is
        closed or found dead by a call that failed (paramiko's transport
        thread clears it as soon as the connection ends). Fabric's
        ``Connection.is_connected`` and smart_open's reconnect read it."""
        return bool(self.__dict__.get("_active", False)) and self.is_active()

    @active.setter
    def active(self, value: bool) -> None:
        self._active = bool(value)

    def is_authenticated(self) -> bool:
        return self._session is not None and self._session.is_authenticated()

    def get_username(self) -> Optional[str]:
        return self._username if self.is_authenticated() else None

    def get_banner(self) -> Optional[bytes]:
        return None

    @property
    def remote_version(self) -> Optional[str]:
        return self._session.banner() if self._session is not None else None

    @property
    def local_version(self) -> str:
        return "SSH-2.0-libssh2_" + _native.LIBSSH2_VERSION

    def getpeername(self):
        peer = self._require_session().peer()
        if peer is not None:
            return peer
        # over a ProxyCommand or a channel: paramiko asks the sock
        getpeername = getattr(self.sock, "getpeername", None)
        return getpeername() if getpeername is not None else ("unknown", 0)

    def get_remote_server_key(self):
        """The server's host key (the same object each time, as paramiko's)."""
        session = self._require_session()
        if self._host_key is None:
            from .pkey import _from_blob

            _, blob = session.host_key()
            self._host_key = _from_blob(blob)
        return self._host_key

    def _negotiated(self, kind: str) -> str:
        if self._session is None:
            return ""
        return self._session.negotiated(kind) or ""

    local_cipher = property(lambda self: self._negotiated("cipher_cs"))
    remote_cipher = property(lambda self: self._negotiated("cipher_sc"))
    local_mac = property(lambda self: self._negotiated("mac_cs"))
    remote_mac = property(lambda self: self._negotiated("mac_sc"))
    local_compression = property(lambda self: self._negotiated("comp_cs") or "none")
    remote_compression = property(lambda self: self._negotiated("comp_sc") or "none")

    def get_security_options(self) -> SecurityOptions:
        return SecurityOptions(self)

    def use_compression(self, compress: bool = True) -> None:
        """Only effective before the handshake, as in paramiko."""
        self._compress = bool(compress)
        if compress:
            self._algorithms["compression"] = ["zlib@openssh.com", "zlib", "none"]

    def set_keepalive(self, interval: int) -> None:
        """Send a keepalive after ``interval`` idle seconds (0: never). Like
        paramiko, this may be called before the handshake: it then applies
        from the handshake on."""
        self._keepalive = int(interval)
        if self._session is not None:
            self._require_session().set_keepalive(self._keepalive)

    # -- paramiko's Transport is a Thread -------------------------------------

    def is_alive(self) -> bool:
        """True from the handshake until the connection closes or fails (the
        life of paramiko's transport thread)."""
        return self.is_active()

    def join(self, timeout: Optional[float] = None) -> None:
        """Wait until the connection has ended (or ``timeout`` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.is_alive():
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(0.05)

    def atfork(self) -> None:
        """paramiko's: end this Transport without closing the session, so the
        other process that shares the socket after a ``fork()`` keeps it.
        (ferrosftp does this by itself in every forked child.)"""
        self.active = False
        if self._session is not None:
            self._session.abandon()

    def stop_thread(self) -> None:
        """paramiko's way to end the transport thread: close the connection."""
        self.close()

    def isAlive(self) -> bool:  # noqa: N802 (Thread's old name, still called)
        return self.is_alive()

    def set_log_channel(self, name: str) -> None:
        self._log_channel = name

    def get_log_channel(self) -> str:
        return self._log_channel

    def set_hexdump(self, hexdump: bool) -> None:
        # Never hex-dump traffic: it would log secrets. Accepted and ignored.
        self._hexdump = bool(hexdump)

    def get_hexdump(self) -> bool:
        return self._hexdump

    # -- authentication -----------------------------------------------------

    def _allowed(self, username: str) -> Optional[list]:
        return self._require_session().auth_methods(username, self.auth_timeout)

    def _authed(self, username: str) -> list:
        self._username = username
        log.info("Authentication (%s) successful!", "publickey/password")
        return []

    def auth_none(self, username: str) -> list:
        allowed = self._allowed(username)
        if allowed is None:
            return self._authed(username)
        raise BadAuthenticationType("Bad authentication type", allowed)

    def auth_password(self, username: str, password: str, event=None, fallback: bool = True) -> list:
        allowed = self._allowed(username)
        if allowed is None:
            return self._authed(username)
        session = self._require_session()
        if "password" in allowed:
            session.auth_password(username, password, self.auth_timeout)
        elif fallback and "keyboard-interactive" in allowed:
            session.auth_keyboard_interactive(username, password, self.auth_timeout)
        else:
            raise BadAuthenticationType("Bad authentication type", allowed)
        return self._authed(username)

    def _publickey(self, username: str, attempt) -> list:
        """Offer a key at once, as paramiko does. Only when the server refuses
        it are the allowed methods asked for (a round trip), to tell a refused
        key (AuthenticationException) from a refused method
        (BadAuthenticationType, as paramiko reads it from the refusal)."""
        try:
            attempt(self._require_session())
        except AuthenticationException as e:
            if str(e) != _REFUSED:
                raise  # e.g. a timeout: asking the server again would wait again
            allowed = self._allowed(username)
            if allowed is None:  # asking was a "none" request, which let us in
                return self._authed(username)
            if "publickey" not in allowed:
                raise BadAuthenticationType("Bad authentication type", allowed) from e
            raise
        return self._authed(username)

    def auth_publickey(self, username: str, key, event=None) -> list:
        from .agent import AgentKey

        if isinstance(key, AgentKey) or getattr(key, "_agent_key", False):
            return self.auth_agent(username)
        signing = getattr(key, "_signing", None)
        if signing is None:
            raise AuthenticationException("key has no private part to authenticate with")
        private, passphrase = signing
        return self._publickey(
            username, lambda session: session.auth_publickey(username, private, passphrase, self.auth_timeout)
        )

    def auth_agent(self, username: str) -> list:
        return self._publickey(username, lambda session: session.auth_agent(username, self.auth_timeout))

    def auth_interactive(self, username: str, handler, submethods: str = "") -> list:
        """Keyboard-interactive with a handler(title, instructions, prompts) -> answers.

        libssh2 asks all prompts in one callback; we call the handler once with a
        generic prompt and send its first answer to every prompt."""
        answers = handler("", "", [("Password: ", False)])
        return self.auth_password(username, answers[0] if answers else "", fallback=True)

    def auth_interactive_dumb(self, username: str, handler=None, submethods: str = "") -> list:
        import getpass

        def default_handler(title, instructions, prompts):
            return [getpass.getpass(prompt) for prompt, _ in prompts]

        return self.auth_interactive(username, handler or default_handler, submethods)

    # -- channels -----------------------------------------------------------

    def open_session(self, window_size=None, max_packet_size=None, timeout=None):
        from .channel import Channel

        return Channel(self, self._require_authenticated().open_channel(timeout or self.channel_timeout))

    def _require_authenticated(self) -> _native.Session:
        # OpenSSH silently ignores channel opens before authentication: waiting
        # for its answer would hang for channel_timeout (an hour), so refuse now.
        session = self._require_session()
        if not session.is_authenticated():
            raise SSHException("SSH session not authenticated")
        return session

    def open_channel(self, kind, dest_addr=None, src_addr=None, window_size=None, max_packet_size=None, timeout=None):
        from .channel import Channel
        from .ssh_exception import ChannelException

        if kind == "session":
            return self.open_session(timeout=timeout)
        if kind == "direct-tcpip":
            host, port = dest_addr
            return Channel(self, self._require_authenticated().open_direct_tcpip(host, int(port), timeout))
        raise ChannelException(3, "Unknown channel type")

    # -- remote port forwarding ------------------------------------------------

    def request_port_forward(self, address, port, handler=None) -> int:
        """Ask the server to listen on ``address:port`` (0: it chooses) and
        forward each connection it accepts there to us, as paramiko does:
        ``handler(channel, (origin_addr, origin_port), (server_addr,
        server_port))`` in a thread of ours, or without a handler the
        channels wait for `accept`. Returns the port. The originator's
        address is not told by libssh2: ``("", 0)``."""
        if not self.is_active():
            raise SSHException("SSH session not active")
        port = int(port)
        try:
            listener = self._require_authenticated().forward_listen(address, port)
        except SSHException as e:
            raise SSHException("TCP forwarding request denied") from e
        stop = threading.Event()
        server = (address, listener.port)
        # paramiko keeps one handler for all forwardings: the last one set
        self._tcp_handler = handler if handler is not None else self._queue_incoming_channel
        thread = threading.Thread(
            target=self._forwarded,
            args=(listener, server, stop),
            daemon=True,
            name="ferrosftp-forward-{}".format(listener.port),
        )
        self._forwards[server] = (listener, stop)
        thread.start()
        return listener.port

    def cancel_port_forward(self, address, port) -> None:
        """Stop forwarding ``address:port``; nothing happens if not active."""
        if not self.is_active():
            return
        self._tcp_handler = None
        forward = self._forwards.pop((address, int(port)), None)
        if forward is not None:
            listener, stop = forward
            stop.set()
            listener.cancel()

    def _forwarded(self, listener, server, stop) -> None:
        """Hand each channel the server opens for ``listener`` to the handler."""
        from .channel import Channel

        while not stop.is_set() and self.is_active():
            try:
                native = listener.accept(0.25)
            except SSHException:
                break
            if native is None:
                continue
            chan = Channel(self, native)
            handler = self._tcp_handler
            if handler is None:
                chan.close()
                continue
            try:
                handler(chan, ("", 0), server)
            except Exception:  # noqa: BLE001 - as paramiko: logged, the transport goes on
                log.exception("port forwarding handler failed")

    def _queue_incoming_channel(self, channel, origin=None, server=None) -> None:
        self._accepted.put(channel)

    def accept(self, timeout=None):
        """The next channel a port forwarding brought in (paramiko's accept
        queue), or None after ``timeout`` seconds."""
        try:
            return self._accepted.get(timeout=timeout)
        except queue.Empty:
            return None

    def open_sftp_client(self):
        from .sftp_client import SFTPClient

        return SFTPClient.from_transport(self)

    def send_ignore(self, byte_count=None) -> None:
        self._require_session()

    def renegotiate_keys(self) -> None:
        raise SSHException("renegotiate_keys is not supported by ferrosftp (libssh2 rekeys by itself)")
