"""The local-cache sync agent (sftpsyncer's ``SyncAgent``, with its known
problems fixed).

sftpsyncer 0.1.12 kept a local cache of a remote SFTP tree: ``open()`` a file
(downloaded on first use), ``add()`` files to an upload queue, ``push()`` them.
This is the same API, with these differences (see the module tests):

* host keys are verified (``known_hosts`` file, else ``~/.ssh/known_hosts``;
  an unknown host is a :class:`ConnectionError` unless ``accept_new_host_key``);
  any key type, passphrases and password authentication work;
* ``open()`` of a cached file does not connect, so the cache works offline;
  a download that fails leaves nothing in the cache (temp file + rename);
* ``push()`` uploads many files at once over a few SFTP channels of one
  connection, each file to a temp name then posix-renamed into place, checks
  the size, dequeues what succeeded and raises :class:`TransferError`
  naming what did not;
* a manifest in the cache (``.ferrosftp-sync.json``) remembers the size and
  mtime of both copies of every file as last synced, so ``push()`` refuses to
  overwrite a remote file that changed meanwhile (:class:`SyncConflict`,
  ``push(force=True)`` overrides), ``pull()`` refreshes stale cached files
  without clobbering local edits, and ``status()`` reports what differs;
* remote directories are created with absolute paths (no session cwd is ever
  changed), ``disconnect()`` really disconnects (``connect()`` again works),
  ``pull_dir()`` can be re-run, the queue is cleared by a successful push.

Modification times are carried over in both directions (like ``scp -p``), so
"same size and same mtime" is a cheap "already in sync" test (rsync's quick
check) for files the manifest has not seen yet.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import posixpath
import socket
import stat
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional

from . import _tree, batch
from .exceptions import (
    ConnectionError,
    FileNotFound,
    LocalCacheDirNotFound,
    LocalFileNotFound,
    RemoteDirNotCreated,
    SyncConflict,
    TransferError,
)

# The host-key policies live in ferrosftp.sessions; imported here too, where
# they were first documented (ferrosftp.sync.UnknownHostKeyError ...).
from .sessions import (
    AcceptNewHostKeyPolicy,
    RejectUnknownHostKeyPolicy,
    UnknownHostKeyError,
    open_ssh_client,
    session_usable,
)
from .ssh_exception import SSHException

__all__ = [
    "SyncAgent",
    "SyncStatus",
    "UploadQueue",
    "SyncConflict",
    "UnknownHostKeyError",
    "AcceptNewHostKeyPolicy",
    "RejectUnknownHostKeyPolicy",
    "MANIFEST_NAME",
]

log = logging.getLogger("ferrosftp.sync")

MANIFEST_NAME = ".ferrosftp-sync.json"
# The transfer engine's temp files end with this (".<name>.<pid>-<n>.ferrosftp-part").
TEMP_SUFFIX = ".ferrosftp-part"
_WHOLE_CACHE = ("*", "/", ".", "")
# a session that raised one of these is not reused
_CONN_ERRORS = (
    SSHException,
    EOFError,
    socket.timeout,
    TimeoutError,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
)


# --------------------------------------------------------------------------
# paths and stats
# --------------------------------------------------------------------------


def _clean_rel(path) -> str:
    """A cache-relative posix path; leading '/' stripped (sftpsyncer's rule);
    '..' escaping the cache is refused."""
    p = os.fsdecode(os.fspath(path)).replace(os.sep, "/")
    p = posixpath.normpath(p.lstrip("/")) if p.strip("/") else "."
    if p == ".." or p.startswith("../"):
        raise ValueError("path escapes the cache root: {!r}".format(path))
    return p


def _is_temp_name(name: str) -> bool:
    return (
        name.endswith(TEMP_SUFFIX)
        or name == MANIFEST_NAME
        or (name.startswith(MANIFEST_NAME) and name.endswith(".tmp"))
    )


def _remote_key(attrs):
    if attrs is None:
        return None
    return (attrs.st_size, int(attrs.st_mtime) if attrs.st_mtime is not None else None)


def _local_key(st):
    if st is None:
        return None
    return (st.st_size, st.st_mtime_ns)


def _lstat_local(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


@dataclass
class SyncStatus:
    """What ``SyncAgent.status()`` returns.  Every field is a sorted list of
    cache-relative paths; ``status["stale"]`` works too (dict-style)."""

    local_only: List[str] = field(default_factory=list)  # not on the server
    remote_only: List[str] = field(default_factory=list)  # not in the cache
    changed: List[str] = field(default_factory=list)  # edited locally since the last sync
    stale: List[str] = field(default_factory=list)  # changed on the server since the last sync
    conflicts: List[str] = field(default_factory=list)  # both (or unknown history and different)
    in_sync: List[str] = field(default_factory=list)

    FIELDS = ("local_only", "remote_only", "changed", "stale", "conflicts", "in_sync")

    def __getitem__(self, key):
        if key not in self.FIELDS:
            raise KeyError(key)
        return getattr(self, key)

    def keys(self):
        return list(self.FIELDS)

    def as_dict(self) -> Dict[str, List[str]]:
        return {k: list(getattr(self, k)) for k in self.FIELDS}

    @property
    def clean(self) -> bool:
        return not any(getattr(self, k) for k in self.FIELDS if k != "in_sync")


# --------------------------------------------------------------------------
# upload queue
# --------------------------------------------------------------------------


class UploadQueue:
    """sftpsyncer's upload queue: cache-relative paths waiting for ``push()``
    (kept in order, without duplicates)."""

    def __init__(self, local_root: str):
        self.local_root = local_root
        self._items: Dict[str, None] = {}
        self._lock = threading.Lock()

    def add(self, rel_file_path) -> None:
        rel = _clean_rel(rel_file_path)
        full = os.path.join(self.local_root, rel)
        if not os.path.isfile(full):
            if os.path.isdir(full):
                raise LocalFileNotFound("{} is a directory (use add_dir)".format(full))
            raise LocalFileNotFound("{} does not exist".format(full))
        with self._lock:
            self._items[rel] = None

    def add_dir(self, rel_dir_path, file_callback: Optional[Callable[[str], object]] = None) -> None:
        """Queue every file under a cache directory ("*", "/" or "." mean the
        whole cache).  ``file_callback(rel_path)`` is called for each."""
        rel = "." if rel_dir_path in _WHOLE_CACHE else _clean_rel(rel_dir_path)
        top = os.path.join(self.local_root, rel) if rel != "." else self.local_root
        if not os.path.isdir(top):
            raise LocalFileNotFound("{} is not a directory".format(top))
        for r, _ in _local_files(top, rel):
            with self._lock:
                self._items[r] = None
            if file_callback is not None:
                file_callback(r)

    def remove(self, rel_file_path) -> None:
        with self._lock:
            self._items.pop(_clean_rel(rel_file_path), None)

    def clear_queue(self) -> None:
        with self._lock:
            self._items.clear()

    clear = clear_queue

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, rel) -> bool:
        try:
            return _clean_rel(rel) in self._items
        except ValueError:
            return False

    def __repr__(self):
        return "<UploadQueue {} file(s)>".format(len(self))


# --------------------------------------------------------------------------
# the agent
# --------------------------------------------------------------------------


class SyncAgent:
    """Keep a local cache of a remote SFTP tree (sftpsyncer's ``SyncAgent``).

    Does not connect in the constructor.  ``host_port`` may be a string.
    Authentication: ``key_path`` (any key type; ``passphrase`` for an
    encrypted one), ``password``, else the ssh-agent and ``~/.ssh/id_*``
    (``allow_agent`` / ``look_for_keys`` default to True only when neither a
    key nor a password is given).  ``workers``: SFTP channels of the
    connection used at once by ``push()``, ``pull()`` and ``pull_dir()``
    (each keeps many files in flight).  ``timeout``: seconds for
    connecting and for any single network operation.
    ``fake_connection=True``: never touch the network (offline/test aid):
    cached files open, queueing works, anything that needs the server raises
    :class:`ConnectionError`.
    """

    manifest_name = MANIFEST_NAME

    def __init__(
        self,
        hostname=None,
        host_port=22,
        username=None,
        key_path=None,
        local_root=None,
        remote_root=None,
        password=None,
        known_hosts=None,
        fake_connection=False,
        workers=4,
        passphrase=None,
        accept_new_host_key=False,
        timeout=30.0,
        allow_agent=None,
        look_for_keys=None,
    ):
        try:
            port = int(host_port)
        except (TypeError, ValueError):
            raise ValueError("host_port must be an integer, not {!r}".format(host_port)) from None
        if not 0 < port < 65536:
            raise ValueError("host_port out of range: {}".format(port))
        if local_root is None or not os.path.isdir(local_root):
            raise LocalCacheDirNotFound("local cache directory not found: {}".format(local_root))
        self.hostname = hostname
        self.host_port = port
        self.username = username
        self.key_path = key_path
        self.password = password
        self.passphrase = passphrase
        self.known_hosts = known_hosts
        self.accept_new_host_key = accept_new_host_key
        self.local_root = os.path.abspath(local_root)
        self.remote_root = remote_root if remote_root not in (None, "") else "."
        self.fake_connection = bool(fake_connection)
        self.workers = max(1, int(workers))
        self.timeout = timeout
        no_creds = key_path is None and password is None
        self.allow_agent = no_creds if allow_agent is None else bool(allow_agent)
        self.look_for_keys = no_creds if look_for_keys is None else bool(look_for_keys)
        self.upload_queue = UploadQueue(self.local_root)
        self.transport = None
        self.conn = None  # the main SFTPClient while connected
        self._client = None
        self._lock = threading.RLock()
        self._manifest_lock = threading.RLock()
        self._manifest = None

    def __repr__(self):
        return "<SyncAgent {}@{}:{} {} <-> {}>".format(
            self.username, self.hostname, self.host_port, self.local_root, self.remote_root
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.disconnect()

    # -- connection -----------------------------------------------------------

    def _open_session(self):
        """A new (SSHClient, SFTPClient); raises ConnectionError on any failure."""
        if self.fake_connection:
            raise ConnectionError("fake_connection=True: no server to talk to")
        if not self.hostname:
            raise ConnectionError("no hostname given")
        try:
            client = open_ssh_client(
                self.hostname,
                self.host_port,
                self.username,
                key_filenames=self.key_path,
                password=self.password,
                passphrase=self.passphrase,
                known_hosts=self.known_hosts,
                accept_new_host_key=self.accept_new_host_key,
                allow_agent=self.allow_agent,
                look_for_keys=self.look_for_keys,
                timeout=self.timeout,
            )
        except Exception as e:  # noqa: BLE001 - sftpsyncer: any failure is a ConnectionError
            raise ConnectionError(
                "cannot connect to {}:{}: {}".format(self.hostname, self.host_port, _describe(e))
            ) from e
        try:
            sftp = client.open_sftp()
            if self.timeout is not None:
                sftp.get_channel().settimeout(self.timeout)
        except Exception as e:  # noqa: BLE001
            client.close()
            raise ConnectionError(
                "cannot start SFTP on {}:{}: {}".format(self.hostname, self.host_port, _describe(e))
            ) from e
        return client, sftp

    def _is_connected(self) -> bool:
        return self.conn is not None and session_usable(self._client, self.conn)

    def connect(self) -> None:
        """Connect (no-op while connected; reconnects after a disconnect or a
        dropped connection).  Raises :class:`ConnectionError`."""
        with self._lock:
            if self._is_connected():
                return
            self._drop()
            self._client, self.conn = self._open_session()
            self.transport = self._client.get_transport()

    def _drop(self):
        for obj in (self.conn, self._client):
            try:
                if obj is not None:
                    obj.close()
            except Exception as e:  # noqa: BLE001
                log.debug("close failed: %s", e)
        self.conn = None
        self._client = None
        self.transport = None

    def disconnect(self) -> None:
        """Close the connection (errors are logged, not raised); ``connect()``
        works again afterwards."""
        with self._lock:
            self._drop()

    def _sftp(self):
        self.connect()
        return self.conn

    # -- paths ------------------------------------------------------------------

    def local_path(self, rel) -> str:
        rel = _clean_rel(rel)
        return self.local_root if rel == "." else os.path.join(self.local_root, *rel.split("/"))

    def remote_path(self, rel) -> str:
        rel = _clean_rel(rel)
        return self.remote_root if rel == "." else posixpath.join(self.remote_root, rel)

    # -- manifest -----------------------------------------------------------------

    @property
    def manifest_path(self) -> str:
        return os.path.join(self.local_root, MANIFEST_NAME)

    def _identity(self) -> str:
        return "{}@{}:{}:{}".format(self.username or "", self.hostname or "", self.host_port, self.remote_root)

    def _load_manifest(self) -> Dict[str, dict]:
        with self._manifest_lock:
            if self._manifest is not None:
                return self._manifest
            files: Dict[str, dict] = {}
            try:
                with open(self.manifest_path, "r", encoding="utf-8") as f:
                    data = json.load(f)
                if data.get("remote") == self._identity() and isinstance(data.get("files"), dict):
                    files = data["files"]
                else:
                    log.warning(
                        "%s describes another remote (%s); starting afresh", self.manifest_path, data.get("remote")
                    )
            except FileNotFoundError:
                pass
            except (OSError, ValueError, AttributeError) as e:
                # unreadable: no history, so every difference counts as a conflict (safe side)
                log.warning("ignoring unreadable manifest %s: %s", self.manifest_path, e)
            self._manifest = files
            return files

    def _save_manifest(self) -> None:
        with self._manifest_lock:
            files = self._load_manifest()
            data = {"version": 1, "remote": self._identity(), "files": files}
            fd, tmp = tempfile.mkstemp(prefix=MANIFEST_NAME + ".", suffix=".tmp", dir=self.local_root)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(data, f, indent=1, sort_keys=True)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.manifest_path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise

    def _record(self, rel, remote_attrs, local_st) -> None:
        with self._manifest_lock:
            files = self._load_manifest()
            rk, lk = _remote_key(remote_attrs), _local_key(local_st)
            files[rel] = {"remote_size": rk[0], "remote_mtime": rk[1], "local_size": lk[0], "local_mtime_ns": lk[1]}

    def _entry(self, rel):
        with self._manifest_lock:
            return self._load_manifest().get(rel)

    # -- classification -----------------------------------------------------------

    def _classify(self, rel, lst, rattrs) -> str:
        """One of local_only, remote_only, changed, stale, conflicts, in_sync
        (or "absent")."""
        m = self._entry(rel)
        if lst is None and rattrs is None:
            return "absent"
        if rattrs is None:
            return "local_only"
        if lst is None:
            return "remote_only"
        lk, rk = _local_key(lst), _remote_key(rattrs)
        if m is None:
            # no history: equal size and mtime (seconds) count as in sync
            if lk[0] == rk[0] and rk[1] is not None and int(lst.st_mtime) == rk[1]:
                return "in_sync"
            return "conflicts"
        lchanged = lk != (m.get("local_size"), m.get("local_mtime_ns"))
        rchanged = rk != (m.get("remote_size"), m.get("remote_mtime"))
        if lchanged and rchanged:
            return "conflicts"
        if lchanged:
            return "changed"
        if rchanged:
            return "stale"
        return "in_sync"

    def _walk_local(self, rel_dir=".") -> Dict[str, os.stat_result]:
        """{rel: os.stat_result} of the cached regular files under rel_dir."""
        base = _clean_rel(rel_dir)
        top = self.local_path(base)
        if os.path.isfile(top):
            st = _lstat_local(top)
            return {base: st} if st is not None else {}
        return dict(_local_files(top, base))

    def _walk_remote(self, sftp, rel_dir=".") -> Dict[str, object]:
        """{rel: SFTPAttributes} of the regular files under rel_dir (symlinks
        to files are followed, symlinked dirs are not descended)."""
        base = _clean_rel(rel_dir)
        try:
            top = sftp.stat(self.remote_path(base))
        except FileNotFoundError:
            return {}
        if not stat.S_ISDIR(top.st_mode or 0):
            return {base: top} if stat.S_ISREG(top.st_mode or 0) else {}
        return {
            _join_rel(base, rel): attrs
            for rel, kind, attrs in _tree.walk_remote(
                sftp, self.remote_path(base), links="files", skip_vanished=True, skip_name=_is_temp_name
            )
            if kind == _tree.FILE
        }

    def _remote_stat(self, sftp, rel):
        try:
            a = sftp.stat(self.remote_path(rel))
        except FileNotFoundError:
            return None
        if stat.S_ISDIR(a.st_mode or 0):
            raise IsADirectoryError(errno.EISDIR, "is a directory on the server", self.remote_path(rel))
        return a

    def status(self, rel_dir=".") -> SyncStatus:
        """Compare the cache, the server and the manifest (connects)."""
        remote = self._remote_phase("status", lambda sftp: self._walk_remote(sftp, rel_dir))
        local = self._walk_local(rel_dir)
        base = _clean_rel(rel_dir)
        tracked = [r for r in self._load_manifest() if base == "." or r == base or r.startswith(base + "/")]
        st = SyncStatus()
        for rel in sorted(set(local) | set(remote) | set(tracked)):
            kind = self._classify(rel, local.get(rel), remote.get(rel))
            if kind != "absent":
                getattr(st, kind).append(rel)
        return st

    # -- reading --------------------------------------------------------------------

    def open(self, path, mode="rb", *args, **kwargs):
        """A local file object for ``path`` (relative to both roots).  A cached
        copy is returned without connecting; otherwise the file is downloaded
        into the cache first.  Write modes ("w", "x") just open the local
        file (queue it with ``add()`` to upload it).

        Raises :class:`FileNotFound` if neither side has it,
        :class:`ConnectionError` if it is not cached and the server is
        unreachable, :class:`TransferError` if the download fails."""
        rel = _clean_rel(path)
        local = self.local_path(rel)
        if any(c in mode for c in "wx"):
            os.makedirs(os.path.dirname(local), exist_ok=True)
            return open(local, mode, *args, **kwargs)
        if not os.path.isfile(local):
            self.fetch(rel)
        return open(local, mode, *args, **kwargs)

    def fetch(self, path) -> str:
        """Download ``path`` into the cache (replacing the cached copy only if
        it was not edited locally since the last sync); returns the local path."""
        rel = _clean_rel(path)
        try:
            rattrs = self._remote_phase("download", lambda sftp: self._remote_stat(sftp, rel))
        except OSError as e:
            if isinstance(e, (TransferError, ConnectionError)):
                raise
            raise TransferError("cannot stat {}: {}".format(self.remote_path(rel), _describe(e))) from e
        if rattrs is None:
            raise FileNotFound("{} is neither in the cache nor on the server".format(rel))
        try:
            self._download(self.conn, rel, rattrs, expect_local=_local_key(_lstat_local(self.local_path(rel))))
        except (TransferError, SyncConflict):
            raise
        except FileNotFoundError as e:  # deleted on the server meanwhile
            raise FileNotFound("{} is neither in the cache nor on the server".format(rel)) from e
        except (OSError, SSHException) as e:
            raise TransferError("download of {} failed: {}".format(self.remote_path(rel), _describe(e))) from e
        finally:
            self._save_manifest()
        return self.local_path(rel)

    def _download(self, sftp, rel, rattrs, expect_local, callback=None) -> None:
        """Get rel into the cache atomically; expect_local is the local key the
        caller saw (None: no file), re-checked right before the final rename
        so a local edit made meanwhile is never overwritten."""
        tmp, created = self._download_temp(rel, threading.get_ident())
        cb = (lambda done, total: callback(rel, done, total)) if callback is not None else None
        ok = False
        try:
            remote = self.remote_path(rel)
            for _attempt in range(3):
                sftp.get(remote, tmp, callback=cb)
                after = sftp.stat(remote)
                if _remote_key(after) == _remote_key(rattrs):
                    break
                rattrs = after  # changed while we read it: read it again
            else:
                raise TransferError("{} keeps changing on the server".format(remote))
            self._place_download(rel, tmp, rattrs, expect_local)
            ok = True
        finally:
            if not ok:
                _undo_download(tmp, created)

    def _download_temp(self, rel, tag):
        """The temp name a download of rel goes to first, beside its place in
        the cache, and the directories made for it (newest first).

        get() puts its file in place through a temp name of its own; this
        second one is where the agent checks, right before the rename, that
        the cached copy is still what the caller saw (a local edit made
        meanwhile is never overwritten: SyncConflict) and gives the file its
        mtime, so that it never appears under its name with the wrong one."""
        local = self.local_path(rel)
        parent = os.path.dirname(local)
        created = []
        d = parent
        while not os.path.isdir(d):
            created.append(d)
            d = os.path.dirname(d)
        os.makedirs(parent, exist_ok=True)
        tmp = os.path.join(parent, ".{}.{}-{}{}".format(os.path.basename(local), os.getpid(), tag, TEMP_SUFFIX))
        return tmp, created

    def _place_download(self, rel, tmp, rattrs, expect_local) -> None:
        """The last steps of a download: size and times checked, the local
        copy still as the caller saw it, then the rename and the record."""
        local = self.local_path(rel)
        size = os.stat(tmp).st_size
        if size != rattrs.st_size:
            raise TransferError(
                "size mismatch for {}: got {} bytes, server has {}".format(self.remote_path(rel), size, rattrs.st_size)
            )
        if rattrs.st_mtime is not None:
            os.utime(tmp, (rattrs.st_atime or rattrs.st_mtime, rattrs.st_mtime))
        if _local_key(_lstat_local(local)) != expect_local:
            raise SyncConflict([rel], "{} changed locally during the download; kept the local copy".format(rel))
        os.replace(tmp, local)
        self._record(rel, rattrs, os.stat(local))

    def _download_many(self, rels, expect, callback) -> Dict[str, BaseException]:
        """Download ``rels`` into the cache with many in flight over up to
        ``workers`` SFTP channels of the connection; a file that changes on
        the server while it is read is read again (three tries). Returns
        {rel: exception} for the files that failed."""
        failures: Dict[str, BaseException] = {}
        temps = {rel: self._download_temp(rel, "b%d" % i) for i, rel in enumerate(rels)}
        todo = list(rels)
        try:
            for _attempt in range(3):
                results = self._spread(
                    todo,
                    lambda sftp, share, report: sftp._get_each(
                        [(self.remote_path(rel), temps[rel][0]) for rel in share], report, recheck=True
                    ),
                    callback,
                )
                again = []
                for rel, r in zip(todo, results):
                    if isinstance(r, SyncConflict):  # changed while it was read
                        again.append(rel)
                        continue
                    try:
                        if isinstance(r, BaseException):
                            raise r
                        self._place_download(rel, temps[rel][0], r, expect[rel])
                    except BaseException as e:  # noqa: BLE001 - this file's failure
                        failures[rel] = e
                todo = again
                if not todo:
                    break
            for rel in todo:
                failures[rel] = TransferError("{} keeps changing on the server".format(self.remote_path(rel)))
        finally:
            for rel in rels:
                if rel in failures or not os.path.exists(self.local_path(rel)):
                    _undo_download(*temps[rel])
        return failures

    def _spread(self, rels, move, callback):
        """``batch.spread`` over the agent's connection, with the sync
        agent's ``callback(rel, done, total)``."""

        def progress(i, done, total, finished):
            callback(rels[i], done, total)

        return batch.spread(self._sftp(), rels, self.workers, move, progress if callback else None)

    # -- pulling --------------------------------------------------------------------

    def pull(self, path=None, force=False, callback=None) -> List[str]:
        """Refresh cached files that changed on the server since the last sync
        (only those not edited locally; ``force=True`` lets the server's copy
        win).  ``path``: one file or directory (default: every cached file).
        A file not cached yet is downloaded when named explicitly.
        Raises :class:`SyncConflict` (nothing downloaded) when some file
        changed on both sides.  Returns the refreshed paths."""
        if path is not None:
            rel = _clean_rel(path)
            a = self._remote_phase("pull", lambda sftp: _stat_or_none(sftp, self.remote_path(rel)))
            if a is not None and stat.S_ISDIR(a.st_mode or 0):
                return self.pull_dir(rel, force=force, callback=callback)
            lst = _lstat_local(self.local_path(rel))
            if a is None and lst is None:
                raise FileNotFound("{} is neither in the cache nor on the server".format(rel))
            local = {rel: lst} if lst is not None else {}
            remote = {rel: a} if a is not None else {}
            return self._pull_plan(local, remote, force, callback, fetch_new=True)
        local = self._walk_local(".")

        def stats(sftp):
            remote = {}
            for rel in local:
                a = _stat_or_none(sftp, self.remote_path(rel))
                if a is not None and stat.S_ISREG(a.st_mode or 0):
                    remote[rel] = a
            return remote

        remote = self._remote_phase("pull", stats)
        return self._pull_plan(local, remote, force, callback, fetch_new=False)

    def pull_dir(self, rel_path=".", force=False, callback=None) -> List[str]:
        """Download a remote directory tree into the cache ("*", "/", "." =
        everything); files already cached and unchanged are skipped, local
        edits are kept, so it can be re-run.  Raises :class:`SyncConflict`
        (nothing downloaded) if some file changed on both sides."""
        rel = "." if rel_path in _WHOLE_CACHE else _clean_rel(rel_path)

        def walk(sftp):
            remote = self._walk_remote(sftp, rel)
            if rel != "." and not remote and _stat_or_none(sftp, self.remote_path(rel)) is None:
                raise FileNotFound("{} does not exist on the server".format(self.remote_path(rel)))
            return remote

        remote = self._remote_phase("pull", walk)
        local = self._walk_local(rel)
        return self._pull_plan(local, remote, force, callback, fetch_new=True)

    def _pull_plan(self, local, remote, force, callback, fetch_new) -> List[str]:
        todo, conflicts = [], []
        for rel in sorted(remote):
            lst = local.get(rel)
            kind = self._classify(rel, lst, remote[rel])
            if kind == "remote_only" and fetch_new:
                todo.append(rel)
            elif kind == "stale":
                todo.append(rel)
            elif kind == "conflicts":
                (todo if force else conflicts).append(rel)
            elif kind == "in_sync" and self._entry(rel) is None:
                self._record(rel, remote[rel], lst)  # adopt: same size and mtime
        if conflicts:
            self._save_manifest()
            raise SyncConflict(conflicts)
        expect = {rel: _local_key(local.get(rel)) for rel in todo}
        failures: Dict[str, BaseException] = {}
        try:
            failures = self._download_many(todo, expect, callback)
        finally:
            self._save_manifest()
            self._forget_if_broken(failures)
        if failures:
            _raise_failures(failures, "download")
        return todo

    # -- pushing ----------------------------------------------------------------------

    def add(self, path) -> None:
        """Queue a cached file for upload (``upload_queue.add``)."""
        self.upload_queue.add(path)

    def add_dir(self, path=".", file_callback=None) -> None:
        self.upload_queue.add_dir(path, file_callback)

    def mkdir_p(self, remote_path) -> None:
        """Create a remote directory and its parents (paths as given: absolute,
        or relative to the login directory; no session cwd is changed).
        Raises :class:`RemoteDirNotCreated`."""
        if remote_path in (None, ""):
            raise RemoteDirNotCreated("You must specify a path")
        for error in _tree.make_remote_dirs(self._sftp(), [remote_path]).values():
            raise error

    def is_remote_dir(self, path) -> bool:
        try:
            return stat.S_ISDIR(self._sftp().stat(path).st_mode or 0)
        except OSError:
            return False

    def push(self, force=False, callback=None) -> List[str]:
        """Upload every queued file (concurrently, each to a temp name then
        posix-renamed into place, size-checked, mtime preserved) and dequeue it.

        Checked first, before anything is uploaded: every queued file must
        still exist (:class:`LocalFileNotFound`), and no remote file may have
        changed since the last sync (:class:`SyncConflict` listing them, unless
        ``force=True``).  Files that then fail to upload stay queued and
        :class:`TransferError` lists them (``.failures``: path -> reason).
        ``callback(rel_path, bytes_so_far, total)`` reports progress.
        Returns the uploaded paths."""
        files = list(self.upload_queue)
        if not files:
            return []
        missing = [r for r in files if not os.path.isfile(self.local_path(r))]
        if missing:
            raise LocalFileNotFound("queued file(s) no longer in the cache: {}".format(", ".join(missing)))
        try:
            before, dir_errors = self._remote_phase("push", lambda sftp: self._push_plan(sftp, files, force))
        except TransferError as e:  # nothing was uploaded
            e.paths = list(files)
            e.failures = {}
            raise
        failures: Dict[str, BaseException] = {}
        todo = []
        for rel in files:
            d = posixpath.dirname(rel)
            if d in dir_errors:
                failures[rel] = dir_errors[d]
            else:
                todo.append(rel)

        try:
            failures.update(self._upload_many(todo, before, force, callback))
        finally:
            self._save_manifest()
            self._forget_if_broken(failures)
        done = [r for r in files if r not in failures]
        for rel in done:
            self.upload_queue.remove(rel)
        if failures:
            _raise_failures(failures, "upload")
        return done

    def _push_plan(self, sftp, files, force):
        """Remote state of every queued file (one listing per directory), the
        conflict check, and the remote directories (made from this session)."""
        by_dir: Dict[str, List[str]] = {}
        for rel in files:
            by_dir.setdefault(posixpath.dirname(rel), []).append(rel)
        before: Dict[str, object] = {}
        for d, rels in by_dir.items():
            try:
                listing = {a.filename: a for a in sftp.listdir_attr(self.remote_path(d or "."))}
            except (FileNotFoundError, NotADirectoryError):
                listing = {}
            for rel in rels:
                a = listing.get(posixpath.basename(rel))
                if a is not None and stat.S_ISLNK(a.st_mode or 0):
                    a = sftp.stat(self.remote_path(rel))
                before[rel] = a
        conflicts = []
        for rel in files:
            a = before[rel]
            if a is None:
                continue
            if stat.S_ISDIR(a.st_mode or 0):
                conflicts.append(rel)
                continue
            m = self._entry(rel)
            if m is not None:
                if _remote_key(a) != (m.get("remote_size"), m.get("remote_mtime")):
                    conflicts.append(rel)
            else:
                lst = os.stat(self.local_path(rel))
                if (lst.st_size, int(lst.st_mtime)) != _remote_key(a):
                    conflicts.append(rel)
        if conflicts and not force:
            raise SyncConflict(conflicts)
        made = _tree.make_remote_dirs(sftp, [self.remote_path(d or ".") for d in by_dir])
        dir_errors = {
            d: made[p] for d, p in ((d, posixpath.normpath(self.remote_path(d or "."))) for d in by_dir) if p in made
        }
        return before, dir_errors

    def _remote_phase(self, what, fn):
        """Run fn(main sftp); if the session turns out to be dead (server
        restarted, link dropped), reconnect once and run it again.  fn must be
        safe to repeat (listings, stats, mkdirs)."""
        for attempt in (0, 1):
            sftp = self._sftp()
            try:
                return fn(sftp)
            except _CONN_ERRORS as e:
                self._drop()
                if attempt:
                    raise TransferError("{} failed: {}".format(what, _describe(e))) from e
                log.info("%s: session lost (%s); reconnecting", what, _describe(e))

    def _forget_if_broken(self, failures):
        if any(isinstance(e, _CONN_ERRORS) for e in failures.values()):
            self._drop()

    def _upload_many(self, rels, before, force, callback) -> Dict[str, BaseException]:
        """Upload ``rels`` with many in flight over up to ``workers`` SFTP
        channels of the connection, each to a temp name posix-renamed into
        place, size-checked, with its local mtime. Unless ``force``, each
        file's remote copy is checked just before its upload to still be what
        ``before`` says (else SyncConflict, untouched). Returns {rel:
        exception} for the files that failed."""
        failures: Dict[str, BaseException] = {}
        pre = {}
        for rel in rels:
            try:
                pre[rel] = os.stat(self.local_path(rel))
            except OSError as e:
                failures[rel] = e
        rels = [rel for rel in rels if rel in pre]

        def move(sftp, share, report):
            expect = None
            if not force:
                expect = [None if k is None else (k[0], k[1] or 0) for k in (_remote_key(before[rel]) for rel in share)]
            return sftp._put_each(
                [(self.local_path(rel), self.remote_path(rel)) for rel in share],
                report,
                expect=expect,
                confirm=True,
                atomic=True,
                times=True,
            )

        for rel, r in zip(rels, self._spread(rels, move, callback)):
            if isinstance(r, SyncConflict):
                failures[rel] = SyncConflict([rel], "{} changed on the server during the push".format(rel))
            elif isinstance(r, BaseException):
                failures[rel] = r
            elif r.st_size != pre[rel].st_size:
                failures[rel] = TransferError(
                    "size mismatch for {}: server has {} bytes, local file {}".format(
                        self.remote_path(rel), r.st_size, pre[rel].st_size
                    )
                )
            else:
                # record what the server now holds against the local state we sent
                self._record(rel, r, pre[rel])
                if _local_key(_lstat_local(self.local_path(rel))) != _local_key(pre[rel]):
                    failures[rel] = TransferError("{} changed locally during the upload; push it again".format(rel))
        return failures


def _join_rel(base: str, rel: str) -> str:
    return rel if base == "." else base + "/" + rel


def _local_files(top: str, base: str):
    """(cache-relative path, os.stat_result) of the regular files under the
    cache directory ``top`` (``base`` relative), in name order; temp names
    and the manifest left out, linked directories not walked into."""
    for rel, kind, st in _tree.walk_local(top, links="files", skip_unreadable=True, sort=True):
        if kind == _tree.FILE and not _is_temp_name(os.path.basename(rel)):
            yield _join_rel(base, rel.replace(os.sep, "/")), st


def _undo_download(tmp, created) -> None:
    """Remove a download's temp file and the directories made only for it."""
    try:
        os.unlink(tmp)
    except OSError:
        pass
    for d in created:
        try:
            os.rmdir(d)
        except OSError:
            break


def _stat_or_none(sftp, path):
    try:
        return sftp.stat(path)
    except FileNotFoundError:
        return None


def _describe(e: BaseException) -> str:
    if isinstance(e, socket.gaierror):
        return "name resolution failed ({})".format(e.strerror or e)
    if isinstance(e, socket.timeout):
        return "timed out"
    text = str(e) or type(e).__name__
    if isinstance(e, OSError) and getattr(e, "filename", None) and str(e.filename) not in text:
        text = "{}: {}".format(text, e.filename)
    return text


def _raise_failures(failures: Dict[str, BaseException], what: str):
    if all(isinstance(e, SyncConflict) for e in failures.values()):
        raise SyncConflict(sorted(failures))
    names = sorted(failures)
    detail = "; ".join("{}: {}".format(n, _describe(failures[n])) for n in names[:10])
    if len(names) > 10:
        detail += "; ... ({} more)".format(len(names) - 10)
    err = TransferError("{} failed for {} file(s): {}".format(what, len(names), detail))
    err.paths = names
    err.failures = {n: failures[n] for n in names}
    first = failures[names[0]]
    raise err from first
