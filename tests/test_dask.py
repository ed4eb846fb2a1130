"""Dask moving data over ferrosftp:// across worker processes: a
distributed.LocalCluster with 2 worker processes reads CSV and Parquet
directories with dask.dataframe, and copies a 500-file tree in parallel with
dask.bag through the filesystem object (pickled to each worker, where it
connects anew), sha256-verified. Dask comes from FERROSFTP_PROGRAMS_PATH."""

import hashlib
import os
import sys

import pytest
from client_helpers import programs_path

_PROGRAMS = programs_path()
sys.path.append(_PROGRAMS)  # after the venv: its packages win (pytest, packaging...)

pytestmark = pytest.mark.timeout(240)


def _copy(fs, src_dir, dst_dir, name):
    """Run on a worker: one file through the (unpickled) filesystem."""
    data = fs.cat_file(src_dir + "/" + name)
    fs.pipe_file(dst_dir + "/" + name, data)
    return name, hashlib.sha256(data).hexdigest(), os.getpid()


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    # worker processes start afresh: they find the programs through PYTHONPATH
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_PROGRAMS, old) if p)
    try:
        with LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None) as c:
            with Client(c) as client:
                yield client
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def test_dataframes_and_a_parallel_copy_over_sftp(sshd, remote_dir, cluster, tmp_path):
    import dask.bag as db
    import dask.dataframe as dd
    import fsspec
    import pandas as pd

    so = {"key_filename": sshd.keys["ed25519"], "known_hosts": sshd.known_hosts_path, "ssh_config": "none"}
    base = "ferrosftp://%s@%s:%d%s" % (sshd.username, sshd.host, sshd.port, remote_dir)
    parts = [pd.DataFrame({"a": range(i * 100, i * 100 + 100), "b": [i] * 100, "c": [0.5] * 100}) for i in range(4)]
    for i, part in enumerate(parts):
        part.to_csv(base + "/csv/p%d.csv" % i, index=False, storage_options=so)
        part.to_parquet(base + "/pq/p%d.parquet" % i, storage_options=so)
    whole = pd.concat(parts, ignore_index=True)

    csv = dd.read_csv(base + "/csv/*.csv", storage_options=so).compute()
    assert csv.sort_values("a").reset_index(drop=True).equals(whole)
    pq = dd.read_parquet(base + "/pq/", columns=["a", "b"], storage_options=so).compute()
    assert pq.sort_values("a").reset_index(drop=True).equals(whole[["a", "b"]])

    fs = fsspec.filesystem("ferrosftp", host=sshd.host, port=sshd.port, username=sshd.username, **so)
    src, dst = remote_dir + "/tree", remote_dir + "/copy"
    names = ["f%03d" % i for i in range(500)]
    for n in names:
        (tmp_path / n).write_bytes(("content of %s\n" % n).encode() * 40)
    fs.put([str(tmp_path / n) for n in names], [src + "/" + n for n in names])
    out = db.from_sequence(names, npartitions=10).map(lambda n, fs=fs: _copy(fs, src, dst, n)).compute()
    assert sorted(n for n, _, _ in out) == names
    assert os.getpid() not in {pid for _, _, pid in out}  # done in the workers, over pickled fs
    for name, digest, _ in out:
        with open(os.path.join(dst, name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest
        with open(os.path.join(src, name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest
