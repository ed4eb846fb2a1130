"""BufferedFile semantics, exercised through small in-memory subclasses
(paramiko's own tests use the same idea: a LoopbackFile)."""

import io

import pytest

from ferrosftp.file import BufferedFile


class MemFile(BufferedFile):
    """Reads come from ``data`` in chunks of at most ``chunk`` bytes; writes
    go to ``written`` (each _write call is logged)."""

    def __init__(self, mode="r", bufsize=-1, data=b"", chunk=None, size=0):
        super().__init__()
        self._src = io.BytesIO(data)
        self.chunk = chunk
        self.read_calls = []
        self.write_calls = []
        self.written = bytearray()
        self._fake_size = size
        self._set_mode(mode, bufsize)

    def _read(self, size):
        self.read_calls.append(size)
        n = size if self.chunk is None else min(size, self.chunk)
        return self._src.read(n)

    def _write(self, data):
        self.write_calls.append(bytes(data))
        self.written += data
        return len(data)

    def _get_size(self):
        return self._fake_size


class PartialWriter(MemFile):
    def _write(self, data):
        piece = bytes(data[:3])
        self.write_calls.append(piece)
        self.written += piece
        return len(piece)


class EOFErrorFile(MemFile):
    def _read(self, size):
        data = super()._read(size)
        if not data:
            raise EOFError()
        return data


# --- reading ------------------------------------------------------------------------


def test_read_all_returns_bytes_in_text_mode():
    f = MemFile("r", data=b"hello\nworld\n")
    out = f.read()
    assert out == b"hello\nworld\n" and isinstance(out, bytes)
    assert f.read() == b""
    assert f.tell() == 12


def test_read_sizes_and_eof():
    f = MemFile("rb", data=b"0123456789", chunk=4)
    assert f.read(3) == b"012"
    assert f.read(0) == b""
    assert f.read(5) == b"34567"
    assert f.read(100) == b"89"
    assert f.read(1) == b""
    assert f.tell() == 10


def test_read_negative_is_read_all_and_eoferror_is_eof():
    f = EOFErrorFile("r", data=b"abc", chunk=2)
    assert f.read(-1) == b"abc"
    assert f.read(5) == b""
    assert f.readline() == ""


def test_large_read_asks_for_everything_at_once():
    data = bytes(range(256)) * 4096  # 1 MiB
    f = MemFile("rb", data=data)
    assert f.read(len(data)) == data
    assert f.read_calls[0] == len(data)


def test_read_all_uses_default_read_size_and_can_be_raised():
    data = b"x" * 100000
    f = MemFile("rb", data=data)
    assert f.read() == data
    assert all(n == BufferedFile._DEFAULT_READ_SIZE for n in f.read_calls)

    class Big(MemFile):
        _DEFAULT_READ_SIZE = 7

    g = Big("rb", data=b"abcdefghijklmnop")
    assert g.read() == b"abcdefghijklmnop"
    assert set(g.read_calls) == {7}


def test_buffered_read_keeps_surplus():
    f = MemFile("rb", bufsize=64, data=b"abcdefghij" * 10)
    assert f.read(2) == b"ab"
    assert f.read_calls == [64]  # buffered mode reads at least bufsize
    assert f.read(3) == b"cde"
    assert f.read_calls == [64]  # served from the buffer
    assert f.tell() == 5
    assert f._rbuffer == (b"abcdefghij" * 10)[5:64]


def test_subclass_returning_more_than_asked():
    class Greedy(MemFile):
        def _read(self, size):
            self.read_calls.append(size)
            return self._src.read()  # everything

    f = Greedy("rb", data=b"0123456789")
    assert f.read(4) == b"0123"
    assert f.read(4) == b"4567"
    assert f.read() == b"89"


def test_readinto():
    f = MemFile("rb", data=b"abcdef")
    buf = bytearray(4)
    assert f.readinto(buf) == 4 and buf == bytearray(b"abcd")
    mv = memoryview(bytearray(10))
    assert f.readinto(mv) == 2 and bytes(mv[:2]) == b"ef"
    assert f.readinto(bytearray(3)) == 0


def test_readline_text_vs_binary():
    f = MemFile("r", data=b"a\nb\n")
    assert f.readline() == "a\n"
    g = MemFile("rb", data=b"a\nb\n")
    assert g.readline() == b"a\n"
    assert g.readline() == b"b\n"
    assert g.readline() == b""


def test_readline_utf8_and_nul_and_incomplete_last_line():
    f = MemFile("r", data="caf\u00e9\x00!\nlast".encode("utf-8"), chunk=3)
    assert f.readline() == "caf\u00e9\x00!\n"
    assert f.readline() == "last"
    assert f.readline() == ""


def test_readline_size_limit():
    f = MemFile("rb", data=b"abcdef\nxyz\n", chunk=2)
    assert f.readline(4) == b"abcd"
    assert f.readline(10) == b"ef\n"
    assert f.readline(0) == b""
    assert f.readline(-1) == b"xyz\n"
    assert f.tell() == 11


def test_readline_long_line_many_chunks():
    line = b"z" * 100000 + b"\n"
    f = MemFile("rb", data=line + b"tail", chunk=1000)
    assert f.readline() == line
    assert f.readline() == b"tail"


def test_readline_then_read_mixes():
    f = MemFile("rb", data=b"one\ntwo\nthree", chunk=5)
    assert f.readline() == b"one\n"
    assert f.read(2) == b"tw"
    assert f.readline() == b"o\n"
    assert f.read() == b"three"
    assert f.tell() == 13


def test_readlines_and_sizehint():
    f = MemFile("r", data=b"1\n22\n333\n4444\n")
    assert f.readlines() == ["1\n", "22\n", "333\n", "4444\n"]
    g = MemFile("rb", data=b"1\n22\n333\n4444\n")
    assert g.readlines(4) == [b"1\n", b"22\n"]
    assert g.readlines() == [b"333\n", b"4444\n"]


def test_iteration_and_xreadlines():
    f = MemFile("r", data=b"x\ny\nz")
    assert list(f) == ["x\n", "y\n", "z"]
    g = MemFile("rb", data=b"x\ny\n")
    assert next(g) == b"x\n"
    assert list(g.xreadlines()) == [b"y\n"]
    assert iter(g) is g


def test_universal_newlines():
    f = MemFile("rU", data=b"a\rb\r\nc\nd", chunk=1)
    assert f.readline() == "a\n"
    assert f.readline() == "b\n"
    assert f.readline() == "c\n"
    assert f.readline() == "d"
    assert set(f.newlines) == {b"\r", b"\r\n", b"\n"}


def test_universal_newline_crlf_split_across_chunks():
    # '\r' ends one chunk, '\n' starts the next: still one line ending
    f = MemFile("rbU", data=b"ab\r\ncd\r\n", chunk=3)
    assert f.readline() == b"ab\n"
    assert f.readline() == b"cd\n"
    assert f.readline() == b""
    assert f.newlines == b"\r\n"


def test_without_universal_cr_is_not_a_newline():
    f = MemFile("rb", data=b"a\rb\n")
    assert f.readline() == b"a\rb\n"
    assert f.newlines is None


# --- errors -------------------------------------------------------------------------------


def test_not_open_for_reading_messages():
    f = MemFile("w")
    with pytest.raises(IOError) as e:
        f.read()
    assert str(e.value) == "File is not open for reading"
    with pytest.raises(IOError) as e:
        f.readline()
    assert str(e.value) == "File not open for reading"
    assert not f.readable() and f.writable()


def test_not_open_for_writing():
    f = MemFile("r", data=b"x")
    with pytest.raises(IOError) as e:
        f.write(b"data")
    assert str(e.value) == "File not open for writing"
    assert f.readable() and not f.writable()


def test_closed_file_errors():
    f = MemFile("r+", data=b"abc")
    assert not f.closed
    f.close()
    assert f.closed
    for call in (lambda: f.read(), lambda: f.readline(), lambda: f.write(b"x")):
        with pytest.raises(IOError) as e:
            call()
        assert str(e.value) == "File is closed"
    with pytest.raises(ValueError):
        iter(f)
    f.close()  # double close is fine


def test_seek_not_supported():
    f = MemFile("r", data=b"abc")
    assert f.seekable() is False
    with pytest.raises(IOError) as e:
        f.seek(0)
    assert str(e.value) == "File does not support seeking."
    assert (f.SEEK_SET, f.SEEK_CUR, f.SEEK_END) == (0, 1, 2)


def test_flag_constants():
    assert (
        BufferedFile.FLAG_READ,
        BufferedFile.FLAG_WRITE,
        BufferedFile.FLAG_APPEND,
        BufferedFile.FLAG_BINARY,
        BufferedFile.FLAG_BUFFERED,
        BufferedFile.FLAG_LINE_BUFFERED,
        BufferedFile.FLAG_UNIVERSAL_NEWLINE,
    ) == (0x1, 0x2, 0x4, 0x10, 0x20, 0x40, 0x80)


# --- writing ---------------------------------------------------------------------------


@pytest.mark.parametrize("bufsize", [-1, 0])
def test_unbuffered_writes_go_out_at_once(bufsize):
    f = MemFile("w", bufsize=bufsize)
    assert f.write(b"ab") is None
    f.write("c\u00e9")
    f.write(bytearray(b"de"))
    f.write(memoryview(b"fg"))
    assert f.write_calls == [b"ab", "c\u00e9".encode(), b"de", b"fg"]
    assert f.tell() == len(f.written) == 9


def test_line_buffered_writes():
    f = MemFile("w", bufsize=1)
    f.write(b"abc")
    assert f.write_calls == []
    f.write(b"d\nef")
    assert f.write_calls == [b"abcd\n"]
    f.write(b"g\nh\ni")
    assert f.write_calls == [b"abcd\n", b"efg\nh\n"]
    f.flush()
    assert f.write_calls[-1] == b"i"
    assert bytes(f.written) == b"abcd\nefg\nh\ni"


def test_fully_buffered_writes_flush_at_bufsize_and_close():
    f = MemFile("wb", bufsize=8)
    f.write(b"1234")
    assert f.write_calls == []
    f.write(b"5678")  # reaches bufsize
    assert f.write_calls == [b"12345678"]
    f.write(b"9")
    assert f.tell() == 8  # buffered bytes not yet counted
    f.close()
    assert f.write_calls == [b"12345678", b"9"]
    assert f.tell() == 9


def test_context_manager_flushes():
    with MemFile("w", bufsize=100) as f:
        f.writelines([b"a", "b", bytearray(b"c")])
        assert f.write_calls == []
    assert f.closed and bytes(f.written) == b"abc"


def test_partial_writes_are_retried():
    f = PartialWriter("w")
    f.write(b"abcdefgh")
    assert f.write_calls == [b"abc", b"def", b"gh"]
    assert bytes(f.written) == b"abcdefgh"
    assert f.tell() == 8


def test_write_zero_progress_raises():
    class Stuck(MemFile):
        def _write(self, data):
            return 0

    with pytest.raises(IOError):
        Stuck("w").write(b"x")


def test_append_mode_tracks_size():
    f = MemFile("a", size=100)
    assert f.tell() == 100
    assert f.writable() and not f.readable()
    f.write(b"12345")
    assert f.tell() == 105


def test_plus_mode_reads_and_writes():
    f = MemFile("r+", data=b"abc")
    assert f.readable() and f.writable()
    assert f.read() == b"abc"
    f.write(b"xy")
    assert bytes(f.written) == b"xy"


def test_x_mode_alone_is_not_writable():
    # paramiko: 'x' adds O_EXCL but not write access
    f = MemFile("x")
    assert not f.writable()
    with pytest.raises(IOError) as e:
        f.write(b"data")
    assert str(e.value) == "File not open for writing"


def test_base_class_hooks():
    f = BufferedFile()
    f._set_mode("r+")
    assert f.read() == b""  # default _read: EOF
    with pytest.raises(IOError) as e:
        f.write(b"x")
    assert str(e.value) == "write not implemented"
    assert f._get_size() == 0


def test_rbuffer_reset_by_subclass():
    # SFTP files reset the buffer on seek with ``self._rbuffer = bytes()``
    f = MemFile("rb", bufsize=16, data=b"0123456789abcdef")
    assert f.read(2) == b"01"
    assert f._rbuffer == b"23456789abcdef"
    f._rbuffer = bytes()
    assert f.read() == b""


def test_del_closes_and_flushes():
    sink = bytearray()

    class Sink(MemFile):
        def _write(self, data):
            sink.extend(data)
            return len(data)

    f = Sink("w", bufsize=100)
    f.write(b"pending")
    del f
    import gc

    gc.collect()
    assert bytes(sink) == b"pending"
