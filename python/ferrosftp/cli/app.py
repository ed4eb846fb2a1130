"""The command line itself: argparse (:func:`build_parser`) and :func:`main`,
which runs a command and turns any exception into one line on stderr and an
exit code."""

from __future__ import annotations

import argparse
import os
import sys

from ..host_config import UsageError
from .commands import cmd_exec, cmd_get, cmd_ls, cmd_mkdir, cmd_put, cmd_rm, cmd_sync
from .demo import cmd_demo
from .errors import EXIT_CODES, EXIT_OTHER, EXIT_USAGE, PROG, explain, report

EPILOG = (
    "exit codes:\n"
    + "\n".join("  {:<4} {}".format(k, v) for k, v in EXIT_CODES.items())
    + """

  exec exits with the remote command's own exit status when it ran.

host keys are checked against ~/.ssh/known_hosts (or --known-hosts FILE, or
UserKnownHostsFile from ~/.ssh/config); an unknown host is refused unless
--accept-new-host-key is given.  ~/.ssh/config is read as ssh reads it (Host,
Match, Include); -F FILE reads another file instead, -F none no file at all.
"""
)


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
    g.add_argument(
        "-i",
        "--identity",
        metavar="KEY",
        action="append",
        help="private key file (repeatable; any type: ed25519, ecdsa, rsa)",
    )
    g.add_argument("-P", "--port", type=_port, help="server port (default: ssh config, else 22)")
    g.add_argument(
        "-F", "--ssh-config", metavar="FILE", help="ssh config file (default ~/.ssh/config; 'none' to ignore)"
    )
    g.add_argument("--password-env", metavar="VAR", help="read the login password from environment variable VAR")
    g.add_argument("--passphrase-env", metavar="VAR", help="read the key passphrase from environment variable VAR")
    g.add_argument("--known-hosts", metavar="FILE", help="known_hosts file (default ~/.ssh/known_hosts)")
    g.add_argument(
        "--accept-new-host-key",
        action="store_true",
        help="accept and record the key of a host not yet in known_hosts (a changed key is still refused)",
    )
    g.add_argument(
        "--workers",
        type=_positive_int,
        default=4,
        metavar="N",
        help="SFTP channels of the connection for multi-file transfers, each with many files in flight (default 4)",
    )
    g.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="connect / network timeout (default: ssh ConnectTimeout, else 30)",
    )
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bars")

    p = _Parser(
        prog=PROG,
        description="Fast SFTP/SSH file transfers (ferrosftp).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version="%(prog)s " + _version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name, help_, **kw):
        return sub.add_parser(
            name,
            help=help_,
            description=help_,
            parents=[common],
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            **kw,
        )

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
    s.add_argument("--force", action="store_true", help="overwrite even if the other side changed since the last sync")
    s.set_defaults(func=cmd_sync)

    s = add("demo", "round-trip demo against a throwaway local sshd (or a given [user@]host:path)")
    s.add_argument("--size", type=_positive_int, default=64, metavar="MB", help="large file size (default 64)")
    s.add_argument("--files", type=_positive_int, default=200, metavar="N", help="small files (default 200)")
    s.add_argument("target", nargs="?", metavar="[user@]host:path")
    s.set_defaults(func=cmd_demo)
    return p


def _version() -> str:
    try:
        from .. import __version__

        return __version__
    except Exception:  # noqa: BLE001
        return "?"


def main(argv=None) -> int:
    """Run ``ferrosftp`` with ``argv`` (default: the process's); returns the exit code."""
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
        report(msg)
        return code
    finally:
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
