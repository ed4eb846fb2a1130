"""The settings ``ssh`` would use for one host: :func:`resolve_ssh_config`.

The file (``~/.ssh/config``, or another one) is read by the library's own
:class:`ferrosftp.config.SSHConfig` (paramiko's ``SSHConfig`` semantics:
Host patterns and negation, Match, first value wins, plus OpenSSH's
Include), so no ``ssh`` client is needed; the tests compare its answers
with ``ssh -G`` (tests/test_ssh_config.py, which also names the few points
where paramiko and ssh read a file differently: paramiko's reading applies,
e.g. a ``# comment`` after a value is part of it).  Honoured: Host aliases,
HostName, Port, User, IdentityFile, UserKnownHostsFile,
GlobalKnownHostsFile, IdentitiesOnly, ConnectTimeout,
StrictHostKeyChecking, ProxyCommand and ProxyJump.  File names get ssh's
%-tokens (:func:`expand_tokens`), and what the file leaves unset gets ssh's
defaults (key files, known_hosts files).  The system-wide
/etc/ssh/ssh_config is not read.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import socket
from dataclasses import dataclass, field
from typing import List, Optional

from .config import SSHConfig, SSHConfigDict

__all__ = [
    "DEFAULT_GLOBAL_KNOWN_HOSTS",
    "DEFAULT_IDENTITY_FILES",
    "DEFAULT_USER_KNOWN_HOSTS",
    "HostConfig",
    "UsageError",
    "expand_tokens",
    "resolve_ssh_config",
]

# What ssh uses for what the config leaves unset (OpenSSH 9's defaults, as
# `ssh -G` prints them).
DEFAULT_IDENTITY_FILES = [
    "~/.ssh/id_rsa",
    "~/.ssh/id_ecdsa",
    "~/.ssh/id_ecdsa_sk",
    "~/.ssh/id_ed25519",
    "~/.ssh/id_ed25519_sk",
    "~/.ssh/id_xmss",
    "~/.ssh/id_dsa",
]
DEFAULT_USER_KNOWN_HOSTS = ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"]
DEFAULT_GLOBAL_KNOWN_HOSTS = ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"]

# StrictHostKeyChecking's spellings, as `ssh -G` prints them
_STRICT = {
    "yes": "true",
    "true": "true",
    "no": "false",
    "false": "false",
    "off": "false",
    "ask": "ask",
    "accept-new": "accept-new",
}


class UsageError(Exception):
    """A bad setting from the caller: an ssh config that cannot be read or
    used, a key file that is not there, a bad option (the CLI's exit 2)."""


@dataclass
class HostConfig:
    """The settings one connection uses.  ``from_ssh`` is True when they were
    resolved through an ssh config (then ``identity_files`` lists ssh's default
    key files when the config names none, as ``ssh -G`` does); False for
    ``config_file="none"`` (plain defaults: the caller looks for keys itself)."""

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
    """paramiko's lookup without its token expansion: file names are expanded
    with ssh's own token rules (:func:`expand_tokens`)."""

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


def resolve_ssh_config(
    host: str, port: Optional[int] = None, user: Optional[str] = None, config_file: Optional[str] = None
) -> HostConfig:
    """The effective ssh settings for ``host``: the ssh config file
    (``config_file``, else ``~/.ssh/config`` when it exists) resolved by
    :class:`ferrosftp.config.SSHConfig` (Host and Match blocks, Include,
    first value wins), with ssh's defaults for what it leaves unset.  ``port``
    and ``user`` given by the caller win over the file, and Match rules see
    them, as with ssh.  ``config_file == "none"``: plain defaults, no file.
    Raises :class:`UsageError` for a file that cannot be read or used."""
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
    cfg = HostConfig(
        hostname=_expand_hostname(opts.get("hostname") or host, host),
        port=port or 22,
        user=opts.get("user") or user,
        from_ssh=True,
    )
    if not port and opts.get("port"):
        try:
            cfg.port = int(opts["port"])
        except ValueError:
            raise UsageError("ssh config: bad port {!r} for {}".format(opts["port"], host))
    cfg.identity_files = [expand_tokens(v, cfg, host) for v in opts.get("identityfile") or DEFAULT_IDENTITY_FILES]
    known = opts.get("userknownhostsfile")
    cfg.known_hosts = [expand_tokens(v, cfg, host) for v in (known.split() if known else DEFAULT_USER_KNOWN_HOSTS)]
    known = opts.get("globalknownhostsfile")
    cfg.global_known_hosts = [
        expand_tokens(v, cfg, host) for v in (known.split() if known else DEFAULT_GLOBAL_KNOWN_HOSTS)
    ]
    strict = (opts.get("stricthostkeychecking") or "ask").lower()
    cfg.strict_host_key_checking = _STRICT.get(strict, strict)
    cfg.connect_timeout = _seconds(opts.get("connecttimeout"))
    jump = opts.get("proxyjump")
    if jump and jump.lower() != "none":
        cfg.proxy_jump = jump
    command = opts.get("proxycommand")  # None for "ProxyCommand none"
    if command and not cfg.proxy_jump:  # ssh uses one of the two; ProxyJump is reported first here
        cfg.proxy_command = expand_tokens(command, cfg, host)  # %h %p %r %n %%, as ssh
    cfg.identities_only = (opts.get("identitiesonly") or "").lower() in ("yes", "true")
    return cfg


def _expand_hostname(value: str, alias: str) -> str:
    """HostName's tokens (%h, %%), then lowercased unless an address, as ssh does."""
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


def expand_tokens(value: str, cfg: HostConfig, alias: str) -> str:
    """``value`` with ssh_config(5)'s TOKENS for file names expanded (%% %d
    %u %r %h %p %n %l %L %i, and ``~``) for the host ``cfg`` describes;
    ``alias`` is the name the host was asked for (``%n``)."""
    local_user = getpass.getuser()
    home = os.path.expanduser("~")
    short = socket.gethostname().split(".")[0]
    table = {
        "%": "%",
        "d": home,
        "u": local_user,
        "r": cfg.user or local_user,
        "h": cfg.hostname,
        "p": str(cfg.port),
        "n": alias,
        "l": socket.gethostname(),
        "L": short,
        "i": str(os.getuid()),
    }
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
