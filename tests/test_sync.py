"""The sync agent (ferrosftp.sync.SyncAgent, sftpsyncer's API) against a real sshd.

The server runs on this machine, so the remote side is checked directly on the
file system (``remote_dir`` is a local path too).
"""

import hashlib
import os
import re
import time

import pytest

from ferrosftp.testing import FaultProxy
from sshd_server import SshdServer

import ferrosftp
from ferrosftp.exceptions import (
    ConnectionError as SyncConnectionError,
    FileNotFound,
    LocalCacheDirNotFound,
    LocalFileNotFound,
    RemoteDirNotCreated,
    SyncConflict,
    TransferError,
)
from ferrosftp.sftpagent import SyncAgent


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _temp_leftovers(root):
    out = []
    for dirpath, _dirs, files in os.walk(root):
        out += [os.path.join(dirpath, f) for f in files if f.endswith(".ferrosftp-part") or ".part" in f]
    return out


def _agent(srv, cache, remote_root, **kw):
    kw.setdefault("known_hosts", srv.known_hosts_path)
    return SyncAgent(
        hostname=srv.host,
        host_port=kw.pop("port", srv.port),
        username=srv.username,
        key_path=kw.pop("key_path", srv.keys["ed25519"]),
        local_root=str(cache),
        remote_root=remote_root,
        **kw,
    )


def _known_hosts_for_port(sshd, tmp_path, port):
    p = tmp_path / ("known_hosts_%d" % port)
    p.write_text("".join("[127.0.0.1]:%d %s\n" % (port, k) for k in sshd.host_public_keys.values()))
    return str(p)


@pytest.fixture
def cache(tmp_path):
    d = tmp_path / "cache"
    d.mkdir()
    return d


@pytest.fixture
def agent(sshd, cache, remote_dir):
    a = _agent(sshd, cache, remote_dir)
    yield a
    a.disconnect()


# --------------------------------------------------------------------- API shape


def test_names_and_aliases():
    assert ferrosftp.syncagent is SyncAgent
    assert ferrosftp.SyncAgent is SyncAgent
    assert ferrosftp.sftpagent.syncagent is SyncAgent
    assert ferrosftp.SyncConflict is SyncConflict
    assert issubclass(SyncConnectionError, ConnectionError)


def test_constructor_checks_and_does_not_connect(tmp_path, cache):
    # port as a string (sftpsyncer's README); an unreachable host is fine: no connect yet
    a = SyncAgent(hostname="127.0.0.1", host_port="1", username="nobody", local_root=str(cache))
    assert a.host_port == 1 and a.conn is None and a.transport is None
    with pytest.raises(ValueError):
        SyncAgent(hostname="h", host_port="twenty-two", local_root=str(cache))
    with pytest.raises(LocalCacheDirNotFound):
        SyncAgent(hostname="h", local_root=str(tmp_path / "missing"))
    (tmp_path / "afile").write_text("x")
    with pytest.raises(LocalCacheDirNotFound):
        SyncAgent(hostname="h", local_root=str(tmp_path / "afile"))


def test_upload_queue_api(cache):
    a = SyncAgent(hostname="h", local_root=str(cache), fake_connection=True)
    _write(str(cache / "a.txt"), b"a")
    _write(str(cache / "sub" / "b.txt"), b"b")
    _write(str(cache / "sub" / "deep" / "c.txt"), b"c")
    with pytest.raises(LocalFileNotFound):
        a.upload_queue.add("missing.txt")
    a.upload_queue.add("/a.txt")  # leading slash stripped, like sftpsyncer
    a.add("a.txt")  # duplicates are not queued twice
    assert list(a.upload_queue) == ["a.txt"]
    seen = []
    a.upload_queue.add_dir("sub", file_callback=seen.append)
    assert seen == ["sub/b.txt", "sub/deep/c.txt"]
    a.upload_queue.clear_queue()
    assert list(a.upload_queue) == []
    for whole in ("*", "/", "."):
        a.upload_queue.add_dir(whole)
        assert sorted(a.upload_queue) == ["a.txt", "sub/b.txt", "sub/deep/c.txt"]
        a.upload_queue.clear_queue()
    with pytest.raises(ValueError):
        a.upload_queue.add("../outside")


def test_fake_connection_is_offline(cache):
    _write(str(cache / "here.txt"), b"cached")
    a = SyncAgent(hostname="h", local_root=str(cache), fake_connection=True)
    with a.open("here.txt") as f:
        assert f.read() == b"cached"
    with pytest.raises(SyncConnectionError):
        a.open("not-cached.txt")
    a.add("here.txt")
    with pytest.raises(SyncConnectionError):
        a.push()
    assert list(a.upload_queue) == ["here.txt"]  # nothing claimed as pushed


# ----------------------------------------------------------------------- push


def test_push_uploads_tree_and_clears_queue(agent, cache, remote_dir):
    files = {"a.txt": b"alpha\n", "d/b.bin": os.urandom(300_000), "d/e/f/c.txt": b"deep\n"}
    for rel, data in files.items():
        _write(str(cache / rel), data)
    agent.upload_queue.add_dir("*")
    done = agent.push()
    assert sorted(done) == sorted(files)
    assert list(agent.upload_queue) == []
    for rel, data in files.items():
        remote = os.path.join(remote_dir, rel)
        assert _read(remote) == data
        # mtime carried over (whole seconds)
        assert int(os.stat(remote).st_mtime) == int(os.stat(str(cache / rel)).st_mtime)
    assert _temp_leftovers(remote_dir) == []
    # the session cwd was never changed by the directory creation
    assert agent.conn.getcwd() is None
    st = agent.status()
    assert sorted(st.in_sync) == sorted(files) and st.clean


def test_push_creates_missing_remote_root(sshd, cache, remote_dir):
    root = os.path.join(remote_dir, "not", "yet")
    a = _agent(sshd, cache, root)
    _write(str(cache / "x.txt"), b"x")
    a.add("x.txt")
    assert a.push() == ["x.txt"]
    assert _read(os.path.join(root, "x.txt")) == b"x"
    a.disconnect()


def test_repush_of_existing_file_overwrites(agent, cache, remote_dir):
    # sftpsyncer's push fails here on OpenSSH (plain rename won't overwrite)
    _write(str(cache / "same.txt"), b"version 1")
    agent.add("same.txt")
    agent.push()
    time.sleep(1.1)  # a different mtime second, so the local edit is visible by mtime too
    _write(str(cache / "same.txt"), b"version 2, longer")
    assert agent.status().changed == ["same.txt"]
    agent.add("same.txt")
    assert agent.push() == ["same.txt"]
    assert _read(os.path.join(remote_dir, "same.txt")) == b"version 2, longer"
    assert os.listdir(remote_dir) == ["same.txt"]  # no .part / temp left behind
    # pushing an unchanged file again is fine too
    agent.add("same.txt")
    assert agent.push() == ["same.txt"]


def test_concurrent_push_many_files(sshd, cache, remote_dir):
    a = _agent(sshd, cache, remote_dir, workers=4)
    files = {"f%02d/file%02d.bin" % (i % 5, i): os.urandom(20_000 + i * 1000) for i in range(24)}
    for rel, data in files.items():
        _write(str(cache / rel), data)
    a.add_dir(".")
    seen = set()
    done = a.push(callback=lambda rel, n, total: seen.add(rel))
    assert sorted(done) == sorted(files)
    assert seen == set(files)
    for rel, data in files.items():
        assert hashlib.sha256(_read(os.path.join(remote_dir, rel))).digest() == hashlib.sha256(data).digest()
    assert _temp_leftovers(remote_dir) == []
    a.disconnect()


def test_push_of_vanished_file_raises_local_file_not_found(agent, cache, remote_dir):
    _write(str(cache / "keep.txt"), b"k")
    _write(str(cache / "gone.txt"), b"g")
    agent.add("keep.txt")
    agent.add("gone.txt")
    os.unlink(str(cache / "gone.txt"))
    with pytest.raises(LocalFileNotFound):
        agent.push()
    assert os.listdir(remote_dir) == []  # checked before anything was uploaded
    assert sorted(agent.upload_queue) == ["gone.txt", "keep.txt"]


def test_push_failure_for_one_directory_keeps_only_that_file_queued(agent, cache, remote_dir):
    # a *file* sits where the remote directory should be
    with open(os.path.join(remote_dir, "blocked"), "w") as f:
        f.write("I am a file")
    _write(str(cache / "blocked" / "inner.txt"), b"inner")
    _write(str(cache / "fine.txt"), b"fine")
    agent.add_dir(".")
    with pytest.raises(TransferError) as ei:
        agent.push()
    assert ei.value.paths == ["blocked/inner.txt"]
    assert isinstance(ei.value.failures["blocked/inner.txt"], RemoteDirNotCreated)
    assert list(agent.upload_queue) == ["blocked/inner.txt"]
    assert _read(os.path.join(remote_dir, "fine.txt")) == b"fine"


def test_mkdir_p_and_is_remote_dir(agent, remote_dir):
    target = os.path.join(remote_dir, "x", "y", "z")
    agent.mkdir_p(target)
    agent.mkdir_p(target)  # idempotent
    assert os.path.isdir(target)
    assert agent.is_remote_dir(target)
    assert not agent.is_remote_dir(os.path.join(remote_dir, "nope"))
    assert agent.conn.getcwd() is None
    with pytest.raises(RemoteDirNotCreated):
        agent.mkdir_p("")


# ----------------------------------------------------------------------- open


def test_open_downloads_into_cache_then_reads_offline(cache, tmp_path):
    with SshdServer() as srv:
        root = srv.make_remote_dir()
        data = os.urandom(200_000)
        _write(os.path.join(root, "sub", "remote.bin"), data)
        srv.chown_to_user(os.path.join(root, "sub"))
        a = _agent(srv, cache, root)
        with a.open("sub/remote.bin") as f:
            assert f.read() == data
        assert _read(str(cache / "sub" / "remote.bin")) == data
        a.disconnect()
    # the server is gone: the cached copy still opens (sftpsyncer connected first)
    with a.open("/sub/remote.bin") as f:
        assert f.read() == data
    # ... and a file that is not cached reports the connection problem
    with pytest.raises(SyncConnectionError):
        a.open("other.txt")
    assert not (cache / "other.txt").exists()


def test_open_missing_everywhere_leaves_no_cache_file(agent, cache):
    with pytest.raises(FileNotFound):
        agent.open("not_anywhere.txt")
    with pytest.raises(FileNotFound):
        agent.open("no/such/dir/file.txt")
    # sftpsyncer left an empty file here, which the next open returned
    assert sorted(os.listdir(str(cache))) in ([], [".ferrosftp-sync.json"])
    assert not (cache / "no").exists()
    with pytest.raises(FileNotFound):
        agent.open("not_anywhere.txt")


def test_open_text_and_write_modes(agent, cache, remote_dir):
    _write(os.path.join(remote_dir, "t.txt"), b"line1\nline2\n")
    with agent.open("t.txt", "r") as f:
        assert f.readlines() == ["line1\n", "line2\n"]
    with agent.open("new/w.txt", "w") as f:
        f.write("written locally")
    assert (cache / "new" / "w.txt").read_text() == "written locally"
    assert not os.path.exists(os.path.join(remote_dir, "new"))


def test_failed_download_leaves_nothing_in_cache(sshd, cache, remote_dir, tmp_path):
    _write(os.path.join(remote_dir, "big.bin"), os.urandom(4_000_000))
    with FaultProxy(sshd.host, sshd.port, cut_after=600_000, cut_direction="down") as proxy:
        a = _agent(
            sshd,
            cache,
            remote_dir,
            port=proxy.port,
            known_hosts=_known_hosts_for_port(sshd, tmp_path, proxy.port),
            timeout=15,
        )
        with pytest.raises((TransferError, SyncConnectionError)):
            a.open("big.bin")
        a.disconnect()
    assert not (cache / "big.bin").exists()
    assert _temp_leftovers(str(cache)) == []
    # the next attempt, on a working connection, downloads the whole file
    b = _agent(sshd, cache, remote_dir)
    with b.open("big.bin") as f:
        assert f.read() == _read(os.path.join(remote_dir, "big.bin"))
    b.disconnect()


def test_server_dies_mid_push(sshd, cache, remote_dir, tmp_path):
    small = {"a_small.txt": b"small one", "b_small.txt": b"small two"}
    big = os.urandom(6_000_000)
    for rel, data in small.items():
        _write(str(cache / rel), data)
    _write(str(cache / "z_big.bin"), big)
    with FaultProxy(sshd.host, sshd.port, cut_after=1_500_000, cut_direction="up") as proxy:
        a = _agent(
            sshd,
            cache,
            remote_dir,
            port=proxy.port,
            workers=1,
            known_hosts=_known_hosts_for_port(sshd, tmp_path, proxy.port),
            timeout=15,
        )
        a.add_dir(".")
        with pytest.raises(TransferError) as ei:
            a.push()
        # the files in flight when the link died failed (the big one surely);
        # they stay queued, the others made it and were dequeued
        failed = ei.value.paths
        assert "z_big.bin" in failed
        assert sorted(a.upload_queue) == sorted(failed)
        for rel, data in small.items():
            if rel not in failed:
                assert _read(os.path.join(remote_dir, rel)) == data
        # nothing partial under a final name
        for rel in failed:
            assert not os.path.exists(os.path.join(remote_dir, rel))
        # the link heals: the same agent reconnects and finishes the job
        proxy.configure(cut_after=None)
        a.disconnect()
        assert sorted(a.push()) == sorted(failed)
        assert _read(os.path.join(remote_dir, "z_big.bin")) == big
        assert list(a.upload_queue) == []
        a.disconnect()
    finals = [n for n in os.listdir(remote_dir) if not n.endswith(".ferrosftp-part")]
    assert sorted(finals) == ["a_small.txt", "b_small.txt", "z_big.bin"]


def test_push_to_stopped_server_keeps_queue(cache, tmp_path):
    srv = SshdServer().start()
    try:
        root = srv.make_remote_dir()
        a = _agent(srv, cache, root)
        _write(str(cache / "q.txt"), b"queued")
        a.add("q.txt")
        a.connect()
    finally:
        srv.stop()
    with pytest.raises((TransferError, SyncConnectionError)):
        a.push()
    assert list(a.upload_queue) == ["q.txt"]
    a.disconnect()


# ---------------------------------------------------------------- conflicts


def _touch_remote(path, data, mtime):
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (mtime, mtime))


def test_push_detects_remote_change_and_force_overrides(agent, cache, remote_dir):
    _write(str(cache / "doc.txt"), b"mine v1")
    agent.add("doc.txt")
    agent.push()
    remote = os.path.join(remote_dir, "doc.txt")
    _touch_remote(remote, b"theirs", time.time() + 60)  # someone else edited it
    _write(str(cache / "doc.txt"), b"mine v2")
    agent.add("doc.txt")
    with pytest.raises(SyncConflict) as ei:
        agent.push()
    assert ei.value.paths == ["doc.txt"]
    assert _read(remote) == b"theirs"  # not overwritten
    assert list(agent.upload_queue) == ["doc.txt"]
    assert agent.status().conflicts == ["doc.txt"]
    assert agent.push(force=True) == ["doc.txt"]
    assert _read(remote) == b"mine v2"
    assert agent.status().clean


def test_push_over_unknown_remote_file_is_a_conflict(agent, cache, remote_dir):
    _write(os.path.join(remote_dir, "exists.txt"), b"already on the server")
    _write(str(cache / "exists.txt"), b"a different local file")
    agent.add("exists.txt")
    with pytest.raises(SyncConflict):
        agent.push()
    assert _read(os.path.join(remote_dir, "exists.txt")) == b"already on the server"


def test_identical_unknown_file_is_adopted(agent, cache, remote_dir):
    remote = os.path.join(remote_dir, "same.txt")
    _write(remote, b"identical")
    _write(str(cache / "same.txt"), b"identical")
    t = int(time.time()) - 100
    os.utime(remote, (t, t))
    os.utime(str(cache / "same.txt"), (t, t))
    assert agent.status().in_sync == ["same.txt"]
    agent.add("same.txt")
    assert agent.push() == ["same.txt"]


def test_pull_refreshes_stale_and_keeps_local_edits(agent, cache, remote_dir):
    for name in ("stale.txt", "edited.txt", "both.txt", "quiet.txt"):
        _write(os.path.join(remote_dir, name), name.encode())
    agent.pull_dir(".")
    later = time.time() + 60
    _touch_remote(os.path.join(remote_dir, "stale.txt"), b"new on server", later)
    _touch_remote(os.path.join(remote_dir, "both.txt"), b"server edit", later)
    _write(str(cache / "edited.txt"), b"local edit")
    _write(str(cache / "both.txt"), b"local edit of both")
    _write(os.path.join(remote_dir, "brand_new.txt"), b"fresh")
    _write(str(cache / "mine_only.txt"), b"local only")

    st = agent.status()
    assert st["stale"] == ["stale.txt"]
    assert st["changed"] == ["edited.txt"]
    assert st["conflicts"] == ["both.txt"]
    assert st["remote_only"] == ["brand_new.txt"]
    assert st["local_only"] == ["mine_only.txt"]
    assert st["in_sync"] == ["quiet.txt"]

    with pytest.raises(SyncConflict) as ei:
        agent.pull()
    assert ei.value.paths == ["both.txt"]
    assert _read(str(cache / "stale.txt")) == b"stale.txt"  # nothing done on conflict
    assert agent.pull("stale.txt") == ["stale.txt"]
    assert _read(str(cache / "stale.txt")) == b"new on server"
    assert _read(str(cache / "edited.txt")) == b"local edit"
    with pytest.raises(SyncConflict):
        agent.pull("both.txt")
    assert agent.pull("both.txt", force=True) == ["both.txt"]
    assert _read(str(cache / "both.txt")) == b"server edit"
    assert agent.pull() == []  # every cached file is now up to date
    assert _read(str(cache / "edited.txt")) == b"local edit"


def test_pull_dir_is_rerunnable(agent, cache, remote_dir):
    tree = {"top.txt": b"t", "a/one.txt": b"1", "a/b/two.txt": b"2", "a/b/c/three.bin": os.urandom(50_000)}
    for rel, data in tree.items():
        _write(os.path.join(remote_dir, rel), data)
    assert sorted(agent.pull_dir("*")) == sorted(tree)
    assert agent.pull_dir("*") == []  # sftpsyncer's second pull_dir crashed
    for rel, data in tree.items():
        assert _read(str(cache / rel)) == data
    _write(os.path.join(remote_dir, "a", "b", "four.txt"), b"4")
    assert agent.pull_dir("a") == ["a/b/four.txt"]
    with pytest.raises(FileNotFound):
        agent.pull_dir("no-such-dir")


def test_manifest_is_written_atomically_and_survives_new_agent(sshd, cache, remote_dir):
    a = _agent(sshd, cache, remote_dir)
    _write(str(cache / "m.txt"), b"m")
    a.add("m.txt")
    a.push()
    a.disconnect()
    names = os.listdir(str(cache))
    assert ".ferrosftp-sync.json" in names
    assert not [n for n in names if n.endswith(".tmp")]
    b = _agent(sshd, cache, remote_dir)
    assert b.status().in_sync == ["m.txt"]
    b.disconnect()


# --------------------------------------------------------------- connecting


def test_unknown_host_key_is_refused(sshd, cache, remote_dir, tmp_path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    a = _agent(sshd, cache, remote_dir, known_hosts=str(empty))
    with pytest.raises(SyncConnectionError) as ei:
        a.connect()
    assert "host key" in str(ei.value)
    assert empty.read_text() == ""


def test_accept_new_host_key_records_it(sshd, cache, remote_dir, tmp_path):
    kh = tmp_path / "kh"
    a = _agent(sshd, cache, remote_dir, known_hosts=str(kh), accept_new_host_key=True)
    a.connect()
    a.disconnect()
    assert "[127.0.0.1]:%d " % sshd.port in kh.read_text()
    b = _agent(sshd, cache, remote_dir, known_hosts=str(kh))  # strict again: now known
    b.connect()
    b.disconnect()


def test_changed_host_key_is_refused(sshd, cache, remote_dir, tmp_path):
    kh = tmp_path / "kh_wrong"
    # another server's key under this server's name
    with SshdServer() as other:
        kh.write_text("[127.0.0.1]:%d %s\n" % (sshd.port, other.host_public_keys["ed25519"]))
    a = _agent(sshd, cache, remote_dir, known_hosts=str(kh), accept_new_host_key=True)
    with pytest.raises(SyncConnectionError):
        a.connect()


def test_refused_port_is_connection_error(cache):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nobody listens there now
    a = SyncAgent(
        hostname="127.0.0.1", host_port=port, username="x", key_path="/nonexistent", local_root=str(cache), timeout=5
    )
    with pytest.raises(SyncConnectionError):
        a.open("anything.txt")


@pytest.mark.parametrize("key", ["rsa", "ecdsa", "rsa_pem"])
def test_other_key_types(sshd, cache, remote_dir, key):
    a = _agent(sshd, cache, remote_dir, key_path=sshd.keys[key])
    a.connect()
    assert a.transport.is_authenticated()
    a.disconnect()


def test_encrypted_key_with_passphrase(sshd, cache, remote_dir):
    a = _agent(sshd, cache, remote_dir, key_path=sshd.keys["ed25519_enc"], passphrase=sshd.key_passphrase)
    a.connect()
    a.disconnect()
    b = _agent(sshd, cache, remote_dir, key_path=sshd.keys["ed25519_enc"], passphrase="wrong")
    with pytest.raises(SyncConnectionError):
        b.connect()


def test_password_auth(sshd, cache, remote_dir):
    if not sshd.password_auth:
        pytest.skip("password auth needs root (the fixture's sshd cannot check passwords otherwise)")
    a = _agent(sshd, cache, remote_dir, key_path=None, password=sshd.password, allow_agent=False, look_for_keys=False)
    _write(os.path.join(remote_dir, "p.txt"), b"via password")
    with a.open("p.txt") as f:
        assert f.read() == b"via password"
    a.disconnect()
    b = _agent(sshd, cache, remote_dir, key_path=None, password="wrong", allow_agent=False, look_for_keys=False)
    with pytest.raises(SyncConnectionError):
        b.connect()


def test_disconnect_then_reconnect(agent, cache, remote_dir):
    agent.connect()
    first = agent.transport
    agent.disconnect()
    assert agent.conn is None
    _write(os.path.join(remote_dir, "r.txt"), b"again")
    with agent.open("r.txt") as f:  # reconnects by itself
        assert f.read() == b"again"
    assert agent.transport is not first and agent.transport.is_active()


def test_unicode_and_spaces_in_names(agent, cache, remote_dir):
    rel = "r\u00e9sum\u00e9 dir/na\u00efve file.txt"
    _write(str(cache / rel), b"unicode")
    agent.add(rel)
    assert agent.push() == [rel]
    assert _read(os.path.join(remote_dir, rel)) == b"unicode"
    assert agent.status().in_sync == [rel]
    os.unlink(str(cache / rel))
    with agent.open(rel) as f:
        assert f.read() == b"unicode"


def test_push_and_pull_many_files_over_channels_of_one_connection(sshd, cache, remote_dir, tmp_path):
    """Many files in flight on one connection: no extra SSH sessions, a few
    SFTP channels of the agent's own (one per 32 files, up to `workers`),
    as the server's log counts them."""
    log_start = sshd.log_size()
    a = _agent(sshd, cache, remote_dir, workers=4)
    files = {"d%d/f%03d.txt" % (i % 4, i): os.urandom(1000 + i) for i in range(100)}
    for rel, data in files.items():
        _write(str(cache / rel), data)
    a.add_dir(".")
    seen = set()
    assert sorted(a.push(callback=lambda rel, n, total: seen.add(rel))) == sorted(files)
    assert seen == set(files)
    log = sshd.log_since(log_start)
    sessions = re.findall(r"Accepted publickey for ", log)  # SSH connections
    channels = re.findall(r"Starting session: subsystem 'sftp'", log)  # SFTP channels
    siblings = channels[len(sessions) :]  # those beside each connection's own
    assert (len(sessions), len(siblings)) == (1, 2)  # 100 files: 3 channels, one connection
    for rel, data in files.items():
        assert _read(os.path.join(remote_dir, rel)) == data
    # the server's copies change; a second cache pulls them all
    for rel in files:
        with open(os.path.join(remote_dir, rel), "ab") as f:
            f.write(b"+")
    other = tmp_path / "other"
    other.mkdir()
    b = _agent(sshd, other, remote_dir, workers=4)
    assert sorted(b.pull_dir(".")) == sorted(files)
    for rel, data in files.items():
        assert _read(str(other / rel)) == data + b"+"
    assert not [n for _, _, names in os.walk(other) for n in names if n.endswith("-part")]  # no temps
    a.disconnect()
    b.disconnect()
