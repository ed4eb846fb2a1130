"""``paramiko.auth_strategy``: authentication as an ordered list of sources.

Pass an `AuthStrategy` as ``SSHClient.connect(auth_strategy=...)`` and it
replaces the classic ``password``/``pkey``/``key_filename``/``allow_agent``/
``look_for_keys`` arguments: its sources are tried in the order
`AuthStrategy.get_sources` yields them, each through the matching
``Transport.auth_*`` call, until one succeeds.  Fabric 3's
``OpenSSHAuthStrategy`` is built on these classes.

Same behaviour as paramiko 3.2 to 5.1: sources are lazy (a `Password` asks its
getter only when its turn comes), every attempt is recorded in an `AuthResult`
(returned on success), and when every source failed `AuthFailure` carries that
record.  Records go to the ``paramiko.auth_strategy`` logger, never with a
secret in them (a `Password` shows only its user).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator, List, NamedTuple, Union

from .agent import AgentKey
from .ssh_exception import AuthenticationException
from .util import get_logger

if TYPE_CHECKING:  # pragma: no cover
    from .pkey import PKey
    from .transport import Transport

__all__ = [
    "AuthSource",
    "NoneAuth",
    "Password",
    "PrivateKey",
    "InMemoryPrivateKey",
    "OnDiskPrivateKey",
    "SourceResult",
    "AuthResult",
    "AuthFailure",
    "AuthStrategy",
]

#: Where `OnDiskPrivateKey` may say its path came from (paramiko's values).
_KEY_ORIGINS = ("ssh-config", "python-config", "implicit-home")


class AuthSource:
    """One way to authenticate (a password, a key, "none"...).

    Subclasses implement `authenticate`; every one takes a ``username``.
    """

    def __init__(self, username: str) -> None:
        self.username = username

    def _repr(self, **fields: Any) -> str:
        inner = ", ".join("{}={!r}".format(name, value) for name, value in fields.items())
        return "{}({})".format(type(self).__name__, inner)

    def __repr__(self) -> str:
        return self._repr()

    def authenticate(self, transport: "Transport") -> List[str]:
        """Try this source on ``transport``; returns the transport call's
        result (the methods still required: ``[]`` once authenticated) or
        raises its exception."""
        raise NotImplementedError


class NoneAuth(AuthSource):
    """The ``none`` method (RFC 4252 section 5.2)."""

    def authenticate(self, transport: "Transport") -> List[str]:
        return transport.auth_none(self.username)


class Password(AuthSource):
    """Password authentication.

    ``password_getter`` is a callable returning the password, called only
    when this source is tried (``functools.partial(getpass.getpass, ...)``,
    a secrets-store lookup, or ``lambda: value``).
    """

    def __init__(self, username: str, password_getter: Callable[[], str]) -> None:
        super().__init__(username=username)
        self.password_getter = password_getter

    def __repr__(self) -> str:
        # the user, never the password
        return self._repr(user=self.username)

    def authenticate(self, transport: "Transport") -> List[str]:
        return transport.auth_password(self.username, self.password_getter())


class PrivateKey(AuthSource):
    """Public-key authentication with ``self.pkey``, which subclasses set
    (to a loaded, decrypted key) before `authenticate` runs."""

    pkey: "PKey"

    def authenticate(self, transport: "Transport") -> List[str]:
        return transport.auth_publickey(self.username, self.pkey)


class InMemoryPrivateKey(PrivateKey):
    """A key object already in memory (a loaded `PKey`, or an `AgentKey`)."""

    def __init__(self, username: str, pkey: "PKey") -> None:
        super().__init__(username=username)
        self.pkey = pkey

    def __repr__(self) -> str:
        text = self._repr(pkey=self.pkey)
        if isinstance(self.pkey, AgentKey):
            text += " [agent]"
        return text


class OnDiskPrivateKey(PrivateKey):
    """A key loaded from a file.

    ``source`` says where the path came from: ``"ssh-config"``,
    ``"python-config"`` or ``"implicit-home"`` (anything else is a
    `ValueError`); ``path`` is the file; ``pkey`` the key loaded from it.
    """

    def __init__(self, username: str, source: str, path: Any, pkey: "PKey") -> None:
        super().__init__(username=username)
        self.source = source
        if source not in _KEY_ORIGINS:
            raise ValueError("source argument must be one of: {!r}".format(_KEY_ORIGINS))
        self.path = path
        self.pkey = pkey

    def __repr__(self) -> str:
        return self._repr(key=self.pkey, source=self.source, path=str(self.path))


class SourceResult(NamedTuple):
    """One attempt: the `AuthSource` and what it gave (the transport call's
    list, or the exception it raised)."""

    source: AuthSource
    result: Union[List[str], Exception]


class AuthResult(list):
    """The attempts of one `AuthStrategy.authenticate` run: a list of
    `SourceResult`, in order, with ``strategy`` naming the strategy.

    ``str()`` gives one ``source -> result`` line per attempt, an empty
    result (authenticated) shown as ``success``.
    """

    def __init__(self, strategy: "AuthStrategy", *args: Any, **kwargs: Any) -> None:
        self.strategy = strategy
        super().__init__(*args, **kwargs)

    def __str__(self) -> str:
        return "\n".join("{} -> {}".format(item.source, item.result or "success") for item in self)


class AuthFailure(AuthenticationException):
    """Every source of a strategy failed; ``result`` is the `AuthResult`
    with each source's exception."""

    def __init__(self, result: AuthResult) -> None:
        self.result = result

    def __str__(self) -> str:
        return "\n" + str(self.result)


class AuthStrategy:
    """A sequence of authentication attempts.

    Subclass it and implement `get_sources` (a generator of `AuthSource`);
    subclasses accept at least ``ssh_config`` (an ``SSHConfig``, or ``None``).
    """

    def __init__(self, ssh_config: Any) -> None:
        self.ssh_config = ssh_config
        self.log = get_logger("paramiko.auth_strategy")

    def get_sources(self) -> Iterator[AuthSource]:
        """Yield the sources to try, first to last."""
        raise NotImplementedError

    def authenticate(self, transport: "Transport") -> AuthResult:
        """Try each source from `get_sources` until one succeeds.

        Any exception a source raises is recorded and the next source is
        tried.  Returns the `AuthResult` (its last entry is the success);
        raises `AuthFailure` holding it if no source succeeded.
        """
        attempts = AuthResult(strategy=self)
        for source in self.get_sources():
            self.log.debug("Trying %s", source)
            try:
                outcome = source.authenticate(transport)
            except Exception as e:  # noqa: BLE001 - recorded, reported in AuthFailure
                self.log.info("Authentication via %s failed with %s", source, type(e).__name__)
                attempts.append(SourceResult(source, e))
                continue
            attempts.append(SourceResult(source, outcome))
            return attempts
        raise AuthFailure(result=attempts)
