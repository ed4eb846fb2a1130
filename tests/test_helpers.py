"""pysftp 0.2.9 helpers (ferrosftp.helpers), quirks included."""

import os

import pytest

import ferrosftp.helpers as h


# --- st_mode_to_int ---------------------------------------------------------------


@pytest.mark.parametrize(
    "mode, expected",
    [
        (33188, 644),  # 0o100644
        (0o100755, 755),
        (0o040700, 700),
        (0o104755, 755),  # setuid dropped
        (0o041777, 777),  # sticky dropped
        (0o100600, 600),
        (0o100400, 400),
    ],
)
def test_st_mode_to_int(mode, expected):
    assert h.st_mode_to_int(mode) == expected


@pytest.mark.parametrize("mode", [0, 0o044, 0o100004])
def test_st_mode_to_int_without_owner_digit_raises(mode):
    with pytest.raises(ValueError):
        h.st_mode_to_int(mode)


# --- WTCallbacks ----------------------------------------------------------------------


def test_wtcallbacks_sorted_copies_and_setters():
    cb = h.WTCallbacks()
    assert (cb.flist, cb.dlist, cb.ulist) == ([], [], [])
    for name in ("./b", "./a", "./c"):
        cb.file_cb(name)
    cb.dir_cb("./z")
    cb.dir_cb("./y")
    cb.unk_cb("./fifo")
    assert cb.flist == ["./a", "./b", "./c"]
    assert cb.dlist == ["./y", "./z"]
    assert cb.ulist == ["./fifo"]
    # the property returns a throw-away copy (0.2.9 gotcha)
    cb.flist.append("./lost")
    assert "./lost" not in cb.flist
    assert cb.flist is not cb.flist
    # assignment replaces the underlying list (pysftp does dlist = dlist + [x])
    cb.dlist = cb.dlist + ["./x"]
    assert cb.dlist == ["./x", "./y", "./z"]
    cb.flist = ["q"]
    cb.ulist = []
    assert cb.flist == ["q"] and cb.ulist == []


# --- path helpers ----------------------------------------------------------------------


def test_path_advance():
    assert list(h.path_advance("foo/bar/baz", "/")) == ["foo", "foo/bar", "foo/bar/baz"]
    assert list(h.path_advance("/foo/bar", "/")) == ["/foo", "/foo/bar"]
    assert list(h.path_advance("./pub/x", "/")) == [".", "./pub", "./pub/x"]
    assert list(h.path_advance("single", "/")) == ["single"]


def test_path_advance_is_generator_and_empty_raises():
    gen = h.path_advance("a/b", "/")
    assert next(gen) == "a"
    with pytest.raises(IndexError):
        list(h.path_advance(""))


def test_path_retreat():
    assert list(h.path_retreat("foo/bar/baz", "/")) == ["foo/bar/baz", "foo/bar", "foo"]
    assert list(h.path_retreat("/foo/bar", "/")) == ["/foo/bar", "/foo"]
    with pytest.raises(IndexError):
        list(h.path_retreat(""))


@pytest.mark.skipif(os.sep != "/", reason="posix join semantics")
def test_path_helpers_split_on_sep_but_join_with_os_path():
    # splits on the given separator, joins with os.path.join
    assert list(h.path_advance("a\\b\\c", "\\")) == ["a", "a/b", "a/b/c"]
    assert list(h.path_retreat("a\\b", "\\")) == ["a/b", "a"]


@pytest.mark.skipif(os.sep != "/", reason="posix join semantics")
def test_reparent():
    assert h.reparent("backup", "/home/test/pub") == "backup/./home/test/pub"
    assert h.reparent("backup", "\\home\\x") == "backup/.\\home\\x"
    assert h.reparent("backup", "rel/path") == "backup/rel/path"
    assert h.reparent("/abs/new", "pub") == "/abs/new/pub"
    with pytest.raises(IndexError):
        h.reparent("backup", "")


# --- local walktree ---------------------------------------------------------------------


def _make_tree(root):
    (root / "pub" / "foo1").mkdir(parents=True)
    (root / "pub" / "foo2" / "bar1").mkdir(parents=True)
    (root / "pub" / "foo1" / "foo1.txt").write_text("1")
    (root / "pub" / "foo2" / "bar1" / "bar1.txt").write_text("2")
    (root / "top.txt").write_text("3")


def test_walktree_local(tmp_path):
    _make_tree(tmp_path)
    os.mkfifo(tmp_path / "pub" / "fifo")
    cb = h.WTCallbacks()
    with h.cd(tmp_path):
        h.walktree(".", cb.file_cb, cb.dir_cb, cb.unk_cb)
    assert cb.flist == [
        "./pub/foo1/foo1.txt",
        "./pub/foo2/bar1/bar1.txt",
        "./top.txt",
    ]
    assert cb.dlist == ["./pub", "./pub/foo1", "./pub/foo2", "./pub/foo2/bar1"]
    assert cb.ulist == ["./pub/fifo"]


def test_walktree_preorder_and_no_recurse(tmp_path):
    _make_tree(tmp_path)
    seen = []
    h.walktree(str(tmp_path), seen.append, lambda p: seen.append(("d", p)), seen.append)
    # every directory is reported before anything inside it
    dirs = [p for p in seen if isinstance(p, tuple)]
    for kind, d in dirs:
        idx = seen.index((kind, d))
        inside = [i for i, p in enumerate(seen) if (p[1] if isinstance(p, tuple) else p).startswith(d + os.sep)]
        assert all(i > idx for i in inside)
    cb = h.WTCallbacks()
    h.walktree(str(tmp_path), cb.file_cb, cb.dir_cb, cb.unk_cb, recurse=False)
    assert cb.dlist == [str(tmp_path / "pub")]
    assert cb.flist == [str(tmp_path / "top.txt")]


def test_walktree_follows_symlinks_and_missing_root(tmp_path):
    _make_tree(tmp_path)
    os.symlink(tmp_path / "top.txt", tmp_path / "link.txt")
    cb = h.WTCallbacks()
    h.walktree(str(tmp_path), cb.file_cb, cb.dir_cb, cb.unk_cb, recurse=False)
    assert str(tmp_path / "link.txt") in cb.flist
    with pytest.raises(OSError):
        h.walktree(str(tmp_path / "missing"), cb.file_cb, cb.dir_cb, cb.unk_cb)


# --- cd ------------------------------------------------------------------------------


def test_cd_changes_and_restores(tmp_path):
    start = os.getcwd()
    with h.cd(str(tmp_path)) as result:
        assert result is None
        assert os.path.samefile(os.getcwd(), tmp_path)
    assert os.getcwd() == start


def test_cd_none_bookmarks(tmp_path):
    start = os.getcwd()
    with h.cd():
        os.chdir(tmp_path)
    assert os.getcwd() == start


def test_cd_restores_after_exception(tmp_path):
    start = os.getcwd()
    with pytest.raises(RuntimeError):
        with h.cd(str(tmp_path)):
            raise RuntimeError("boom")
    assert os.getcwd() == start


def test_cd_missing_dir_raises_and_keeps_cwd(tmp_path):
    start = os.getcwd()
    with pytest.raises(OSError):
        with h.cd(str(tmp_path / "nope")):
            pass  # pragma: no cover
    assert os.getcwd() == start


# --- known_hosts ------------------------------------------------------------------------


def test_known_hosts(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert h.known_hosts() == os.path.join(str(tmp_path), ".ssh", "known_hosts")


def test_exported_from_package():
    import ferrosftp

    for name in (
        "WTCallbacks",
        "walktree",
        "reparent",
        "path_advance",
        "path_retreat",
        "st_mode_to_int",
        "cd",
        "known_hosts",
    ):
        assert getattr(ferrosftp, name) is getattr(h, name)


# --- paramiko.util (pysftp's ``log`` option calls log_to_file) --------------------------


def test_log_to_file(tmp_path):
    import logging

    from ferrosftp import util

    loggers = [logging.getLogger(n) for n in ("paramiko", "ferrosftp")]
    saved = [(lg.handlers[:], lg.level) for lg in loggers]
    for lg in loggers:
        lg.handlers = []
    try:
        path = tmp_path / "ssh.log"
        util.log_to_file(str(path))
        assert all(lg.level == logging.DEBUG for lg in loggers)
        util.get_logger("paramiko.transport").debug("hello from %s", "paramiko")
        logging.getLogger("ferrosftp.session").info("hello from rust")
        util.log_to_file(str(tmp_path / "other.log"))  # already set up: no-op
        for lg in loggers:
            for handler in lg.handlers:
                handler.flush()
        lines = path.read_text().splitlines()
        assert len(lines) == 2
        assert lines[0].startswith("DEB [")
        assert "thr=" in lines[0]
        assert lines[0].endswith("paramiko.transport: hello from paramiko")
        assert lines[1].startswith("INF [")
        assert lines[1].endswith("ferrosftp.session: hello from rust")
        assert not (tmp_path / "other.log").exists()
        assert loggers[0].handlers[0]._ferrosftp_log_to_file
    finally:
        for lg, (handlers, level) in zip(loggers, saved):
            for handler in lg.handlers:
                if handler not in handlers:
                    handler.close()
            lg.handlers = handlers
            lg.setLevel(level)


def test_util_small_helpers():
    from ferrosftp import util

    assert util.hexify(b"\x01\xab") == "01AB"
    assert util.unhexify("01AB") == b"\x01\xab"
    assert util.deflate_long(0x80) == b"\x00\x80"
    assert util.inflate_long(b"\x00\x80") == 0x80
    assert util.inflate_long(b"\xff") == -1
    assert util.inflate_long(util.deflate_long(-129)) == -129
    assert util.constant_time_bytes_eq(b"abc", b"abc")
    assert not util.constant_time_bytes_eq(b"abc", b"abd")
    assert util.b("x") == b"x" and util.u(b"x") == "x"
    assert util.safe_string(b"a\x00") == b"a%00"
    assert util.format_binary(b"AB") == ["41 42" + " " * 45 + " AB"]
    assert util.clamp_value(1, 5, 3) == 3
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise InterruptedError(4, "EINTR")
        return "done"

    assert util.retry_on_signal(flaky) == "done" and len(calls) == 3

    class Closable(util.ClosingContextManager):
        def close(self):
            calls.append("closed")

    with Closable() as c:
        assert isinstance(c, Closable)
    assert calls[-1] == "closed"
