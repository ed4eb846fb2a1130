"""Small helpers, shaped like ``paramiko.util``.

The ones scripts actually use are :func:`log_to_file` (pysftp's ``log``
option calls it) and :func:`get_logger`; the rest are harmless utilities
kept so that ``from paramiko.util import X`` lines do not break.
"""

import binascii
import errno
import hmac
import logging
import sys
import threading
import traceback

from .common import DEBUG

__all__ = [
    "log_to_file",
    "get_logger",
    "get_thread_id",
    "hexify",
    "unhexify",
    "format_binary",
    "format_binary_line",
    "safe_string",
    "inflate_long",
    "deflate_long",
    "bit_length",
    "tb_strings",
    "retry_on_signal",
    "constant_time_bytes_eq",
    "ClosingContextManager",
    "clamp_value",
    "asbytes",
    "b",
    "u",
]

# Logger names our log files capture: paramiko's (what users filter on) and
# our own package's (the Rust core logs under ``ferrosftp.*``).
_LOG_ROOTS = ("paramiko", "ferrosftp")


def b(s, encoding="utf8"):
    """Cast ``str``/``bytes`` to ``bytes`` (UTF-8 for text)."""
    if isinstance(s, bytes):
        return s
    if isinstance(s, (bytearray, memoryview)):
        return bytes(s)
    if isinstance(s, str):
        return s.encode(encoding)
    raise TypeError("Expected unicode or bytes, got {!r}".format(s))


def u(s, encoding="utf8"):
    """Cast ``bytes``/``str`` to ``str`` (UTF-8 for bytes)."""
    if isinstance(s, (bytes, bytearray, memoryview)):
        return bytes(s).decode(encoding)
    if isinstance(s, str):
        return s
    raise TypeError("Expected unicode or bytes, got {!r}".format(s))


def asbytes(s):
    """Coerce to bytes: bytes, str (UTF-8) or an object with ``asbytes()``."""
    if isinstance(s, (bytes, bytearray, memoryview)):
        return bytes(s)
    if isinstance(s, str):
        return s.encode("utf-8")
    return s.asbytes()


def inflate_long(s, always_positive=False):
    """Big-endian two's-complement bytes -> int (an SSH ``mpint`` body)."""
    s = b(s)
    if not s:
        return 0
    return int.from_bytes(s, "big", signed=not always_positive)


def deflate_long(n, add_sign_padding=True):
    """int -> the shortest big-endian two's-complement bytes (``mpint``)."""
    if n == 0:
        return b"\x00" if add_sign_padding else b""
    if not add_sign_padding:
        if n < 0:
            raise ValueError("negative number needs sign padding")
        return n.to_bytes((n.bit_length() + 7) // 8, "big")
    length = (n.bit_length() + 8) // 8  # room for the sign bit
    return n.to_bytes(length, "big", signed=True)


def format_binary_line(data):
    left = " ".join(["{:02X}".format(c) for c in data])
    right = "".join([".{:c}..".format(c)[(c + 63) // 95] for c in data])
    return "{:50s} {}".format(left, right)


def format_binary(data, prefix=""):
    data = b(data)
    out = []
    x = 0
    while len(data) > x + 16:
        out.append(format_binary_line(data[x : x + 16]))
        x += 16
    if x < len(data):
        out.append(format_binary_line(data[x:]))
    return [prefix + line for line in out]


def safe_string(s):
    """Printable bytes kept, every other byte as ``%XX``."""
    out = b""
    for c in b(s):
        if 32 <= c <= 127:
            out += bytes([c])
        else:
            out += "%{:02X}".format(c).encode()
    return out


def bit_length(n):
    return abs(n).bit_length()


def hexify(s):
    """Upper-case hex string of ``s``."""
    return binascii.hexlify(b(s)).upper().decode()


def unhexify(s):
    return binascii.unhexlify(s)


def tb_strings():
    return "".join(traceback.format_exception(*sys.exc_info())).split("\n")


def retry_on_signal(function):
    """Call ``function()`` again while it fails with ``EINTR``."""
    while True:
        try:
            return function()
        except EnvironmentError as e:
            if e.errno != errno.EINTR:
                raise


def constant_time_bytes_eq(a, b):
    """Compare two byte strings (or strs) without leaking where they
    differ."""
    if isinstance(a, str):
        a = a.encode("utf-8")
    if isinstance(b, str):
        b = b.encode("utf-8")
    return hmac.compare_digest(bytes(a), bytes(b))


def clamp_value(minimum, val, maximum):
    return max(minimum, min(val, maximum))


def get_thread_id():
    """A small per-thread integer (1, 2, 3...), used in log lines."""
    local = _thread_ids
    try:
        return local.id
    except AttributeError:
        with _thread_id_lock:
            global _next_thread_id
            _next_thread_id += 1
            local.id = _next_thread_id
        return local.id


_thread_ids = threading.local()
_thread_id_lock = threading.Lock()
_next_thread_id = 0


class PFilter:
    """Logging filter that stamps each record with ``_threadid``."""

    def filter(self, record):
        record._threadid = get_thread_id()
        return True


_pfilter = PFilter()


def get_logger(name):
    """``logging.getLogger(name)`` with the thread-id filter attached."""
    logger = logging.getLogger(name)
    if _pfilter not in logger.filters:
        logger.addFilter(_pfilter)
    return logger


def log_to_file(filename, level=DEBUG):
    """Send paramiko's (and ferrosftp's) log records to ``filename``.

    Like paramiko: does nothing if the ``paramiko`` logger already has a
    handler; otherwise sets the level and appends to the file with paramiko's
    line format (``DEB [20240101-12:00:00.123] thr=1   paramiko.transport: ...``).
    The same handler is attached to the ``ferrosftp`` logger, where the Rust
    core logs.  Handlers added here carry ``_ferrosftp_log_to_file = True``.
    """
    logger = logging.getLogger("paramiko")
    if len(logger.handlers) > 0:
        return
    f = open(filename, "a")
    handler = logging.StreamHandler(f)
    frm = "%(levelname)-.3s [%(asctime)s.%(msecs)03d] thr=%(_threadid)-3d"
    frm += " %(name)s: %(message)s"
    handler.setFormatter(logging.Formatter(frm, "%Y%m%d-%H:%M:%S"))
    # On the handler (not only on loggers) so that records from any child
    # logger get the ``_threadid`` field the format needs.
    handler.addFilter(_pfilter)
    handler._ferrosftp_log_to_file = True
    for name in _LOG_ROOTS:
        lg = logging.getLogger(name)
        lg.setLevel(level)
        lg.addHandler(handler)


class ClosingContextManager:
    """Mixin: ``with obj:`` calls ``obj.close()`` on exit."""

    def __enter__(self):
        return self

    def __exit__(self, type, value, traceback):
        self.close()


def load_host_keys(filename):
    """Read a known_hosts file into a HostKeys (paramiko.util.load_host_keys)."""
    from .hostkeys import HostKeys

    return HostKeys(filename)
