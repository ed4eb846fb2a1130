"""Benchmark worker for the fsspec filesystems (bench/fsspec_bench.py): one
job on stdin, ``impl`` one of

  ferrosftp    ferrosftp.fsspec.SFTPFileSystem
  fsspec-sftp  fsspec.implementations.sftp.SFTPFileSystem (real paramiko)
  sshfs        sshfs.SSHFileSystem (asyncssh)

Each job runs in a process of its own, so real paramiko and ferrosftp never
share one. The client code after the connection is the same for all three:
what a data script writes against fsspec. Connecting is not timed; every
tool checks the host key against the same known_hosts file.
"""

from __future__ import annotations

import os
import posixpath

from _common import main

MiB = 1 << 20
READ_CHUNK = 8 * MiB  # fs.open(...).read(READ_CHUNK) until EOF, for every tool


def connect(job):
    impl = job["impl"]
    if impl == "ferrosftp":
        from ferrosftp.fsspec import SFTPFileSystem

        return SFTPFileSystem(
            job["host"],
            port=job["port"],
            username=job["username"],
            key_filename=job["key"],
            known_hosts=job["known_hosts"],
            ssh_config="none",
        )
    if impl == "fsspec-sftp":
        import paramiko
        from fsspec.implementations.sftp import SFTPFileSystem

        class KnownHostsOnly(paramiko.MissingHostKeyPolicy):
            """The same check as the others: the key must be in known_hosts."""

            def __init__(self, path):
                self.known = paramiko.HostKeys(path)

            def missing_host_key(self, client, hostname, key):
                if not self.known.check(hostname, key):
                    raise paramiko.SSHException("host key of %s not in known_hosts" % hostname)

        return SFTPFileSystem(
            job["host"],
            port=job["port"],
            username=job["username"],
            key_filename=job["key"],
            look_for_keys=False,
            allow_agent=False,
            host_key_policy=KnownHostsOnly(job["known_hosts"]),
        )
    if impl == "sshfs":
        from sshfs import SSHFileSystem

        return SSHFileSystem(
            job["host"],
            port=job["port"],
            username=job["username"],
            client_keys=[job["key"]],
            known_hosts=job["known_hosts"],
            agent_path=None,
            config=(),
        )
    raise ValueError("unknown impl %r" % impl)


def versions(impl):
    import fsspec

    out = {"fsspec": fsspec.__version__}
    if impl == "ferrosftp":
        import ferrosftp

        out["ferrosftp"] = ferrosftp.__version__
        out["libssh2"] = ferrosftp._native.LIBSSH2_VERSION
    elif impl == "fsspec-sftp":
        import paramiko

        out["paramiko"] = paramiko.__version__
    else:
        from importlib.metadata import version

        out["sshfs"] = version("sshfs")  # it has no __version__
        out["asyncssh"] = version("asyncssh")
    try:
        import pyarrow

        out["pyarrow"] = pyarrow.__version__
    except ImportError:
        pass
    return out


def run(job, ph):
    p = job["params"]
    case = job["case"]
    fs = connect(job)
    if case == "info":
        return {"info": versions(job["impl"])}
    if case == "seq_read":
        with ph("read"):
            with fs.open(p["remote"], "rb") as f, open(p["local"], "wb") as out:
                while True:
                    chunk = f.read(READ_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
        return {}
    if case == "parquet":
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        with ph("read_table"):
            table = pq.read_table(p["remote"], columns=p["columns"], filesystem=fs)
        return {
            "rows": table.num_rows,
            "columns": table.column_names,
            "sums": [pc.sum(table.column(c)).as_py() for c in p["columns"]],
        }
    if case == "parquet_ranges":
        import fsspec.parquet
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        with ph("open_parquet_file"):
            with fsspec.parquet.open_parquet_file(p["remote"], fs=fs, columns=p["columns"], engine="pyarrow") as f:
                table = pq.read_table(f, columns=p["columns"])
        return {
            "rows": table.num_rows,
            "columns": table.column_names,
            "sums": [pc.sum(table.column(c)).as_py() for c in p["columns"]],
        }
    # Many files: the list form (fs.get(list, list), fs.put(list, list)),
    # which all three take; the recursive form fails in two of them (fsspec's
    # sftp cannot put a directory, sshfs cannot get one: see fsspec_bench.py)
    if case == "get_many":
        os.makedirs(p["local_dir"])
        with ph("get"):
            names = sorted(fs.find(p["remote_dir"]))
            fs.get(names, [os.path.join(p["local_dir"], posixpath.basename(n)) for n in names])
        return {"files": len(names)}
    if case == "put_many":
        names = sorted(os.listdir(p["local_dir"]))
        with ph("put"):
            fs.makedirs(p["remote_dir"], exist_ok=True)
            fs.put([os.path.join(p["local_dir"], n) for n in names], [p["remote_dir"] + "/" + n for n in names])
        return {"files": len(names)}
    raise ValueError("unknown case %r" % case)


if __name__ == "__main__":
    raise SystemExit(main(run))
