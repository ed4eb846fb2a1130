"""Remote targets written like scp's: ``[user@]host:path``,
``[user@][v6addr]:path``, ``host:`` (the login directory)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from ..host_config import UsageError


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
        user, rest = arg[:at], arg[at + 1 :]
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise UsageError("unterminated [ in {!r}".format(arg))
        host = rest[1:end]
        after = rest[end + 1 :]
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
    return Remote(user, host, rest[c + 1 :] or ".")


def remotes(args_paths, what) -> List[Remote]:
    """Every argument as a Remote (else UsageError naming the command)."""
    out = []
    for p in args_paths:
        r = parse_remote(p)
        if r is None:
            raise UsageError("{}: not a remote path: {!r} (expected [user@]host:path)".format(what, p))
        out.append(r)
    return out


def one_server(targets: List[Remote]) -> Remote:
    """The one server all the targets are on (else UsageError)."""
    first = targets[0]
    for r in targets[1:]:
        if (r.user, r.host) != (first.user, first.host):
            raise UsageError("all remote paths must be on the same server ({} vs {})".format(first.spec(), r.spec()))
    return first
