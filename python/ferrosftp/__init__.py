"""ferrosftp: a fast drop-in replacement for the client side of paramiko and pysftp.

``import ferrosftp as paramiko`` or ``import ferrosftp as pysftp``: the names of
both libraries live side by side in this one namespace (they do not collide).
The wire is libssh2, driven from Rust with the GIL released.
"""

import sys as _sys

from . import _native

# At exit, no libssh2 call may still run while OpenSSL is torn down: registered
# first, so Python runs it last (after every handler that may still use a
# connection).
__import__("atexit").register(_native.before_exit)
from .common import *  # noqa: F401,F403  (paramiko's constants)
from .ssh_exception import (
    AuthenticationException,
    BadAuthenticationType,
    BadHostKeyException,
    ChannelException,
    ConfigParseError,
    ConnectionDropped,
    ConnectionResetDuringConnect,
    CouldNotCanonicalize,
    IncompatiblePeer,
    MessageOrderError,
    NoValidConnectionsError,
    PartialAuthentication,
    PasswordRequiredException,
    ProxyCommandFailure,
    SSHException,
    UnableToAuthenticate,
)
from .pkey import PKey, PublicBlob, UnknownKeyType
from .rsakey import RSAKey
from .ecdsakey import ECDSAKey
from .ed25519key import Ed25519Key
from .dsskey import DSSKey
from .agent import Agent, AgentKey
from .auth_strategy import (
    AuthFailure,
    AuthResult,
    AuthSource,
    AuthStrategy,
    InMemoryPrivateKey,
    NoneAuth,
    OnDiskPrivateKey,
    Password,
    PrivateKey,
    SourceResult,
)
from .hostkeys import HostKeys, HostKeyEntry, InvalidHostKey
from .file import BufferedFile
from .sftp import (
    SFTP_BAD_MESSAGE,
    SFTP_CONNECTION_LOST,
    SFTP_EOF,
    SFTP_FAILURE,
    SFTP_NO_CONNECTION,
    SFTP_NO_SUCH_FILE,
    SFTP_OK,
    SFTP_OP_UNSUPPORTED,
    SFTP_PERMISSION_DENIED,
    SFTPError,
)
from .sftp_attr import SFTPAttributes
from .sftp_file import SFTPFile
from .sftp_client import SFTP, SFTPClient
from .channel import Channel, ChannelFile, ChannelStderrFile, ChannelStdinFile
from .transport import SecurityOptions, Transport
from .client import (
    AutoAddPolicy,
    MissingHostKeyPolicy,
    RejectPolicy,
    SSHClient,
    WarningPolicy,
)
from . import util
from .config import SSHConfig, SSHConfigDict
from .proxy import ProxyCommand

# pysftp's names
from .exceptions import ConnectionException, CredentialException, HostKeysException

# sftpsyncer's sync agent (`ferrosftp.sftpagent.SyncAgent`, `ferrosftp.exceptions.*`)
from .sync import SyncAgent, SyncConflict, SyncStatus
from . import sftpagent

syncagent = SyncAgent
from .connection import CnOpts, Connection
from .helpers import (
    WTCallbacks,
    cd,
    known_hosts,
    path_advance,
    path_retreat,
    reparent,
    st_mode_to_int,
    walktree,
)

__version__ = _native.__version__

#: With no timeout set, the longest (seconds) an SFTP request may go unanswered
#: before socket.timeout: replies to SFTP requests always come, so silence means
#: a dead or stalled peer. Read when an SFTP session opens; None waits forever.
DEFAULT_TIMEOUT = 300.0

#: The classes a key type is looked up in (PKey.from_type_string...), in paramiko 5's
#: order; the one list, as in paramiko (users may add to it).
key_classes = [RSAKey, Ed25519Key, ECDSAKey]

# pysftp scripts sometimes reach `pysftp.paramiko`: this module plays both parts.
paramiko = _sys.modules[__name__]


def install_as_paramiko() -> None:
    """Register ferrosftp as ``paramiko`` (and its submodules) in ``sys.modules``,
    for scripts that cannot be edited (like pymysql.install_as_MySQLdb())."""
    _install_as("paramiko")


def install_as_pysftp() -> None:
    """Register ferrosftp as ``pysftp`` (and ``pysftp.helpers``/``exceptions``)."""
    _install_as("pysftp")


def _install_as(name: str) -> None:
    me = _sys.modules[__name__]
    loaded = _sys.modules.get(name)
    if loaded is not None and loaded is not me:
        # Objects taken from the real package would mix with ours (its
        # Transport with our Channel...): refuse rather than half-replace.
        raise RuntimeError(
            "the real {0} is already imported ({1}); call ferrosftp.install_as_{0}() before "
            "anything imports {0}".format(name, getattr(loaded, "__file__", loaded))
        )
    _sys.modules[name] = me
    prefix = __name__ + "."
    for modname, module in list(_sys.modules.items()):
        if modname.startswith(prefix) and module is not None:
            _sys.modules[name + "." + modname[len(prefix) :]] = module
