"""An fsspec filesystem on ferrosftp (``pip install fsspec``).

    import fsspec, ferrosftp.fsspec
    fs = fsspec.filesystem("ferrosftp", host="files.example.com", username="me")
    df = pandas.read_parquet("ferrosftp://me@files.example.com/data/x.parquet")

Unlike fsspec's own ``sftp`` (paramiko, one channel, a raw file): unknown
host keys are refused unless ``accept_new_host_key=True``; ~/.ssh/config is
honoured (aliases, keys, known hosts, ProxyCommand, ProxyJump); reads are
range reads on an open handle with fsspec's block cache; writes land under a
temp name and are renamed into place on close (an exception inside the
``with`` block leaves the destination untouched); ``put``/``get`` of many
files keep many in flight over several SFTP channels of one connection;
``cp_file`` copies on the server when it offers ``copy-data``.

It registers as ``ferrosftp://`` (the ``fsspec.specs`` entry point), and
leaves ``sftp://``/``ssh://`` to fsspec's own implementation: installing
ferrosftp must not change what existing ``sftp://`` code does (its host key
policy differs). ``use_for_sftp()`` takes those two protocols over, for code
that cannot change its URLs.
"""

from __future__ import annotations

import datetime
import errno
import io
import os
import posixpath
import stat
from typing import List, Optional

from . import _pool

try:
    from fsspec.callbacks import DEFAULT_CALLBACK
    from fsspec.registry import register_implementation
    from fsspec.spec import AbstractBufferedFile, AbstractFileSystem
    from fsspec.utils import infer_storage_options
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("ferrosftp.fsspec needs fsspec: pip install fsspec") from e

__all__ = ["SFTPFileSystem", "close_connections", "use_for_sftp"]

_TEMP_SUFFIX = ".ferrosftp-part"


def use_for_sftp() -> None:
    """Make ``sftp://`` and ``ssh://`` URLs use this filesystem in this process."""
    for name in ("sftp", "ssh"):
        register_implementation(name, SFTPFileSystem, clobber=True)


def close_connections() -> None:
    """Close every pooled connection of this process (a filesystem used
    afterwards connects anew): e.g. before the program's last step, or to drop
    connections whose credentials changed."""
    _pool.POOL.close_all()


class SFTPFileSystem(AbstractFileSystem):
    """Files over SFTP with ferrosftp's engine.

    ``host`` may be an alias from ~/.ssh/config (or ``ssh_config=FILE``;
    ``ssh_config="none"`` reads no file). ``port``, ``username``,
    ``password``, ``key_filename`` (a path or a list), ``known_hosts`` (a
    path or a list; default ~/.ssh/known_hosts), ``accept_new_host_key``
    (record the key of a host not yet known; a changed key is always
    refused), ``timeout`` (seconds for connecting and for each network wait),
    ``workers`` (SFTP channels for many-file transfers and for ``cat_ranges``
    across files).

    Filesystems of one process whose settings make connections
    interchangeable share one SSH connection (``ferrosftp._pool``); a
    connection found dead is replaced on the next call."""

    protocol = ("ferrosftp",)
    root_marker = "/"

    def __init__(
        self,
        host,
        port=None,
        username=None,
        password=None,
        key_filename=None,
        known_hosts=None,
        accept_new_host_key=False,
        ssh_config=None,
        timeout=30.0,
        workers=4,
        **kwargs,
    ):
        super().__init__(**kwargs)
        from .sessions import Connector

        connector = Connector.for_host(
            host,
            port=int(port) if port else None,
            user=username,
            ssh_config=ssh_config,
            identity=key_filename or (),
            password=password,
            known_hosts=known_hosts,
            accept_new_host_key=accept_new_host_key,
            timeout=timeout,
        )
        self.host = host
        self.workers = int(workers)
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        self._connector = connector
        self._pool_key = _pool.key_of(connector, timeout)
        self._timeout = timeout
        self._conn = None
        self._connection()  # connect now: a bad host key or password fails here, as fsspec's sftp

    # -- the connection (shared through ferrosftp._pool) -----------------------

    def _connection(self) -> "_pool.Connection":
        """This process's live pooled connection for these settings. One found
        dead is replaced here: the call that met the dead connection raised
        (as fsspec's sftp: nothing is retried behind the caller's back, a
        write may have half happened), the next call connects anew."""
        conn = self._conn
        if conn is None or not conn.alive():
            conn = self._conn = _pool.POOL.get(self._pool_key, self._connector, self._timeout)
        return conn

    @property
    def client(self):
        """The SSHClient of the pooled connection (shared with every
        filesystem of the same settings in this process)."""
        return self._connection().client

    @property
    def ftp(self):
        """The connection's shared SFTP channel, for one-off calls."""
        return self._connection().sftp

    # -- paths -------------------------------------------------------------

    @classmethod
    def _strip_protocol(cls, path):
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        path = infer_storage_options(path)["path"] if "://" in path else path
        return path.rstrip("/") or "/"

    @staticmethod
    def _get_kwargs_from_urls(urlpath):
        out = infer_storage_options(urlpath)
        out.pop("path", None)
        out.pop("protocol", None)
        if "username" in out and out["username"] is None:
            out.pop("username")
        return out

    # -- metadata ------------------------------------------------------------

    def _details(self, path, attrs) -> dict:
        mode = attrs.st_mode or 0
        kind = "directory" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"
        out = {
            "name": path,
            "size": attrs.st_size or 0,
            "type": kind,
            "mode": mode,
            "uid": attrs.st_uid,
            "gid": attrs.st_gid,
            "islink": False,
            "mtime": attrs.st_mtime,
            "atime": attrs.st_atime,
        }
        if stat.S_ISLNK(mode):
            out["islink"] = True
            try:  # a link is what it points to, as for a local filesystem
                target = self.ftp.stat(path)
                out.update(
                    size=target.st_size or 0,
                    mode=target.st_mode,
                    type="directory" if stat.S_ISDIR(target.st_mode or 0) else "file",
                )
            except OSError:
                out["type"] = "other"
        return out

    def ls(self, path, detail=True, **kwargs):
        path = self._strip_protocol(path)
        try:
            entries = self.ftp.listdir_attr(path)
        except OSError as e:
            if e.errno in (errno.ENOTDIR, None) or isinstance(e, NotADirectoryError):
                info = self.info(path)
                if info["type"] != "directory":
                    return [info] if detail else [path]
            raise
        out = [self._details(posixpath.join(path, a.filename), a) for a in entries]
        if self._listed is not None:
            self._listed.update((o["name"], o["type"]) for o in out)
        return out if detail else [o["name"] for o in out]

    def info(self, path, **kwargs):
        path = self._strip_protocol(path)
        return self._details(path, self.ftp.lstat(path))

    def modified(self, path):
        return datetime.datetime.fromtimestamp(self.info(path)["mtime"], tz=datetime.timezone.utc)

    def created(self, path):
        return self.modified(path)  # SFTP v3 has no creation time

    # -- directories and files ------------------------------------------------

    def mkdir(self, path, create_parents=True, **kwargs):
        path = self._strip_protocol(path)
        if create_parents:
            self.makedirs(path, exist_ok=False)
        else:
            self.ftp.mkdir(path)

    def makedirs(self, path, exist_ok=False):
        path = self._strip_protocol(path)
        if self.exists(path):
            if exist_ok and self.isdir(path):
                return
            raise FileExistsError(errno.EEXIST, "File exists", path)
        missing = []
        p = path
        while p not in ("", "/") and not self.exists(p):
            missing.append(p)
            p = posixpath.dirname(p)
        for d in reversed(missing):
            try:
                self.ftp.mkdir(d)
            except OSError:
                if not self.isdir(d):  # made by someone else meanwhile is fine
                    raise

    def rmdir(self, path):
        self.ftp.rmdir(self._strip_protocol(path))

    def rm_file(self, path):
        """A file, or an empty directory (fsspec's recursive rm removes a
        tree with it, deepest first)."""
        path = self._strip_protocol(path)
        if self.isdir(path) and not self.info(path)["islink"]:
            self.ftp.rmdir(path)
        else:
            self.ftp.remove(path)

    _rm = rm_file

    def mv(self, path1, path2, recursive=False, maxdepth=None, **kwargs):
        """One path: a rename on the server (posix-rename, replacing the
        target); several (a list or a glob): fsspec's copy then delete."""
        if isinstance(path1, str) and isinstance(path2, str) and not any(c in path1 for c in "*?["):
            self.ftp.posix_rename(self._strip_protocol(path1), self._strip_protocol(path2))
            self.invalidate_cache()
            return
        super().mv(path1, path2, recursive=recursive, maxdepth=maxdepth, **kwargs)

    def cp_file(self, path1, path2, **kwargs):
        """Copied on the server when it offers copy-data, else streamed."""
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        if self.isdir(path1):
            self.makedirs(path2, exist_ok=True)
            return
        self.makedirs(posixpath.dirname(path2) or "/", exist_ok=True)
        self.ftp.copy(path1, path2)

    # -- contents --------------------------------------------------------------

    def cat_file(self, path, start=None, end=None, **kwargs):
        path = self._strip_protocol(path)
        with self.ftp.open(path, "rb") as f:
            size = None
            if (start is not None and start < 0) or (end is not None and end < 0):
                size = f.stat().st_size
            start = 0 if start is None else (max(size + start, 0) if start < 0 else start)
            if end is not None and end < 0:
                end = max(size + end, 0)
            f.seek(start)
            return f.read() if end is None else f.read(max(end - start, 0))

    def cat_ranges(self, paths, starts, ends, max_gap=None, on_error="return", **kwargs):
        """The bytes of each (path, start, end), in the caller's order. The
        ranges of one file are requested at once and merged where they touch
        (one readv); different files are read at the same time over up to
        ``workers`` SFTP channels. ``on_error`` as fsspec's: "return" puts
        the exception in the failed range's place, anything else raises the
        first one (in the caller's order). ``max_gap`` is accepted and
        unused: touching ranges are merged, gaps are never read."""
        if not isinstance(paths, list):
            raise TypeError("paths must be a list")
        starts = starts if isinstance(starts, list) else [starts] * len(paths)
        ends = ends if isinstance(ends, list) else [ends] * len(paths)
        if not (len(paths) == len(starts) == len(ends)):
            raise ValueError("paths, starts and ends must have the same length")
        by_path: dict = {}
        for i, p in enumerate(paths):
            by_path.setdefault(self._strip_protocol(p), []).append(i)

        def read(sftp, job):
            path, indexes = job
            with sftp.open(path, "rb") as f:
                size = None
                ranges = []
                for i in indexes:
                    s, e = starts[i], ends[i]
                    if (s is not None and s < 0) or e is None or e < 0:
                        size = size if size is not None else f.stat().st_size
                    s = 0 if s is None else (max(size + s, 0) if s < 0 else s)
                    e = size if e is None else (max(size + e, 0) if e < 0 else e)
                    ranges.append((s, max(e - s, 0)))
                return list(f.readv(ranges))

        jobs = list(by_path.items())
        conn = self._connection()
        if len(jobs) <= 1:  # one file: its readv is all the concurrency there is
            got = []
            for job in jobs:
                try:
                    got.append(read(conn.sftp, job))
                except Exception as e:  # noqa: BLE001 - fsspec's on_error contract
                    got.append(e)
        else:
            got = conn.map(read, jobs, self.workers)
        out: List = [None] * len(paths)
        for (_, indexes), result in zip(jobs, got):
            for n, i in enumerate(indexes):
                out[i] = result if isinstance(result, BaseException) else result[n]
        if on_error != "return":
            for r in out:
                if isinstance(r, BaseException):
                    raise r
        return out

    def pipe_file(self, path, value, mode="overwrite", **kwargs):
        path = self._strip_protocol(path)
        if mode == "create" and self.exists(path):
            raise FileExistsError(errno.EEXIST, "File exists", path)
        with self.open(path, "wb") as f:
            f.write(value)

    def _open(self, path, mode="rb", block_size=None, autocommit=True, cache_options=None, **kwargs):
        path = self._strip_protocol(path)
        if "r" in mode:
            return _ReadFile(self, path, mode, block_size=block_size, cache_options=cache_options, **kwargs)
        if "a" in mode:
            return self.ftp.open(path, mode)  # appends in place: no temp name
        return _WriteFile(
            self, path, mode, block_size=block_size, autocommit=autocommit, cache_options=cache_options, **kwargs
        )

    # -- transfers ----------------------------------------------------------------

    def put_file(self, lpath, rpath, callback=DEFAULT_CALLBACK, mode="overwrite", **kwargs):
        if self._collecting is not None:  # inside put(): moved together afterwards
            self._collecting.append((os.fspath(lpath), self._strip_protocol(rpath)))
            return
        rpath = self._strip_protocol(rpath)
        if os.path.isdir(lpath):
            self.makedirs(rpath, exist_ok=True)
            return
        if mode == "create" and self.exists(rpath):
            raise FileExistsError(errno.EEXIST, "File exists", rpath)
        self.makedirs(posixpath.dirname(rpath) or "/", exist_ok=True)
        callback.set_size(os.path.getsize(lpath))
        self.ftp.put(os.fspath(lpath), rpath, callback=_relative(callback), atomic=True)

    def get_file(self, rpath, lpath, callback=DEFAULT_CALLBACK, outfile=None, **kwargs):
        if self._collecting is not None and outfile is None:
            self._collecting.append((self._strip_protocol(rpath), os.fspath(lpath)))
            return
        rpath = self._strip_protocol(rpath)
        if self.isdir(rpath):
            os.makedirs(lpath, exist_ok=True)
            return
        if outfile is not None:
            self.ftp.getfo(rpath, outfile, callback=_relative(callback))
            return
        os.makedirs(os.path.dirname(os.path.abspath(lpath)), exist_ok=True)
        callback.set_size(self.info(rpath)["size"])
        self.ftp.get(rpath, os.fspath(lpath), callback=_relative(callback))

    _collecting: Optional[list] = None
    _listed: Optional[dict] = None

    def put(self, lpath, rpath, recursive=False, callback=DEFAULT_CALLBACK, maxdepth=None, **kwargs):
        """fsspec's put (its path rules), the files moved together: many in
        flight over up to ``workers`` channels of the connection."""
        pairs, _ = self._collect(super().put, lpath, rpath, recursive=recursive, maxdepth=maxdepth, **kwargs)
        dirs = [(lp, rp) for lp, rp in pairs if os.path.isdir(lp)]
        files = [(lp, rp) for lp, rp in pairs if not os.path.isdir(lp)]
        for _, rp in dirs:
            self.makedirs(rp, exist_ok=True)
        for parent in sorted({posixpath.dirname(rp) or "/" for _, rp in files}):
            self.makedirs(parent, exist_ok=True)
        from . import batch

        batch.first_error(
            self._batch(files, lambda sftp, share, report: sftp._put_each(share, report, atomic=True), callback)
        )

    def get(self, rpath, lpath, recursive=False, callback=DEFAULT_CALLBACK, maxdepth=None, **kwargs):
        """fsspec's get (its path rules), the files moved together."""
        from . import batch

        pairs, listed = self._collect(super().get, rpath, lpath, recursive=recursive, maxdepth=maxdepth, **kwargs)
        files = []
        for rp, lp in pairs:
            # types from the listings fsspec made; a path of unknown type (lists
            # of paths) is tried as a file, no stat per file
            if listed.get(rp) == "directory":
                os.makedirs(lp, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(os.path.abspath(lp)), exist_ok=True)
                files.append((rp, lp))
        results = self._batch(files, lambda sftp, share, report: sftp._get_each(share, report), callback)
        for i, ((rp, lp), r) in enumerate(zip(files, results)):
            if isinstance(r, OSError) and rp not in listed and self.isdir(rp):
                os.makedirs(lp, exist_ok=True)  # a directory among the paths: made, as fsspec's get_file
                results[i] = True
                callback.relative_update(1)
        batch.first_error(results)

    def _collect(self, method, *args, **kwargs):
        """The (source, destination) pairs fsspec's put/get would move, and
        {path: type} of every path ``ls`` listed meanwhile."""
        self._collecting = []
        self._listed = {}
        try:
            method(*args, **kwargs)
            return self._collecting, self._listed
        finally:
            self._collecting = None
            self._listed = None

    def _batch(self, pairs, move, callback) -> list:
        """Each pair's result (``batch.spread``'s) of moving them all together."""
        from . import batch

        callback.set_size(len(pairs))

        def progress(i, done, total, finished):
            if finished:
                callback.relative_update(1)

        conn = self._connection()
        results = batch.spread(conn.sftp, pairs, self.workers, move, progress, channels=conn)
        self.invalidate_cache()
        return results

    # pickling: fsspec's __reduce__ re-creates the instance from its arguments,
    # so a copy in another process takes that process's pooled connection


def _relative(callback):
    """ferrosftp's (done, total) progress as fsspec's callback."""
    seen = [0]

    def report(done, total):
        callback.relative_update(done - seen[0])
        seen[0] = done

    return report


class _ReadFile(AbstractBufferedFile):
    """Random access on one open handle.

    By default (no ``cache_type`` given) a read is fetched exactly as asked
    when it is large (``block_size`` or more: one pipelined request set
    already) or when it jumps (pyarrow reading column chunks: read-ahead past
    a chunk is bytes nobody asked for, five times the data of a 2-of-20
    column read with fsspec's "readahead"); a small read that follows the
    previous one (a CSV parser, readline) fetches ``block_size`` ahead.
    With a ``cache_type``, fsspec's cache of that name does it instead."""

    def __init__(self, fs, path, mode, **kwargs):
        cache_type = kwargs.pop("cache_type", None)
        self._adaptive = cache_type is None
        self._ahead, self._ahead_at, self._next = b"", 0, 0
        self._handle = fs.ftp.open(path, "rb")
        try:
            super().__init__(
                fs,
                path,
                mode,
                size=self._handle.stat().st_size,
                cache_type="none" if self._adaptive else cache_type,
                **kwargs,
            )
        except BaseException:
            self._handle.close()
            raise

    def _read_at(self, start, end) -> bytes:
        self._handle.seek(start)
        return self._handle.read(max(end - start, 0))

    def _fetch_range(self, start, end):
        end = min(end, self.size)
        if not self._adaptive or start >= end:
            return self._read_at(start, end)
        at, ahead = self._ahead_at, self._ahead
        if at <= start < at + len(ahead):  # (the start of) it was read ahead
            head = ahead[start - at : end - at]
            start_rest = start + len(head)
        else:
            head, start_rest = b"", start
        sequential = bool(head) or start == self._next
        self._next = end
        if start_rest >= end:
            return head
        if not sequential or end - start_rest >= self.blocksize:
            return head + self._read_at(start_rest, end)
        data = self._read_at(start_rest, min(self.size, start_rest + self.blocksize))
        self._ahead, self._ahead_at = data, start_rest
        return head + data[: end - start_rest]

    def close(self):
        super().close()
        try:
            self._handle.close()
        except Exception:  # noqa: BLE001 - a read handle loses nothing; the server frees
            pass  # it with the channel (readers such as pyarrow close at exit, in __del__)


class _WriteFile(AbstractBufferedFile):
    """Written under a hidden temp name beside the destination, renamed into
    place on close; an exception inside ``with`` removes the temp file."""

    def __init__(self, fs, path, mode, **kwargs):
        if "x" in mode and fs.exists(path):
            raise FileExistsError(errno.EEXIST, "File exists", path)
        super().__init__(fs, path, mode.replace("x", "w"), **kwargs)
        head, tail = posixpath.split(path)
        self.temp = posixpath.join(head, "." + tail + _TEMP_SUFFIX)
        self._handle = None

    def _initiate_upload(self):
        try:
            self._handle = self.fs.ftp.open(self.temp, "wb")
        except FileNotFoundError:  # parents are made, as fsspec's local auto_mkdir
            self.fs.makedirs(posixpath.dirname(self.path) or "/", exist_ok=True)
            self._handle = self.fs.ftp.open(self.temp, "wb")
        self._handle.set_pipelined(True)

    def _upload_chunk(self, final=False):
        if self._handle is None:
            self._initiate_upload()
        self._handle.write(self.buffer.getvalue())
        if final:
            self._handle.close()  # every write confirmed, or the error now
            if self.autocommit:
                self.commit()
        return True

    def commit(self):
        self.fs.ftp.posix_rename(self.temp, self.path)
        self.fs.invalidate_cache(self.path)

    def discard(self):
        if self._handle is not None:
            try:
                self._handle.close()
            except OSError:
                pass
        try:
            self.fs.ftp.remove(self.temp)
        except OSError:
            pass

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
            return
        # the destination stays as it was
        self.closed = True
        self.buffer = io.BytesIO()
        self.discard()
