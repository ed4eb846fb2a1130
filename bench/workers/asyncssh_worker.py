"""Benchmark worker for asyncssh (default settings, sequential awaits)."""

from __future__ import annotations

import asyncio
import os

import asyncssh

from _common import main


async def connect(job):
    conn = await asyncssh.connect(
        job["host"],
        port=job["port"],
        username=job["username"],
        client_keys=[job["key"]],
        known_hosts=job["known_hosts"],
        agent_path=None,
        config=(),
        preferred_auth="publickey",
    )
    sftp = await conn.start_sftp_client()
    return conn, sftp


async def close(conn, sftp):
    sftp.exit()
    await sftp.wait_closed()
    conn.close()
    await conn.wait_closed()


async def arun(job, ph):
    p = job["params"]
    case = job["case"]
    if case == "connect":
        n = p["count"]
        with ph("connect"):
            for _ in range(n):
                conn, sftp = await connect(job)
                await sftp.realpath(".")
                await close(conn, sftp)
        return {"ops": n}

    conn, sftp = await connect(job)
    try:
        if case == "info":
            return {
                "info": {
                    "cipher_cs": conn.get_extra_info("send_cipher"),
                    "cipher_sc": conn.get_extra_info("recv_cipher"),
                    "version": asyncssh.__version__,
                }
            }
        if case == "download":
            with ph("get"):
                await sftp.get(p["remote"], p["local"])
        elif case == "upload":
            with ph("put"):
                await sftp.put(p["local"], p["remote"])
        elif case == "small_files":
            names = p["names"]
            with ph("put"):
                for n in names:
                    await sftp.put(os.path.join(p["local_src"], n), p["remote_dir"] + "/" + n)
            with ph("get"):
                for n in names:
                    await sftp.get(p["remote_dir"] + "/" + n, os.path.join(p["local_dst"], n))
        elif case == "put_r":
            with ph("put_r"):  # into an existing dir: lands in remote_parent/<basename>
                await sftp.put(p["local_tree"], p["remote_parent"], recurse=True)
        elif case == "get_r":
            with ph("get_r"):
                await sftp.get(p["remote_tree"], p["local_parent"], recurse=True)
        elif case == "listdir_attr":
            with ph("listdir_attr"):
                names = await sftp.readdir(p["remote_dir"])
            names = [n for n in names if n.filename not in (".", "..")]
            return {"count": len(names), "size_sum": sum(n.attrs.size or 0 for n in names)}
        elif case == "stat":
            total = 0
            with ph("stat"):
                for n in p["names"]:
                    total += (await sftp.stat(p["remote_dir"] + "/" + n)).size
            return {"count": len(p["names"]), "size_sum": total}
        else:
            raise ValueError("unknown case %r" % case)
    finally:
        await close(conn, sftp)
    return {}


def run(job, ph):
    return asyncio.run(arun(job, ph))


if __name__ == "__main__":
    raise SystemExit(main(run))
