"""``SFTPAttributes``, shaped like ``paramiko.sftp_attr``."""

import collections
import stat
import time

from .common import o70, o700, x80000000, xffffffff

__all__ = ["SFTPAttributes"]

# ls -l shows the year instead of the time for files older (or newer) than
# about six months.
_SIX_MONTHS = 15552000

_KIND_CHARS = {
    stat.S_IFIFO: "p",
    stat.S_IFCHR: "c",
    stat.S_IFDIR: "d",
    stat.S_IFBLK: "b",
    stat.S_IFREG: "-",
    stat.S_IFLNK: "l",
    stat.S_IFSOCK: "s",
}


class SFTPAttributes:
    """Attributes of a remote file, mirroring an ``os.stat`` result.

    Fields (each ``None`` when the server did not send it): ``st_size``,
    ``st_uid``, ``st_gid``, ``st_mode`` (with the file-type bits),
    ``st_atime``, ``st_mtime`` (int seconds). Extended attributes are in the
    dict ``attr``.  Listing results (``listdir_attr``) also carry
    ``filename`` and ``longname``; ``stat()`` results do not have these
    attributes at all.
    """

    FLAG_SIZE = 1
    FLAG_UIDGID = 2
    FLAG_PERMISSIONS = 4
    FLAG_AMTIME = 8
    FLAG_EXTENDED = x80000000

    def __init__(self):
        """An empty object: every field ``None``, ``attr`` empty."""
        self._flags = 0
        self.st_size = None
        self.st_uid = None
        self.st_gid = None
        self.st_mode = None
        self.st_atime = None
        self.st_mtime = None
        self.attr = {}

    @classmethod
    def from_stat(cls, obj, filename=None):
        """Copy the six fields of an ``os.stat`` result (values kept as is)."""
        attr = cls()
        attr.st_size = obj.st_size
        attr.st_uid = obj.st_uid
        attr.st_gid = obj.st_gid
        attr.st_mode = obj.st_mode
        attr.st_atime = obj.st_atime
        attr.st_mtime = obj.st_mtime
        if filename is not None:
            attr.filename = filename
        return attr

    # -- construction from the Rust core --------------------------------------

    @classmethod
    def _from_tuple(cls, t, filename=None, longname=None):
        """Build from the core's ``(size, uid, gid, mode, atime, mtime)``.

        Absent fields are ``None``.  ``_flags`` is set as if the attributes
        had been decoded from the wire.  ``filename``/``longname`` are only
        set when given (bytes are decoded as UTF-8 with ``surrogateescape``,
        so non-UTF-8 names round-trip through ``os.fsencode``).
        """
        attr = cls()
        size, uid, gid, mode, atime, mtime = t
        flags = 0
        if size is not None:
            attr.st_size = size
            flags |= cls.FLAG_SIZE
        if uid is not None and gid is not None:
            attr.st_uid = uid
            attr.st_gid = gid
            flags |= cls.FLAG_UIDGID
        if mode is not None:
            attr.st_mode = mode
            flags |= cls.FLAG_PERMISSIONS
        if atime is not None and mtime is not None:
            attr.st_atime = atime
            attr.st_mtime = mtime
            flags |= cls.FLAG_AMTIME
        attr._flags = flags
        if filename is not None:
            attr.filename = _decode_name(filename)
        if longname is not None:
            attr.longname = _decode_name(longname)
        return attr

    # -- display -----------------------------------------------------------------

    def __repr__(self):
        return "<SFTPAttributes: {}>".format(self._debug_str())

    def _debug_str(self):
        parts = ["["]
        if self.st_size is not None:
            parts.append("size={}".format(self.st_size))
        if self.st_uid is not None and self.st_gid is not None:
            parts.append("uid={} gid={}".format(self.st_uid, self.st_gid))
        if self.st_mode is not None:
            parts.append("mode=" + oct(self.st_mode))
        if self.st_atime is not None and self.st_mtime is not None:
            parts.append("atime={} mtime={}".format(self.st_atime, self.st_mtime))
        for k, v in self.attr.items():
            parts.append('"{}"={!r}'.format(str(k), v))
        parts.append("]")
        return " ".join(parts)

    @staticmethod
    def _rwx(n, suid, sticky=False):
        """Three ``ls -l`` permission characters for the 3-bit value ``n``.

        ``suid`` (setuid/setgid bit, or the sticky bit when ``sticky``) turns
        the execute character into ``s``/``S`` (``t``/``T``).
        """
        out = ("r" if n & 4 else "-") + ("w" if n & 2 else "-")
        execute = n & 1
        if suid:
            if sticky:
                out += "t" if execute else "T"
            else:
                out += "s" if execute else "S"
        else:
            out += "x" if execute else "-"
        return out

    def __str__(self):
        """A unix ``ls -l`` style line, as paramiko renders it."""
        mode = self.st_mode
        if mode is not None:
            ks = _KIND_CHARS.get(stat.S_IFMT(mode), "?")
            ks += self._rwx((mode & o700) >> 6, mode & stat.S_ISUID)
            ks += self._rwx((mode & o70) >> 3, mode & stat.S_ISGID)
            ks += self._rwx(mode & 7, mode & stat.S_ISVTX, True)
        else:
            ks = "?---------"
        mtime = self.st_mtime
        if mtime is None or mtime == xffffffff:
            datestr = "(unknown date)"
        else:
            local = time.localtime(mtime)
            if abs(time.time() - mtime) > _SIX_MONTHS:
                datestr = time.strftime("%d %b %Y", local)
            else:
                datestr = time.strftime("%d %b %H:%M", local)
        filename = getattr(self, "filename", "?")
        uid = 0 if self.st_uid is None else self.st_uid
        gid = 0 if self.st_gid is None else self.st_gid
        size = 0 if self.st_size is None else self.st_size
        return "%s   1 %-8d %-8d %8d %-12s %s" % (
            ks,
            uid,
            gid,
            size,
            datestr,
            filename,
        )

    def asbytes(self):
        return str(self).encode()


def _decode_name(name):
    if isinstance(name, (bytes, bytearray)):
        return bytes(name).decode("utf-8", "surrogateescape")
    return name


class SFTPVFSAttrs(
    collections.namedtuple("SFTPVFSAttrs", "bsize frsize blocks bfree bavail files ffree favail fsid flags namemax")
):
    """``statvfs@openssh.com``'s answer, asyncssh's names; ``f_*`` aliases
    as in ``os.statvfs_result``."""

    __slots__ = ()

    def __getattr__(self, name):
        if name.startswith("f_") and name != "f_flag":
            return getattr(self, name[2:])
        if name == "f_flag":
            return self.flags
        raise AttributeError(name)


SFTPLimits = collections.namedtuple("SFTPLimits", "max_packet_len max_read_len max_write_len max_open_handles")
SFTPLimits.__doc__ = "The server's limits (``limits@openssh.com``), asyncssh's names; 0 means no limit"
