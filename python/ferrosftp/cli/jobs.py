"""Files between this machine and one server. A job is (source, destination,
size, remote attributes or None). One file moves alone, with a progress bar
of its own; more move together, many in flight over up to ``--workers`` SFTP
channels of the connection (``ferrosftp.batch``), under one progress line.
Each file that fails gets one line on stderr, and the exit code says what
kind of failure it was."""

from __future__ import annotations

import os
import posixpath
import stat
from typing import Dict, List, Tuple

from .. import _tree, batch
from .errors import EXIT_OTHER, EXIT_TRANSFER, Failures, explain, report


def progress(args):
    from .._progress import Progress

    return Progress(enabled=False if args.quiet else None)


def upload_jobs(local_top: str, remote_top: str) -> Tuple[List[tuple], List[str]]:
    """(jobs, remote directories to make) for copying the local tree
    ``local_top`` to ``remote_top`` (linked directories are not walked)."""
    jobs, dirs = [], [remote_top]
    for rel, kind, st in _tree.walk_local(local_top, links="files", skip_unreadable=True, sort=True):
        remote = posixpath.join(remote_top, *rel.split(os.sep))
        if kind == _tree.DIR:
            dirs.append(remote)
        elif kind == _tree.FILE:
            jobs.append((os.path.join(local_top, rel), remote, st.st_size, None))
    return jobs, dirs


def download_jobs(sftp, remote_top: str, local_top: str) -> Tuple[List[tuple], List[str]]:
    """(jobs, local directories to make) for copying the remote tree
    ``remote_top`` to ``local_top`` (linked directories are not walked)."""
    jobs, dirs = [], [local_top]
    for rel, kind, attrs in _tree.walk_remote(sftp, remote_top, links="files", skip_vanished=True):
        local = os.path.join(local_top, *rel.split("/"))
        if kind == _tree.DIR:
            dirs.append(os.path.normpath(local))
        elif kind == _tree.FILE:
            jobs.append((posixpath.join(remote_top, rel), local, attrs.st_size or 0, attrs))
    return jobs, dirs


def make_remote_dirs(sftp, dirs) -> None:
    """``mkdir -p`` of every remote directory (RemoteDirNotCreated for the first that fails)."""
    for error in _tree.make_remote_dirs(sftp, dirs).values():
        raise error


def download(sftp, jobs, args, label, preserve=False) -> None:
    """Get every job (remote, local, size, attrs); ``preserve``: the remote
    file's times and mode too."""

    def one(s, job, cb):
        s.get(job[0], job[1], callback=cb)
        if preserve:
            keep_attrs(job[1], job[3])

    def many(s, share, report):
        results = s._get_each([(j[0], j[1]) for j in share], report)
        if preserve:
            for k, (job, r) in enumerate(zip(share, results)):
                if not isinstance(r, BaseException):
                    try:
                        keep_attrs(job[1], r)
                    except OSError as e:
                        results[k] = e
        return results

    run_jobs(sftp, jobs, one, many, args, label)


def upload(sftp, jobs, args, label, preserve=False) -> None:
    """Put every job (local, remote, size, _): temp name, posix-rename, size
    check; ``preserve``: the local file's times and mode too."""

    def one(s, job, cb):
        s.put(job[0], job[1], callback=cb, confirm=True, atomic=True)
        if preserve:
            st = os.stat(job[0])
            s.utime(job[1], (st.st_atime, st.st_mtime))
            s.chmod(job[1], stat.S_IMODE(st.st_mode))

    def many(s, share, report):
        return s._put_each(
            [(j[0], j[1]) for j in share], report, confirm=True, atomic=True, times=preserve, mode=preserve
        )

    run_jobs(sftp, jobs, one, many, args, label)


def keep_attrs(local, attrs) -> None:
    """A downloaded file gets the remote file's times and mode (-p)."""
    if attrs.st_mtime is not None:
        os.utime(local, (attrs.st_atime or attrs.st_mtime, attrs.st_mtime))
    if attrs.st_mode is not None:
        os.chmod(local, stat.S_IMODE(attrs.st_mode))


def run_jobs(main_sftp, jobs, do_one, move_many, args, label) -> None:
    """One job: ``do_one(sftp, job, callback)`` (its own window, several
    channels if big). Many: ``move_many(sftp, jobs, report)`` over up to
    ``--workers`` SFTP channels of the connection. Raises
    :class:`~ferrosftp.cli.errors.Failures` once every file had its go."""
    prog = progress(args)
    failures: Dict = {}
    if len(jobs) == 1:
        job = jobs[0]
        bar = prog.file(os.path.basename(job[0].rstrip("/")) or job[0], job[2])
        try:
            do_one(main_sftp, job, bar)
            bar.finish()
        except BaseException as e:  # noqa: BLE001
            if isinstance(e, KeyboardInterrupt):
                raise
            failures[0] = e
    else:
        agg = prog.aggregate(label, sum(j[2] for j in jobs), len(jobs))

        def progress_of(i, done, total, finished):
            if finished:
                agg.file_done(jobs[i][0], jobs[i][2])
            else:
                agg(jobs[i][0], done, total)

        results = batch.spread(main_sftp, jobs, args.workers, move_many, progress_of)
        agg.finish()
        failures = {i: r for i, r in enumerate(results) if isinstance(r, BaseException)}
    if failures:
        codes = set()
        for i in sorted(failures):
            e = failures[i]
            code, msg = explain(e)
            codes.add(code)
            src, dst = jobs[i][0], jobs[i][1]
            if isinstance(e, OSError) and e.strerror and e.filename in (None, src, dst):
                # name both ends: a missing destination directory is not the source's fault
                where = "on the server" if e.filename is None else "local"
                msg = "{} ({})".format(e.strerror, where)
            report("{} -> {}: {}".format(src, dst, msg))
        code = codes.pop() if len(codes) == 1 else EXIT_TRANSFER
        if code == EXIT_OTHER:
            code = EXIT_TRANSFER
        raise Failures(code, "{} of {} file(s) failed".format(len(failures), len(jobs)))
