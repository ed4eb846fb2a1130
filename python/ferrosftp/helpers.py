"""pysftp 0.2.9's helpers (``pysftp.helpers``), quirks included.

These are local-filesystem and path-string utilities; the remote twins
(``Connection.walktree`` etc.) live on the connection. Both walks are
``ferrosftp._tree``'s, whose defaults are pysftp's rules.
"""

import ntpath
import os
import posixpath
from contextlib import contextmanager
from stat import S_IMODE

from . import _tree

__all__ = [
    "WTCallbacks",
    "walktree",
    "reparent",
    "path_advance",
    "path_retreat",
    "st_mode_to_int",
    "cd",
    "known_hosts",
]


def known_hosts():
    """The path of the user's ``~/.ssh/known_hosts``, ``~`` expanded."""
    return os.path.expanduser(os.path.join("~", ".ssh", "known_hosts"))


def st_mode_to_int(val):
    """Permission bits of an ``st_mode`` as the decimal-looking int of their
    last three octal digits: ``33188`` (``0o100644``) -> ``644``.

    setuid/setgid/sticky are dropped (``0o104755`` -> ``755``).  As in pysftp,
    a mode with fewer than three octal permission digits (e.g. ``0`` or
    ``0o044``) raises ``ValueError``.
    """
    return int(str(oct(S_IMODE(val)))[-3:])


class WTCallbacks:
    """Callbacks for ``walktree`` that collect the paths they are given.

    ``flist``/``dlist``/``ulist`` return a *sorted copy* (pysftp 0.2.9), and
    can be assigned to replace the underlying list.
    """

    def __init__(self):
        self._flist = []
        self._dlist = []
        self._ulist = []

    def file_cb(self, pathname):
        """Called for regular files: appends to ``flist``."""
        self._flist.append(pathname)

    def dir_cb(self, pathname):
        """Called for directories: appends to ``dlist``."""
        self._dlist.append(pathname)

    def unk_cb(self, pathname):
        """Called for anything else: appends to ``ulist``."""
        self._ulist.append(pathname)

    @property
    def flist(self):
        """Sorted copy of the files seen so far."""
        return sorted(self._flist)

    @flist.setter
    def flist(self, val):
        self._flist = val

    @property
    def dlist(self):
        """Sorted copy of the directories seen so far."""
        return sorted(self._dlist)

    @dlist.setter
    def dlist(self, val):
        self._dlist = val

    @property
    def ulist(self):
        """Sorted copy of the unknown entries seen so far."""
        return sorted(self._ulist)

    @ulist.setter
    def ulist(self, val):
        self._ulist = val


def path_advance(thepath, sep=os.sep):
    """Yield each leading sub-path of ``thepath``, shortest first.

    ``'foo/bar/baz'`` -> ``foo``, ``foo/bar``, ``foo/bar/baz``;
    ``'/foo/bar'`` -> ``/foo``, ``/foo/bar``.  Splits on ``sep`` but joins
    with ``os.path.join``.  An empty path raises ``IndexError``.
    """
    prefix = sep if thepath[0] == sep else ""
    parts = thepath.split(sep)
    if prefix:
        if parts[0]:
            parts[0] = prefix + parts[0]
        else:
            parts[1] = prefix + parts[1]
    current = ""
    for part in parts:
        current = os.path.join(current, part)
        if current:
            yield current


def path_retreat(thepath, sep=os.sep):
    """Yield the sub-paths of ``thepath``, longest first (the reverse of
    :func:`path_advance`).  An empty path raises ``IndexError``."""
    prefix = sep if thepath[0] == sep else ""
    parts = thepath.split(sep)
    while parts:
        joined = os.path.join(*parts)
        if joined:
            yield "%s%s" % (prefix, joined)
        parts = parts[:-1]


def reparent(newparent, oldpath):
    """``os.path.join(newparent, oldpath)``, except that an absolute
    ``oldpath`` (leading ``/`` or ``\\``) is made relative by prefixing
    ``'.'``: ``reparent('backup', '/home/test/pub')`` ==
    ``'backup/./home/test/pub'``.  An empty ``oldpath`` raises
    ``IndexError``."""
    if oldpath[0] in (posixpath.sep, ntpath.sep):
        oldpath = "." + oldpath
    return os.path.join(newparent, oldpath)


def walktree(localpath, fcallback, dcallback, ucallback, recurse=True):
    """Walk the *local* tree under ``localpath`` depth-first (pre-order).

    Calls ``dcallback(path)`` for directories, ``fcallback(path)`` for
    regular files and ``ucallback(path)`` for everything else.  Entries come
    in ``os.listdir`` order (unsorted), paths are built with
    ``os.path.join`` and classified with ``os.stat`` (symlinks followed).
    A missing ``localpath`` raises ``OSError``.
    """
    callbacks = {_tree.DIR: dcallback, _tree.FILE: fcallback}
    for rel, kind, _ in _tree.walk_local(localpath, recurse=recurse):
        callbacks.get(kind, ucallback)(os.path.join(localpath, rel))


@contextmanager
def cd(localpath=None):  # pylint: disable=invalid-name
    """Context manager: ``os.chdir(localpath)`` (if given) and restore the
    previous working directory on exit, even after an exception.

    A missing ``localpath`` raises ``OSError`` (the cwd is unchanged).
    """
    original_path = os.getcwd()
    try:
        if localpath is not None:
            os.chdir(localpath)
        yield
    finally:
        os.chdir(original_path)
