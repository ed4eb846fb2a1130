"""One big file over several SFTP channels of one connection
(src/sftp/parallel.rs): uploads of 64 MiB or more when the link's round trip
is 5 ms or more, ``max_concurrency`` as the knob; the bytes, progress, errors
and Ctrl-C behave as on one channel."""

import hashlib
import os
import threading
import time

import pytest

pytestmark = pytest.mark.timeout(180)

MiB = 1024 * 1024
BIG = 80 * MiB + 12345  # above the threshold, not a multiple of anything


@pytest.fixture(scope="module")
def big_local(tmp_path_factory):
    p = tmp_path_factory.mktemp("parallel") / "big.bin"
    with open(p, "wb") as f:
        for _ in range(BIG // MiB):
            f.write(os.urandom(MiB))
        f.write(os.urandom(BIG % MiB))
    return p


def _sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            h.update(block)
    return h.hexdigest()


def test_put_and_get_over_four_channels(client, remote_dir, big_local, tmp_path):
    sftp = client.open_sftp()
    remote = remote_dir + "/big.bin"
    calls, channels = [], []

    def progress(done, total):
        calls.append((done, total))
        channels.append(sftp._sftp.channels)

    attrs = sftp.put(str(big_local), remote, callback=progress, atomic=True, max_concurrency=4)
    assert attrs.st_size == BIG
    assert 2 <= max(channels) <= 4  # lanes of their own while it ran
    assert sftp._sftp.channels == 1  # and closed after: they count against MaxSessions
    assert _sha(remote) == _sha(big_local)  # the server's own copy
    assert os.listdir(remote_dir) == ["big.bin"]  # no temp name left
    assert calls[-1] == (BIG, BIG)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))  # never backwards
    calls.clear()
    channels.clear()
    dest = tmp_path / "back.bin"
    sftp.get(remote, str(dest), callback=progress, max_concurrency=4)
    assert _sha(dest) == _sha(big_local)
    assert calls[-1] == (BIG, BIG)
    assert 2 <= max(channels) <= 4 and sftp._sftp.channels == 1
    sftp.close()


def test_max_concurrency_one_keeps_one_channel(client, remote_dir, big_local, tmp_path):
    sftp = client.open_sftp()
    sftp.put(str(big_local), remote_dir + "/one.bin", max_concurrency=1)
    sftp.get(remote_dir + "/one.bin", str(tmp_path / "one.bin"), max_concurrency=1)
    # paramiko's knob means "fewer requests": one channel too
    seen = []
    sftp.get(
        remote_dir + "/one.bin",
        str(tmp_path / "two.bin"),
        max_concurrent_prefetch_requests=8,
        callback=lambda d, t: seen.append(sftp._sftp.channels),
    )
    assert set(seen) == {1}
    assert _sha(tmp_path / "two.bin") == _sha(big_local)
    with pytest.raises(ValueError):
        sftp.get(remote_dir + "/one.bin", str(tmp_path / "x"), max_concurrency=0)
    sftp.close()


def test_a_callback_error_stops_every_lane_and_leaves_nothing(client, remote_dir, big_local, tmp_path):
    sftp = client.open_sftp()
    remote = remote_dir + "/big.bin"
    sftp.put(str(big_local), remote)

    class Stop(Exception):
        pass

    def stop(done, total):
        if done > 10 * MiB:
            raise Stop()

    dest = tmp_path / "dest.bin"
    dest.write_bytes(b"old")
    t0 = time.monotonic()
    with pytest.raises(Stop):
        sftp.get(remote, str(dest), callback=stop, max_concurrency=4)
    assert time.monotonic() - t0 < 30
    assert dest.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["dest.bin"]  # no temp file
    with pytest.raises(Stop):
        sftp.put(str(big_local), remote_dir + "/up.bin", callback=stop, atomic=True, max_concurrency=4)
    assert sorted(os.listdir(remote_dir)) == ["big.bin"]  # the atomic temp name is gone
    # the client goes on working, helpers included
    sftp.get(remote, str(dest), max_concurrency=4)
    assert _sha(dest) == _sha(big_local)
    sftp.close()


def test_a_full_disk_fails_on_every_lane_without_a_hang(client, big_local):
    sftp = client.open_sftp()
    t0 = time.monotonic()
    with pytest.raises(OSError):
        sftp.put(str(big_local), "/dev/full", confirm=False, max_concurrency=4)
    assert time.monotonic() - t0 < 30
    assert sftp.stat("/").st_mode
    sftp.close()


def test_another_thread_uses_the_client_during_a_parallel_get(client, remote_dir, big_local, tmp_path):
    sftp = client.open_sftp()
    remote = remote_dir + "/big.bin"
    sftp.put(str(big_local), remote)
    stats = []
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            stats.append(sftp.stat(remote).st_size)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    try:
        sftp.get(remote, str(tmp_path / "dest.bin"), max_concurrency=4)
    finally:
        stop.set()
        t.join(30)
    assert stats and set(stats) == {BIG}
    assert _sha(tmp_path / "dest.bin") == _sha(big_local)
    sftp.close()


def test_a_loopback_upload_stays_on_one_channel_by_default(client, remote_dir, big_local):
    """On a link of under 5 ms round trip one channel's window is not the
    limit and extra lanes only cost CPU (docs/performance.md)."""
    sftp = client.open_sftp()
    seen = []
    sftp.put(str(big_local), remote_dir + "/near.bin", callback=lambda d, t: seen.append(sftp._sftp.channels))
    assert set(seen) == {1}
    assert _sha(remote_dir + "/near.bin") == _sha(big_local)
    sftp.close()


def test_a_far_upload_uses_several_channels_by_default(sshd, fault_proxy, remote_dir, big_local):
    """At 10 ms round trip one channel's 2 MiB window caps an upload: lanes."""
    from client_helpers import connect_client

    p = fault_proxy(latency=0.005)
    c = connect_client(sshd, port=p.port)
    try:
        sftp = c.open_sftp()
        seen = []
        sftp.put(str(big_local), remote_dir + "/far.bin", callback=lambda d, t: seen.append(sftp._sftp.channels))
        assert max(seen) >= 2
        assert _sha(remote_dir + "/far.bin") == _sha(big_local)
    finally:
        c.close()


def test_a_very_far_upload_uses_six_channels(sshd, fault_proxy, remote_dir, big_local):
    """From 50 ms round trip on, helper channels starting one round trip
    apart are made up for by more of them: six lanes (parallel.rs)."""
    from client_helpers import connect_client

    p = fault_proxy(latency=0.03)
    c = connect_client(sshd, port=p.port)
    try:
        sftp = c.open_sftp()
        seen = []
        sftp.put(str(big_local), remote_dir + "/far.bin", callback=lambda d, t: seen.append(sftp._sftp.channels))
        assert max(seen) == 6
        assert sftp._sftp.channels == 1  # the helpers are closed after the transfer
        assert _sha(remote_dir + "/far.bin") == _sha(big_local)
    finally:
        c.close()
