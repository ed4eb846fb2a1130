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

~/.ssh/config is read as ssh reads it (:mod:`ferrosftp.host_config`: Host
and Match blocks, Include, ssh's defaults and %-tokens); ``-F FILE`` picks
another file, ``-F none`` none at all.  ProxyCommand runs the command as the
connection; ProxyJump connects through each hop in turn, each with its own
settings from the file (:class:`ferrosftp.sessions.Connector`).

The package, one concept a module: ``targets`` (``[user@]host:path``),
``connect`` (command-line options to a Connector), ``jobs`` (many files
over the channels of one connection, with progress and one line per
failure), ``commands`` (get, put, ls, rm, mkdir, exec, sync), ``demo``,
``errors`` (exit codes and one-line messages), ``app`` (argparse and
:func:`main`).
"""

# what other code (and older imports) take from ferrosftp.cli
from ..host_config import UsageError, resolve_ssh_config  # noqa: F401
from .app import build_parser, main  # noqa: F401
from .connect import connector_for  # noqa: F401
from .errors import EXIT_CODES, explain  # noqa: F401
from .targets import Remote, parse_remote  # noqa: F401

__all__ = ["main", "parse_remote", "resolve_ssh_config", "EXIT_CODES"]
