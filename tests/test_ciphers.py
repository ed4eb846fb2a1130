"""Every cipher libssh2 and sshd share, forced one at a time.

The vendored libssh2 hands all middle blocks of a packet to one cipher call
(vendor/libssh2-sys/PATCHES.md), so each cipher is checked end to end: bytes
of many packet sizes arrive intact both ways, and a flipped byte on the wire
is still caught (a MAC or GCM tag failure ends the connection with
SSHException, nothing corrupt is written).
"""

import hashlib
import os
import subprocess

import pytest

from ferrosftp.testing import FaultProxy
from sshd_server import SshdServer

pytestmark = pytest.mark.timeout(120)

KiB = 1024
MiB = 1024 * KiB
# sizes around packet and cipher-block edges, one of several packets
SIZES = [0, 1, 15, 16, 17, 4095, 32 * KiB - 1, 32 * KiB + 7, 3 * MiB + 13]


def _server_ciphers():
    out = subprocess.run(["ssh", "-Q", "cipher"], capture_output=True, text=True, check=True)
    return out.stdout.split()


def _shared_ciphers():
    import ferrosftp._native as native

    ours = native.supported_algorithms("cipher")
    return [c for c in _server_ciphers() if c in ours]


CIPHERS = _shared_ciphers()


@pytest.fixture(scope="module")
def all_cipher_sshd():
    srv = SshdServer(extra_config="Ciphers " + ",".join(_server_ciphers()), rsa_bits=2048)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _connect(srv, cipher, port=None):
    import ferrosftp

    c = ferrosftp.SSHClient()
    c.set_missing_host_key_policy(ferrosftp.AutoAddPolicy())
    others = [x for x in CIPHERS if x != cipher]
    c.connect(
        srv.host,
        port=port or srv.port,
        username=srv.username,
        key_filename=srv.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
        disabled_algorithms={"ciphers": others},
    )
    return c


def test_the_ciphers_that_matter_are_covered():
    # a silent drop of a cipher from either side would shrink this test module
    for c in (
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
        "aes128-ctr",
        "aes256-ctr",
        "aes128-cbc",
        "chacha20-poly1305@openssh.com",
    ):
        assert c in CIPHERS, (c, CIPHERS)


@pytest.mark.parametrize("cipher", CIPHERS)
def test_bytes_survive_every_cipher(all_cipher_sshd, cipher, tmp_path):
    srv = all_cipher_sshd
    remote = srv.make_remote_dir()
    c = _connect(srv, cipher)
    try:
        t = c.get_transport()
        assert (t.local_cipher, t.remote_cipher) == (cipher, cipher)
        sftp = c.open_sftp()
        for n in SIZES:
            data = os.urandom(n)
            src = tmp_path / ("up%d" % n)
            src.write_bytes(data)
            rpath = os.path.join(remote, "f%d" % n)
            sftp.put(str(src), rpath)
            with open(rpath, "rb") as f:  # the server's own copy
                assert hashlib.sha256(f.read()).digest() == hashlib.sha256(data).digest(), n
            back = tmp_path / ("down%d" % n)
            sftp.get(rpath, str(back))
            assert back.read_bytes() == data, n
        # small packets of every length: a padding or length slip shows here
        stdin, out, _ = c.exec_command("cat")
        sent = b"".join(os.urandom(k) for k in range(1, 70))
        stdin.write(sent)
        stdin.close()
        assert out.read() == sent
    finally:
        c.close()


@pytest.mark.parametrize("direction", ["down", "up"])
@pytest.mark.parametrize("cipher", CIPHERS)
def test_a_flipped_byte_is_caught(all_cipher_sshd, cipher, direction, tmp_path):
    from ferrosftp import SSHException

    srv = all_cipher_sshd
    remote = os.path.join(srv.make_remote_dir(), "big.bin")
    data = os.urandom(4 * MiB)
    with open(remote, "wb") as f:
        f.write(data)
    local = tmp_path / "big.bin"
    local.write_bytes(data)
    with FaultProxy(srv.host, srv.port, corrupt_after=MiB, corrupt_direction=direction) as p:
        c = _connect(srv, cipher, port=p.port)
        try:
            sftp = c.open_sftp()
            sftp.get_channel().settimeout(10)
            dest = tmp_path / "dest.bin"
            with pytest.raises(SSHException):
                if direction == "down":
                    sftp.get(remote, str(dest))
                else:
                    sftp.put(str(local), remote + ".up")
            assert p.bytes_up + p.bytes_down > MiB
            assert not dest.exists()
        finally:
            c.close()
    if direction == "up":  # what the server stored is never a corrupt whole file
        up = remote + ".up"
        assert not os.path.exists(up) or os.path.getsize(up) < len(data)
