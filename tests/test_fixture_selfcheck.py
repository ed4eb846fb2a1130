"""Self-checks of the test infrastructure (FaultProxy, SshdServer).

These need neither ferrosftp nor network access beyond 127.0.0.1.
"""

import hashlib
import os
import pwd
import socket
import stat
import subprocess
import threading
import time

import pytest

from ferrosftp.testing import FaultProxy


# --------------------------------------------------------------- helpers
class _Server:
    """Tiny threaded loopback TCP server. mode: 'echo' or 'source' (send
    `source_bytes` then keep the socket open until the peer closes)."""

    def __init__(self, mode="echo", source_bytes=0):
        self.mode = mode
        self.source_bytes = source_bytes
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.received = 0
        self._stop = False
        self._threads = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()

    def _accept(self):
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(c,), daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self, c):
        try:
            if self.mode == "echo":
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    self.received += len(d)
                    c.sendall(d)
                c.shutdown(socket.SHUT_WR)
            else:
                block = b"x" * 65536
                left = self.source_bytes
                while left > 0:
                    n = c.send(block[: min(left, len(block))])
                    left -= n
                while c.recv(65536):
                    pass
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self._stop = True
        self.sock.close()


@pytest.fixture
def echo_server():
    s = _Server("echo")
    yield s
    s.close()


def _connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def _echo_roundtrip(port, payload, chunk=65536):
    """Send payload through (proxy ->) echo server, concurrently read it back."""
    s = _connect(port, timeout=30)
    got = bytearray()
    err = []

    def sender():
        try:
            for i in range(0, len(payload), chunk):
                s.sendall(payload[i : i + chunk])
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)

    t = threading.Thread(target=sender)
    t.start()
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        got += d
    t.join()
    s.close()
    assert not err
    return bytes(got)


def _drain(s, limit_s=10):
    """Read until EOF/reset/timeout; returns (bytes_received, how)."""
    s.settimeout(limit_s)
    n = 0
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return n, "eof"
            n += len(d)
    except ConnectionResetError:
        return n, "reset"
    except socket.timeout:
        return n, "timeout"


# --------------------------------------------------------------- FaultProxy
def test_proxy_refuses_non_loopback_target():
    with pytest.raises(ValueError):
        FaultProxy("10.0.0.1", 22)
    with pytest.raises(ValueError):
        FaultProxy("example.com", 22)


def test_proxy_passthrough_10mb(echo_server):
    payload = os.urandom(10 * 1024 * 1024)
    with FaultProxy("127.0.0.1", echo_server.port) as p:
        got = _echo_roundtrip(p.port, payload)
        assert hashlib.sha256(got).digest() == hashlib.sha256(payload).digest()
        assert p.bytes_up == len(payload)
        assert p.bytes_down == len(payload)
        assert p.connections == 1


def test_proxy_latency_is_pipelined(echo_server):
    latency = 0.05
    payload = os.urandom(2 * 1024 * 1024)
    with FaultProxy("127.0.0.1", echo_server.port, latency=latency) as p:
        t0 = time.monotonic()
        got = _echo_roundtrip(p.port, payload, chunk=16384)  # 128 chunks
        dt = time.monotonic() - t0
    assert got == payload
    assert dt >= 2 * latency * 0.9  # at least one round trip
    # stop-and-wait over 128 chunks would need >= 12.8 s; allow a lot of slack
    assert dt < 64 * 2 * latency


def test_proxy_latency_small_messages(echo_server):
    latency = 0.03
    with FaultProxy("127.0.0.1", echo_server.port, latency=latency) as p:
        s = _connect(p.port)
        t0 = time.monotonic()
        s.sendall(b"ping")
        assert s.recv(10) == b"ping"
        rtt = time.monotonic() - t0
        s.close()
    assert rtt >= 2 * latency * 0.9


def test_proxy_bandwidth_limit(echo_server):
    bw = 400_000
    payload = os.urandom(200_000)
    with FaultProxy("127.0.0.1", echo_server.port, bandwidth=bw) as p:
        t0 = time.monotonic()
        got = _echo_roundtrip(p.port, payload)
        dt = time.monotonic() - t0
    assert got == payload
    assert dt >= 0.8 * len(payload) / bw


@pytest.mark.parametrize("mode", ["rst", "fin"])
def test_proxy_cut_down(mode):
    src = _Server("source", source_bytes=2_000_000)
    try:
        n_cut = 100_000
        with FaultProxy("127.0.0.1", src.port, cut_after=n_cut, cut_mode=mode) as p:
            s = _connect(p.port)
            n, how = _drain(s)
            s.close()
            assert how in ("eof", "reset")
            assert n <= n_cut
            if mode == "fin":
                assert how == "eof"
                assert n == n_cut  # data before FIN is flushed
            assert p.bytes_down <= n_cut
    finally:
        src.close()


def test_proxy_cut_up(echo_server):
    n_cut = 50_000
    with FaultProxy("127.0.0.1", echo_server.port, cut_after=n_cut, cut_direction="up", cut_mode="rst") as p:
        s = _connect(p.port)
        try:
            for _ in range(40):
                s.sendall(b"y" * 10_000)
                time.sleep(0.005)
        except (BrokenPipeError, ConnectionResetError):
            pass
        n, how = _drain(s)
        s.close()
        assert how in ("eof", "reset")
        assert n <= n_cut
        assert p.bytes_up <= n_cut
    # the server never saw more than n_cut bytes
    assert echo_server.received <= n_cut


def test_proxy_cut_both_counts_sum(echo_server):
    with FaultProxy("127.0.0.1", echo_server.port, cut_after=30_000, cut_direction="both", cut_mode="fin") as p:
        s = _connect(p.port)
        try:
            s.sendall(b"z" * 20_000)
            n, how = _drain(s)
        finally:
            s.close()
        assert how in ("eof", "reset")
        assert p.bytes_up + p.bytes_down <= 30_000
        assert n <= 10_000


def test_proxy_stall_keeps_socket_open():
    src = _Server("source", source_bytes=1_000_000)
    try:
        with FaultProxy("127.0.0.1", src.port, stall_after=50_000) as p:
            s = _connect(p.port)
            n, how = _drain(s, limit_s=1.5)
            assert how == "timeout"  # not closed, just silent
            assert n == 50_000
            assert p.active_connections == 1
            s.close()
    finally:
        src.close()


def test_proxy_corrupt_one_byte(echo_server):
    payload = bytes(range(256)) * 40
    with FaultProxy("127.0.0.1", echo_server.port, corrupt_after=1000, corrupt_direction="down") as p:
        got = _echo_roundtrip(p.port, payload)
    assert len(got) == len(payload)
    diff = [i for i in range(len(payload)) if got[i] != payload[i]]
    assert diff == [1000]
    assert got[1000] == payload[1000] ^ 0xFF


def test_proxy_fault_connections_only_first(echo_server):
    with FaultProxy("127.0.0.1", echo_server.port, cut_after=1000, cut_mode="fin", fault_connections=1) as p:
        s = _connect(p.port)
        s.sendall(b"a" * 5000)
        n, how = _drain(s)
        s.close()
        assert n <= 1000
        payload = os.urandom(100_000)
        assert _echo_roundtrip(p.port, payload) == payload


def test_proxy_cut_all_runtime(echo_server):
    with FaultProxy("127.0.0.1", echo_server.port) as p:
        s = _connect(p.port)
        s.sendall(b"hello")
        assert s.recv(10) == b"hello"
        p.cut_all("rst")
        n, how = _drain(s, limit_s=5)
        assert how in ("eof", "reset")
        s.close()


def test_proxy_max_lifetime():
    src = _Server("source", source_bytes=10)
    try:
        with FaultProxy("127.0.0.1", src.port, max_lifetime=0.5) as p:
            s = _connect(p.port)
            t0 = time.monotonic()
            n, how = _drain(s, limit_s=10)
            assert how in ("eof", "reset")
            assert time.monotonic() - t0 < 5
            s.close()
    finally:
        src.close()


def test_proxy_many_concurrent_connections(echo_server):
    results = {}

    def worker(i, port):
        payload = os.urandom(50_000 + i)
        results[i] = _echo_roundtrip(port, payload) == payload

    with FaultProxy("127.0.0.1", echo_server.port, latency=0.01) as p:
        threads = [threading.Thread(target=worker, args=(i, p.port)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert p.connections == 50
    assert len(results) == 50 and all(results.values())


def test_proxy_double_stop_and_target_down():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead_port = s.getsockname()[1]
    s.close()  # nothing listens there now
    p = FaultProxy("127.0.0.1", dead_port).start()
    try:
        c = _connect(p.port)
    except ConnectionResetError:
        pass  # the proxy's RST can race the client's connect() completion
    else:
        n, how = _drain(c, limit_s=5)
        assert how in ("eof", "reset") and n == 0
        c.close()
    p.stop()
    p.stop()


# --------------------------------------------------------------- SshdServer
def test_sshd_echo(sshd):
    assert sshd.ssh_cmd("echo hi") == "hi"


def test_sshd_user_model(sshd):
    is_root = os.geteuid() == 0
    assert sshd.password_auth is is_root
    if is_root:
        assert sshd.username == "ferrotest"
        assert sshd.password
    else:
        assert sshd.password is None
    assert sshd.ssh_cmd("id -un") == sshd.username
    assert sshd.host == "127.0.0.1"
    assert isinstance(sshd.port, int)


def test_sshd_remote_root(sshd, remote_dir):
    uid = pwd.getpwnam(sshd.username).pw_uid
    for d in (sshd.remote_root, remote_dir):
        assert os.path.isabs(d)
        st = os.stat(d)
        assert stat.S_ISDIR(st.st_mode) and st.st_uid == uid
    assert os.listdir(remote_dir) == []
    assert os.path.dirname(remote_dir) == sshd.remote_root
    # the user can write there; we (possibly root) can read it back locally
    sshd.ssh_cmd("printf abc > %s/f.txt" % remote_dir)
    with open(os.path.join(remote_dir, "f.txt")) as f:
        assert f.read() == "abc"
    assert os.stat(os.path.join(remote_dir, "f.txt")).st_uid == uid


@pytest.mark.parametrize("key", ["ed25519", "ecdsa", "rsa", "rsa_pem"])
def test_sshd_all_unencrypted_keys_log_in(sshd, key):
    assert sshd.ssh_cmd("echo ok", key=key) == "ok"


def test_sshd_key_files(sshd):
    assert set(sshd.keys) == {"ed25519", "ecdsa", "rsa", "rsa_pem", "ed25519_enc"}
    with open(sshd.keys["rsa_pem"]) as f:
        assert f.readline().strip() == "-----BEGIN RSA PRIVATE KEY-----"
    with open(sshd.keys["rsa"]) as f:
        assert f.readline().strip() == "-----BEGIN OPENSSH PRIVATE KEY-----"
    # the encrypted key needs the passphrase
    bad = subprocess.run(
        ["ssh-keygen", "-y", "-P", "wrong", "-f", sshd.keys["ed25519_enc"]],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert bad.returncode != 0
    good = subprocess.run(
        ["ssh-keygen", "-y", "-P", sshd.key_passphrase, "-f", sshd.keys["ed25519_enc"]],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert good.returncode == 0 and good.stdout.startswith("ssh-ed25519 ")
    with open(sshd.authorized_keys_path) as f:
        assert len(f.read().splitlines()) == 5


def test_sshd_known_hosts(sshd):
    with open(sshd.known_hosts_path) as f:
        lines = f.read().splitlines()
    assert len(lines) == 3
    prefix = "[127.0.0.1]:%d " % sshd.port
    assert all(line.startswith(prefix) for line in lines)
    types = sorted(line.split()[1] for line in lines)
    assert types == ["ecdsa-sha2-nistp256", "ssh-ed25519", "ssh-rsa"]
    with open(sshd.known_hosts_bare_path) as f:
        bare = f.read().split()
    assert bare[0] == "127.0.0.1" and bare[1] == "ssh-ed25519"
    assert set(sshd.host_key_paths) == {"ed25519", "ecdsa", "rsa"}


def test_sshd_password_auth_with_system_ssh(sshd, tmp_path):
    if not sshd.password_auth:
        pytest.skip("password auth needs a root sshd")
    askpass = tmp_path / "askpass.sh"
    askpass.write_text("#!/bin/sh\nprintf '%%s\\n' '%s'\n" % sshd.password)
    askpass.chmod(0o700)
    env = dict(os.environ, SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
    args = sshd.ssh_args(
        options=[
            "BatchMode=no",
            "PubkeyAuthentication=no",
            "PreferredAuthentications=password",
            "NumberOfPasswordPrompts=1",
        ]
    )
    p = subprocess.run(
        args + ["--", "echo pw-ok"], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "pw-ok"


def test_sshd_env_accept(sshd):
    env = dict(os.environ, FERRO_X="accepted", OTHER_Y="dropped")
    out = sshd.ssh_cmd('echo "$FERRO_X/$OTHER_Y"', options=["SendEnv=FERRO_X OTHER_Y"], env=env)
    assert out == "accepted/"


def test_sshd_through_fault_proxy(sshd, fault_proxy):
    p = fault_proxy(latency=0.01)
    assert sshd.ssh_cmd("echo via-proxy", port=p.port) == "via-proxy"
    assert p.bytes_up > 0 and p.bytes_down > 0


def test_sshd_sftp_subsystem_with_system_client(sshd, remote_dir):
    batch = "put %s %s/up.bin\nls %s\n" % (sshd.authorized_keys_path, remote_dir, remote_dir)
    sshd.sftp_batch(batch)
    with open(os.path.join(remote_dir, "up.bin")) as f, open(sshd.authorized_keys_path) as g:
        assert f.read() == g.read()
