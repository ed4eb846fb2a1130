"""SFTPFile against the real sshd (issue #3): paramiko's BufferedFile rules
(bytes vs str, readline, iteration, buffering), positioning, metadata on the
handle, readv/prefetch/check, sizes at the transfer-chunk and window edges and
offsets beyond 4 GiB (reference/api.md 0.5, 2.6)."""

import inspect
import os
import secrets
import socket
import stat
import time

import pytest

import ferrosftp as paramiko
from ferrosftp import SFTPAttributes, SFTPFile

MiB = 1024 * 1024


def _mk(remote_dir, name, data=b"", mode=0o644):
    path = os.path.join(remote_dir, name)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    if os.geteuid() == 0:
        st = os.stat(remote_dir)
        os.chown(path, st.st_uid, st.st_gid)
    return path


def _local(path):
    with open(path, "rb") as f:
        return f.read()


# --------------------------------------------------------------------------
# reading


def test_read_all_and_sizes(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"0123456789")
    with sftp.open(path, "r") as f:
        assert isinstance(f, SFTPFile)
        assert isinstance(f, paramiko.BufferedFile)
        assert f.read(3) == b"012"
        assert f.tell() == 3
        assert f.read(0) == b""
        assert f.read(100) == b"3456789"
        assert f.read(1) == b""
        assert f.read() == b""
        assert f.tell() == 10


def test_read_returns_bytes_in_text_mode(sftp, remote_dir):
    path = _mk(remote_dir, "f", "héllo\n".encode())
    with sftp.open(path, "r") as f:
        data = f.read()
    assert data == "héllo\n".encode()
    assert isinstance(data, bytes)


def test_read_none_and_negative(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"abc")
    with sftp.open(path) as f:
        assert f.read(None) == b"abc"
    with sftp.open(path) as f:
        assert f.read(-1) == b"abc"


def test_readinto(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"abcdefgh")
    with sftp.open(path, "rb") as f:
        buf = bytearray(5)
        assert f.readinto(buf) == 5
        assert buf == bytearray(b"abcde")
        mv = memoryview(bytearray(10))
        assert f.readinto(mv) == 3
        assert mv[:3].tobytes() == b"fgh"
        assert f.readinto(bytearray(4)) == 0


def test_readline_str_vs_bytes(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"a\nbb\n\nccc")
    with sftp.open(path, "r") as f:
        assert f.readline() == "a\n"
        assert f.readline() == "bb\n"
        assert f.readline() == "\n"
        assert f.readline() == "ccc"
        assert f.readline() == ""
    with sftp.open(path, "rb") as f:
        assert f.readline() == b"a\n"
        assert f.readlines() == [b"bb\n", b"\n", b"ccc"]
        assert f.readline() == b""


def test_readline_size_and_nul(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"abc\0def\nrest\n")
    with sftp.open(path, "rb") as f:
        assert f.readline(2) == b"ab"
        assert f.readline() == b"c\0def\n"
        assert f.readline(100) == b"rest\n"


def test_readline_utf8(sftp, remote_dir):
    path = _mk(remote_dir, "f", "ünïcödé\nzwei\n".encode())
    with sftp.open(path) as f:
        assert f.readline() == "ünïcödé\n"
        assert f.readlines() == ["zwei\n"]


def test_readlines_sizehint(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"".join(b"line %d\n" % i for i in range(100)))
    with sftp.open(path) as f:
        lines = f.readlines(20)
        assert 2 <= len(lines) < 100
        assert lines[0] == "line 0\n"
        rest = f.readlines()
        assert len(lines) + len(rest) == 100


def test_iteration(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"1\n2\n3\n")
    with sftp.open(path) as f:
        assert iter(f) is f
        assert list(f) == ["1\n", "2\n", "3\n"]
    with sftp.open(path, "rb") as f:
        assert [line for line in f] == [b"1\n", b"2\n", b"3\n"]
    with sftp.open(path) as f:
        assert next(f) == "1\n"
        assert list(f.xreadlines()) == ["2\n", "3\n"]


def test_iteration_on_closed_file(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"x\n")
    f = sftp.open(path)
    f.close()
    with pytest.raises(ValueError):
        iter(f)


def test_universal_newlines(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"a\r\nb\rc\nd")
    with sftp.open(path, "rU") as f:
        assert f.readlines() == ["a\n", "b\n", "c\n", "d"]


def test_many_lines_large_file(sftp, remote_dir):
    lines = [("%06d " % i) + "x" * (i % 97) + "\n" for i in range(40000)]
    path = _mk(remote_dir, "f", "".join(lines).encode())
    with sftp.open(path) as f:
        assert f.readlines() == lines


def test_read_on_write_only_and_closed(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"x")
    with sftp.open(path, "w") as f:
        with pytest.raises(IOError) as ei:
            f.read()
        assert str(ei.value) == "File is not open for reading"
        with pytest.raises(IOError, match="File not open for reading"):
            f.readline()
    with pytest.raises(IOError, match="File is closed"):
        f.read()
    with pytest.raises(IOError, match="File is closed"):
        f.write(b"x")


# --------------------------------------------------------------------------
# writing


def test_write_str_bytes_memoryview(sftp, remote_dir):
    path = os.path.join(remote_dir, "f")
    with sftp.open(path, "w") as f:
        assert f.write("str é|") is None
        f.write(b"bytes|")
        f.write(bytearray(b"bytearray|"))
        f.write(memoryview(b"memoryview"))
        assert f.tell() == len("str é|".encode()) + 6 + 10 + 10
    assert _local(path) == "str é|bytes|bytearray|memoryview".encode()


def test_writelines(sftp, remote_dir):
    path = os.path.join(remote_dir, "f")
    with sftp.open(path, "w") as f:
        f.writelines(["a", b"b", "c\n", b"d"])
    assert _local(path) == b"abc\nd"


def test_write_unbuffered_goes_out_at_once(sftp, remote_dir):
    path = os.path.join(remote_dir, "f")
    for bufsize in (-1, 0):
        with sftp.open(path, "w", bufsize) as f:
            f.write(b"now")
            assert _local(path) == b"now"


def test_write_buffered_until_flush(sftp, remote_dir):
    path = os.path.join(remote_dir, "f")
    with sftp.open(path, "w", bufsize=1000) as f:
        f.write(b"x" * 100)
        assert os.path.getsize(path) == 0
        f.flush()
        assert os.path.getsize(path) == 100
        f.write(b"y" * 950)
        assert os.path.getsize(path) == 100
        f.write(b"y" * 100)  # the buffer reaches bufsize: flushed
        assert os.path.getsize(path) == 1150
        f.write(b"z")
        assert os.path.getsize(path) == 1150
    assert os.path.getsize(path) == 1151  # close flushes


def test_write_line_buffered(sftp, remote_dir):
    path = os.path.join(remote_dir, "f")
    with sftp.open(path, "w", bufsize=1) as f:
        f.write("no newline yet")
        assert os.path.getsize(path) == 0
        f.write(" end\nnext")
        assert _local(path) == b"no newline yet end\n"
    assert _local(path) == b"no newline yet end\nnext"


def test_write_on_read_only(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"keep")
    with sftp.open(path, "r") as f:
        with pytest.raises(IOError) as ei:
            f.write(b"x")
        assert str(ei.value) == "File not open for writing"
    assert _local(path) == b"keep"


def test_write_large_random(sftp, remote_dir):
    data = secrets.token_bytes(6 * MiB + 123)
    path = os.path.join(remote_dir, "f")
    with sftp.open(path, "wb") as f:
        f.write(data[:1000])
        f.write(memoryview(data)[1000:])
    assert _local(path) == data


def test_write_many_small(sftp, remote_dir):
    path = os.path.join(remote_dir, "f")
    with sftp.open(path, "w") as f:
        for i in range(2000):
            f.write(b"%05d" % i)
    assert _local(path) == b"".join(b"%05d" % i for i in range(2000))


# --------------------------------------------------------------------------
# positioning


def test_seek_whences_and_tell(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"0123456789")
    with sftp.open(path, "rb") as f:
        assert f.SEEK_SET == 0 and f.SEEK_CUR == 1 and f.SEEK_END == 2
        f.seek(4)
        assert f.tell() == 4
        assert f.read(2) == b"45"
        f.seek(-3, f.SEEK_CUR)
        assert f.tell() == 3
        assert f.read(1) == b"3"
        f.seek(2, f.SEEK_CUR)
        assert f.read(1) == b"6"
        f.seek(-2, f.SEEK_END)
        assert f.tell() == 8
        assert f.read() == b"89"
        f.seek(0, os.SEEK_END)
        assert f.read() == b""
        f.seek(0)
        assert f.readline() == b"0123456789"
        f.seek(100)
        assert f.read(5) == b""


def test_seek_after_buffered_readline(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"first\nsecond\nthird\n")
    with sftp.open(path) as f:
        assert f.readline() == "first\n"
        assert f.tell() == 6
        f.seek(f.tell())
        assert f.readline() == "second\n"
        f.seek(0)
        assert f.readline() == "first\n"


def test_seek_and_write_then_read(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"aaaaaaaaaa")
    with sftp.open(path, "r+") as f:
        f.seek(3)
        f.write(b"BB")
        assert f.tell() == 5
        f.seek(0)
        assert f.read() == b"aaaBBaaaaa"
        f.seek(-1, 2)
        f.write(b"Z")
        f.seek(12)
        f.write(b"!")  # past EOF: a hole of zeros
    assert _local(path) == b"aaaBBaaaaZ\0\0!"


def test_write_seek_back_read_in_w_plus(sftp, remote_dir):
    path = os.path.join(remote_dir, "f")
    with sftp.open(path, "w+") as f:
        f.write(b"hello world")
        f.seek(6)
        assert f.read(5) == b"world"
        f.seek(0)
        f.write(b"J")
        f.seek(0)
        assert f.read() == b"Jello world"


def test_read_then_write_continues_at_position(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"0123456789")
    with sftp.open(path, "r+") as f:
        assert f.read(4) == b"0123"
        f.seek(f.tell())
        f.write(b"xx")
    assert _local(path) == b"0123xx6789"


def test_append_mode_tell_tracks_size(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"12345")
    with sftp.open(path, "a") as f:
        assert f.tell() == 5
        f.write(b"678")
        assert f.tell() == 8
    assert _local(path) == b"12345678"


def test_flags(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"x")
    cases = {
        "r": (True, False),
        "rb": (True, False),
        "w": (False, True),
        "a": (False, True),
        "r+": (True, True),
        "w+": (True, True),
        "a+": (True, True),
    }
    for mode, (readable, writable) in cases.items():
        with sftp.open(path, mode) as f:
            assert (f.readable(), f.writable(), f.seekable()) == (readable, writable, True), mode


def test_close_twice_and_closed(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"x")
    f = sftp.open(path)
    assert not f.closed
    f.close()
    assert f.closed
    f.close()


def test_context_manager_closes_on_error(sftp, remote_dir):
    path = os.path.join(remote_dir, "f")
    with pytest.raises(RuntimeError):
        with sftp.open(path, "w", bufsize=4096) as f:
            f.write(b"buffered")
            raise RuntimeError
    assert f.closed
    assert _local(path) == b"buffered"  # the buffer was flushed on close


def test_garbage_collected_file_is_flushed_and_closed(sftp, remote_dir):
    import gc

    path = os.path.join(remote_dir, "f")
    f = sftp.open(path, "w", bufsize=4096)
    f.write(b"gc flush")
    del f
    gc.collect()
    assert _local(path) == b"gc flush"
    # the session is still healthy afterwards
    assert sftp.stat(path).st_size == 8


# --------------------------------------------------------------------------
# metadata on the handle


def test_file_stat(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"abc", 0o640)
    with sftp.open(path, "r+") as f:
        a = f.stat()
        assert isinstance(a, SFTPAttributes)
        assert a.st_size == 3
        assert a.st_mode == stat.S_IFREG | 0o640
        assert not hasattr(a, "filename")
        f.seek(0, 2)
        f.write(b"defg")
        assert f.stat().st_size == 7


def test_file_chmod_chown_utime_truncate(sftp, sshd, remote_dir):
    path = _mk(remote_dir, "f", b"0123456789")
    with sftp.open(path, "r+") as f:
        f.chmod(0o600)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        st = os.stat(path)
        f.chown(st.st_uid, st.st_gid)
        f.utime((1000000000, 1100000000))
        assert os.stat(path).st_mtime == 1100000000
        assert os.stat(path).st_atime == 1000000000
        f.utime(None)
        assert abs(os.stat(path).st_mtime - time.time()) < 300
        f.truncate(4)
        assert _local(path) == b"0123"
        f.truncate(6)
        assert _local(path) == b"0123\0\0"
    if sshd.uid != 0:
        with sftp.open(path, "r+") as f:
            with pytest.raises(PermissionError):
                f.chown(0, 0)


def test_set_pipelined_and_prefetch(sftp, remote_dir):
    data = secrets.token_bytes(3 * MiB + 7)
    path = os.path.join(remote_dir, "f")
    with sftp.open(path, "w") as f:
        assert f.set_pipelined() is None
        assert f.set_pipelined(True) is None
        f.write(data)
        f.set_pipelined(False)
    with sftp.open(path, "r") as f:
        assert f.prefetch() is None
        assert f.read() == data
    with sftp.open(path, "r") as f:
        f.prefetch(len(data))
        f.prefetch(file_size=len(data), max_concurrent_requests=16)
        assert f.read(10) == data[:10]
        assert f.read() == data[10:]


def test_readv(sftp, remote_dir):
    data = bytes(range(256)) * 400  # 102400 bytes
    path = _mk(remote_dir, "f", data)
    with sftp.open(path, "rb") as f:
        chunks = [(0, 3), (1000, 50), (500, 10), (len(data) - 2, 10)]
        result = f.readv(chunks)
        assert inspect.isgenerator(result)
        blocks = list(result)
        assert blocks == [data[0:3], data[1000:1050], data[500:510], data[-2:]]
        assert [len(b) for b in blocks] == [3, 50, 10, 2]
        assert list(f.readv([(0, 4)], max_concurrent_prefetch_requests=2)) == [data[:4]]


def test_readv_empty_file(sftp, remote_dir):
    path = _mk(remote_dir, "empty", b"")
    with sftp.open(path) as f:
        assert list(f.readv([(0, 10)])) == [b""]


def test_check_unsupported(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"abc")
    with sftp.open(path) as f:
        with pytest.raises(IOError) as ei:
            f.check("sha1", 0, 0, 0)
        assert "unsupported" in str(ei.value).lower()


def test_settimeout_gettimeout(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"abc")
    with sftp.open(path) as f:
        assert f.gettimeout() is None
        f.settimeout(12.5)
        assert f.gettimeout() == 12.5
        # it is the session's timeout (paramiko: the channel's)
        assert sftp.get_channel().gettimeout() == 12.5
        f.setblocking(True)
        assert f.gettimeout() is None
        assert f.read() == b"abc"


def test_max_request_size_constant():
    assert SFTPFile.MAX_REQUEST_SIZE == 32768


def test_pipelined_writes_do_not_wait_for_the_server(sshd, fault_proxy, remote_dir):
    """paramiko's pipelined mode: a write returns once sent; close() waits
    for the confirmations. At 300 ms round trip, 16 writes that each waited
    would take 4.8 s."""
    path = os.path.join(remote_dir, "behind")
    p = fault_proxy(latency=0.15)
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect(
        "127.0.0.1",
        port=p.port,
        username=sshd.username,
        key_filename=sshd.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=30,
    )
    try:
        f = c.open_sftp().open(path, "wb")
        f.set_pipelined(True)
        start = time.monotonic()
        for _ in range(16):
            f.write(b"x" * 65536)
            f.flush()
        sent_in = time.monotonic() - start
        assert sent_in < 0.6  # fewer than two round trips: no reply waited for
        f.close()  # waits for every confirmation
        assert _local(path) == b"x" * (16 * 65536)
    finally:
        c.close()


def test_a_pipelined_write_error_comes_with_the_next_call(sftp):
    f = sftp.open("/dev/full", "wb")
    f.set_pipelined(True)
    f.write(b"y" * MiB)
    f.flush()  # sent, not confirmed: no error yet
    with pytest.raises(OSError):
        f.stat()  # the next call on the file reports it
    f.close()
    g = sftp.open("/dev/full", "wb")
    g.set_pipelined(True)
    g.write(b"y" * MiB)
    g.flush()
    with pytest.raises(OSError):
        g.close()  # or close() does
    assert g.closed
    h = sftp.open("/dev/full", "wb")
    with pytest.raises(OSError):
        h.write(b"y" * MiB)  # not pipelined: the write call itself
        h.flush()
    try:
        h.close()
    except OSError:
        pass  # its buffer may still hold the bytes that failed
    assert sftp.stat("/").st_mode  # the client still works


def test_file_read_timeout_on_stall(sshd, fault_proxy, remote_dir):
    data = secrets.token_bytes(8 * MiB)
    path = _mk(remote_dir, "big", data)
    p = fault_proxy()
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect(
        "127.0.0.1",
        port=p.port,
        username=sshd.username,
        key_filename=sshd.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    try:
        s = c.open_sftp()
        f = s.open(path, "rb")
        f.settimeout(1)
        assert f.read(1000) == data[:1000]
        p.stall_all()
        start = time.monotonic()
        with pytest.raises(socket.timeout):
            f.read()
        assert time.monotonic() - start < 1 * 1.5 + 3
    finally:
        c.close()


# --------------------------------------------------------------------------
# sizes at chunk/window edges, and offsets beyond 4 GiB


EDGE_SIZES = [0, 1, 32767, 32768, 32769, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 8 * MiB - 1, 8 * MiB, 8 * MiB + 1]


@pytest.mark.parametrize("size", EDGE_SIZES)
def test_write_read_edge_sizes(sftp, remote_dir, size):
    data = secrets.token_bytes(size)
    path = os.path.join(remote_dir, "f")
    with sftp.open(path, "wb") as f:
        f.write(data)
    assert os.path.getsize(path) == size
    assert _local(path) == data
    with sftp.open(path, "rb") as f:
        assert f.read() == data
        assert f.read() == b""
    with sftp.open(path, "rb") as f:
        assert f.stat().st_size == size
        got = []
        while True:
            block = f.read(1000003)
            if not block:
                break
            got.append(block)
        assert b"".join(got) == data


def test_offsets_beyond_4gib(sftp, remote_dir):
    path = _mk(remote_dir, "sparse", b"head")
    size = 5 * 1024**3
    sftp.truncate(path, size)
    assert sftp.stat(path).st_size == size
    pos = 4 * 1024**3 + 512 * MiB  # 4.5 GiB
    with sftp.open(path, "r+") as f:
        assert f.stat().st_size == size
        f.seek(pos)
        assert f.tell() == pos
        f.write(b"MARK")
        assert f.tell() == pos + 4
        f.seek(pos + 7)
        f.write(b"xyz")
        f.seek(pos - 2)
        assert f.read(13) == b"\0\0MARK\0\0\0xyz\0"
        f.seek(-3, f.SEEK_END)
        assert f.tell() == size - 3
        f.write(b"END")
        f.seek(0)
        assert f.read(4) == b"head"
    with open(path, "rb") as lf:
        lf.seek(pos)
        assert lf.read(10) == b"MARK\0\0\0xyz"
        lf.seek(size - 3)
        assert lf.read() == b"END"
    assert os.path.getsize(path) == size


def test_write_past_4gib_grows_file(sftp, remote_dir):
    path = os.path.join(remote_dir, "grow")
    pos = 4 * 1024**3 + 512 * MiB + 7
    with sftp.open(path, "w") as f:
        f.seek(pos)
        f.write(b"abc")
    assert sftp.stat(path).st_size == pos + 3 == 4831838218


def test_negative_seek_rejected_position_kept(sftp, remote_dir):
    path = _mk(remote_dir, "f", b"0123456789")
    with sftp.open(path, "rb") as f:
        f.seek(4)
        with pytest.raises(OSError):
            f.seek(-1)
        with pytest.raises(OSError):
            f.seek(-5, f.SEEK_CUR)
        with pytest.raises(OSError):
            f.seek(-11, f.SEEK_END)
        assert f.tell() == 4
        assert f.read(2) == b"45"


def test_readv_many_neighbouring_and_overlapping_chunks(sftp, remote_dir):
    data = os.urandom(3 * 1024 * 1024 + 11)
    path = remote_dir + "/v.bin"
    with sftp.open(path, "wb") as f:
        f.write(data)
    chunks = [(i * 1000, 1000) for i in range(200)]  # touching: one request
    chunks += [(500, 3000), (2 * 1024 * 1024, 1024 * 1024)]  # overlapping; a multi-request span
    chunks += [(len(data) - 5, 100), (len(data) + 10, 10)]  # across and past EOF
    chunks += [(7, 0)]
    with sftp.open(path, "rb") as f:
        f.seek(123)
        got = list(f.readv(chunks))
        assert f.tell() == 123  # the position is left alone
    assert got == [data[o : o + n] for o, n in chunks]
    with sftp.open(path, "rb") as f:
        with pytest.raises(ValueError):
            list(f.readv([(-1, 5)]))
