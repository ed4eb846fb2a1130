"""SSH over something other than a TCP socket (python/ferrosftp/proxy.py):
a direct-tcpip Channel through one or two jump hosts, and a ProxyCommand
(OpenSSH's own ``ssh -W``), each against real loopback sshds."""

import hashlib
import os
import socket

import pytest
from sshd_server import SshdServer

import ferrosftp as paramiko
from ferrosftp.proxy import ProxyCommand

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def jumps():
    servers = [SshdServer(rsa_bits=2048).start(), SshdServer(rsa_bits=2048).start()]
    try:
        yield servers
    finally:
        for s in servers:
            s.stop()


def _connect(srv, **kw):
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect(
        srv.host,
        port=srv.port,
        username=srv.username,
        key_filename=srv.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
        **kw,
    )
    return c


def _works(client, remote_dir, tmp_path):
    """exec and an 8 MiB SFTP round trip over the client, checksummed."""
    _, out, _ = client.exec_command("echo hello-through")
    assert out.read() == b"hello-through\n"
    data = os.urandom(8 << 20)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    sftp = client.open_sftp()
    sftp.put(str(src), remote_dir + "/through.bin")
    sftp.get(remote_dir + "/through.bin", str(tmp_path / "back.bin"))
    sftp.close()
    assert hashlib.sha256((tmp_path / "back.bin").read_bytes()).digest() == hashlib.sha256(data).digest()


def test_a_channel_through_a_jump_host(sshd, jumps, remote_dir, tmp_path):
    jump = _connect(jumps[0])
    try:
        chan = jump.get_transport().open_channel("direct-tcpip", (sshd.host, sshd.port), ("127.0.0.1", 0))
        target = _connect(sshd, sock=chan)
        assert target.get_transport().getpeername() == chan.getpeername()
        _works(target, remote_dir, tmp_path)
        target.close()
        assert chan.closed  # paramiko closes its sock with the transport
        _, out, _ = jump.exec_command("echo jump-still-fine")
        assert out.read() == b"jump-still-fine\n"
    finally:
        jump.close()


def test_two_hops(sshd, jumps, remote_dir, tmp_path):
    first = _connect(jumps[0])
    try:
        hop = first.get_transport().open_channel("direct-tcpip", (jumps[1].host, jumps[1].port), ("127.0.0.1", 0))
        second = _connect(jumps[1], sock=hop)
        hop2 = second.get_transport().open_channel("direct-tcpip", (sshd.host, sshd.port), ("127.0.0.1", 0))
        target = _connect(sshd, sock=hop2)
        _works(target, remote_dir, tmp_path)
        target.close()
        second.close()
    finally:
        first.close()


def _ssh_w(jump, target_port):
    return (
        "ssh -W 127.0.0.1:{} -p {} -i {} -l {} -o BatchMode=yes -o StrictHostKeyChecking=no "
        "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR 127.0.0.1"
    ).format(target_port, jump.port, jump.keys["ed25519"], jump.username)


def test_a_proxycommand(sshd, jumps, remote_dir, tmp_path):
    proxy = ProxyCommand(_ssh_w(jumps[0], sshd.port))
    target = _connect(sshd, sock=proxy)
    try:
        assert target.get_transport().getpeername() == ("unknown", 0)  # as paramiko
        _works(target, remote_dir, tmp_path)
    finally:
        target.close()
    proxy.process.wait(10)
    assert proxy.closed  # the command ends with the transport


def test_a_proxycommand_that_fails(sshd):
    with pytest.raises(paramiko.SSHException):
        _connect(sshd, sock=ProxyCommand("sh -c 'echo no route >&2; exit 3'"))
    with pytest.raises(FileNotFoundError):  # as paramiko: Popen's own error
        ProxyCommand("/no/such/command-ferrosftp")


def test_proxycommand_talks_like_paramikos(jumps):
    """send/recv/settimeout on the command itself, as paramiko's."""
    proxy = ProxyCommand("cat")
    try:
        assert proxy.send(b"ping") == 4
        assert proxy.recv(4) == b"ping"
        proxy.settimeout(0.2)
        with pytest.raises(socket.timeout):
            proxy.recv(1)
        assert not proxy.closed
    finally:
        proxy.close()
    proxy.process.wait(10)
    assert proxy.closed


def test_anything_else_is_refused_clearly():
    with pytest.raises(paramiko.SSHException):
        paramiko.Transport(object())
