"""Differential test: ferrosftp against real paramiko, operation by operation.

Hypothesis draws sequences of SFTP operations (files opened in every mode,
reads, writes, seeks, truncation, listings, renames, links, chdir, get/put and
getfo/putfo), with bad inputs mixed in (missing paths, files used as
directories, wrong types, negative and huge sizes, non-UTF-8 and over-long
names). Each sequence runs through ferrosftp here and through paramiko 5.1 in
an oracle process (tests/sftp_ops.py), on the same sshd in two scratch
directories. Return values, exception classes and errno, and the resulting
remote tree must agree, except for ferrosftp's deliberate differences
(KNOWN_DIFFERENCES, each listed in docs/compatibility.md).

CI runs a fixed seed (derandomize) and FERROSFTP_DIFF_EXAMPLES examples
(default 60); set it higher to search longer, and FERROSFTP_DIFF_RANDOM=1 for
a new random search each run. The oracle's paramiko comes from
FERROSFTP_ORACLE_PATH (a ``pip install --target`` directory that .ci/run
makes), never from the test environment itself.
"""

import json
import os
import secrets
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client_helpers import connect_client
from sftp_ops import Runner, snapshot
from ferrosftp.testing import rmtree

EXAMPLES = int(os.environ.get("FERROSFTP_DIFF_EXAMPLES", "60"))
HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- strategies
# {"bytes": hex}: a name passed as bytes (non-UTF-8 names; paramiko refuses
# them as str, where ferrosftp also takes str with surrogate escapes)
NAMES = [
    "a",
    "b",
    "d",
    "d/x",
    "d/y",
    "l",
    "missing",
    "missing/deep",
    "a/sub",
    {"bytes": "636166e9"},
    {"bytes": "642f" + "ff" * 3},
    "L" * 255,
    "L" * 300,
]
name = st.sampled_from(NAMES)
bad_path = st.sampled_from([5, None, 3.5])
path = st.one_of(name, name, name, name, name, name, bad_path)
data = st.binary(max_size=3000).map(bytes.hex)
# read counts are limits (1 << 40 must just read the file); sizes that make
# files stay small (a 1 TiB sparse file read whole would fill the memory)
size = st.sampled_from([-1, 0, 1, 5, 100, 4096, 1 << 20, 1 << 40])
file_size = st.sampled_from([-1, 0, 1, 5, 100, 4096, 1 << 20, 1 << 64])
mode = st.sampled_from(["r", "w", "a", "r+", "w+", "a+", "x", "rb", "wb", "z"])
perm = st.sampled_from([0o755, 0o700, 0o644, 0o600, 0o000, 0o4755])

OPS = st.one_of(
    st.tuples(st.just("stat"), path),
    st.tuples(st.just("lstat"), path),
    st.tuples(st.just("listdir"), path),
    st.tuples(st.just("listdir_attr"), path),
    st.tuples(st.just("mkdir"), path, perm),
    st.tuples(st.just("rmdir"), path),
    st.tuples(st.just("remove"), path),
    st.tuples(st.just("rename"), path, path),
    st.tuples(st.just("posix_rename"), path, path),
    st.tuples(st.just("chmod"), path, perm),
    st.tuples(st.just("utime"), path, st.sampled_from([None, 1000000000, 2000000000])),
    st.tuples(st.just("truncate"), path, file_size),
    st.tuples(st.just("symlink"), st.sampled_from(["a", "missing", "d"]), path),
    st.tuples(st.just("readlink"), path),
    st.tuples(st.just("normalize"), path),
    st.tuples(st.just("cwd"), path),
    st.tuples(st.just("write"), path, mode, data),
    st.tuples(st.just("write"), name, st.just("w"), data),
    st.tuples(st.just("read"), path, mode, size),
    st.tuples(st.just("seek_read"), name, st.sampled_from([-5, 0, 3, 100, 5000]), st.sampled_from([0, 1, 2, 7]), size),
    st.tuples(st.just("append_tell"), name, data),
    st.tuples(
        st.just("readv"),
        name,
        st.lists(st.tuples(st.sampled_from([0, 10, 2000, 10**6]), st.sampled_from([0, 1, 100, 4096])), max_size=4),
    ),
    st.tuples(st.just("put"), data, path),
    st.tuples(st.just("get"), path),
    st.tuples(st.just("putfo"), data, path),
    st.tuples(st.just("getfo"), path),
).map(list)

# Every sequence starts from the same small tree, so most steps meet files
# that exist: a (1000 bytes), b (empty), d/ with d/x, and the link l -> a.
SETUP = [
    ["write", "a", "w", bytes(range(250)).hex() * 4],
    ["write", "b", "w", ""],
    ["mkdir", "d", 0o755],
    ["write", "d/x", "w", "78" * 100],
    ["symlink", "a", "l"],
]
SEQUENCES = st.lists(OPS, min_size=1, max_size=12).map(lambda ops: SETUP + ops)


# ----------------------------------------------------- deliberate differences
def _known_difference(op, ours, theirs):
    """True where ferrosftp differs from paramiko on purpose (see
    docs/compatibility.md), so the pair is not a defect."""
    # get() of something it cannot read: paramiko leaves an empty local file
    # behind and may then fail differently; ferrosftp never leaves one. Both fail.
    if op[0] == "get" and ours[0] == "err" and theirs[0] == "err":
        return True
    # A seek before the start of the file: ferrosftp raises OSError(EINVAL)
    # and keeps the position, as Python's files do; paramiko moves to the
    # negative position and fails (struct.error) only at the next read.
    if op[0] == "seek_read" and op[3] in (0, 1) and op[2] < 0 and ours == ["err", "OSError", 22]:
        return True
    # A name that is not UTF-8 in a server reply (listdir, normalize,
    # readlink...): paramiko raises UnicodeDecodeError, ferrosftp hands it back
    # with surrogate escapes (os.fsdecode's convention), so it round-trips.
    if theirs[:2] == ["err", "UnicodeError"]:
        return True
    # A size or offset that does not fit SFTP's unsigned 64-bit fields
    # (negative, or past 2**64): paramiko fails inside struct.pack
    # (struct.error), ferrosftp says OverflowError/ValueError, or
    # OSError(EINVAL) for a seek before the start as Python files do, before
    # sending anything.
    if (
        theirs[:2] == ["err", "error"]
        and ours[0] == "err"
        and (ours[1] in ("OverflowError", "ValueError") or ours[1:] == ["OSError", 22])
    ):
        return True
    return False


# --------------------------------------------------------------------- oracle
class Oracle:
    def __init__(self):
        where = os.environ.get("FERROSFTP_ORACLE_PATH")
        if not where or not os.path.isdir(os.path.join(where, "paramiko")):
            pytest.fail(
                "the differential test needs real paramiko in FERROSFTP_ORACLE_PATH "
                "(.ci/run: pip install --target .ci-oracle paramiko==5.1.0)"
            )
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([where, HERE]))
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "sftp_ops.py")],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, request):
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the paramiko oracle died")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(30)


@pytest.fixture(scope="module")
def oracle():
    o = Oracle()
    try:
        yield o
    finally:
        o.close()


@pytest.fixture(scope="module")
def ours(sshd):
    c = connect_client(sshd, timeout=30)
    s = c.open_sftp()
    try:
        yield s
    finally:
        s.close()
        c.close()


def _fresh_dir(sshd, tag):
    path = sshd.make_remote_dir("diff-%s-%s" % (tag, secrets.token_hex(4)))
    os.chmod(path, 0o777)
    return path


# What the run exercised: (operation, "ok" or the error class) -> steps.
COVERAGE = {}


@pytest.mark.timeout(1200)
@settings(
    max_examples=EXAMPLES,
    derandomize=not os.environ.get("FERROSFTP_DIFF_RANDOM"),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(ops=SEQUENCES)
def test_ferrosftp_behaves_like_paramiko(sshd, oracle, ours, tmp_path_factory, ops):
    roots = {"ours": _fresh_dir(sshd, "ours"), "theirs": _fresh_dir(sshd, "theirs")}
    local = {k: str(tmp_path_factory.mktemp(k)) for k in roots}
    try:
        runner = Runner(ours, roots["ours"], local["ours"])
        mine = [runner.run(op) for op in json.loads(json.dumps(ops))]
        answer = oracle.run(
            {
                "host": sshd.host,
                "port": sshd.port,
                "user": sshd.username,
                "key": sshd.keys["ed25519"],
                "root": roots["theirs"],
                "local": local["theirs"],
                "ops": ops,
            }
        )
        theirs = answer["results"]
        for op, a in zip(ops, mine):
            key = (op[0], a[0] if a[0] == "ok" else a[1])
            COVERAGE[key] = COVERAGE.get(key, 0) + 1
        for i, (op, a, b) in enumerate(zip(ops, mine, theirs)):
            if b == ["hang"]:
                # paramiko waits forever here (its bug, e.g. readv past EOF):
                # ferrosftp must have answered, and nothing after compares.
                COVERAGE[("paramiko hangs", op[0])] = COVERAGE.get(("paramiko hangs", op[0]), 0) + 1
                return
            if a != b and not _known_difference(op, a, b):
                raise AssertionError(
                    "step %d %r: ferrosftp %r, paramiko %s %r\nsequence: %r" % (i, op, a, answer["version"], b, ops)
                )
        assert snapshot(roots["ours"]) == snapshot(roots["theirs"]), ops
    finally:
        for r in roots.values():
            rmtree(r)


def test_the_differential_run_exercised_success_and_failure():
    """The run above compared something: most operations succeeded at least
    once and failed at least once (runs after it in this module)."""
    if not COVERAGE:
        pytest.fail("the differential run did not run first")
    steps = sum(COVERAGE.values())
    ok_ops = {op for op, kind in COVERAGE if kind == "ok"}
    failed_ops = {op for op, kind in COVERAGE if kind != "ok"}
    print("\ndifferential: %d steps; %s" % (steps, sorted(COVERAGE.items())))
    assert steps >= EXAMPLES
    assert len(ok_ops) >= 12 and len(failed_ops) >= 12, COVERAGE
