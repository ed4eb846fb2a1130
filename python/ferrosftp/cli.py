"""``ferrosftp``: a small scp/sftp-like command-line tool on top of the library.

    ferrosftp get  [-r] [-p] [user@]host:path... [LOCAL]
    ferrosftp put  [-r] [-p] LOCAL... [user@]host:path
    ferrosftp ls   [-l] [-a] [user@]host:path...
    ferrosftp rm   [-r] [-f] [user@]host:path...
    ferrosftp mkdir [-p] [user@]host:path...
    ferrosftp exec [-n] [user@]host COMMAND...
    ferrosftp sync push|pull|status LOCAL_ROOT [user@]host:REMOTE_ROOT [PATH...]
    ferrosftp demo [--size MB] [--files N] [[user@]host:path]

Remote targets are written like scp's: ``user@host:path``, ``host:path``,
``[::1]:path`` (``host:`` alone is the login directory).  Errors are one line
on stderr, and the exit code says what kind of failure it was (see EXIT_*).

About ~/.ssh/config
-------------------
Host aliases, HostName, Port, User, IdentityFile, UserKnownHostsFile,
GlobalKnownHostsFile, IdentitiesOnly, ConnectTimeout and
StrictHostKeyChecking=accept-new are honoured.  The file is read by the
library's own ``ferrosftp.config.SSHConfig`` (paramiko's ``SSHConfig``
semantics: Host patterns and negation, Match, first value wins, plus
OpenSSH's Include), so no ``ssh`` client is needed; the tests compare its
answers with ``ssh -G`` (tests/test_ssh_config.py, which also names the few
points where paramiko and ssh read a file differently: paramiko's reading
applies, e.g. a ``# comment`` after a value is part of it).  File names get ssh's %-tokens (``_expand_tokens``),
and what the config leaves unset gets ssh's defaults (key files, known_hosts
files).  ``-F FILE`` picks another config file (``-F none`` disables it); the
system-wide /etc/ssh/ssh_config is not read.  ProxyCommand runs the command
as the connection; ProxyJump connects through each hop in turn (each with its
own settings from the file).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import hashlib
import os
import posixpath
import secrets
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .config import SSHConfig, SSHConfigDict

__all__ = ["main", "parse_remote", "resolve_ssh_config", "EXIT_CODES"]

PROG = "ferrosftp"

EXIT_OK = 0
EXIT_OTHER = 1
EXIT_USAGE = 2
EXIT_CONNECT = 3
EXIT_AUTH = 4
EXIT_HOSTKEY = 5
EXIT_NOTFOUND = 6
EXIT_CONFLICT = 7
EXIT_TRANSFER = 8
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_OTHER: "other error",
    EXIT_USAGE: "usage error (bad arguments or options, unsupported ssh config)",
    EXIT_CONNECT: "cannot connect (DNS failure, connection refused, timeout, server unreachable)",
    EXIT_AUTH: "authentication failed (wrong key, password or passphrase)",
    EXIT_HOSTKEY: "host key unknown or changed (not verified)",
    EXIT_NOTFOUND: "file not found or permission denied (remote or local)",
    EXIT_CONFLICT: "sync conflict: a file changed on both sides (nothing overwritten)",
    EXIT_TRANSFER: "a transfer failed part-way (nothing partial left under the final name)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}

EPILOG = "exit codes:\n" + "\n".join("  {:<4} {}".format(k, v) for k, v in EXIT_CODES.items()) + """

  exec exits with the remote command's own exit status when it ran.

host keys are checked against ~/.ssh/known_hosts (or --known-hosts FILE, or
UserKnownHostsFile from ~/.ssh/config); an unknown host is refused unless
--accept-new-host-key is given.  ~/.ssh/config is read as ssh reads it (Host,
Match, Include); -F FILE reads another file instead, -F none no file at all.
"""


class UsageError(Exception):
    """Bad command line (exit 2)."""


class _ConnectFailed(Exception):
    """Wraps any failure while connecting, so that a generic SSHException there
    counts as a connection problem (exit 3)."""

    def __init__(self, target: str, cause: BaseException, address: str = ""):
        Exception.__init__(self, "{}: {}".format(target, cause))
        self.target = target
        self.cause = cause
        self.address = address


class _Failures(Exception):
    """Several files failed (already reported one line each)."""

    def __init__(self, code: int, message: str):
        Exception.__init__(self, message)
        self.code = code


# ---------------------------------------------------------------------------
# targets
# ---------------------------------------------------------------------------


@dataclass
class Remote:
    user: Optional[str]
    host: str
    path: str

    def spec(self) -> str:
        host = "[{}]".format(self.host) if ":" in self.host else self.host
        return "{}{}:{}".format(self.user + "@" if self.user else "", host, self.path)


def parse_remote(arg: str, require_path: bool = True) -> Optional[Remote]:
    """``[user@]host:path`` / ``[user@][v6addr]:path`` -> Remote; None for a
    local path (no colon, or a slash before the first colon, like scp).  With
    ``require_path=False`` a bare ``[user@]host`` is accepted too."""
    user = None
    rest = arg
    at = arg.find("@")
    colon = arg.find(":")
    bracket = arg.find("[")
    slash = arg.find("/")
    if at > 0 and (colon < 0 or at < colon) and (bracket < 0 or at < bracket) and (slash < 0 or at < slash):
        user, rest = arg[:at], arg[at + 1:]
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise UsageError("unterminated [ in {!r}".format(arg))
        host = rest[1:end]
        after = rest[end + 1:]
        if after.startswith(":"):
            return Remote(user, host, after[1:] or ".")
        if after == "" and not require_path:
            return Remote(user, host, ".")
        raise UsageError("expected [host]:path in {!r}".format(arg))
    c = rest.find(":")
    if c < 0:
        if require_path or not rest or "/" in rest:
            return None
        return Remote(user, rest, ".")
    if "/" in rest[:c]:
        return None
    host = rest[:c]
    if not host:
        if user is None:
            return None
        raise UsageError("no host in {!r}".format(arg))
    return Remote(user, host, rest[c + 1:] or ".")


# ---------------------------------------------------------------------------
# ~/.ssh/config, read with ferrosftp.config.SSHConfig
# ---------------------------------------------------------------------------

# What ssh uses for what the config leaves unset (OpenSSH 9's defaults, as
# `ssh -G` prints them).
DEFAULT_IDENTITY_FILES = ["~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519",
                          "~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss", "~/.ssh/id_dsa"]
DEFAULT_USER_KNOWN_HOSTS = ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"]
DEFAULT_GLOBAL_KNOWN_HOSTS = ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"]

# StrictHostKeyChecking's spellings, as `ssh -G` prints them
_STRICT = {"yes": "true", "true": "true", "no": "false", "false": "false", "off": "false",
           "ask": "ask", "accept-new": "accept-new"}


@dataclass
class HostConfig:
    """The settings one connection uses.  ``from_ssh`` is True when they were
    resolved through an ssh config (then ``identity_files`` lists ssh's default
    key files when the config names none, as ``ssh -G`` does); False for
    ``-F none`` (plain defaults: the caller looks for keys itself)."""
    hostname: str
    port: int = 22
    user: Optional[str] = None
    identity_files: List[str] = field(default_factory=list)
    known_hosts: List[str] = field(default_factory=list)
    global_known_hosts: List[str] = field(default_factory=list)
    strict_host_key_checking: Optional[str] = None
    connect_timeout: Optional[float] = None
    proxy_jump: Optional[str] = None
    proxy_command: Optional[str] = None
    identities_only: bool = False
    from_ssh: bool = False


class _UnexpandedConfig(SSHConfig):
    """paramiko's lookup without its token expansion: the CLI expands file
    names with ssh's own token rules (``_expand_tokens``)."""

    def _expand_variables(self, config, target_hostname):
        return config


def _load_ssh_config(config_file: Optional[str]) -> SSHConfig:
    cls = _UnexpandedConfig
    path = os.path.expanduser(config_file or "~/.ssh/config")
    try:
        return cls.from_path(path)
    except FileNotFoundError:
        if config_file:
            raise UsageError("ssh config: can't open {}: no such file".format(config_file))
        return cls()  # no ~/.ssh/config: ssh's defaults only
    except OSError as e:
        raise UsageError("ssh config: can't read {}: {}".format(path, e.strerror or e))
    except Exception as e:  # noqa: BLE001 (ConfigParseError, bad quoting, an Include loop)
        raise UsageError("ssh config: {}: {}".format(path, e))


def resolve_ssh_config(host: str, port: Optional[int] = None, user: Optional[str] = None,
                       config_file: Optional[str] = None) -> HostConfig:
    """The effective ssh settings for ``host``: the ssh config file
    (``config_file``, else ``~/.ssh/config`` when it exists) resolved by
    :class:`ferrosftp.config.SSHConfig` (Host and Match blocks, Include,
    first value wins), with ssh's defaults for what it leaves unset.  ``port``
    and ``user`` from the command line win over the file, and Match rules see
    them, as with ssh.  ``config_file == "none"``: plain defaults, no file."""
    if config_file == "none":
        return HostConfig(hostname=host, port=port or 22, user=user)
    config = _load_ssh_config(config_file)
    seed = SSHConfigDict()
    if user:
        seed["user"] = user
    if port:
        seed["port"] = str(port)
    try:
        opts = config._lookup_from(host, seed)
    except Exception as e:  # noqa: BLE001 (canonicalization, Match exec, a bad config)
        raise UsageError("ssh config: {}".format(str(e) or type(e).__name__))
    cfg = HostConfig(hostname=_expand_hostname(opts.get("hostname") or host, host), port=port or 22,
                     user=opts.get("user") or user, from_ssh=True)
    if not port and opts.get("port"):
        try:
            cfg.port = int(opts["port"])
        except ValueError:
            raise UsageError("ssh config: bad port {!r} for {}".format(opts["port"], host))
    cfg.identity_files = [_expand_tokens(v, cfg, host) for v in opts.get("identityfile") or DEFAULT_IDENTITY_FILES]
    known = opts.get("userknownhostsfile")
    cfg.known_hosts = [_expand_tokens(v, cfg, host) for v in (known.split() if known else DEFAULT_USER_KNOWN_HOSTS)]
    known = opts.get("globalknownhostsfile")
    cfg.global_known_hosts = [_expand_tokens(v, cfg, host)
                              for v in (known.split() if known else DEFAULT_GLOBAL_KNOWN_HOSTS)]
    strict = (opts.get("stricthostkeychecking") or "ask").lower()
    cfg.strict_host_key_checking = _STRICT.get(strict, strict)
    cfg.connect_timeout = _seconds(opts.get("connecttimeout"))
    jump = opts.get("proxyjump")
    if jump and jump.lower() != "none":
        cfg.proxy_jump = jump
    command = opts.get("proxycommand")  # None for "ProxyCommand none"
    if command and not cfg.proxy_jump:  # ssh uses one of the two; ProxyJump is reported first here
        cfg.proxy_command = _expand_tokens(command, cfg, host)  # %h %p %r %n %%, as ssh
    cfg.identities_only = (opts.get("identitiesonly") or "").lower() in ("yes", "true")
    return cfg


def _expand_hostname(value: str, alias: str) -> str:
    """HostName's tokens (%h, %%), then lowercased unless an address, as ssh does."""
    import ipaddress

    out, i = [], 0
    while i < len(value):
        if value[i] == "%" and i + 1 < len(value) and value[i + 1] in "h%":
            out.append(alias if value[i + 1] == "h" else "%")
            i += 2
        else:
            out.append(value[i])
            i += 1
    name = "".join(out)
    try:
        ipaddress.ip_address(name)
        return name
    except ValueError:
        return name.lower()


def _seconds(value: Optional[str]) -> Optional[float]:
    """An ssh time value (``30``, ``1m30s``; ``none``) in seconds, or None."""
    if not value or value.lower() == "none":
        return None
    units = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    total, number = 0.0, ""
    for c in value.lower():
        if c.isdigit():
            number += c
        elif c in units and number:
            total += int(number) * units[c]
            number = ""
        else:
            return None
    if number:
        total += int(number)
    return total or None


def _expand_tokens(value: str, cfg: HostConfig, alias: str) -> str:
    """ssh_config(5) TOKENS for file names: %% %d %u %r %h %p %n %l %L %i, and ~."""
    local_user = getpass.getuser()
    home = os.path.expanduser("~")
    short = socket.gethostname().split(".")[0]
    table = {"%": "%", "d": home, "u": local_user, "r": cfg.user or local_user, "h": cfg.hostname,
             "p": str(cfg.port), "n": alias, "l": socket.gethostname(), "L": short, "i": str(os.getuid())}
    out, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "%" and i + 1 < len(value) and value[i + 1] in table:
            out.append(table[value[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return os.path.expanduser("".join(out))


# ---------------------------------------------------------------------------
# connecting
# ---------------------------------------------------------------------------


class Connector:
    """Everything needed to open sessions to one server (shared by the
    worker threads of a transfer)."""

    def __init__(self, host, port=22, user=None, key_files=(), password=None, passphrase=None,
                 known_hosts=None, accept_new=False, timeout=30.0, allow_agent=True,
                 look_for_keys=False, label=None, address=None, via=None):
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

    def _sock(self):
        """The ``sock=`` for a new connection: None, a ProxyCommand, or a
        direct-tcpip channel through the jump hosts. The hops' connections
        live as long as this process (each CLI command is one)."""
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
                raise _ConnectFailed(hop.label, e, "{}:{}".format(nxt.host, nxt.port)) from e
        return sock

    def client(self, sock=None):
        """A connected SSHClient (``sock``: given by the next hop's Connector)."""
        from .ssh_exception import PasswordRequiredException
        from .sync import open_ssh_client

        for attempt in (0, 1):
            way = sock if sock is not None else self._sock()  # a hop's failure names the hop
            try:
                return open_ssh_client(
                    self.host, self.port, self.user, key_filenames=self.key_files,
                    password=self.password, passphrase=self.passphrase, known_hosts=self.known_hosts,
                    accept_new_host_key=self.accept_new, allow_agent=self.allow_agent,
                    look_for_keys=self.look_for_keys, timeout=self.timeout, sock=way)
            except PasswordRequiredException as e:
                if attempt == 0 and self.passphrase is None and _interactive():
                    with self._prompt_lock:
                        if self.passphrase is None:
                            self.passphrase = getpass.getpass("Passphrase for key {}: ".format(
                                ", ".join(self.key_files) or "(default keys)"))
                    continue
                raise _ConnectFailed(self.label, e, self.address) from e
            except Exception as e:  # noqa: BLE001
                raise _ConnectFailed(self.label, e, self.address) from e

    def ensure_passphrase(self) -> None:
        """Ask for the passphrase of an encrypted key now (on a terminal), for
        code paths that connect later without a chance to prompt."""
        from .pkey import PKey
        from .ssh_exception import PasswordRequiredException, SSHException

        if self.passphrase is not None or not _interactive():
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
        c = self.client()
        try:
            s = c.open_sftp()
            if self.timeout:
                s.get_channel().settimeout(self.timeout)
        except Exception as e:  # noqa: BLE001
            c.close()
            raise _ConnectFailed(self.label, e, self.address) from e
        return c, s


def _interactive() -> bool:
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
            part = part[len("ssh://"):].rstrip("/")
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


def _via(args, cfg: HostConfig, host: str, hop: bool):
    """How to reach a server: None (TCP), a ProxyCommand line, or the
    Connectors of its ProxyJump hops."""
    if cfg.proxy_jump and cfg.proxy_jump.lower() != "none":
        if hop:
            raise UsageError("ProxyJump of a jump host ({}) is not supported".format(host))
        return [_hop_connector(args, *h) for h in _jump_hops(cfg.proxy_jump)]
    return cfg.proxy_command or None


def _hop_connector(args, user, host, port) -> Connector:
    """A ProxyJump hop: its own ssh config (keys, known hosts), no password."""
    cfg = resolve_ssh_config(host, port, user, args.ssh_config)
    return _connector(args, cfg, _via(args, cfg, host, hop=True),
                      "{}@{} (jump host)".format(cfg.user or getpass.getuser(), host))


def connector_for(args, remote: Remote) -> Connector:
    cfg = resolve_ssh_config(remote.host, args.port, remote.user, args.ssh_config)
    via = _via(args, cfg, remote.host, hop=False)
    password = None
    if args.password_env:
        if args.password_env not in os.environ:
            raise UsageError("--password-env: environment variable {} is not set".format(args.password_env))
        password = os.environ[args.password_env]
    passphrase = None
    if args.passphrase_env:
        if args.passphrase_env not in os.environ:
            raise UsageError("--passphrase-env: environment variable {} is not set".format(args.passphrase_env))
        passphrase = os.environ[args.passphrase_env]
    for k in args.identity or ():
        if not os.path.isfile(os.path.expanduser(k)):
            raise UsageError("identity file not found: {}".format(k))
    return _connector(args, cfg, via, "{}@{}".format(cfg.user or getpass.getuser(), remote.host),
                      password, passphrase, identity=[os.path.expanduser(k) for k in args.identity or ()],
                      known_hosts=os.path.expanduser(args.known_hosts) if args.known_hosts else None)


def _connector(args, cfg: HostConfig, via, label, password=None, passphrase=None, identity=(),
               known_hosts=None) -> Connector:
    """A Connector from the resolved ssh config; ``identity`` (key files given
    on the command line: then no agent and no default keys) and
    ``known_hosts`` override the config's."""
    if identity:
        keys, allow_agent, look = list(identity), False, False
    else:
        keys = [k for k in cfg.identity_files if os.path.isfile(k)]
        allow_agent = not cfg.identities_only
        look = not cfg.from_ssh  # with -F none, fall back to ~/.ssh/id_*
    if known_hosts:
        known = [known_hosts]
    else:
        known = (cfg.known_hosts or [os.path.expanduser("~/.ssh/known_hosts")]) + cfg.global_known_hosts
    accept_new = args.accept_new_host_key or cfg.strict_host_key_checking in ("accept-new", "no", "off")
    timeout = args.timeout if args.timeout is not None else (cfg.connect_timeout or 30.0)
    return Connector(cfg.hostname, cfg.port, cfg.user, keys, password, passphrase, known, accept_new,
                     timeout, allow_agent, look, label=label, address="{}:{}".format(cfg.hostname, cfg.port),
                     via=via)


def _one_server(remotes: List[Remote]) -> Remote:
    first = remotes[0]
    for r in remotes[1:]:
        if (r.user, r.host) != (first.user, first.host):
            raise UsageError("all remote paths must be on the same server ({} vs {})".format(
                first.spec(), r.spec()))
    return first


# ---------------------------------------------------------------------------
# transfers
# ---------------------------------------------------------------------------


def _progress(args):
    from ._progress import Progress

    return Progress(enabled=False if args.quiet else None)


def _remote_walk(sftp, top: str) -> Tuple[List[Tuple[str, int, object]], List[str]]:
    """(files [(path, size, attrs)], dirs) under a remote directory."""
    files, dirs = [], [top]
    pending = [top]
    while pending:
        d = pending.pop()
        for a in sorted(sftp.listdir_attr(d), key=lambda x: x.filename):
            p = posixpath.join(d, a.filename)
            mode = a.st_mode or 0
            if stat.S_ISLNK(mode):
                try:
                    a = sftp.stat(p)
                except OSError:
                    continue
                mode = a.st_mode or 0
                if stat.S_ISDIR(mode):
                    continue  # don't follow directory symlinks (loops)
            if stat.S_ISDIR(mode):
                dirs.append(p)
                pending.append(p)
            elif stat.S_ISREG(mode):
                files.append((p, a.st_size or 0, a))
    return files, dirs


def _run_jobs(main_sftp, jobs, do_one, move_many, args, label):
    """jobs: list of (src, dst, size, extra). One file: ``do_one(sftp, job,
    callback)`` (its own window, several channels if big). Many:
    ``move_many(sftp, jobs, report)`` keeps many in flight over up to
    ``--workers`` SFTP channels of the connection (ferrosftp._batch)."""
    from . import _batch

    prog = _progress(args)
    failures: Dict = {}
    if len(jobs) == 1:
        job = jobs[0]
        bar = prog.file(os.path.basename(job[0].rstrip("/")) or job[0], job[2])
        try:
            do_one(main_sftp, job, bar)
            bar.finish()
        except BaseException as e:  # noqa: BLE001
            if isinstance(e, KeyboardInterrupt):
                raise
            failures[0] = e
    else:
        agg = prog.aggregate(label, sum(j[2] for j in jobs), len(jobs))

        def progress(i, done, total, finished):
            if finished:
                agg.file_done(jobs[i][0], jobs[i][2])
            else:
                agg(jobs[i][0], done, total)

        results = _batch.spread(main_sftp, jobs, args.workers, move_many, progress)
        agg.finish()
        failures = {i: r for i, r in enumerate(results) if isinstance(r, BaseException)}
    if failures:
        codes = set()
        for i in sorted(failures):
            e = failures[i]
            code, msg = explain(e)
            codes.add(code)
            src, dst = jobs[i][0], jobs[i][1]
            if isinstance(e, OSError) and e.strerror and e.filename in (None, src, dst):
                # name both ends: a missing destination directory is not the source's fault
                where = "on the server" if e.filename is None else "local"
                msg = "{} ({})".format(e.strerror, where)
            _err("{} -> {}: {}".format(src, dst, msg))
        code = codes.pop() if len(codes) == 1 else EXIT_TRANSFER
        if code == EXIT_OTHER:
            code = EXIT_TRANSFER
        raise _Failures(code, "{} of {} file(s) failed".format(len(failures), len(jobs)))


def _keep_attrs(local, attrs) -> None:
    """A downloaded file gets the remote file's times and mode (-p)."""
    if attrs.st_mtime is not None:
        os.utime(local, (attrs.st_atime or attrs.st_mtime, attrs.st_mtime))
    if attrs.st_mode is not None:
        os.chmod(local, stat.S_IMODE(attrs.st_mode))


def _get_many(preserve: bool):
    """``move_many`` for downloads (jobs: (remote, local, size, attrs))."""
    def move(s, share, report):
        results = s._get_each([(j[0], j[1]) for j in share], report)
        if preserve:
            for k, (job, r) in enumerate(zip(share, results)):
                if not isinstance(r, BaseException):
                    try:
                        _keep_attrs(job[1], r)
                    except OSError as e:
                        results[k] = e
        return results
    return move


def _put_many(preserve: bool):
    """``move_many`` for uploads (jobs: (local, remote, size, _)): temp name,
    posix-rename, size check; -p: the local times and mode."""
    def move(s, share, report):
        return s._put_each([(j[0], j[1]) for j in share], report, confirm=True, atomic=True,
                           times=preserve, mode=preserve)
    return move


def cmd_get(args) -> int:
    paths = list(args.paths)
    last = parse_remote(paths[-1])
    if last is not None:
        srcs, dest = paths, "."
    else:
        if len(paths) < 2:
            raise UsageError("get needs at least one remote source (host:path)")
        srcs, dest = paths[:-1], paths[-1]
    remotes = []
    for s in srcs:
        r = parse_remote(s)
        if r is None:
            raise UsageError("not a remote path: {!r} (expected [user@]host:path)".format(s))
        remotes.append(r)
    server = _one_server(remotes)
    conn = connector_for(args, server)
    client, sftp = conn.session()
    try:
        jobs = []
        dest_is_dir = os.path.isdir(dest)
        if len(remotes) > 1 and not dest_is_dir:
            raise UsageError("target {!r} is not a directory".format(dest))
        for r in remotes:
            with _about(r.spec()):
                a = sftp.stat(r.path)
            if stat.S_ISDIR(a.st_mode or 0):
                if not args.recursive:
                    raise IsADirectoryError("{} is a directory (use -r)".format(r.spec()))
                base = posixpath.basename(posixpath.normpath(r.path)) or "."
                top_local = os.path.join(dest, base) if dest_is_dir else dest
                files, dirs = _remote_walk(sftp, r.path)
                for d in dirs:
                    rel = posixpath.relpath(d, r.path)
                    os.makedirs(os.path.normpath(os.path.join(top_local, rel)), exist_ok=True)
                for p, size, attrs in files:
                    rel = posixpath.relpath(p, r.path)
                    jobs.append((p, os.path.join(top_local, *rel.split("/")), size, attrs))
            else:
                local = os.path.join(dest, posixpath.basename(r.path)) if dest_is_dir else dest
                parent = os.path.dirname(os.path.abspath(local))
                if not os.path.isdir(parent):
                    raise FileNotFoundError("local directory {} does not exist".format(parent))
                jobs.append((r.path, local, a.st_size or 0, a))

        def do_one(s, job, cb):
            remote, local, _size, attrs = job
            s.get(remote, local, callback=cb)
            if args.preserve:
                _keep_attrs(local, attrs)

        if jobs:
            _run_jobs(sftp, jobs, do_one, _get_many(args.preserve), args, "{} files".format(len(jobs)))
    finally:
        sftp.close()
        client.close()
    return EXIT_OK


def cmd_put(args) -> int:
    from .sync import SyncAgent

    if len(args.paths) < 2:
        raise UsageError("put needs LOCAL... [user@]host:path")
    dest = parse_remote(args.paths[-1])
    if dest is None:
        raise UsageError("the last argument must be a remote target ([user@]host:path)")
    srcs = args.paths[:-1]
    for s in srcs:
        if parse_remote(s) is not None:
            raise UsageError("put: sources must be local paths: {!r}".format(s))
        if not os.path.exists(s):
            raise FileNotFoundError("local file not found: {}".format(s))
        if os.path.isdir(s) and not args.recursive:
            raise IsADirectoryError("{} is a directory (use -r)".format(s))
    conn = connector_for(args, dest)
    client, sftp = conn.session()
    try:
        try:
            dattr = sftp.stat(dest.path)
        except FileNotFoundError:
            dattr = None
        dest_is_dir = dattr is not None and stat.S_ISDIR(dattr.st_mode or 0)
        if len(srcs) > 1 and not dest_is_dir:
            raise NotADirectoryError("{} is not a directory on the server".format(dest.spec()))
        jobs = []
        remote_dirs = []
        for s in srcs:
            if os.path.isdir(s):
                base = os.path.basename(os.path.normpath(os.path.abspath(s)))
                top = posixpath.join(dest.path, base) if dest_is_dir else dest.path
                remote_dirs.append(top)
                for dirpath, dirnames, filenames in os.walk(s):
                    dirnames.sort()
                    rel = os.path.relpath(dirpath, s)
                    rdir = top if rel == "." else posixpath.join(top, *rel.split(os.sep))
                    remote_dirs.append(rdir)
                    for f in sorted(filenames):
                        lp = os.path.join(dirpath, f)
                        if os.path.isfile(lp):
                            jobs.append((lp, posixpath.join(rdir, f), os.path.getsize(lp), None))
            else:
                rp = posixpath.join(dest.path, os.path.basename(s)) if dest_is_dir else dest.path
                jobs.append((s, rp, os.path.getsize(s), None))
        known: set = set()
        for d in remote_dirs:
            SyncAgent._mkdir_p(sftp, d, known)

        def do_one(sf, job, cb):
            local, remote, _size, _ = job
            sf.put(local, remote, callback=cb, confirm=True, atomic=True)
            if args.preserve:
                st = os.stat(local)
                sf.utime(remote, (st.st_atime, st.st_mtime))
                sf.chmod(remote, stat.S_IMODE(st.st_mode))

        if jobs:
            _run_jobs(sftp, jobs, do_one, _put_many(args.preserve), args, "{} files".format(len(jobs)))
    finally:
        sftp.close()
        client.close()
    return EXIT_OK


def _remotes(args_paths, what) -> List[Remote]:
    out = []
    for p in args_paths:
        r = parse_remote(p)
        if r is None:
            raise UsageError("{}: not a remote path: {!r} (expected [user@]host:path)".format(what, p))
        out.append(r)
    return out


def cmd_ls(args) -> int:
    remotes = _remotes(args.paths, "ls")
    conn = connector_for(args, _one_server(remotes))
    client, sftp = conn.session()
    out = _Out()
    try:
        for r in remotes:
            with _about(r.spec()):
                a = sftp.stat(r.path)
            if len(remotes) > 1:
                out.write("{}:\n".format(r.path))
            if not stat.S_ISDIR(a.st_mode or 0):
                a.filename = r.path
                out.write((_long(a) if args.long else r.path) + "\n")
                continue
            with _about(r.spec()):
                entries = sorted(sftp.listdir_attr(r.path), key=lambda x: x.filename)
            for e in entries:
                if e.filename.startswith(".") and not args.all:
                    continue
                out.write((_long(e) if args.long else e.filename) + "\n")
        out.flush()
    finally:
        sftp.close()
        client.close()
    return EXIT_OK


class _Out:
    """stdout for names: written as bytes (os.fsencode), so file names that are
    not valid UTF-8 come out exactly as the server sent them."""

    def write(self, text: str) -> None:
        sys.stdout.buffer.write(os.fsencode(text))

    def flush(self) -> None:
        sys.stdout.buffer.flush()


def _long(a) -> str:
    longname = getattr(a, "longname", None)
    if longname:
        return longname
    return str(a)


def cmd_rm(args) -> int:
    remotes = _remotes(args.paths, "rm")
    conn = connector_for(args, _one_server(remotes))
    client, sftp = conn.session()
    try:
        for r in remotes:
            try:
                a = sftp.lstat(r.path)
            except FileNotFoundError:
                if args.force:
                    continue
                raise FileNotFoundError("{}: no such file or directory".format(r.spec())) from None
            if stat.S_ISDIR(a.st_mode or 0):
                if not args.recursive:
                    raise IsADirectoryError("{} is a directory (use -r)".format(r.spec()))
                with _about(r.spec()):
                    _rm_tree(sftp, r.path)
            else:
                with _about(r.spec()):
                    sftp.remove(r.path)
    finally:
        sftp.close()
        client.close()
    return EXIT_OK


def _rm_tree(sftp, path):
    for a in sftp.listdir_attr(path):
        p = posixpath.join(path, a.filename)
        if stat.S_ISDIR(a.st_mode or 0):
            _rm_tree(sftp, p)
        else:
            sftp.remove(p)
    sftp.rmdir(path)


def cmd_mkdir(args) -> int:
    from .sync import SyncAgent

    remotes = _remotes(args.paths, "mkdir")
    conn = connector_for(args, _one_server(remotes))
    client, sftp = conn.session()
    try:
        for r in remotes:
            if args.parents:
                with _about(r.spec()):
                    SyncAgent._mkdir_p(sftp, r.path, set())
                continue
            try:
                sftp.stat(r.path)
            except FileNotFoundError:
                with _about(r.spec()):
                    sftp.mkdir(r.path)
            else:
                raise FileExistsError("{} already exists".format(r.spec()))
    finally:
        sftp.close()
        client.close()
    return EXIT_OK


def cmd_exec(args) -> int:
    r = parse_remote(args.host, require_path=False)
    if r is None:
        raise UsageError("exec: expected [user@]host, got {!r}".format(args.host))
    if not args.command:
        raise UsageError("exec: no command given")
    command = " ".join(args.command)
    conn = connector_for(args, r)
    client = conn.client()
    stop = threading.Event()
    pump = None
    try:
        chan = client.get_transport().open_session()
        chan.exec_command(command)
        if not args.no_stdin and not _interactive():
            pump = threading.Thread(target=_pump_stdin, args=(chan, stop), daemon=True)
            pump.start()
        else:
            chan.shutdown_write()
        chan.settimeout(0.05)
        outs = {0: sys.stdout.buffer, 1: sys.stderr.buffer}
        open_streams = {0, 1}
        while open_streams:
            for stream in list(open_streams):
                try:
                    data = chan.recv(65536) if stream == 0 else chan.recv_stderr(65536)
                except (socket.timeout, TimeoutError):
                    continue
                if not data:
                    open_streams.discard(stream)
                    continue
                outs[stream].write(data)
                outs[stream].flush()
        stop.set()
        chan.settimeout(None)
        status = chan.recv_exit_status()
        return status if 0 <= status < 256 else EXIT_OTHER
    finally:
        stop.set()
        if pump is not None:
            # Let the pump leave any native call before we close and exit: a daemon
            # thread still inside one when the interpreter shuts down aborts the
            # process. A pump still blocked reading our stdin is in Python: harmless.
            pump.join(timeout=2.0)
        client.close()


def _pump_stdin(chan, stop):
    try:
        src = sys.stdin.buffer
        while not stop.is_set():
            data = src.read1(65536) if hasattr(src, "read1") else src.read(65536)
            if not data:
                break
            chan.sendall(data)
    except Exception:  # noqa: BLE001 - the command may have exited already
        pass
    finally:
        try:
            chan.shutdown_write()
        except Exception:  # noqa: BLE001
            pass


def cmd_sync(args) -> int:
    from .sync import SyncAgent

    r = parse_remote(args.remote)
    if r is None:
        raise UsageError("sync: the remote root must look like [user@]host:path")
    conn = connector_for(args, r)
    conn.ensure_passphrase()
    agent = SyncAgent(hostname=conn.host, host_port=conn.port, username=conn.user,
                      key_path=conn.key_files or None, local_root=args.local_root, remote_root=r.path,
                      password=conn.password, known_hosts=conn.known_hosts, workers=args.workers,
                      passphrase=conn.passphrase, accept_new_host_key=conn.accept_new, timeout=conn.timeout,
                      allow_agent=conn.allow_agent, look_for_keys=conn.look_for_keys)
    prog = _progress(args)
    out = sys.stdout
    try:
        if args.action == "status":
            out = _Out()
            st = agent.status()
            tags = (("local_only", "local-only"), ("remote_only", "remote-only"), ("changed", "changed"),
                    ("stale", "stale"), ("conflicts", "conflict"))
            for key, tag in tags:
                for p in st[key]:
                    out.write("{:<12} {}\n".format(tag, p))
            out.write("{} file(s) in sync{}\n".format(
                len(st.in_sync), "" if st.clean else ", {} differ".format(
                    sum(len(st[k]) for k, _ in tags))))
            return EXIT_OK
        if args.action == "push":
            if args.paths:
                for p in args.paths:
                    if os.path.isdir(agent.local_path(p)):
                        agent.add_dir(p)
                    else:
                        agent.add(p)
            else:
                st = agent.status()
                for p in st.local_only + st.changed + st.conflicts:
                    agent.add(p)
            files = list(agent.upload_queue)
            if not files:
                out.write("nothing to push\n")
                return EXIT_OK
            total = sum(os.path.getsize(agent.local_path(p)) for p in files)
            agg = prog.aggregate("push", total, len(files))
            try:
                done = agent.push(force=args.force, callback=agg)
            finally:
                agg.finish()
            out.write("pushed {} file(s)\n".format(len(done)))
            return EXIT_OK
        # pull
        agg = prog.aggregate("pull", None, None)
        done = []
        try:
            if args.paths:
                for p in args.paths:
                    done += agent.pull(p, force=args.force, callback=agg)
            else:
                done = agent.pull_dir(".", force=args.force, callback=agg)
        finally:
            agg.finish()
        out.write("pulled {} file(s)\n".format(len(done)))
        return EXIT_OK
    finally:
        agent.disconnect()


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _make_tree(root, nfiles, big_mb, rng) -> Dict[str, str]:
    """Generate the demo data; returns {relative path: sha256}."""
    sums = {}
    for i in range(nfiles):
        d = os.path.join(root, "tree", "dir%d" % (i % 7), "sub%d" % (i % 3))
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, "file%04d.bin" % i)
        with open(p, "wb") as f:
            f.write(rng(1 + (i * 7919) % 65536))
        sums[os.path.relpath(p, root)] = _sha256(p)
    big = os.path.join(root, "large.bin")
    block = rng(1 << 20)
    with open(big, "wb") as f:
        for i in range(big_mb):
            f.write(block[i % 251:] + block[:i % 251])  # distinct 1 MiB blocks, cheap to make
    sums["large.bin"] = _sha256(big)
    return sums


def cmd_demo(args) -> int:
    from . import _sshd
    from ._progress import format_rate, format_size

    out = sys.stdout
    server = None
    if args.target:
        r = parse_remote(args.target)
        if r is None:
            raise UsageError("demo: expected [user@]host:path, got {!r}".format(args.target))
        conn = connector_for(args, r)
        base = r.path
    else:
        try:
            server = _sshd.DemoSshd()
        except _sshd.SshdMissing as e:
            _err(str(e))
            return EXIT_OTHER
        out.write("starting a throwaway sshd on 127.0.0.1 ...\n")
        out.flush()
        _stop_on_sigterm()
        server.start()
        out.write("sshd listening on 127.0.0.1:{} (user {})\n".format(server.port, server.username))
        conn = Connector(server.host, server.port, server.username, [server.key_path],
                         known_hosts=[server.known_hosts_path], timeout=30.0, allow_agent=False,
                         look_for_keys=False)
        base = server.remote_root
    local = tempfile.mkdtemp(prefix="ferrosftp-demo-")
    client = sftp = None
    remote_top = None
    try:
        src = os.path.join(local, "src")
        os.makedirs(src)
        sums = _make_tree(src, args.files, args.size, os.urandom)
        tree_bytes = sum(os.path.getsize(os.path.join(src, p)) for p in sums if p != "large.bin")
        out.write("generated {} files ({}) and large.bin ({})\n".format(
            args.files, format_size(tree_bytes), format_size(args.size << 20)))
        out.flush()
        try:
            client, sftp = conn.session()
        except _ConnectFailed as e:
            from .ssh_exception import AuthenticationException

            if server is not None and isinstance(e.cause, AuthenticationException):
                _err("the throwaway sshd refused the demo key for {} (is that account locked or "
                     "without a usable shell?); its log ends:\n{}".format(server.username, server.log_tail()))
            raise
        remote_top = posixpath.join(base, "ferrosftp-demo-" + secrets.token_hex(4))
        sftp.mkdir(remote_top)

        # upload: the tree over a pool of sessions, then the large file
        t0 = time.monotonic()
        _demo_put(sftp, os.path.join(src, "tree"), posixpath.join(remote_top, "tree"), args)
        t1 = time.monotonic()
        _demo_put(sftp, os.path.join(src, "large.bin"), posixpath.join(remote_top, "large.bin"), args)
        t2 = time.monotonic()
        out.write("upload: tree {} in {:.2f}s ({}), large file {} in {:.2f}s ({})\n".format(
            format_size(tree_bytes), t1 - t0, format_rate(tree_bytes / max(t1 - t0, 1e-6)),
            format_size(args.size << 20), t2 - t1, format_rate((args.size << 20) / max(t2 - t1, 1e-6))))

        files, dirs = _remote_walk(sftp, remote_top)
        listed = sum(s for _, s, _ in files)
        out.write("listing: {} files in {} directories, {} on the server\n".format(
            len(files), len(dirs), format_size(listed)))
        if len(files) != len(sums):
            raise RuntimeError("server lists {} files, expected {}".format(len(files), len(sums)))

        dst = os.path.join(local, "dst")
        os.makedirs(dst)
        t3 = time.monotonic()
        jobs = []
        for p, size, a in files:
            rel = posixpath.relpath(p, remote_top)
            lp = os.path.join(dst, *rel.split("/"))
            os.makedirs(os.path.dirname(lp), exist_ok=True)
            jobs.append((p, lp, size, a))
        small = [j for j in jobs if not j[0].endswith("/large.bin")]
        large = [j for j in jobs if j[0].endswith("/large.bin")]

        def do_get(s, job, cb):
            s.get(job[0], job[1], callback=cb)

        _run_jobs(sftp, small, do_get, _get_many(False), args, "download tree")
        t4 = time.monotonic()
        _run_jobs(sftp, large, do_get, _get_many(False), args, "large.bin")
        t5 = time.monotonic()
        out.write("download: tree in {:.2f}s ({}), large file in {:.2f}s ({})\n".format(
            t4 - t3, format_rate(tree_bytes / max(t4 - t3, 1e-6)), t5 - t4,
            format_rate((args.size << 20) / max(t5 - t4, 1e-6))))

        bad = [p for p, h in sums.items() if not os.path.isfile(os.path.join(dst, p))
               or _sha256(os.path.join(dst, p)) != h]
        if bad:
            raise RuntimeError("sha256 mismatch for {} file(s): {}".format(len(bad), ", ".join(bad[:5])))
        out.write("verified: {} files, sha256 identical after the round trip\n".format(len(sums)))
        out.write("demo OK\n")
        out.flush()
        return EXIT_OK
    finally:
        if sftp is not None and remote_top is not None:
            try:
                _rm_tree(sftp, remote_top)
            except Exception:  # noqa: BLE001
                pass
        for obj in (sftp, client):
            if obj is not None:
                try:
                    obj.close()
                except Exception:  # noqa: BLE001
                    pass
        shutil.rmtree(local, ignore_errors=True)
        if server is not None:
            server.stop()


def _stop_on_sigterm():
    """`kill` ends the demo like Ctrl-C does: through its cleanup (sshd stopped,
    temp dirs removed), not by dying with them left behind."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def raise_exit(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, raise_exit)


def _demo_put(sftp, local, remote, args):
    from .sync import SyncAgent

    jobs, dirs = [], []
    if os.path.isdir(local):
        for dirpath, dirnames, filenames in os.walk(local):
            rel = os.path.relpath(dirpath, local)
            rdir = remote if rel == "." else posixpath.join(remote, *rel.split(os.sep))
            dirs.append(rdir)
            for f in filenames:
                lp = os.path.join(dirpath, f)
                jobs.append((lp, posixpath.join(rdir, f), os.path.getsize(lp), None))
    else:
        jobs.append((local, remote, os.path.getsize(local), None))
    known: set = set()
    for d in dirs:
        SyncAgent._mkdir_p(sftp, d, known)

    def do_put(s, job, cb):
        s.put(job[0], job[1], callback=cb, confirm=True, atomic=True)

    _run_jobs(sftp, jobs, do_put, _put_many(False), args, "upload tree" if len(jobs) > 1 else os.path.basename(local))


# ---------------------------------------------------------------------------
# errors -> messages and exit codes
# ---------------------------------------------------------------------------


def _chain(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        if isinstance(exc, _ConnectFailed):
            exc = exc.cause
        else:
            exc = exc.__cause__ or exc.__context__


def explain(exc: BaseException) -> Tuple[int, str]:
    """(exit code, one-line message) for an exception."""
    from .exceptions import ConnectionError as SyncConnectionError
    from .exceptions import (FileNotFound, LocalCacheDirNotFound, LocalFileNotFound, SyncConflict,
                             TransferError)
    from .ssh_exception import (AuthenticationException, BadHostKeyException, NoValidConnectionsError,
                                PasswordRequiredException, SSHException)
    from .sync import UnknownHostKeyError

    target = address = ""
    for e in _chain(exc):
        if isinstance(e, _ConnectFailed):
            target, address = e.target, e.address
            break
    where = (target + ": ") if target else ""
    at = (" ({})".format(address)) if address else ""

    if isinstance(exc, UsageError):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(exc, SyncConflict):
        return EXIT_CONFLICT, "sync conflict (nothing overwritten; use --force to override): " + ", ".join(exc.paths)
    if isinstance(exc, _Failures):
        return exc.code, str(exc)
    if isinstance(exc, TransferError):
        return EXIT_TRANSFER, str(exc)
    for e in _chain(exc):
        if isinstance(e, UnknownHostKeyError):
            return EXIT_HOSTKEY, "{}{} (or pass --accept-new-host-key)".format(where, e)
        if isinstance(e, BadHostKeyException):
            return EXIT_HOSTKEY, ("{}HOST KEY MISMATCH: the server's host key differs from the one in "
                                  "known_hosts; refusing to connect".format(where))
        if isinstance(e, PasswordRequiredException):
            return EXIT_AUTH, "{}private key is encrypted: give its passphrase with --passphrase-env VAR".format(where)
        if isinstance(e, AuthenticationException):
            detail = str(e).strip().rstrip(".")
            detail = "" if detail.lower() in ("", "authentication failed") else " ({})".format(detail)
            return EXIT_AUTH, "{}authentication failed{}: check the key (-i KEY), the agent or the password".format(
                where, detail)
        if isinstance(e, SSHException) and str(e) == "No authentication methods available":
            return EXIT_AUTH, ("{}no key, agent or password to log in with: pass -i KEY, start ssh-agent, "
                               "or give a password with --password-env VAR".format(where))
        if isinstance(e, socket.gaierror):
            return EXIT_CONNECT, "{}cannot resolve host name ({})".format(where, e.strerror or e)
        if isinstance(e, (NoValidConnectionsError, ConnectionRefusedError)):
            return EXIT_CONNECT, "{}connection refused{}: is sshd running there, and is the port (-P) right?".format(
                where, at)
        if isinstance(e, (socket.timeout, TimeoutError)):
            return EXIT_CONNECT, "{}timed out{}".format(where, at)
        if isinstance(e, (OSError,)) and e.errno in (101, 113, 110):  # unreachable, no route, timeout
            return EXIT_CONNECT, "{}{}".format(where, e.strerror or e)
    if isinstance(exc, (FileNotFound, LocalFileNotFound, LocalCacheDirNotFound)):
        return EXIT_NOTFOUND, str(exc)
    if isinstance(exc, (FileNotFoundError, PermissionError)):
        return EXIT_NOTFOUND, _os_message(exc)
    if isinstance(exc, (_ConnectFailed, SyncConnectionError)):
        inner = exc.cause if isinstance(exc, _ConnectFailed) else exc
        return EXIT_CONNECT, "{}{}".format(where, inner) if isinstance(exc, _ConnectFailed) else str(exc)
    if isinstance(exc, SSHException):
        return EXIT_OTHER, "ssh: {}".format(exc)
    if isinstance(exc, OSError):
        return EXIT_OTHER, _os_message(exc)
    return EXIT_OTHER, "{}: {}".format(type(exc).__name__, exc)


@contextlib.contextmanager
def _about(spec: str):
    """Name the remote path in an SFTP error: paramiko-shaped errors carry
    none ("[Errno 2] No such file"), so a message would not say which."""
    try:
        yield
    except OSError as e:
        if not e.filename:
            e.filename = spec
        raise


def _os_message(e: OSError) -> str:
    if e.strerror and e.filename:
        return "{}: {}".format(e.filename, e.strerror)
    text = str(e)
    if getattr(e, "filename", None) and str(e.filename) not in text:
        text = "{}: {}".format(e.filename, text)
    return text


def _err(msg: str) -> None:
    from ._progress import break_open_line

    break_open_line()
    try:
        sys.stderr.write("{}: {}\n".format(PROG, msg))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


# ---------------------------------------------------------------------------
# argument parsing
# ---------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError("{} (see {} --help)".format(message, self.prog))


def _positive_int(v):
    try:
        n = int(v)
    except ValueError:
        raise argparse.ArgumentTypeError("not a number: {!r}".format(v)) from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1: {!r}".format(v))
    return n


def _port(v):
    n = _positive_int(v)
    if n > 65535:
        raise argparse.ArgumentTypeError("port out of range: {}".format(n))
    return n


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    g = common.add_argument_group("connection options")
    g.add_argument("-i", "--identity", metavar="KEY", action="append",
                   help="private key file (repeatable; any type: ed25519, ecdsa, rsa)")
    g.add_argument("-P", "--port", type=_port, help="server port (default: ssh config, else 22)")
    g.add_argument("-F", "--ssh-config", metavar="FILE",
                   help="ssh config file (default ~/.ssh/config; 'none' to ignore)")
    g.add_argument("--password-env", metavar="VAR", help="read the login password from environment variable VAR")
    g.add_argument("--passphrase-env", metavar="VAR", help="read the key passphrase from environment variable VAR")
    g.add_argument("--known-hosts", metavar="FILE", help="known_hosts file (default ~/.ssh/known_hosts)")
    g.add_argument("--accept-new-host-key", action="store_true",
                   help="accept and record the key of a host not yet in known_hosts (a changed key is "
                        "still refused)")
    g.add_argument("--workers", type=_positive_int, default=4, metavar="N",
                   help="SFTP channels of the connection for multi-file transfers, each with many "
                        "files in flight (default 4)")
    g.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="connect / network timeout (default: ssh ConnectTimeout, else 30)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bars")

    p = _Parser(prog=PROG, description="Fast SFTP/SSH file transfers (ferrosftp).",
                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version="%(prog)s " + _version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name, help_, **kw):
        return sub.add_parser(name, help=help_, description=help_, parents=[common], epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter, **kw)

    s = add("get", "download files: get [-r] [user@]host:path... [LOCAL]")
    s.add_argument("-r", "--recursive", action="store_true", help="copy directories recursively")
    s.add_argument("-p", "--preserve", action="store_true", help="keep modification times and modes")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.set_defaults(func=cmd_get)

    s = add("put", "upload files (atomically: temp name + rename): put [-r] LOCAL... [user@]host:path")
    s.add_argument("-r", "--recursive", action="store_true", help="copy directories recursively")
    s.add_argument("-p", "--preserve", action="store_true", help="keep modification times and modes")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.set_defaults(func=cmd_put)

    s = add("ls", "list a remote directory: ls [-l] [-a] [user@]host:path...")
    s.add_argument("-l", "--long", action="store_true", help="long listing")
    s.add_argument("-a", "--all", action="store_true", help="include names starting with '.'")
    s.add_argument("paths", nargs="+", metavar="REMOTE")
    s.set_defaults(func=cmd_ls)

    s = add("rm", "remove remote files: rm [-r] [-f] [user@]host:path...")
    s.add_argument("-r", "--recursive", action="store_true", help="remove directories and their contents")
    s.add_argument("-f", "--force", action="store_true", help="ignore missing files")
    s.add_argument("paths", nargs="+", metavar="REMOTE")
    s.set_defaults(func=cmd_rm)

    s = add("mkdir", "create remote directories: mkdir [-p] [user@]host:path...")
    s.add_argument("-p", "--parents", action="store_true", help="make parents as needed, no error if existing")
    s.add_argument("paths", nargs="+", metavar="REMOTE")
    s.set_defaults(func=cmd_mkdir)

    s = add("exec", "run a command on the server: exec [user@]host COMMAND... (exit status is the command's)")
    s.add_argument("-n", "--no-stdin", action="store_true", help="do not forward standard input")
    s.add_argument("host", metavar="[user@]host")
    s.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND")
    s.set_defaults(func=cmd_exec)

    s = add("sync", "sync a local cache with a remote tree (push | pull | status)")
    s.add_argument("action", choices=("push", "pull", "status"))
    s.add_argument("local_root", metavar="LOCAL_ROOT")
    s.add_argument("remote", metavar="[user@]host:REMOTE_ROOT")
    s.add_argument("paths", nargs="*", metavar="PATH", help="only these files/directories (relative)")
    s.add_argument("--force", action="store_true",
                   help="overwrite even if the other side changed since the last sync")
    s.set_defaults(func=cmd_sync)

    s = add("demo", "round-trip demo against a throwaway local sshd (or a given [user@]host:path)")
    s.add_argument("--size", type=_positive_int, default=64, metavar="MB", help="large file size (default 64)")
    s.add_argument("--files", type=_positive_int, default=200, metavar="N", help="small files (default 200)")
    s.add_argument("target", nargs="?", metavar="[user@]host:path")
    s.set_defaults(func=cmd_demo)
    return p


def _version() -> str:
    try:
        from . import __version__

        return __version__
    except Exception:  # noqa: BLE001
        return "?"


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return args.func(args)
    except BrokenPipeError:  # e.g. `ferrosftp ls host: | head -1`
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_OTHER
    except SystemExit as e:  # --help / --version
        return e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_USAGE)
    except BaseException as e:  # noqa: BLE001 - one clear line, no traceback
        if os.environ.get("FERROSFTP_DEBUG"):
            import traceback

            traceback.print_exc()
        code, msg = explain(e)
        _err(msg)
        return code
    finally:
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
