"""Benchmark worker for the pysftp API: pysftp 0.2.9 (--impl pysftp, run in
bench/.venv-pysftp) or ferrosftp used as ``import ferrosftp as pysftp``
(--impl ferrosftp). Identical client code for both; defaults everywhere
(ferrosftp's put_r/get_r run with their default number of workers).
"""

from __future__ import annotations

import os
import warnings

from _common import main

pysftp = None


def _import(impl):
    global pysftp
    if impl == "ferrosftp":
        import ferrosftp as mod

        if not hasattr(mod, "Connection"):
            raise ImportError("ferrosftp has no Connection (pysftp API) yet")
    elif impl == "pysftp":
        import pysftp as mod
    else:
        raise ValueError("unknown impl %r" % impl)
    pysftp = mod
    return mod


def connect(job):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cnopts = pysftp.CnOpts(knownhosts=job["known_hosts"])
    # pysftp 0.2.9 takes only RSA/DSS key files (or RSAKey/AgentKey objects):
    # the harness gives every tool the same RSA key for that reason.
    return pysftp.Connection(
        job["host"], username=job["username"], private_key=job["key"], port=job["port"], cnopts=cnopts
    )


def run(job, ph):
    _import(job["impl"])
    p = job["params"]
    case = job["case"]
    if case == "connect":
        n = p["count"]
        with ph("connect"):
            for _ in range(n):
                c = connect(job)
                c.pwd  # opens the SFTP channel + one realpath('.')
                c.close()
        return {"ops": n}

    conn = connect(job)
    try:
        if case == "info":
            conn.pwd
            cs, sc = conn.active_ciphers
            info = {"cipher_cs": cs, "cipher_sc": sc, "version": getattr(pysftp, "__version__", "?")}
            if job["impl"] == "pysftp":
                import paramiko

                info["paramiko"] = paramiko.__version__
            else:
                info["module"] = pysftp.__file__
            return {"info": info}
        if case == "download":
            with ph("get"):
                conn.get(p["remote"], p["local"])
        elif case == "upload":
            with ph("put"):
                conn.put(p["local"], p["remote"])
        elif case == "small_files":
            names = p["names"]
            with ph("put"):
                for n in names:
                    conn.put(os.path.join(p["local_src"], n), p["remote_dir"] + "/" + n)
            with ph("get"):
                for n in names:
                    conn.get(p["remote_dir"] + "/" + n, os.path.join(p["local_dst"], n))
        elif case == "put_r":
            target = p["remote_parent"] + "/" + p["tree_name"]
            with ph("put_r"):
                conn.mkdir(target)  # put_r needs an existing target
                conn.put_r(p["local_tree"], target)
        elif case == "get_r":
            with ph("get_r"):
                conn.chdir(p["remote_parent"])
                conn.get_r(p["tree_name"], p["local_parent"])  # -> local_parent/tree_name
        elif case == "listdir_attr":
            with ph("listdir_attr"):
                entries = conn.listdir_attr(p["remote_dir"])
            return {"count": len(entries), "size_sum": sum(a.st_size or 0 for a in entries)}
        elif case == "stat":
            total = 0
            with ph("stat"):
                for n in p["names"]:
                    total += conn.stat(p["remote_dir"] + "/" + n).st_size
            return {"count": len(p["names"]), "size_sum": total}
        else:
            raise ValueError("unknown case %r" % case)
    finally:
        conn.close()
    return {}


if __name__ == "__main__":
    raise SystemExit(main(run))
