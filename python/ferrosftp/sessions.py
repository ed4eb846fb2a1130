"""Opening verified SSH sessions the way ``ssh`` would, for the sync agent,
the command-line tool and the fsspec filesystem::

    from ferrosftp.sessions import Connector

    conn = Connector.for_host("myalias", accept_new_host_key=True)  # ~/.ssh/config applies
    client, sftp = conn.session()        # an SSHClient and its SFTPClient

* Host keys are checked against known_hosts files; an unknown host is
  refused with :class:`UnknownHostKeyError` (:class:`RejectUnknownHostKeyPolicy`)
  unless new keys are accepted and recorded (:class:`AcceptNewHostKeyPolicy`,
  ssh's ``StrictHostKeyChecking=accept-new``). A changed key is always
  refused (``BadHostKeyException``).
* :func:`open_ssh_client` opens one such connection from explicit settings.
* :class:`Connector` holds everything needed to open sessions to one server,
  resolved from the ssh config by :meth:`Connector.for_host`
  (:func:`ferrosftp.host_config.resolve_ssh_config`): the real host name,
  port, user, key files, known_hosts files, timeout, and the way there (TCP,
  a ProxyCommand, or ProxyJump hosts, each with its own settings from the
  file). It asks for a key's passphrase on a terminal, once.
* Failures while connecting are raised as :class:`ConnectFailed`, naming
  the server (and the jump host that failed), with the original exception
  as ``cause``.
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
import threading
from typing import List, Optional, Tuple

from .client import MissingHostKeyPolicy, SSHClient
from .host_config import HostConfig, UsageError, resolve_ssh_config
from .ssh_exception import SSHException

__all__ = [
    "AcceptNewHostKeyPolicy",
    "ConnectFailed",
    "Connector",
    "HostConfig",
    "RejectUnknownHostKeyPolicy",
    "UnknownHostKeyError",
    "UsageError",
    "open_ssh_client",
    "resolve_ssh_config",
    "session_usable",
]

log = logging.getLogger("ferrosftp.sessions")


# --------------------------------------------------------------------------
# host keys
# --------------------------------------------------------------------------


class UnknownHostKeyError(SSHException):
    """The server's host key is in no known_hosts file (and new keys are not
    accepted)."""

    def __init__(self, hostname, key):
        fp = ""
        try:
            fp = key.fingerprint  # "SHA256:..." when the key class has it
        except Exception:  # noqa: BLE001
            pass
        msg = "host key for {} is not known ({} {}); add it to known_hosts or accept it explicitly".format(
            hostname, key.get_name(), fp
        ).replace(" )", ")")
        SSHException.__init__(self, msg)
        self.hostname = hostname
        self.key = key


class RejectUnknownHostKeyPolicy(MissingHostKeyPolicy):
    """Refuse unknown hosts with :class:`UnknownHostKeyError` (like ssh's
    ``StrictHostKeyChecking=yes``)."""

    def missing_host_key(self, client, hostname, key):
        raise UnknownHostKeyError(hostname, key)


class AcceptNewHostKeyPolicy(MissingHostKeyPolicy):
    """Accept a key for a host that has none on record and append it to
    ``path`` (ssh's ``StrictHostKeyChecking=accept-new``).  A *changed* key
    is still refused (the client raises BadHostKeyException before asking a
    policy)."""

    def __init__(self, path: Optional[str] = None):
        self.path = path
        self._lock = threading.Lock()

    def missing_host_key(self, client, hostname, key):
        client.get_host_keys().add(hostname, key.get_name(), key)
        if not self.path:
            return
        with self._lock:
            try:
                d = os.path.dirname(os.path.abspath(self.path))
                if not os.path.isdir(d):
                    os.makedirs(d, mode=0o700, exist_ok=True)
                line = "{} {} {}\n".format(hostname, key.get_name(), key.get_base64())
                # don't append the same line twice (parallel sessions)
                try:
                    with open(self.path, "r") as f:
                        if line in f.read():
                            return
                except OSError:
                    pass
                with open(self.path, "a") as f:
                    f.write(line)
                log.info("Permanently added %s key for %s to %s", key.get_name(), hostname, self.path)
            except OSError as e:
                log.warning("could not record host key in %s: %s", self.path, e)


def _as_list(value) -> List[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        return [os.fspath(value)]
    return [os.fspath(v) for v in value]


def open_ssh_client(
    hostname: str,
    port: int = 22,
    username: Optional[str] = None,
    *,
    key_filenames=None,
    password: Optional[str] = None,
    passphrase: Optional[str] = None,
    known_hosts=None,
    accept_new_host_key: bool = False,
    allow_agent: bool = True,
    look_for_keys: bool = True,
    timeout: Optional[float] = 30.0,
    sock=None,
) -> SSHClient:
    """A connected, host-key-verified :class:`SSHClient`.

    ``known_hosts``: a path or a list of paths (missing files are skipped);
    None means ``~/.ssh/known_hosts``.  New keys are appended to the first one
    when ``accept_new_host_key``.  Raises what ``SSHClient.connect`` raises,
    and :class:`UnknownHostKeyError` for an unknown host. ``sock``: as
    ``SSHClient.connect``'s (a ProxyCommand, a Channel through a jump host)."""
    files = _as_list(known_hosts) or [os.path.expanduser("~/.ssh/known_hosts")]
    files = [os.path.expanduser(f) for f in files]
    c = SSHClient()
    for f in files:
        if os.path.isfile(f):
            c.load_system_host_keys(f)
    if accept_new_host_key:
        c.set_missing_host_key_policy(AcceptNewHostKeyPolicy(files[0]))
    else:
        c.set_missing_host_key_policy(RejectUnknownHostKeyPolicy())
    c.connect(
        hostname,
        port=port,
        username=username,
        password=password,
        key_filename=_as_list(key_filenames) or None,
        passphrase=passphrase,
        allow_agent=allow_agent,
        look_for_keys=look_for_keys,
        timeout=timeout,
        banner_timeout=timeout,
        auth_timeout=timeout,
        channel_timeout=timeout,
        sock=sock,
    )
    return c


def session_usable(client: Optional[SSHClient], sftp) -> bool:
    """True while the SFTP session ``sftp`` and the connection of ``client``
    are alive (a session that is not is opened anew, not reused)."""
    try:
        native = getattr(sftp, "_sftp", None)
        if native is not None and (native.closed or not native.is_usable()):
            return False
        t = client.get_transport() if client is not None else None
        return t is None or t.is_active()
    except Exception:  # noqa: BLE001
        return False


# --------------------------------------------------------------------------
# one server, as ssh would reach it
# --------------------------------------------------------------------------


class ConnectFailed(Exception):
    """Any failure while connecting, so that a generic SSHException there
    counts as a connection problem: ``target`` names the server (or the jump
    host that failed), ``address`` where the TCP connection went, ``cause``
    the original exception."""

    def __init__(self, target: str, cause: BaseException, address: str = ""):
        Exception.__init__(self, "{}: {}".format(target, cause))
        self.target = target
        self.cause = cause
        self.address = address


class Connector:
    """Everything needed to open sessions to one server (shared by the
    threads of a transfer). :meth:`for_host` fills it from the ssh config;
    the constructor takes explicit settings."""

    def __init__(
        self,
        host,
        port=22,
        user=None,
        key_files=(),
        password=None,
        passphrase=None,
        known_hosts=None,
        accept_new=False,
        timeout=30.0,
        allow_agent=True,
        look_for_keys=False,
        label=None,
        address=None,
        via=None,
    ):
        self.host = host
        self.port = int(port)
        self.user = user or getpass.getuser()
        self.key_files = list(key_files)
        self.password = password
        self.passphrase = passphrase
        self.known_hosts = known_hosts
        self.accept_new = accept_new
        self.timeout = timeout
        self.allow_agent = allow_agent and bool(os.environ.get("SSH_AUTH_SOCK"))
        self.look_for_keys = look_for_keys
        self.label = label or "{}@{}:{}".format(self.user, host, self.port)
        # where the TCP connection goes, for "connection refused" and timeouts
        self.address = address or "{}:{}".format(host, self.port)
        # how to reach the server: None (TCP), a ProxyCommand line, or the
        # Connectors of the ProxyJump hops, first hop first
        self.via = via
        self._hops: list = []  # the jump hosts' SSHClients, kept alive
        self._prompt_lock = threading.Lock()

    @classmethod
    def for_host(
        cls,
        host: str,
        *,
        port: Optional[int] = None,
        user: Optional[str] = None,
        ssh_config: Optional[str] = None,
        identity=(),
        password: Optional[str] = None,
        passphrase: Optional[str] = None,
        known_hosts=None,
        accept_new_host_key: bool = False,
        timeout: Optional[float] = None,
    ) -> "Connector":
        """A Connector for ``host`` (an alias of the ssh config or a name) as
        ssh would reach it (:func:`~ferrosftp.host_config.resolve_ssh_config`;
        ``ssh_config``: another file, ``"none"`` for no file).

        ``port``/``user`` win over the file. ``identity``: key files (then no
        agent and no default keys; each must exist, else
        :class:`UsageError`). ``known_hosts``: a file or a list of files
        instead of the config's. ``accept_new_host_key``: record the key of a
        host not yet known (also when the file says
        ``StrictHostKeyChecking accept-new`` or ``no``). ``timeout``: seconds
        (default: the file's ConnectTimeout, else 30). Jump hosts get their
        own settings from the file, and no password."""
        cfg = resolve_ssh_config(host, port, user, ssh_config)
        via = _way_there(cfg, host, ssh_config, accept_new_host_key, timeout, hop=False)
        identity = [identity] if isinstance(identity, (str, os.PathLike)) else list(identity or ())
        for k in identity:
            if not os.path.isfile(os.path.expanduser(k)):
                raise UsageError("identity file not found: {}".format(k))
        if isinstance(known_hosts, (str, os.PathLike)):
            known_hosts = [os.path.expanduser(os.fspath(known_hosts))]
        return cls._from_config(
            cfg,
            via,
            "{}@{}".format(cfg.user or getpass.getuser(), host),
            accept_new_host_key,
            timeout,
            password,
            passphrase,
            [os.path.expanduser(k) for k in identity],
            known_hosts,
        )

    @classmethod
    def _from_config(
        cls,
        cfg: HostConfig,
        via,
        label,
        accept_new_host_key,
        timeout,
        password=None,
        passphrase=None,
        identity=(),
        known_hosts=None,
    ) -> "Connector":
        """``identity`` (key files given by the caller: then no agent and no
        default keys) and ``known_hosts`` override the config's."""
        if identity:
            keys, allow_agent, look = list(identity), False, False
        else:
            keys = [k for k in cfg.identity_files if os.path.isfile(k)]
            allow_agent = not cfg.identities_only
            look = not cfg.from_ssh  # with no config file, fall back to ~/.ssh/id_*
        if known_hosts:
            known = list(known_hosts)
        else:
            known = (cfg.known_hosts or [os.path.expanduser("~/.ssh/known_hosts")]) + cfg.global_known_hosts
        accept_new = accept_new_host_key or cfg.strict_host_key_checking in ("accept-new", "no", "off")
        timeout = timeout if timeout is not None else (cfg.connect_timeout or 30.0)
        return cls(
            cfg.hostname,
            cfg.port,
            cfg.user,
            keys,
            password,
            passphrase,
            known,
            accept_new,
            timeout,
            allow_agent,
            look,
            label=label,
            address="{}:{}".format(cfg.hostname, cfg.port),
            via=via,
        )

    def _sock(self):
        """The ``sock=`` for a new connection: None, a ProxyCommand, or a
        direct-tcpip channel through the jump hosts. The hops' connections
        live as long as this Connector."""
        if self.via is None:
            return None
        if isinstance(self.via, str):
            from .proxy import ProxyCommand

            return ProxyCommand(self.via)
        sock = None
        for hop, nxt in zip(self.via, self.via[1:] + [self]):
            client = hop.client(sock)
            self._hops.append(client)
            try:
                sock = client.get_transport().open_channel("direct-tcpip", (nxt.host, nxt.port), ("127.0.0.1", 0))
            except Exception as e:  # noqa: BLE001
                raise ConnectFailed(hop.label, e, "{}:{}".format(nxt.host, nxt.port)) from e
        return sock

    def client(self, sock=None) -> SSHClient:
        """A connected SSHClient (``sock``: given by the next hop's Connector)."""
        from .ssh_exception import PasswordRequiredException

        for attempt in (0, 1):
            way = sock if sock is not None else self._sock()  # a hop's failure names the hop
            try:
                return open_ssh_client(
                    self.host,
                    self.port,
                    self.user,
                    key_filenames=self.key_files,
                    password=self.password,
                    passphrase=self.passphrase,
                    known_hosts=self.known_hosts,
                    accept_new_host_key=self.accept_new,
                    allow_agent=self.allow_agent,
                    look_for_keys=self.look_for_keys,
                    timeout=self.timeout,
                    sock=way,
                )
            except PasswordRequiredException as e:
                if attempt == 0 and self.passphrase is None and _stdin_is_terminal():
                    with self._prompt_lock:
                        if self.passphrase is None:
                            self.passphrase = getpass.getpass(
                                "Passphrase for key {}: ".format(", ".join(self.key_files) or "(default keys)")
                            )
                    continue
                raise ConnectFailed(self.label, e, self.address) from e
            except Exception as e:  # noqa: BLE001
                raise ConnectFailed(self.label, e, self.address) from e

    def ensure_passphrase(self) -> None:
        """Ask for the passphrase of an encrypted key now (on a terminal), for
        code paths that connect later without a chance to prompt."""
        from .pkey import PKey
        from .ssh_exception import PasswordRequiredException

        if self.passphrase is not None or not _stdin_is_terminal():
            return
        for k in self.key_files:
            try:
                PKey.from_path(k)
            except PasswordRequiredException:
                self.passphrase = getpass.getpass("Passphrase for key {}: ".format(k))
                return
            except (SSHException, OSError, ValueError):
                continue

    def session(self):
        """(SSHClient, SFTPClient): a new connection and its SFTP session,
        whose network waits are bounded by the Connector's timeout."""
        c = self.client()
        try:
            s = c.open_sftp()
            if self.timeout:
                s.get_channel().settimeout(self.timeout)
        except Exception as e:  # noqa: BLE001
            c.close()
            raise ConnectFailed(self.label, e, self.address) from e
        return c, s


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _jump_hops(spec: str) -> List[Tuple[Optional[str], str, Optional[int]]]:
    """ProxyJump's hops as (user, host, port): ``[user@]host[:port]`` or
    ``ssh://[user@]host[:port]``, comma-separated."""
    hops = []
    for part in spec.split(","):
        part = part.strip()
        if part.startswith("ssh://"):
            part = part[len("ssh://") :].rstrip("/")
        user, _, hostport = part.rpartition("@")
        host, port = hostport, None
        if hostport.startswith("["):  # [IPv6]:port
            host, _, rest = hostport[1:].partition("]")
            port = rest[1:] or None
        elif hostport.count(":") == 1:
            host, _, port = hostport.partition(":")
        if not host:
            raise UsageError("ProxyJump: no host in {!r}".format(part))
        try:
            hops.append((user or None, host, int(port) if port else None))
        except ValueError:
            raise UsageError("ProxyJump: bad port in {!r}".format(part))
    return hops


def _way_there(cfg: HostConfig, host: str, ssh_config, accept_new_host_key, timeout, hop: bool):
    """How to reach a server: None (TCP), a ProxyCommand line, or the
    Connectors of its ProxyJump hops (each resolved from the same file, no
    password)."""
    if cfg.proxy_jump and cfg.proxy_jump.lower() != "none":
        if hop:
            raise UsageError("ProxyJump of a jump host ({}) is not supported".format(host))
        hops = []
        for hop_user, hop_host, hop_port in _jump_hops(cfg.proxy_jump):
            hop_cfg = resolve_ssh_config(hop_host, hop_port, hop_user, ssh_config)
            hop_via = _way_there(hop_cfg, hop_host, ssh_config, accept_new_host_key, timeout, hop=True)
            hops.append(
                Connector._from_config(
                    hop_cfg,
                    hop_via,
                    "{}@{} (jump host)".format(hop_cfg.user or getpass.getuser(), hop_host),
                    accept_new_host_key,
                    timeout,
                )
            )
        return hops
    return cfg.proxy_command or None
