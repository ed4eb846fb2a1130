"""Terminal progress bars for the command-line tool (standard library only).

Drawn on a stream (stderr) only when it is a terminal; otherwise every method
is a no-op, so redirected output stays clean.  One line, redrawn in place
with a carriage return:

    big.iso   42% [########            ]  21.0 MiB/50.0 MiB  85.3 MiB/s  ETA 0:00:01

The transfer engine already throttles its callbacks (every few MiB or
100 ms); this module throttles redraws again because several worker threads
may feed one aggregate bar.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from typing import Dict, Optional

__all__ = ["Progress", "format_size", "format_rate", "format_eta"]

_REDRAW_INTERVAL = 0.1


def format_size(n: float) -> str:
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return "{:.0f} {}".format(n, unit) if unit == "B" else "{:.1f} {}".format(n, unit)
        n /= 1024
    return "{:.1f} TiB".format(n)


def format_rate(bytes_per_s: float) -> str:
    return format_size(bytes_per_s) + "/s"


def format_eta(seconds: Optional[float]) -> str:
    if seconds is None or seconds != seconds or seconds < 0 or seconds > 99 * 3600:
        return "--:--:--"
    s = int(seconds + 0.5)
    return "{}:{:02d}:{:02d}".format(s // 3600, (s // 60) % 60, s % 60)


def _is_tty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


# Lines drawn without their final newline: a message written now (an error,
# "interrupted") must start on a line of its own.
_open_lines = set()
_open_lock = threading.Lock()


def break_open_line() -> None:
    """End a progress line left open (mid-redraw), so the next text starts a
    fresh line instead of landing after the bar."""
    with _open_lock:
        if not _open_lines:
            return
        streams = {line.stream for line in _open_lines}
        _open_lines.clear()
    for stream in streams:
        try:
            stream.write("\n")
            stream.flush()
        except (OSError, ValueError):
            pass


class _Line:
    """One redrawable line on a terminal."""

    def __init__(self, stream, label: str, total: int, files: Optional[int] = None):
        self.stream = stream
        self.label = label
        self.total = max(0, int(total or 0))
        self.files_total = files
        self.files_done = 0
        self.done = 0
        self.start = time.monotonic()
        self._last_draw = 0.0
        self._last_len = 0
        self._lock = threading.Lock()
        self._finished = False
        self._bar_w = None

    def _render(self, final: bool) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-6)
        rate = self.done / elapsed
        if self.total > 0:
            frac = min(1.0, self.done / self.total)
        else:
            frac = 1.0 if final else 0.0
        pct = "{:3d}%".format(int(frac * 100))
        if final:
            eta = "in " + format_eta(elapsed)
        else:
            eta = "ETA " + format_eta((self.total - self.done) / rate if rate > 0 and self.total else None)
        sizes = "{}/{}".format(format_size(self.done), format_size(self.total))
        files = ""
        if self.files_total is not None:
            files = "  {}/{} files".format(self.files_done, self.files_total)
        tail = "  {}  {}  {}{}".format(sizes, format_rate(rate), eta, files)
        width = shutil.get_terminal_size((80, 24)).columns - 1
        label = self.label
        max_label = max(0, min(40, width - len(pct) - len(tail) - 4))
        if len(label) > max_label:
            label = ("..." + label[-(max_label - 3) :]) if max_label > 6 else ""
        bar_w = min(30, width - len(label) - len(pct) - len(tail) - 5)
        if self._bar_w is None:
            self._bar_w = max(0, bar_w - 4)  # a steady width, with room for the tail to grow
        bar_w = min(bar_w, self._bar_w)
        bar = ""
        if bar_w >= 5:
            filled = int(frac * bar_w)
            bar = " [" + "#" * filled + " " * (bar_w - filled) + "]"
        return (label + "  " if label else "") + pct + bar + tail

    def draw(self, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last_draw < _REDRAW_INTERVAL:
            return
        self._last_draw = now
        text = self._render(final)
        pad = max(0, self._last_len - len(text))
        self._last_len = len(text)
        with _open_lock:
            if final:
                _open_lines.discard(self)
            else:
                _open_lines.add(self)
        try:
            self.stream.write("\r" + text + " " * pad + ("\n" if final else ""))
            self.stream.flush()
        except (OSError, ValueError):
            pass

    def update(self, done: int, total: Optional[int] = None) -> None:
        with self._lock:
            if self._finished:
                return
            if total is not None and total > self.total:
                self.total = total
            self.done = done
            self.draw()

    def finish(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._finished = True
            self.draw(final=True)


class _FileTask:
    """What Progress.file() returns: ``callback(done, total)`` and ``finish()``."""

    def __init__(self, line: Optional[_Line]):
        self._line = line

    def callback(self, done: int, total: int) -> None:
        if self._line is not None:
            self._line.update(done, total)

    __call__ = callback

    def finish(self) -> None:
        if self._line is not None:
            self._line.finish()


class _Aggregate:
    """One bar for many files transferred by several threads:
    ``callback(name, done, total)``, ``file_done(name)``, ``finish()``."""

    def __init__(self, line: Optional[_Line], dynamic: bool = False):
        self._line = line
        self._dynamic = dynamic  # totals unknown up front: grow as files start
        self._per_file: Dict[str, int] = {}
        self._lock = threading.Lock()
        self._sum = 0

    def callback(self, name: str, done: int, total: int) -> None:
        if self._line is None:
            return
        with self._lock:
            if self._dynamic and name not in self._per_file:
                self._line.total += max(0, int(total or 0))
                self._line.files_total = (self._line.files_total or 0) + 1
            prev = self._per_file.get(name, 0)
            self._per_file[name] = done
            self._sum += done - prev
            s = self._sum
        self._line.update(s)

    __call__ = callback

    def file_done(self, name: str, size: Optional[int] = None) -> None:
        if self._line is None:
            return
        with self._lock:
            if size is not None:
                prev = self._per_file.get(name, 0)
                self._per_file[name] = size
                self._sum += size - prev
            self._line.files_done += 1
            s = self._sum
        self._line.update(s)

    def finish(self) -> None:
        if self._line is not None:
            self._line.finish()


class Progress:
    """Factory for progress lines on ``stream`` (default: stderr).

    ``enabled=None`` means "only if the stream is a terminal";
    ``FERROSFTP_PROGRESS=0`` in the environment switches bars off."""

    def __init__(self, enabled: Optional[bool] = None, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = _is_tty(self.stream) and os.environ.get("FERROSFTP_PROGRESS", "1") != "0"
        self.enabled = bool(enabled)

    def file(self, label: str, total: int) -> _FileTask:
        return _FileTask(_Line(self.stream, label, total) if self.enabled else None)

    def aggregate(self, label: str, total_bytes: Optional[int], files: Optional[int]) -> _Aggregate:
        """One bar for many files; ``total_bytes=None``: unknown up front
        (each file's size is added when it starts)."""
        dynamic = total_bytes is None
        line = _Line(self.stream, label, total_bytes or 0, 0 if dynamic else files) if self.enabled else None
        return _Aggregate(line, dynamic)
