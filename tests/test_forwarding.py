"""Remote port forwarding (paramiko's Transport.request_port_forward /
cancel_port_forward / accept; src/forward.rs): the loopback sshd listens and
brings each connection to us as a channel."""

import socket
import threading

import pytest
from sshd_server import SshdServer

import ferrosftp as paramiko

pytestmark = pytest.mark.timeout(60)


def _connect(srv):
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
    )
    return c


def _dial(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.settimeout(10)
    return s


def _until_refused(port):
    """libssh2 sends the cancel without asking for a reply: the server stops
    listening just after (within 5 s here)."""
    for _ in range(50):
        try:
            _dial(port).close()
        except ConnectionRefusedError:
            return
        threading.Event().wait(0.1)
    pytest.fail("the server still listens on %d" % port)


def test_forwarded_connections_wait_for_accept(client):
    t = client.get_transport()
    port = t.request_port_forward("127.0.0.1", 0)
    assert port > 0
    assert t.accept(0.2) is None  # nothing yet: None after the timeout
    s = _dial(port)
    chan = t.accept(10)
    assert chan is not None
    s.sendall(b"from the far side")
    assert chan.recv(100) == b"from the far side"
    chan.sendall(b"and back")
    assert s.recv(100) == b"and back"
    s.close()
    assert chan.recv(100) == b""  # the far side closed
    chan.close()
    t.cancel_port_forward("127.0.0.1", port)
    _until_refused(port)  # the server listens no more


def test_a_handler_gets_each_channel_in_a_thread_of_ours(client):
    t = client.get_transport()
    seen = []
    done = threading.Event()

    def handler(chan, origin, server):
        seen.append((origin, server, threading.current_thread() is threading.main_thread()))
        data = chan.recv(100)
        chan.sendall(data.upper())
        chan.close()
        done.set()

    port = t.request_port_forward("127.0.0.1", 0, handler=handler)
    s = _dial(port)
    s.sendall(b"shout")
    assert s.recv(100) == b"SHOUT"
    assert done.wait(10)
    assert seen == [(("", 0), ("127.0.0.1", port), False)]
    s.close()
    t.cancel_port_forward("127.0.0.1", port)


def test_many_connections_at_once(client):
    t = client.get_transport()
    port = t.request_port_forward("127.0.0.1", 0)
    socks = [_dial(port) for _ in range(8)]
    chans = [t.accept(10) for _ in socks]
    assert all(c is not None for c in chans)
    for i, s in enumerate(socks):
        s.sendall(b"n%d" % i)
    got = sorted(c.recv(10) for c in chans)
    assert got == sorted(b"n%d" % i for i in range(8))
    for s in socks:
        s.close()
    for c in chans:
        c.close()
    t.cancel_port_forward("127.0.0.1", port)
    _, out, _ = client.exec_command("echo still-fine")  # the connection goes on
    assert out.read() == b"still-fine\n"


def test_a_refused_forwarding_raises_like_paramiko():
    srv = SshdServer(extra_config="AllowTcpForwarding no", rsa_bits=2048).start()
    try:
        c = _connect(srv)
        with pytest.raises(paramiko.SSHException, match="TCP forwarding request denied"):
            c.get_transport().request_port_forward("127.0.0.1", 0)
        _, out, _ = c.exec_command("echo ok")
        assert out.read() == b"ok\n"
        c.close()
    finally:
        srv.stop()


def test_closing_the_connection_ends_the_forwarding(sshd):
    c = _connect(sshd)
    port = c.get_transport().request_port_forward("127.0.0.1", 0)
    threads = [th for th in threading.enumerate() if th.name == "ferrosftp-forward-%d" % port]
    assert len(threads) == 1
    c.close()
    threads[0].join(10)
    assert not threads[0].is_alive()  # our side stops
    _until_refused(port)  # sshd lets the port go once the session ends
