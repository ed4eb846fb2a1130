"""The commands: get, put, ls, rm, mkdir, exec and sync. Each takes the
parsed arguments and returns the exit code (or raises; ``app.main`` turns
the exception into one line and a code)."""

from __future__ import annotations

import os
import posixpath
import socket
import stat
import sys
import threading

from .. import _tree
from ..host_config import UsageError
from .connect import connector_for, sftp_session
from .errors import EXIT_OK, EXIT_OTHER, about
from .jobs import download, download_jobs, make_remote_dirs, progress, upload, upload_jobs
from .targets import one_server, parse_remote, remotes


def cmd_get(args) -> int:
    paths = list(args.paths)
    last = parse_remote(paths[-1])
    if last is not None:
        srcs, dest = paths, "."
    else:
        if len(paths) < 2:
            raise UsageError("get needs at least one remote source (host:path)")
        srcs, dest = paths[:-1], paths[-1]
    sources = []
    for s in srcs:
        r = parse_remote(s)
        if r is None:
            raise UsageError("not a remote path: {!r} (expected [user@]host:path)".format(s))
        sources.append(r)
    with sftp_session(args, one_server(sources)) as sftp:
        jobs = []
        dest_is_dir = os.path.isdir(dest)
        if len(sources) > 1 and not dest_is_dir:
            raise UsageError("target {!r} is not a directory".format(dest))
        for r in sources:
            with about(r.spec()):
                a = sftp.stat(r.path)
            if stat.S_ISDIR(a.st_mode or 0):
                if not args.recursive:
                    raise IsADirectoryError("{} is a directory (use -r)".format(r.spec()))
                base = posixpath.basename(posixpath.normpath(r.path)) or "."
                tree_jobs, dirs = download_jobs(sftp, r.path, os.path.join(dest, base) if dest_is_dir else dest)
                for d in dirs:
                    os.makedirs(d, exist_ok=True)
                jobs += tree_jobs
            else:
                local = os.path.join(dest, posixpath.basename(r.path)) if dest_is_dir else dest
                parent = os.path.dirname(os.path.abspath(local))
                if not os.path.isdir(parent):
                    raise FileNotFoundError("local directory {} does not exist".format(parent))
                jobs.append((r.path, local, a.st_size or 0, a))
        if jobs:
            download(sftp, jobs, args, "{} files".format(len(jobs)), preserve=args.preserve)
    return EXIT_OK


def cmd_put(args) -> int:
    if len(args.paths) < 2:
        raise UsageError("put needs LOCAL... [user@]host:path")
    dest = parse_remote(args.paths[-1])
    if dest is None:
        raise UsageError("the last argument must be a remote target ([user@]host:path)")
    srcs = args.paths[:-1]
    for s in srcs:
        if parse_remote(s) is not None:
            raise UsageError("put: sources must be local paths: {!r}".format(s))
        if not os.path.exists(s):
            raise FileNotFoundError("local file not found: {}".format(s))
        if os.path.isdir(s) and not args.recursive:
            raise IsADirectoryError("{} is a directory (use -r)".format(s))
    with sftp_session(args, dest) as sftp:
        try:
            dattr = sftp.stat(dest.path)
        except FileNotFoundError:
            dattr = None
        dest_is_dir = dattr is not None and stat.S_ISDIR(dattr.st_mode or 0)
        if len(srcs) > 1 and not dest_is_dir:
            raise NotADirectoryError("{} is not a directory on the server".format(dest.spec()))
        jobs = []
        remote_dirs = []
        for s in srcs:
            if os.path.isdir(s):
                base = os.path.basename(os.path.normpath(os.path.abspath(s)))
                tree_jobs, dirs = upload_jobs(s, posixpath.join(dest.path, base) if dest_is_dir else dest.path)
                jobs += tree_jobs
                remote_dirs += dirs
            else:
                rp = posixpath.join(dest.path, os.path.basename(s)) if dest_is_dir else dest.path
                jobs.append((s, rp, os.path.getsize(s), None))
        make_remote_dirs(sftp, remote_dirs)
        if jobs:
            upload(sftp, jobs, args, "{} files".format(len(jobs)), preserve=args.preserve)
    return EXIT_OK


def cmd_ls(args) -> int:
    targets = remotes(args.paths, "ls")
    out = NameWriter()
    with sftp_session(args, one_server(targets)) as sftp:
        for r in targets:
            with about(r.spec()):
                a = sftp.stat(r.path)
            if len(targets) > 1:
                out.write("{}:\n".format(r.path))
            if not stat.S_ISDIR(a.st_mode or 0):
                a.filename = r.path
                out.write((_long(a) if args.long else r.path) + "\n")
                continue
            with about(r.spec()):
                entries = sorted(sftp.listdir_attr(r.path), key=lambda x: x.filename)
            for e in entries:
                if e.filename.startswith(".") and not args.all:
                    continue
                out.write((_long(e) if args.long else e.filename) + "\n")
        out.flush()
    return EXIT_OK


class NameWriter:
    """stdout for names: written as bytes (os.fsencode), so file names that are
    not valid UTF-8 come out exactly as the server sent them."""

    def write(self, text: str) -> None:
        sys.stdout.buffer.write(os.fsencode(text))

    def flush(self) -> None:
        sys.stdout.buffer.flush()


def _long(a) -> str:
    longname = getattr(a, "longname", None)
    if longname:
        return longname
    return str(a)


def cmd_rm(args) -> int:
    targets = remotes(args.paths, "rm")
    with sftp_session(args, one_server(targets)) as sftp:
        for r in targets:
            try:
                a = sftp.lstat(r.path)
            except FileNotFoundError:
                if args.force:
                    continue
                raise FileNotFoundError("{}: no such file or directory".format(r.spec())) from None
            if stat.S_ISDIR(a.st_mode or 0):
                if not args.recursive:
                    raise IsADirectoryError("{} is a directory (use -r)".format(r.spec()))
                with about(r.spec()):
                    _tree.remove_remote_tree(sftp, r.path)
            else:
                with about(r.spec()):
                    sftp.remove(r.path)
    return EXIT_OK


def cmd_mkdir(args) -> int:
    targets = remotes(args.paths, "mkdir")
    with sftp_session(args, one_server(targets)) as sftp:
        for r in targets:
            if args.parents:
                with about(r.spec()):
                    make_remote_dirs(sftp, [r.path])
                continue
            try:
                sftp.stat(r.path)
            except FileNotFoundError:
                with about(r.spec()):
                    sftp.mkdir(r.path)
            else:
                raise FileExistsError("{} already exists".format(r.spec()))
    return EXIT_OK


def cmd_exec(args) -> int:
    r = parse_remote(args.host, require_path=False)
    if r is None:
        raise UsageError("exec: expected [user@]host, got {!r}".format(args.host))
    if not args.command:
        raise UsageError("exec: no command given")
    command = " ".join(args.command)
    conn = connector_for(args, r)
    client = conn.client()
    stop = threading.Event()
    pump = None
    try:
        chan = client.get_transport().open_session()
        chan.exec_command(command)
        if not args.no_stdin and not _stdin_is_terminal():
            pump = threading.Thread(target=_pump_stdin, args=(chan, stop), daemon=True)
            pump.start()
        else:
            chan.shutdown_write()
        chan.settimeout(0.05)
        outs = {0: sys.stdout.buffer, 1: sys.stderr.buffer}
        open_streams = {0, 1}
        while open_streams:
            for stream in list(open_streams):
                try:
                    data = chan.recv(65536) if stream == 0 else chan.recv_stderr(65536)
                except (socket.timeout, TimeoutError):
                    continue
                if not data:
                    open_streams.discard(stream)
                    continue
                outs[stream].write(data)
                outs[stream].flush()
        stop.set()
        chan.settimeout(None)
        status = chan.recv_exit_status()
        return status if 0 <= status < 256 else EXIT_OTHER
    finally:
        stop.set()
        if pump is not None:
            # Let the pump leave any native call before we close and exit: a daemon
            # thread still inside one when the interpreter shuts down aborts the
            # process. A pump still blocked reading our stdin is in Python: harmless.
            pump.join(timeout=2.0)
        client.close()


def _stdin_is_terminal() -> bool:
    """A terminal's input is not forwarded to a command (ssh -n's default here)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _pump_stdin(chan, stop):
    try:
        src = sys.stdin.buffer
        while not stop.is_set():
            data = src.read1(65536) if hasattr(src, "read1") else src.read(65536)
            if not data:
                break
            chan.sendall(data)
    except Exception:  # noqa: BLE001 - the command may have exited already
        pass
    finally:
        try:
            chan.shutdown_write()
        except Exception:  # noqa: BLE001
            pass


def cmd_sync(args) -> int:
    from ..sync import SyncAgent

    r = parse_remote(args.remote)
    if r is None:
        raise UsageError("sync: the remote root must look like [user@]host:path")
    conn = connector_for(args, r)
    conn.ensure_passphrase()
    agent = SyncAgent(
        hostname=conn.host,
        host_port=conn.port,
        username=conn.user,
        key_path=conn.key_files or None,
        local_root=args.local_root,
        remote_root=r.path,
        password=conn.password,
        known_hosts=conn.known_hosts,
        workers=args.workers,
        passphrase=conn.passphrase,
        accept_new_host_key=conn.accept_new,
        timeout=conn.timeout,
        allow_agent=conn.allow_agent,
        look_for_keys=conn.look_for_keys,
    )
    prog = progress(args)
    out = sys.stdout
    try:
        if args.action == "status":
            out = NameWriter()
            st = agent.status()
            tags = (
                ("local_only", "local-only"),
                ("remote_only", "remote-only"),
                ("changed", "changed"),
                ("stale", "stale"),
                ("conflicts", "conflict"),
            )
            for key, tag in tags:
                for p in st[key]:
                    out.write("{:<12} {}\n".format(tag, p))
            out.write(
                "{} file(s) in sync{}\n".format(
                    len(st.in_sync), "" if st.clean else ", {} differ".format(sum(len(st[k]) for k, _ in tags))
                )
            )
            return EXIT_OK
        if args.action == "push":
            if args.paths:
                for p in args.paths:
                    if os.path.isdir(agent.local_path(p)):
                        agent.add_dir(p)
                    else:
                        agent.add(p)
            else:
                st = agent.status()
                for p in st.local_only + st.changed + st.conflicts:
                    agent.add(p)
            files = list(agent.upload_queue)
            if not files:
                out.write("nothing to push\n")
                return EXIT_OK
            total = sum(os.path.getsize(agent.local_path(p)) for p in files)
            agg = prog.aggregate("push", total, len(files))
            try:
                done = agent.push(force=args.force, callback=agg)
            finally:
                agg.finish()
            out.write("pushed {} file(s)\n".format(len(done)))
            return EXIT_OK
        # pull
        agg = prog.aggregate("pull", None, None)
        done = []
        try:
            if args.paths:
                for p in args.paths:
                    done += agent.pull(p, force=args.force, callback=agg)
            else:
                done = agent.pull_dir(".", force=args.force, callback=agg)
        finally:
            agg.finish()
        out.write("pulled {} file(s)\n".format(len(done)))
        return EXIT_OK
    finally:
        agent.disconnect()
