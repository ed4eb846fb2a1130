"""get/put/getfo/putfo against the real sshd (issue #3): byte-identical data
at chunk and window edges, paramiko's progress-callback contract (api.md 0.3),
confirm/atomic, and "nothing silently lost": a failed download leaves an
existing local file untouched and no temp file behind; a failed upload never
reports success."""

import io
import os
import pathlib
import secrets
import stat
import threading
import time

import pytest

import ferrosftp as paramiko
from ferrosftp import SFTPAttributes, SSHException

MiB = 1024 * 1024
EDGE_SIZES = [0, 1, 32768, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 8 * MiB - 1, 8 * MiB, 8 * MiB + 1]


def _mk(path, data=b"", mode=0o644):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    if os.geteuid() == 0:
        st = os.stat(os.path.dirname(path))
        os.chown(path, st.st_uid, st.st_gid)
    return path


def _local(path):
    with open(path, "rb") as f:
        return f.read()


def _temps(directory):
    return [n for n in os.listdir(directory) if n.endswith(".ferrosftp-part") or n.endswith(".part")]


class Progress:
    def __init__(self):
        self.calls = []

    def __call__(self, done, total):
        self.calls.append((done, total))

    def check(self, size, total=None):
        total = size if total is None else total
        if size == 0:
            assert self.calls == []
            return
        assert len(self.calls) >= 1
        assert self.calls[-1] == (size, total)
        dones = [d for d, _ in self.calls]
        assert dones == sorted(dones)
        assert all(t == total for _, t in self.calls)
        assert all(0 < d <= size for d in dones)


def _proxied_client(sshd, proxy):
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect(
        "127.0.0.1",
        port=proxy.port,
        username=sshd.username,
        key_filename=sshd.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    return c


# --------------------------------------------------------------------------
# round trips at every edge


@pytest.mark.parametrize("size", EDGE_SIZES)
def test_put_get_edge_sizes(sftp, remote_dir, tmp_path, size):
    data = secrets.token_bytes(size)
    src = tmp_path / "src"
    src.write_bytes(data)
    remote = remote_dir + "/f"
    up = Progress()
    attrs = sftp.put(str(src), remote, callback=up)
    assert isinstance(attrs, SFTPAttributes)
    assert attrs.st_size == size
    assert _local(remote) == data
    up.check(size)
    dst = tmp_path / "dst"
    down = Progress()
    assert sftp.get(remote, str(dst), callback=down) is None
    assert dst.read_bytes() == data
    down.check(size)
    assert _temps(tmp_path) == []


@pytest.mark.parametrize("size", [0, 1, 4 * MiB + 1, 8 * MiB - 1])
def test_putfo_getfo_edge_sizes(sftp, remote_dir, size):
    data = secrets.token_bytes(size)
    remote = remote_dir + "/f"
    cb = Progress()
    attrs = sftp.putfo(io.BytesIO(data), remote, file_size=size, callback=cb)
    assert attrs.st_size == size
    assert _local(remote) == data
    cb.check(size)
    out = io.BytesIO()
    cb = Progress()
    n = sftp.getfo(remote, out, callback=cb)
    assert n == size
    assert out.getvalue() == data
    cb.check(size)


def test_callback_small_file_exactly_one_call(sftp, remote_dir, tmp_path):
    src = tmp_path / "s"
    src.write_bytes(b"x" * 100000)
    cb = Progress()
    sftp.put(str(src), remote_dir + "/f", callback=cb)
    assert cb.calls[-1] == (100000, 100000)
    cb = Progress()
    sftp.get(remote_dir + "/f", str(tmp_path / "d"), callback=cb)
    assert cb.calls[-1] == (100000, 100000)


def test_putfo_without_file_size_reports_total_zero(sftp, remote_dir):
    buf = b"pysftp peer test payload"
    cb = Progress()
    sftp.putfo(io.BytesIO(buf), remote_dir + "/f", callback=cb)
    # pysftp's own test: exactly [call(len(buf), 0)]
    assert cb.calls == [(len(buf), 0)]
    big = secrets.token_bytes(5 * MiB)
    cb = Progress()
    sftp.putfo(io.BytesIO(big), remote_dir + "/g", callback=cb)
    cb.check(len(big), total=0)


def test_putfo_empty_creates_empty_file(sftp, remote_dir):
    cb = Progress()
    attrs = sftp.putfo(io.BytesIO(b""), remote_dir + "/empty", callback=cb)
    assert attrs is not None and attrs.st_size == 0
    assert os.path.getsize(remote_dir + "/empty") == 0
    assert cb.calls == []


def test_get_total_from_remote_stat(sftp, remote_dir, tmp_path):
    data = secrets.token_bytes(3 * MiB + 5)
    _mk(remote_dir + "/f", data)
    cb = Progress()
    sftp.getfo(remote_dir + "/f", io.BytesIO(), callback=cb)
    assert all(total == len(data) for _, total in cb.calls)
    assert cb.calls[-1] == (len(data), len(data))


def test_put_confirm_false_returns_empty_attributes(sftp, remote_dir, tmp_path):
    src = tmp_path / "s"
    src.write_bytes(b"abc")
    attrs = sftp.put(str(src), remote_dir + "/f", confirm=False)
    assert isinstance(attrs, SFTPAttributes)
    assert attrs.st_size is None
    assert _local(remote_dir + "/f") == b"abc"
    attrs = sftp.putfo(io.BytesIO(b"abcd"), remote_dir + "/g", confirm=False)
    assert isinstance(attrs, SFTPAttributes) and attrs.st_size is None


def test_put_returns_server_attributes(sftp, remote_dir, tmp_path):
    src = tmp_path / "s"
    src.write_bytes(b"12345")
    attrs = sftp.put(str(src), remote_dir + "/f")
    st = os.stat(remote_dir + "/f")
    assert attrs.st_size == 5
    assert attrs.st_mode == st.st_mode
    assert attrs.st_mtime == int(st.st_mtime)
    assert not hasattr(attrs, "filename")


def test_put_overwrites_larger_file(sftp, remote_dir, tmp_path):
    _mk(remote_dir + "/f", b"x" * 100000)
    src = tmp_path / "s"
    src.write_bytes(b"short")
    sftp.put(str(src), remote_dir + "/f")
    assert _local(remote_dir + "/f") == b"short"


def test_get_overwrites_existing_local(sftp, remote_dir, tmp_path):
    _mk(remote_dir + "/f", b"remote")
    dst = tmp_path / "d"
    dst.write_bytes(b"old local content that is longer")
    sftp.get(remote_dir + "/f", str(dst))
    assert dst.read_bytes() == b"remote"
    assert _temps(tmp_path) == []


def test_get_keeps_existing_local_mode(sftp, remote_dir, tmp_path):
    # paramiko writes in place, so a 0600 destination stays 0600
    _mk(remote_dir + "/f", b"secret data")
    dst = tmp_path / "d"
    dst.write_bytes(b"old")
    os.chmod(dst, 0o600)
    sftp.get(remote_dir + "/f", str(dst))
    assert dst.read_bytes() == b"secret data"
    assert stat.S_IMODE(os.stat(dst).st_mode) == 0o600


def test_get_through_symlink_updates_target(sftp, remote_dir, tmp_path):
    _mk(remote_dir + "/f", b"new")
    real = tmp_path / "real"
    real.write_bytes(b"old")
    link = tmp_path / "link"
    link.symlink_to(real)
    sftp.get(remote_dir + "/f", str(link))
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_pathlike_arguments(sftp, remote_dir, tmp_path):
    src = tmp_path / "s"
    src.write_bytes(b"pathlib")
    sftp.put(src, remote_dir + "/f")
    sftp.get(remote_dir + "/f", tmp_path / "d")
    assert (tmp_path / "d").read_bytes() == b"pathlib"
    assert isinstance(src, pathlib.Path)


def test_relative_remote_paths_with_cwd(sftp, remote_dir, tmp_path):
    src = tmp_path / "s"
    src.write_bytes(b"rel")
    sftp.chdir(remote_dir)
    sftp.put(str(src), "rel.txt")
    assert _local(remote_dir + "/rel.txt") == b"rel"
    sftp.get("rel.txt", str(tmp_path / "d"))
    assert (tmp_path / "d").read_bytes() == b"rel"
    out = io.BytesIO()
    sftp.getfo("rel.txt", out)
    assert out.getvalue() == b"rel"


def test_get_into_local_device(sftp, remote_dir):
    _mk(remote_dir + "/f", b"to the void")
    sftp.get(remote_dir + "/f", os.devnull)
    assert os.path.exists(os.devnull) and stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_get_kwargs_accepted(sftp, remote_dir, tmp_path):
    _mk(remote_dir + "/f", b"kw")
    sftp.get(remote_dir + "/f", str(tmp_path / "d"), prefetch=False, max_concurrent_prefetch_requests=4)
    out = io.BytesIO()
    sftp.getfo(remote_dir + "/f", out, prefetch=True, max_concurrent_prefetch_requests=64)
    assert out.getvalue() == b"kw" == (tmp_path / "d").read_bytes()


# --------------------------------------------------------------------------
# atomic put


def test_put_atomic(sftp, remote_dir, tmp_path):
    data = secrets.token_bytes(5 * MiB + 3)
    src = tmp_path / "s"
    src.write_bytes(data)
    _mk(remote_dir + "/f", b"previous")
    attrs = sftp.put(str(src), remote_dir + "/f", atomic=True)
    assert attrs.st_size == len(data)
    assert _local(remote_dir + "/f") == data
    assert os.listdir(remote_dir) == ["f"]
    attrs = sftp.putfo(io.BytesIO(b"fo"), remote_dir + "/g", atomic=True)
    assert attrs.st_size == 2
    assert sorted(os.listdir(remote_dir)) == ["f", "g"]


def test_put_atomic_failure_leaves_target_untouched(sftp, remote_dir, tmp_path):
    _mk(remote_dir + "/f", b"previous")

    class Boom(Exception):
        pass

    class Failing(io.RawIOBase):
        def __init__(self):
            self.n = 0

        def read(self, size=-1):
            self.n += 1
            if self.n > 2:
                raise Boom("source failed")
            return b"x" * min(size, 1000)

    with pytest.raises(Boom):
        sftp.putfo(Failing(), remote_dir + "/f", atomic=True)
    assert _local(remote_dir + "/f") == b"previous"
    assert os.listdir(remote_dir) == ["f"]


# --------------------------------------------------------------------------
# failures: exceptions, and nothing left behind


def test_get_missing_remote_no_local_created(sftp, remote_dir, tmp_path):
    dst = tmp_path / "d"
    with pytest.raises(FileNotFoundError) as ei:
        sftp.get(remote_dir + "/missing", str(dst))
    assert ei.value.errno == 2
    assert not dst.exists()
    assert os.listdir(tmp_path) == []


def test_get_missing_remote_existing_local_untouched(sftp, remote_dir, tmp_path):
    dst = tmp_path / "d"
    dst.write_bytes(b"precious")
    with pytest.raises(FileNotFoundError):
        sftp.get(remote_dir + "/missing", str(dst))
    assert dst.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["d"]


def test_get_remote_directory(sftp, remote_dir, tmp_path):
    os.mkdir(remote_dir + "/adir")
    dst = tmp_path / "d"
    dst.write_bytes(b"precious")
    with pytest.raises(OSError):
        sftp.get(remote_dir + "/adir", str(dst))
    assert dst.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["d"]


def test_get_permission_denied(sftp, remote_dir, tmp_path):
    _mk(remote_dir + "/locked", b"secret", 0o000)
    if os.geteuid() == 0:
        os.chown(remote_dir + "/locked", 0, 0)
    dst = tmp_path / "d"
    with pytest.raises(PermissionError) as ei:
        sftp.get(remote_dir + "/locked", str(dst))
    assert ei.value.errno == 13
    assert os.listdir(tmp_path) == []


def test_get_into_missing_local_dir(sftp, remote_dir, tmp_path):
    _mk(remote_dir + "/f", b"x")
    with pytest.raises(FileNotFoundError):
        sftp.get(remote_dir + "/f", str(tmp_path / "nodir" / "d"))
    assert os.listdir(tmp_path) == []


def test_get_onto_local_directory(sftp, remote_dir, tmp_path):
    _mk(remote_dir + "/f", b"x")
    (tmp_path / "adir").mkdir()
    with pytest.raises(OSError):
        sftp.get(remote_dir + "/f", str(tmp_path / "adir"))
    assert os.listdir(tmp_path) == ["adir"]
    assert os.listdir(tmp_path / "adir") == []


def test_get_callback_exception_propagates(sftp, remote_dir, tmp_path):
    _mk(remote_dir + "/f", secrets.token_bytes(9 * MiB))
    dst = tmp_path / "d"
    dst.write_bytes(b"precious")

    class Stop(Exception):
        pass

    def cb(done, total):
        raise Stop()

    with pytest.raises(Stop):
        sftp.get(remote_dir + "/f", str(dst), callback=cb)
    assert dst.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["d"]


def test_getfo_missing_writes_nothing(sftp, remote_dir):
    out = io.BytesIO()
    with pytest.raises(FileNotFoundError):
        sftp.getfo(remote_dir + "/missing", out)
    assert out.getvalue() == b""


def test_put_missing_local(sftp, remote_dir, tmp_path):
    with pytest.raises(FileNotFoundError):
        sftp.put(str(tmp_path / "missing"), remote_dir + "/f")
    assert os.listdir(remote_dir) == []


def test_put_missing_remote_parent(sftp, remote_dir, tmp_path):
    src = tmp_path / "s"
    src.write_bytes(b"x")
    with pytest.raises(FileNotFoundError) as ei:
        sftp.put(str(src), remote_dir + "/nodir/f")
    assert ei.value.errno == 2
    assert os.listdir(remote_dir) == []


def test_put_onto_remote_directory(sftp, remote_dir, tmp_path):
    os.mkdir(remote_dir + "/adir")
    src = tmp_path / "s"
    src.write_bytes(b"x")
    with pytest.raises(OSError) as ei:
        sftp.put(str(src), remote_dir + "/adir")
    assert not isinstance(ei.value, FileNotFoundError)
    assert os.listdir(remote_dir + "/adir") == []
    assert stat.S_ISDIR(os.stat(remote_dir + "/adir").st_mode)


def test_put_into_unwritable_dir(sftp, remote_dir, tmp_path):
    ro = remote_dir + "/ro"
    os.mkdir(ro)
    os.chmod(ro, 0o555)
    src = tmp_path / "s"
    src.write_bytes(b"x")
    with pytest.raises(PermissionError) as ei:
        sftp.put(str(src), ro + "/f")
    assert ei.value.errno == 13
    with pytest.raises(PermissionError):
        sftp.put(str(src), ro + "/f", atomic=True)
    assert os.listdir(ro) == []


def test_put_to_dev_full_fails(sftp, tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    src = tmp_path / "s"
    src.write_bytes(secrets.token_bytes(100000))
    cb = Progress()
    with pytest.raises(OSError):
        sftp.put(str(src), "/dev/full", callback=cb)
    assert (100000, 100000) not in cb.calls


def test_local_disk_full_get(sftp, remote_dir):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    _mk(remote_dir + "/f", secrets.token_bytes(100000))
    with pytest.raises(OSError):
        sftp.get(remote_dir + "/f", "/dev/full")


def test_failures_do_not_break_session(sftp, remote_dir, tmp_path):
    for _ in range(10):
        with pytest.raises(FileNotFoundError):
            sftp.get(remote_dir + "/missing", str(tmp_path / "d"))
    _mk(remote_dir + "/f", b"ok")
    sftp.get(remote_dir + "/f", str(tmp_path / "d"))
    assert (tmp_path / "d").read_bytes() == b"ok"
    assert os.listdir(tmp_path) == ["d"]


# --------------------------------------------------------------------------
# round trips: what can go out together does


def test_small_put_and_get_take_two_round_trips_each(sshd, fault_proxy, remote_dir, tmp_path):
    """A put sends its close and the size-confirming stat behind the write,
    a get its fstat with the first reads, and a read handle's close is not
    waited for: open + one more round trip each (paramiko takes four and
    four). At 300 ms a round trip, three would take 0.9 s."""
    rtt = 0.3
    p = fault_proxy(latency=rtt / 2)
    c = _proxied_client(sshd, p)
    try:
        s = c.open_sftp()
        src = _mk(str(tmp_path / "src"), b"z" * 5000)
        for _ in range(2):  # the second time, nothing is left over from the first
            start = time.monotonic()
            attrs = s.put(src, remote_dir + "/f")
            took = time.monotonic() - start
            assert attrs.st_size == 5000
            assert took < 2.9 * rtt, took
            start = time.monotonic()
            s.get(remote_dir + "/f", str(tmp_path / "back"))
            took = time.monotonic() - start
            assert (tmp_path / "back").read_bytes() == b"z" * 5000
            assert took < 2.9 * rtt, took
        start = time.monotonic()
        s.put(src, remote_dir + "/g", confirm=False)
        assert time.monotonic() - start < 2.9 * rtt
        assert _local(remote_dir + "/g") == b"z" * 5000
    finally:
        c.close()


def test_far_get_of_sizes_around_the_first_window(sshd, fault_proxy, remote_dir, tmp_path):
    """Far from the server (10 ms) a get sends a whole window of reads with
    its fstat, before it knows the size; the size then drops the reads past
    the end and trims one that straddles it. Files around a request's and
    the first window's edges come back byte for byte, and so does a put of
    each over the same link."""
    request = 261120  # OpenSSH's read size (limits@openssh.com)
    sizes = [0, 1, request - 1, request, request + 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 7]
    p = fault_proxy(latency=0.005)
    c = _proxied_client(sshd, p)
    try:
        s = c.open_sftp()
        for n in sizes:
            data = secrets.token_bytes(n)
            _mk(remote_dir + "/s%d" % n, data)
            s.get(remote_dir + "/s%d" % n, str(tmp_path / "g"))
            assert (tmp_path / "g").read_bytes() == data, n
            src = _mk(str(tmp_path / "p"), data)
            assert s.put(src, remote_dir + "/p%d" % n).st_size == n
            assert _local(remote_dir + "/p%d" % n) == data, n
    finally:
        c.close()


def test_a_failed_write_is_the_error_not_the_stat_behind_it(sftp, tmp_path):
    """The close and stat sent behind the writes do not hide a write's
    failure: /dev/full refuses the write, and that is what is raised."""
    src = _mk(str(tmp_path / "src"), b"q" * MiB)
    with pytest.raises(OSError) as e:
        sftp.put(src, "/dev/full")
    assert not isinstance(e.value, FileNotFoundError)
    sftp.stat("/")  # the channel is still in step: the next call works


# --------------------------------------------------------------------------
# the connection dies mid-transfer


def test_get_cut_mid_transfer(sshd, fault_proxy, remote_dir, tmp_path):
    data = secrets.token_bytes(16 * MiB)
    _mk(remote_dir + "/big", data)
    p = fault_proxy(cut_after=2 * MiB, cut_direction="down")
    c = _proxied_client(sshd, p)
    try:
        s = c.open_sftp()
        dst = tmp_path / "d"
        dst.write_bytes(b"precious")
        cb = Progress()
        start = time.monotonic()
        with pytest.raises(SSHException):
            s.get(remote_dir + "/big", str(dst), callback=cb)
        assert time.monotonic() - start < 10
        assert dst.read_bytes() == b"precious"
        assert os.listdir(tmp_path) == ["d"]
        assert (len(data), len(data)) not in cb.calls
        assert not c.get_transport().is_active()
    finally:
        c.close()


def test_get_cut_mid_transfer_no_local(sshd, fault_proxy, remote_dir, tmp_path):
    _mk(remote_dir + "/big", secrets.token_bytes(12 * MiB))
    p = fault_proxy(cut_after=1 * MiB, cut_direction="down", cut_mode="fin")
    c = _proxied_client(sshd, p)
    try:
        s = c.open_sftp()
        with pytest.raises(SSHException):
            s.get(remote_dir + "/big", str(tmp_path / "d"))
        assert os.listdir(tmp_path) == []
    finally:
        c.close()


def test_getfo_cut_mid_transfer(sshd, fault_proxy, remote_dir):
    _mk(remote_dir + "/big", secrets.token_bytes(12 * MiB))
    p = fault_proxy(cut_after=3 * MiB, cut_direction="down")
    c = _proxied_client(sshd, p)
    try:
        s = c.open_sftp()
        out = io.BytesIO()
        with pytest.raises(SSHException):
            s.getfo(remote_dir + "/big", out)
        assert len(out.getvalue()) < 12 * MiB
    finally:
        c.close()


@pytest.mark.parametrize("atomic", [False, True])
def test_put_cut_mid_transfer(sshd, fault_proxy, remote_dir, tmp_path, atomic):
    data = secrets.token_bytes(16 * MiB)
    src = tmp_path / "s"
    src.write_bytes(data)
    p = fault_proxy(cut_after=2 * MiB, cut_direction="up")
    c = _proxied_client(sshd, p)
    try:
        s = c.open_sftp()
        cb = Progress()
        result = "not returned"
        start = time.monotonic()
        with pytest.raises(SSHException) as ei:
            result = s.put(str(src), remote_dir + "/f", callback=cb, atomic=atomic)
        assert time.monotonic() - start < 10
        assert result == "not returned"
        # paramiko raises EOFError on this path; ours satisfies both except clauses
        assert isinstance(ei.value, EOFError)
        assert (len(data), len(data)) not in cb.calls
    finally:
        c.close()
    if atomic:
        # the destination never appears half-written
        assert not os.path.exists(remote_dir + "/f")
    else:
        assert not os.path.exists(remote_dir + "/f") or os.path.getsize(remote_dir + "/f") < len(data)


def test_putfo_cut_mid_transfer(sshd, fault_proxy, remote_dir):
    p = fault_proxy(cut_after=1 * MiB, cut_direction="up")
    c = _proxied_client(sshd, p)
    try:
        s = c.open_sftp()
        with pytest.raises(SSHException):
            s.putfo(io.BytesIO(secrets.token_bytes(10 * MiB)), remote_dir + "/f")
    finally:
        c.close()


def test_latency_and_bandwidth_only_slower(sshd, fault_proxy, remote_dir, tmp_path):
    data = secrets.token_bytes(6 * MiB)
    src = tmp_path / "s"
    src.write_bytes(data)
    p = fault_proxy(latency=0.02, bandwidth=20e6)
    c = _proxied_client(sshd, p)
    try:
        s = c.open_sftp()
        up = Progress()
        s.put(str(src), remote_dir + "/f", callback=up)
        down = Progress()
        s.get(remote_dir + "/f", str(tmp_path / "d"), callback=down)
    finally:
        c.close()
    assert _local(remote_dir + "/f") == data
    assert (tmp_path / "d").read_bytes() == data
    up.check(len(data))
    down.check(len(data))
    assert len(down.calls) >= 2


def test_stalled_get_times_out(sshd, fault_proxy, remote_dir, tmp_path):
    _mk(remote_dir + "/big", secrets.token_bytes(16 * MiB))
    p = fault_proxy(stall_after=1 * MiB, stall_direction="down")
    c = _proxied_client(sshd, p)
    try:
        s = c.open_sftp()
        s.get_channel().settimeout(2)
        dst = tmp_path / "d"
        dst.write_bytes(b"precious")
        start = time.monotonic()
        with pytest.raises((TimeoutError, SSHException)):
            s.get(remote_dir + "/big", str(dst))
        assert time.monotonic() - start < 2 * 1.5 + 3
        assert dst.read_bytes() == b"precious"
        assert os.listdir(tmp_path) == ["d"]
    finally:
        c.close()


# --------------------------------------------------------------------------
# two transfers at once


def test_two_clients_transfer_concurrently(sshd, remote_dir, tmp_path):
    from client_helpers import connect_client as _connect_client

    results = {}
    errors = []

    def work(i):
        try:
            data = secrets.token_bytes(6 * MiB + i)
            src = tmp_path / ("s%d" % i)
            src.write_bytes(data)
            c = _connect_client(sshd)
            try:
                s = c.open_sftp()
                s.put(str(src), "%s/f%d" % (remote_dir, i))
                s.get("%s/f%d" % (remote_dir, i), str(tmp_path / ("d%d" % i)))
            finally:
                c.close()
            results[i] = (tmp_path / ("d%d" % i)).read_bytes() == data
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert results == {0: True, 1: True}


def test_remote_file_shrinks_during_get(sshd, fault_proxy, remote_dir, tmp_path):
    """The remote file is truncated while it downloads: get() must fail, never
    hand back a short file that looks complete."""
    size = 24 * MiB
    _mk(remote_dir + "/big", secrets.token_bytes(size))
    p = fault_proxy(bandwidth=8e6)
    c = _proxied_client(sshd, p)
    dst = tmp_path / "d"
    dst.write_bytes(b"precious")
    calls = []

    def cb(done, total):
        if not calls:
            os.truncate(remote_dir + "/big", 1 * MiB)
        calls.append((done, total))

    try:
        s = c.open_sftp()
        with pytest.raises(OSError) as ei:
            s.get(remote_dir + "/big", str(dst), callback=cb)
        assert "size mismatch" in str(ei.value)
    finally:
        c.close()
    assert calls and calls[0][0] < size
    assert (size, size) not in calls
    assert dst.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["d"]
