"""SSH agent access, shaped like ``paramiko.agent`` (client side only).

``Agent()`` asks the agent at ``$SSH_AUTH_SOCK`` for its identities through
the Rust core; signing with those keys happens inside the SSH layer during
authentication (the private halves never leave the agent).
"""

import logging

from .pkey import PKey, UnknownKeyType, _blob_type
from .ssh_exception import SSHException

__all__ = ["Agent", "AgentSSH", "AgentKey", "AgentRequestHandler"]

_log = logging.getLogger("paramiko.agent")


class AgentSSH:
    """Base of :class:`Agent`: holds the identities fetched from an agent."""

    def __init__(self):
        self._conn = None
        self._keys = ()

    def get_keys(self):
        """A tuple of :class:`AgentKey`, one per identity (empty if there
        is no agent)."""
        return self._keys

    def _connect(self, conn=None):
        from . import _native

        identities = _native.agent_identities()
        self._keys = tuple(AgentKey(self, bytes(blob), comment or "") for blob, comment in identities)

    def _close(self):
        self._conn = None
        self._keys = ()


class Agent(AgentSSH):
    """The local SSH agent (``$SSH_AUTH_SOCK``).

    With no agent running this succeeds and holds no keys, like paramiko.

    :raises SSHException: if the agent answers but cannot be used
    """

    def __init__(self):
        AgentSSH.__init__(self)
        self._connect()

    def close(self):
        """Forget the agent's keys."""
        self._close()


class AgentRequestHandler:
    """paramiko's agent forwarding on a session channel: **not supported**.

    The class exists so that ``from paramiko.agent import
    AgentRequestHandler`` (Fabric's ``connection.py``) keeps working.
    Constructing it on a channel is where paramiko starts forwarding (it
    sends ``auth-agent-req@openssh.com`` and then serves the agent channels
    the server opens back); ferrosftp cannot serve channels opened by the
    server, so the constructor raises `SSHException` instead of silently
    running the command without a forwarded agent.
    """

    def __init__(self, chanClient):  # noqa: N803 (paramiko's parameter name)
        raise SSHException(
            "SSH agent forwarding (AgentRequestHandler) is not supported by "
            "ferrosftp: it cannot serve the agent channels the server opens"
        )

    def close(self):
        """Nothing to stop (no forwarding is ever started)."""


class AgentKey(PKey):
    """A key whose private half stays in the agent.

    ``comment`` is the agent's comment; ``inner_key`` is the matching
    public key object (``RSAKey``...) when the type is known, else ``None``.
    Unknown attributes are looked up on ``inner_key``.
    """

    def __init__(self, agent, blob, comment=""):
        self._init_empty()
        self.agent = agent
        self.blob = bytes(blob)
        self.comment = comment
        try:
            self.name = _blob_type(self.blob)
        except SSHException:
            self.name = ""
        self._key_type = self.name
        self._blob = self.blob
        self.inner_key = None
        try:
            self.inner_key = PKey.from_type_string(key_type=self.name, key_bytes=self.blob)
        except (UnknownKeyType, SSHException):
            _log.debug(
                "Unable to derive inner_key for agent key of type %r",
                self.name,
            )

    def asbytes(self):
        if self.inner_key is not None:
            return self.inner_key.asbytes()
        return self.blob

    def get_name(self):
        return self.name

    def get_bits(self):
        if self.inner_key is not None:
            return self.inner_key.get_bits()
        return super().get_bits()

    def can_sign(self):
        # paramiko's AgentKey inherits PKey.can_sign (False): the key object
        # itself holds no private material.
        return False

    def __getattr__(self, name):
        # only called for attributes not found normally
        inner = self.__dict__.get("inner_key")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)

    @property
    def _fields(self):
        if self.inner_key is not None:
            return self.inner_key._fields
        return (self.get_name(), self.blob)
