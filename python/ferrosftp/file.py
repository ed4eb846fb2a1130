"""``BufferedFile``: Python file semantics over a simple stream, shaped like
``paramiko.file.BufferedFile`` (the base of channel files and SFTP files).

Subclasses implement:

* ``_read(size)`` -> up to ``size`` bytes; ``b''``/``None`` (or raising
  ``EOFError``) at end of stream.  May return more or fewer bytes than asked.
* ``_write(data)`` -> number of bytes consumed (partial writes are retried;
  returning ``None`` means "all of it").
* ``_get_size()`` -> current size (only used for append mode).
* and, for random access, ``seek``/``tell``/``seekable``.

They call ``self._set_mode(mode, bufsize)`` from their constructor.

Behaviour (paramiko's):

* ``read()`` always returns ``bytes``; ``readline()``/``readlines()``/
  iteration return ``str`` (UTF-8) unless the mode contains ``'b'``.
* ``write()`` accepts ``str`` (encoded as UTF-8), ``bytes``, ``bytearray``
  and ``memoryview``; returns ``None``.
* ``bufsize`` -1 (default) or 0: unbuffered writes; 1: line-buffered writes;
  > 1: writes buffered in chunks of that size.
* ``'U'`` in the mode: universal newlines for ``readline`` (``\\r``,
  ``\\r\\n`` and ``\\n`` all end a line and come back as ``\\n``; the kinds
  seen are recorded in ``newlines``).

Efficiency: the read buffer is consumed by offset (no re-slicing of the
whole buffer per call), large ``read(n)`` calls ask ``_read`` for everything
still needed in one call, reading to EOF asks for ``_DEFAULT_READ_SIZE``
bytes per call (subclasses backed by a fast transport raise it), and results
are assembled with a single join.
"""

import io

from .util import ClosingContextManager

__all__ = ["BufferedFile"]

_LF = b"\n"
_CR = b"\r"
_CRLF = b"\r\n"


class BufferedFile(ClosingContextManager):
    """Reusable base class implementing Python-style file buffering around a
    simpler stream."""

    _DEFAULT_BUFSIZE = 8192
    #: bytes requested per ``_read`` call when reading to EOF
    _DEFAULT_READ_SIZE = 1024 * 1024

    SEEK_SET = 0
    SEEK_CUR = 1
    SEEK_END = 2

    FLAG_READ = 0x1
    FLAG_WRITE = 0x2
    FLAG_APPEND = 0x4
    FLAG_BINARY = 0x10
    FLAG_BUFFERED = 0x20
    FLAG_LINE_BUFFERED = 0x40
    FLAG_UNIVERSAL_NEWLINE = 0x80

    def __init__(self):
        self.newlines = None
        self._flags = 0
        self._bufsize = self._DEFAULT_BUFSIZE
        self._wbuffer = io.BytesIO()
        # read buffer: ``_rbuf[_rbuf_off:]`` is the unread part
        self._rbuf = b""
        self._rbuf_off = 0
        self._at_trailing_cr = False
        self._closed = False
        # _pos: position according to the user; _realpos: position of the
        # underlying stream (they differ by what sits in the read buffer)
        self._pos = self._realpos = 0
        # size only matters for seekable files
        self._size = 0

    def __del__(self):
        try:
            if not self.__dict__.get("_closed", True):
                self.close()
        except Exception:
            pass

    # -- the read buffer, as paramiko exposes it ---------------------------------

    @property
    def _rbuffer(self):
        """Unread buffered bytes (paramiko's attribute; subclasses reset it
        with ``self._rbuffer = bytes()`` when they seek)."""
        if self._rbuf_off == 0:
            return self._rbuf
        return self._rbuf[self._rbuf_off :]

    @_rbuffer.setter
    def _rbuffer(self, value):
        self._rbuf = bytes(value)
        self._rbuf_off = 0

    def _rbuf_len(self):
        return len(self._rbuf) - self._rbuf_off

    def _rbuf_take(self, n):
        """Remove and return up to ``n`` bytes from the read buffer."""
        buf, off = self._rbuf, self._rbuf_off
        end = off + n
        if end >= len(buf):
            out = buf if off == 0 else buf[off:]
            self._rbuf = b""
            self._rbuf_off = 0
            return out
        self._rbuf_off = end
        return buf[off:end]

    def _read_chunk(self, size):
        """Call ``_read`` and normalise its answer to ``bytes`` (``b''`` at
        EOF)."""
        try:
            data = self._read(size)
        except EOFError:
            return b""
        if not data:
            return b""
        if not isinstance(data, bytes):
            data = bytes(data)
        return data

    # -- iteration -------------------------------------------------------------------

    def __iter__(self):
        """The file is its own line iterator.

        :raises ValueError: if the file is closed.
        """
        if self._closed:
            raise ValueError("I/O operation on closed file")
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def xreadlines(self):
        """Identical to ``iter(f)`` (a pre-iterator file API)."""
        return self

    # -- status ------------------------------------------------------------------------

    @property
    def closed(self):
        return self._closed

    def readable(self):
        """``True`` if the file was opened for reading."""
        return (self._flags & self.FLAG_READ) == self.FLAG_READ

    def writable(self):
        """``True`` if the file was opened for writing."""
        return (self._flags & self.FLAG_WRITE) == self.FLAG_WRITE

    def seekable(self):
        """``False`` here; random-access subclasses override it."""
        return False

    # -- closing / flushing ----------------------------------------------------------

    def close(self):
        """Flush buffered writes and close; later reads/writes fail."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True

    def flush(self):
        """Write out whatever the write buffer holds."""
        data = self._wbuffer.getvalue()
        self._wbuffer = io.BytesIO()
        if data:
            self._write_all(data)

    # -- reading -----------------------------------------------------------------------

    def readinto(self, buff):
        """Read up to ``len(buff)`` bytes into the writable buffer ``buff``;
        return how many were read."""
        data = self.read(len(buff))
        buff[: len(data)] = data
        return len(data)

    def read(self, size=None):
        """Read at most ``size`` bytes (all remaining data if ``size`` is
        ``None`` or negative).  Always returns ``bytes`` (``b''`` at EOF),
        whatever the mode."""
        if self._closed:
            raise IOError("File is closed")
        if not (self._flags & self.FLAG_READ):
            raise IOError("File is not open for reading")
        if size is None or size < 0:
            chunks = []
            if self._rbuf_len():
                chunks.append(self._rbuf_take(self._rbuf_len()))
            while True:
                data = self._read_chunk(self._DEFAULT_READ_SIZE)
                if not data:
                    break
                self._realpos += len(data)
                chunks.append(data)
            result = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            self._pos += len(result)
            return result
        if size <= self._rbuf_len():
            result = self._rbuf_take(size)
            self._pos += len(result)
            return result
        chunks = []
        have = self._rbuf_len()
        if have:
            chunks.append(self._rbuf_take(have))
        while have < size:
            want = size - have
            if self._flags & self.FLAG_BUFFERED:
                want = max(self._bufsize, want)
            data = self._read_chunk(want)
            if not data:
                break
            self._realpos += len(data)
            need = size - have
            if len(data) > need:
                # keep the surplus for the next read (no copy of it)
                chunks.append(data[:need])
                self._rbuf = data
                self._rbuf_off = need
                have = size
                break
            chunks.append(data)
            have += len(data)
        result = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._pos += len(result)
        return result

    def readline(self, size=None):
        """Read one line, keeping its newline (absent on a last incomplete
        line).  A non-negative ``size`` caps the byte count (and may return
        an incomplete line).  Returns ``''``/``b''`` only at EOF.

        Returns ``str`` (UTF-8) unless the file was opened with ``'b'``, then
        ``bytes``.  NUL characters are kept.
        """
        if self._closed:
            raise IOError("File is closed")
        if not (self._flags & self.FLAG_READ):
            raise IOError("File not open for reading")
        universal = bool(self._flags & self.FLAG_UNIVERSAL_NEWLINE)
        limit = size if (size is not None and size >= 0) else None
        parts = []  # pieces of the line, in order
        length = 0  # bytes in ``parts``
        while True:
            buf, off = self._rbuf, self._rbuf_off
            blen = len(buf)
            if off < blen and self._at_trailing_cr and universal:
                # the previous line ended with a '\r' at the end of the data
                # we had; if this data starts with '\n' it was a '\r\n'.
                if buf[off] == 0x0A:
                    off += 1
                    self._rbuf_off = off
                    self._record_newline(_CRLF)
                else:
                    self._record_newline(_CR)
                self._at_trailing_cr = False
            if off < blen:
                end = blen
                if limit is not None:
                    end = min(blen, off + (limit - length))
                idx = buf.find(_LF, off, end)
                if universal:
                    ridx = buf.find(_CR, off, end)
                    if ridx >= 0 and (idx < 0 or ridx < idx):
                        idx = ridx
                if idx >= 0:
                    nxt = idx + 1
                    if buf[idx] == 0x0D and nxt < end and buf[nxt] == 0x0A:
                        nxt += 1
                    newline = buf[idx:nxt]
                    parts.append(buf[off:idx])
                    parts.append(_LF)
                    length += idx - off + 1
                    if nxt >= blen:
                        self._rbuf = b""
                        self._rbuf_off = 0
                    else:
                        self._rbuf_off = nxt
                    if newline == _CR and self._rbuf_len() == 0:
                        # a '\n' may follow in the next chunk: eat it then
                        self._at_trailing_cr = True
                    else:
                        self._record_newline(newline)
                    return self._finish_line(parts, length)
                # no newline in what we may consume: take it all
                parts.append(buf[off:end])
                length += end - off
                if end >= blen:
                    self._rbuf = b""
                    self._rbuf_off = 0
                else:
                    self._rbuf_off = end
                if limit is not None and length >= limit:
                    return self._finish_line(parts, length)
            elif limit is not None and length >= limit:
                return self._finish_line(parts, length)
            n = (limit - length) if limit is not None else self._bufsize
            data = self._read_chunk(n)
            if not data:
                return self._finish_line(parts, length)
            self._realpos += len(data)
            self._rbuf = data
            self._rbuf_off = 0

    def _finish_line(self, parts, length):
        self._pos += length
        line = parts[0] if len(parts) == 1 else b"".join(parts)
        if self._flags & self.FLAG_BINARY:
            return line
        return line.decode("utf-8")

    def readlines(self, sizehint=None):
        """All remaining lines (via ``readline``); with ``sizehint``, stop
        once about that many bytes have been read."""
        lines = []
        byte_count = 0
        while True:
            line = self.readline()
            if len(line) == 0:
                break
            lines.append(line)
            byte_count += len(line)
            if (sizehint is not None) and (byte_count >= sizehint):
                break
        return lines

    # -- positioning ----------------------------------------------------------------

    def seek(self, offset, whence=0):
        """Not supported by plain streams.

        :raises IOError: always, here; random-access subclasses override it.
        """
        raise IOError("File does not support seeking.")

    def tell(self):
        """The current position (number of bytes read/written so far, or the
        size in append mode)."""
        return self._pos

    # -- writing ---------------------------------------------------------------------

    def write(self, data):
        """Write ``data`` (``str`` is UTF-8 encoded).  With write buffering
        on, some of it may only go out at ``flush``/``close``."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if self._closed:
            raise IOError("File is closed")
        if not (self._flags & self.FLAG_WRITE):
            raise IOError("File not open for writing")
        if not isinstance(data, (bytes, bytearray)):
            data = bytes(memoryview(data))
        if not (self._flags & self.FLAG_BUFFERED):
            self._write_all(data)
            return
        self._wbuffer.write(data)
        if self._flags & self.FLAG_LINE_BUFFERED:
            # only scan the new data for a linefeed
            last_newline_pos = data.rfind(_LF)
            if last_newline_pos >= 0:
                wbuf = self._wbuffer.getvalue()
                last_newline_pos += len(wbuf) - len(data)
                self._wbuffer = io.BytesIO()
                self._wbuffer.write(wbuf[last_newline_pos + 1 :])
                self._write_all(wbuf[: last_newline_pos + 1])
            return
        # buffer grown past the buffer size: flush it
        if self._wbuffer.tell() >= self._bufsize:
            self.flush()

    def writelines(self, sequence):
        """Write every item of ``sequence``; no separators are added."""
        for line in sequence:
            self.write(line)

    # -- subclass hooks ----------------------------------------------------------------

    def _read(self, size):
        """(subclass override) Up to ``size`` bytes; ``None``/``b''`` or
        ``EOFError`` at EOF."""
        raise EOFError()

    def _write(self, data):
        """(subclass override) Write ``data``; return the count written."""
        raise IOError("write not implemented")

    def _get_size(self):
        """(subclass override) Size of the file, used by append mode so that
        ``tell`` reports the end of the file."""
        return 0

    # -- internals ---------------------------------------------------------------------

    def _set_mode(self, mode="r", bufsize=-1):
        """Subclasses call this to set up the mode flags and buffering."""
        # bufsize is used for readline() in any event
        self._bufsize = self._DEFAULT_BUFSIZE
        if bufsize is None or bufsize < 0:
            # no write buffering by default: buffered writes confuse people
            bufsize = 0
        if bufsize == 1:
            # line buffering only affects writes
            self._flags |= self.FLAG_BUFFERED | self.FLAG_LINE_BUFFERED
        elif bufsize > 1:
            self._bufsize = bufsize
            self._flags |= self.FLAG_BUFFERED
            self._flags &= ~self.FLAG_LINE_BUFFERED
        elif bufsize == 0:
            self._flags &= ~(self.FLAG_BUFFERED | self.FLAG_LINE_BUFFERED)

        if ("r" in mode) or ("+" in mode):
            self._flags |= self.FLAG_READ
        if ("w" in mode) or ("+" in mode):
            self._flags |= self.FLAG_WRITE
        if "a" in mode:
            self._flags |= self.FLAG_WRITE | self.FLAG_APPEND
            self._size = self._get_size()
            self._pos = self._realpos = self._size
        if "b" in mode:
            self._flags |= self.FLAG_BINARY
        if "U" in mode:
            self._flags |= self.FLAG_UNIVERSAL_NEWLINE
            # which kinds of line endings have been seen
            self.newlines = None

    def _write_all(self, data):
        """Hand ``data`` to ``_write`` until all of it is consumed (the
        stream may take it in parts, like a socket)."""
        data = bytes(data) if not isinstance(data, bytes) else data
        total = len(data)
        done = 0
        while done < total:
            chunk = data if done == 0 else data[done:]
            count = self._write(chunk)
            if count is None:
                count = len(chunk)
            if count <= 0:
                raise IOError("write failed: the stream accepted no data")
            done += count
            if self._flags & self.FLAG_APPEND:
                self._size += count
                self._pos = self._realpos = self._size
            else:
                self._pos += count
                self._realpos += count
        return None

    def _record_newline(self, newline):
        """Track which newline kinds were seen (universal mode only): None,
        then one ``bytes``, then a tuple of them (paramiko's convention)."""
        if not (self._flags & self.FLAG_UNIVERSAL_NEWLINE):
            return
        if self.newlines is None:
            self.newlines = newline
        elif self.newlines != newline and isinstance(self.newlines, bytes):
            self.newlines = (self.newlines, newline)
        elif newline not in self.newlines:
            self.newlines += (newline,)
