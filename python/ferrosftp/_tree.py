"""Directory trees, local and remote: the one walker of each kind and the one
remote ``mkdir -p``, behind pysftp's ``walktree``/``put_r``/``get_r``/
``put_d``/``makedirs`` (connection.py, helpers.py), the sync agent and the
command-line tool. The files found are moved by the batch engine
(``batch.py``).

Both walkers yield ``(rel, kind, attributes)`` depth-first, a directory
before what it holds: ``rel`` is the path below the top (joined with
``os.path`` locally, ``posixpath`` remotely), ``kind`` one of
:data:`FILE`, :data:`DIR`, :data:`OTHER`.
"""

from __future__ import annotations

import os
import posixpath
import stat
import threading
from typing import Callable, Dict, Iterable, Iterator, Optional, Tuple

from .exceptions import RemoteDirNotCreated

FILE, DIR, OTHER = "file", "dir", "other"

# mkdir requests in flight at once: each waits one round trip, and threads
# sharing one SFTP channel pipeline their requests on it
MKDIR_THREADS = 8

_NOT_A_DIR = ("", ".", "/")


def _kind(mode) -> str:
    if stat.S_ISDIR(mode):
        return DIR
    return FILE if stat.S_ISREG(mode) else OTHER


def walk_local(
    top, *, recurse: bool = True, links: str = "follow", skip_unreadable: bool = False, sort: bool = False
) -> Iterator[Tuple[str, str, os.stat_result]]:
    """Everything under the local directory ``top``, classified by ``os.stat``
    (a link's attributes are its target's).

    ``links="follow"``: linked directories are walked into (pysftp's
    walktree); ``"files"``: they are OTHER (``os.walk``'s way).
    ``skip_unreadable``: skip dangling links and directories that cannot be
    listed (``os.walk``'s way) instead of raising. ``sort``: names in order
    (else the directory's own order, as ``os.listdir``)."""

    def entries(rel):
        try:
            with os.scandir(os.path.join(top, rel) if rel else top) as it:
                found = list(it)
        except OSError:
            if skip_unreadable:
                return iter(())
            raise
        if sort:
            found.sort(key=lambda e: e.name)
        return iter(found)

    def classify(parent, entry):
        rel = os.path.join(parent, entry.name) if parent else entry.name
        try:
            st = entry.stat()
        except OSError:
            if skip_unreadable:
                return None
            raise
        kind = _kind(st.st_mode)
        if kind == DIR and links != "follow" and entry.is_symlink():
            kind = OTHER
        return rel, kind, st

    return _depth_first(entries, classify, recurse)


def walk_remote(
    sftp,
    top: str,
    *,
    recurse: bool = True,
    links: str = "follow",
    skip_vanished: bool = False,
    skip_name: Optional[Callable[[str], bool]] = None,
) -> Iterator[Tuple[str, str, object]]:
    """Everything under the remote directory ``top``, names in order. ``sftp``:
    anything with ``listdir_attr`` and ``stat`` (an SFTPClient, a pysftp
    Connection).

    A listing shows a link itself. ``links="follow"``: links are stat'ed
    (their attributes are their target's, ``filename`` kept) and linked
    directories walked into (pysftp's walktree); ``"files"``: stat'ed, but a
    linked directory is OTHER (no loops); ``"keep"``: a link is OTHER, as
    the listing shows it (for removing a tree). ``skip_vanished``: skip a
    link that cannot be followed and a directory gone before it was listed,
    instead of raising (any other listing error is raised). ``skip_name``:
    names to leave out, directories included."""

    def entries(rel):
        try:
            found = sftp.listdir_attr(posixpath.join(top, rel) if rel else top)
        except FileNotFoundError:
            if skip_vanished:
                return iter(())
            raise
        return iter(sorted(found, key=lambda a: a.filename))

    def classify(parent, attrs):
        name = attrs.filename
        if name in (".", "..") or (skip_name is not None and skip_name(name)):
            return None
        rel = posixpath.join(parent, name) if parent else name
        mode = attrs.st_mode
        is_link = mode is not None and stat.S_ISLNK(mode)
        if (is_link and links != "keep") or mode is None:
            try:
                attrs = sftp.stat(posixpath.join(top, rel))
            except OSError:
                if skip_vanished:
                    return None
                raise
            attrs.filename = name
        kind = _kind(attrs.st_mode or 0)
        if kind == DIR and is_link and links != "follow":
            kind = OTHER
        return rel, kind, attrs

    return _depth_first(entries, classify, recurse)


def _depth_first(entries, classify, recurse):
    """Pre-order walk: ``entries(rel)`` lists a directory, ``classify(parent,
    entry)`` gives (rel, kind, attributes), or None to leave the entry out;
    a DIR is walked into when ``recurse``. No recursion: any depth works."""
    stack = [("", entries(""))]
    while stack:
        parent, it = stack[-1]
        entry = next(it, None)
        if entry is None:
            stack.pop()
            continue
        found = classify(parent, entry)
        if found is None:
            continue
        yield found
        if found[1] == DIR and recurse:
            stack.append((found[0], entries(found[0])))


def make_remote_dirs(
    sftp, paths: Iterable[str], *, mode: int = 0o777, known: Optional[set] = None
) -> Dict[str, RemoteDirNotCreated]:
    """Create the remote directories ``paths`` and their missing parents.

    Each one is made by trying ``mkdir``: SFTP v3 reports "already exists"
    as a plain failure, so only a failed mkdir is followed by a ``stat``
    (a directory there counts as made; a missing parent is made first,
    then mkdir is tried again). Shallow paths go first; those of one depth
    are made several at a time (their requests are pipelined on the
    channel). ``known``: directories known to exist (neither they nor their
    parents are touched); the ones made or found are added to it.

    Returns {path: RemoteDirNotCreated} for the paths that could not be
    made (chained to the server's error); a parent's failure is its
    children's."""
    known = set() if known is None else known
    failed: Dict[str, RemoteDirNotCreated] = {}
    lock = threading.Lock()

    def found(d):
        with lock:
            while d not in _NOT_A_DIR and d not in known:
                known.add(d)
                d = posixpath.dirname(d)

    def ensure(d, target):
        """None once d is a directory, else the error (d is target or a parent of it)."""
        if d in _NOT_A_DIR or d in known:
            return None
        if d in failed:
            return failed[d]
        try:
            sftp.mkdir(d, mode)
            found(d)
            return None
        except OSError as e:
            tried = e
        try:
            attrs = sftp.stat(d)
        except FileNotFoundError:
            parent = posixpath.dirname(d)
            if parent in _NOT_A_DIR or parent in known:
                return _not_created(d, tried)
            error = ensure(parent, target)
            if error is not None:
                return error
            try:
                sftp.mkdir(d, mode)
            except OSError as e:
                if not _is_dir(sftp, d):  # made by someone else meanwhile is fine
                    return _not_created(d, e)
            found(d)
            return None
        except OSError as e:
            return _not_created(d, e)
        if not stat.S_ISDIR(attrs.st_mode or 0):
            return RemoteDirNotCreated("cannot create {}: {} is not a directory".format(target, d))
        found(d)
        return None

    def make(target):
        error = ensure(target, target)
        if error is not None:
            with lock:
                failed[target] = error

    targets = sorted({posixpath.normpath(p) for p in paths} - set(_NOT_A_DIR), key=lambda p: (p.count("/"), p))
    depth = None
    level: list = []
    for p in targets + [None]:
        if p is not None and p.count("/") == depth:
            level.append(p)
            continue
        _each_at_once(make, level)
        level = [p]
        depth = p.count("/") if p is not None else None
    return {p: failed[p] for p in targets if p in failed}


def _each_at_once(fn, items) -> None:
    """fn(item) for every item, up to MKDIR_THREADS at a time; the first
    exception one raises is raised here once the others are done. On Ctrl-C
    nothing more starts and this returns at once (daemon threads: each ends
    with its one request, bounded by the session's timeout)."""
    if len(items) <= 1:
        for item in items:
            fn(item)
        return
    pending = list(reversed(items))
    raised: list = []

    def worker():
        while not raised:
            try:
                item = pending.pop()
            except IndexError:
                return
            try:
                fn(item)
            except BaseException as e:  # noqa: BLE001 - raised in the calling thread
                raised.append(e)

    threads = [
        threading.Thread(target=worker, daemon=True, name="ferrosftp-mkdir")
        for _ in range(min(MKDIR_THREADS, len(items)))
    ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except BaseException:
        pending.clear()
        raise
    if raised:
        raise raised[0]


def _is_dir(sftp, path) -> bool:
    try:
        return stat.S_ISDIR(sftp.stat(path).st_mode or 0)
    except OSError:
        return False


def _not_created(d, cause) -> RemoteDirNotCreated:
    error = RemoteDirNotCreated("cannot create {}: {}".format(d, str(cause) or type(cause).__name__))
    error.__cause__ = cause  # as `raise ... from cause`
    error.__suppress_context__ = True
    return error


def remove_remote_tree(sftp, top: str) -> None:
    """Remove the remote directory ``top`` and everything under it (links
    are removed, not followed); the first error is raised."""
    dirs = [top]
    for rel, kind, _ in walk_remote(sftp, top, links="keep"):
        path = posixpath.join(top, rel)
        if kind == DIR:
            dirs.append(path)
        else:
            sftp.remove(path)
    for d in reversed(dirs):  # deepest first
        sftp.rmdir(d)
