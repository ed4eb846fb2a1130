"""Benchmark worker for the paramiko API: real paramiko (--impl paramiko) or
ferrosftp used as ``import ferrosftp as paramiko`` (--impl ferrosftp).

The client code is identical for both: what a simple script would write.
Job keys: see bench/harness.py (case, host, port, username, key,
known_hosts, params).
"""

from __future__ import annotations

import os
import posixpath
import stat as statmod

from _common import main

paramiko = None


def _import(impl):
    global paramiko
    if impl == "ferrosftp":
        import ferrosftp as mod
    elif impl == "paramiko":
        import paramiko as mod
    else:
        raise ValueError("unknown impl %r" % impl)
    paramiko = mod
    return mod


def connect(job):
    c = paramiko.SSHClient()
    c.load_host_keys(job["known_hosts"])
    c.set_missing_host_key_policy(paramiko.RejectPolicy())
    c.connect(
        job["host"],
        port=job["port"],
        username=job["username"],
        key_filename=job["key"],
        look_for_keys=False,
        allow_agent=False,
        timeout=30,
    )
    return c, c.open_sftp()


def put_tree(sftp, local_root, remote_root):
    """A simple recursive upload: os.walk + mkdir + put."""
    for d, dirs, files in os.walk(local_root):
        rel = os.path.relpath(d, local_root)
        rdir = remote_root if rel == "." else posixpath.join(remote_root, *rel.split(os.sep))
        sftp.mkdir(rdir)
        for f in files:
            sftp.put(os.path.join(d, f), posixpath.join(rdir, f))


def get_tree(sftp, remote_root, local_root):
    """A simple recursive download: listdir_attr + mkdir + get."""
    os.mkdir(local_root)
    for a in sftp.listdir_attr(remote_root):
        r = posixpath.join(remote_root, a.filename)
        loc = os.path.join(local_root, a.filename)
        if statmod.S_ISDIR(a.st_mode):
            get_tree(sftp, r, loc)
        else:
            sftp.get(r, loc)


def run(job, ph):
    _import(job["impl"])
    p = job["params"]
    case = job["case"]
    info = {}
    if case == "connect":
        n = p["count"]
        with ph("connect"):
            for _ in range(n):
                c, s = connect(job)
                s.normalize(".")
                s.close()
                c.close()
        return {"ops": n}

    client, sftp = connect(job)
    try:
        if case == "info":
            t = client.get_transport()
            info = {
                "cipher_cs": t.local_cipher,
                "cipher_sc": t.remote_cipher,
                "version": getattr(paramiko, "__version__", "?"),
            }
            try:
                import ferrosftp  # noqa: F401

                if job["impl"] == "ferrosftp":
                    info["libssh2"] = ferrosftp._native.LIBSSH2_VERSION
                    info["module"] = ferrosftp.__file__
            except ImportError:
                pass
            return {"info": info}
        if case == "download":
            with ph("get"):
                sftp.get(p["remote"], p["local"])
        elif case == "upload":
            with ph("put"):
                sftp.put(p["local"], p["remote"])
        elif case == "small_files":
            names = p["names"]
            with ph("put"):
                for n in names:
                    sftp.put(os.path.join(p["local_src"], n), p["remote_dir"] + "/" + n)
            with ph("get"):
                for n in names:
                    sftp.get(p["remote_dir"] + "/" + n, os.path.join(p["local_dst"], n))
        elif case == "put_r":
            with ph("put_r"):
                put_tree(sftp, p["local_tree"], p["remote_parent"] + "/" + p["tree_name"])
        elif case == "get_r":
            with ph("get_r"):
                get_tree(sftp, p["remote_tree"], os.path.join(p["local_parent"], p["tree_name"]))
        elif case == "listdir_attr":
            with ph("listdir_attr"):
                entries = sftp.listdir_attr(p["remote_dir"])
            return {"count": len(entries), "size_sum": sum(a.st_size or 0 for a in entries)}
        elif case == "stat":
            total = 0
            with ph("stat"):
                for n in p["names"]:
                    total += sftp.stat(p["remote_dir"] + "/" + n).st_size
            return {"count": len(p["names"]), "size_sum": total}
        else:
            raise ValueError("unknown case %r" % case)
    finally:
        sftp.close()
        client.close()
    return {}


if __name__ == "__main__":
    raise SystemExit(main(run))
