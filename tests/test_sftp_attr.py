"""SFTPAttributes: fields, str()/repr() exactly as paramiko renders them."""

import os
import stat
import time

import pytest

from ferrosftp.sftp_attr import SFTPAttributes


def test_empty_object():
    a = SFTPAttributes()
    for field in ("st_size", "st_uid", "st_gid", "st_mode", "st_atime", "st_mtime"):
        assert getattr(a, field) is None
    assert a.attr == {}
    assert a._flags == 0
    assert not hasattr(a, "filename")
    assert not hasattr(a, "longname")
    # paramiko's own test_sftp_attributes_empty_str
    assert str(a) == "?---------   1 0        0               0 (unknown date) ?"
    assert repr(a) == "<SFTPAttributes: [ ]>"
    assert a.asbytes() == str(a).encode()


def test_flag_constants():
    assert SFTPAttributes.FLAG_SIZE == 1
    assert SFTPAttributes.FLAG_UIDGID == 2
    assert SFTPAttributes.FLAG_PERMISSIONS == 4
    assert SFTPAttributes.FLAG_AMTIME == 8
    assert SFTPAttributes.FLAG_EXTENDED == 0x80000000


def test_observed_old_file_format():
    # observed with paramiko 5.1: a 100000-byte file with mtime in 2001
    a = SFTPAttributes._from_tuple((100000, 0, 0, 0o100644, 1000000000, 1000000000))
    date = time.strftime("%d %b %Y", time.localtime(1000000000))
    assert str(a) == "-rw-r--r--   1 0        0          100000 %s  ?" % date
    assert repr(a) == ("<SFTPAttributes: [ size=100000 uid=0 gid=0 mode=0o100644 atime=1000000000 mtime=1000000000 ]>")


def test_recent_file_shows_time_not_year():
    now = int(time.time()) - 3600
    a = SFTPAttributes._from_tuple((5, 1000, 1000, 0o100600, now, now), filename="f.txt")
    date = time.strftime("%d %b %H:%M", time.localtime(now))
    assert str(a) == "-rw-------   1 1000     1000            5 %-12s f.txt" % date


def test_six_month_rule_boundary():
    old = int(time.time()) - 15552000 - 100
    a = SFTPAttributes._from_tuple((0, 0, 0, 0o100644, old, old))
    assert time.strftime("%Y", time.localtime(old)) in str(a)
    future = int(time.time()) + 15552000 + 100
    a = SFTPAttributes._from_tuple((0, 0, 0, 0o100644, future, future))
    assert time.strftime("%d %b %Y", time.localtime(future)) in str(a)


@pytest.mark.parametrize(
    "mode, expected",
    [
        (0o040755, "drwxr-xr-x"),
        (0o120777, "lrwxrwxrwx"),
        (0o010644, "prw-r--r--"),
        (0o020620, "crw--w----"),
        (0o060660, "brw-rw----"),
        (0o140755, "srwxr-xr-x"),
        (0o104755, "-rwsr-xr-x"),
        (0o104644, "-rwSr--r--"),
        (0o102755, "-rwxr-sr-x"),
        (0o102745, "-rwxr-Sr-x"),
        (0o041777, "drwxrwxrwt"),
        (0o041776, "drwxrwxrwT"),
        (0o000644, "?rw-r--r--"),
        (0o100000, "----------"),
    ],
)
def test_mode_characters(mode, expected):
    a = SFTPAttributes()
    a.st_mode = mode
    assert str(a).split(" ")[0] == expected


def test_unknown_date_for_all_ones_mtime_and_missing_fields():
    a = SFTPAttributes()
    a.st_mtime = 0xFFFFFFFF
    a.st_size = 12
    assert "(unknown date)" in str(a)
    assert str(a) == "?---------   1 0        0              12 (unknown date) ?"


def test_from_tuple_absent_fields_and_flags():
    a = SFTPAttributes._from_tuple((None, None, None, None, None, None))
    assert a._flags == 0
    assert str(a) == str(SFTPAttributes())
    a = SFTPAttributes._from_tuple((7, 1, 2, 0o100644, 3, 4))
    assert a._flags == 1 | 2 | 4 | 8
    assert (a.st_size, a.st_uid, a.st_gid, a.st_mode, a.st_atime, a.st_mtime) == (
        7,
        1,
        2,
        0o100644,
        3,
        4,
    )
    a = SFTPAttributes._from_tuple((7, None, None, None, None, None))
    assert a._flags == SFTPAttributes.FLAG_SIZE
    assert repr(a) == "<SFTPAttributes: [ size=7 ]>"


def test_from_tuple_filename_longname():
    a = SFTPAttributes._from_tuple(
        (0, 0, 0, 0o100644, 0, 0),
        filename=b"caf\xc3\xa9.txt",
        longname="-rw-r--r--    1 root     root            0 Nov 23 13:36 café.txt",
    )
    assert a.filename == "café.txt"
    assert a.longname.endswith("café.txt")
    assert str(a).endswith(" café.txt")
    # undecodable names survive (surrogateescape) and re-encode with fsencode
    b = SFTPAttributes._from_tuple((0, 0, 0, 0, 0, 0), filename=b"bad\xff")
    assert os.fsencode(b.filename) == b"bad\xff"
    # only what was given exists
    c = SFTPAttributes._from_tuple((0, 0, 0, 0, 0, 0), filename="x")
    assert hasattr(c, "filename") and not hasattr(c, "longname")


def test_from_stat(tmp_path):
    p = tmp_path / "data.bin"
    p.write_bytes(b"12345")
    st = os.stat(p)
    a = SFTPAttributes.from_stat(st)
    assert a.st_size == 5
    assert a.st_mode == st.st_mode and stat.S_ISREG(a.st_mode)
    assert a.st_mtime == st.st_mtime  # floats kept as is
    assert (a.st_uid, a.st_gid) == (st.st_uid, st.st_gid)
    assert not hasattr(a, "filename")
    b = SFTPAttributes.from_stat(st, "data.bin")
    assert b.filename == "data.bin"
    assert str(b).startswith("-rw") and str(b).endswith(" data.bin")


def test_extended_attributes_in_repr():
    a = SFTPAttributes()
    a.st_size = 1
    a.attr["foo"] = b"bar"
    assert repr(a) == "<SFTPAttributes: [ size=1 \"foo\"=b'bar' ]>"


def test_uid_without_gid_not_shown_in_repr():
    a = SFTPAttributes()
    a.st_uid = 5
    assert repr(a) == "<SFTPAttributes: [ ]>"
    # uid/gid and atime/mtime are shown only as pairs, as paramiko does
    a.st_gid = 6
    a.st_atime = 1.9
    assert repr(a) == "<SFTPAttributes: [ uid=5 gid=6 ]>"
    a.st_mtime = 2.7
    assert repr(a) == "<SFTPAttributes: [ uid=5 gid=6 atime=1.9 mtime=2.7 ]>"
