"""Fixtures of the reliability suite (plan items TF, TL, TB, TR, TS).

The session sshd, remote_dir, client, sftp and fault_proxy fixtures come from
tests/conftest.py; these add a big remote file, private sshd instances (for
tests that kill, restart or reconfigure the server) and a DEBUG3 sshd whose
log shows every userauth request and the negotiated KEX mode.
"""

import os
import shutil
import socket

import pytest

import ferrosftp

from relutil import MiB, write_random
from sshd_server import SshdServer


@pytest.fixture(scope="module")
def big_remote(sshd):
    """A 64 MiB file on the server (path as seen by both sides)."""
    d = sshd.make_remote_dir()
    path = os.path.join(d, "big.bin")
    write_random(path, 64 * MiB)
    sshd.chown_to_user(path)
    try:
        yield path
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def private_sshd():
    """Factory: private_sshd(overrides={...}) -> started SshdServer (stopped
    at teardown).  Use it when a test kills, restarts or reconfigures sshd."""
    servers = []

    def make(overrides=None, **kw):
        kw.setdefault("rsa_bits", 2048)
        srv = SshdServer(overrides=overrides, **kw)
        servers.append(srv)
        srv.start()
        return srv

    try:
        yield make
    finally:
        for srv in servers:
            srv.stop()


@pytest.fixture(scope="session")
def debug_sshd():
    """A private sshd at LogLevel DEBUG3 (userauth requests, strict KEX)."""
    srv = SshdServer(overrides={"LogLevel": "DEBUG3"}, rsa_bits=2048)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def connect_traffic(sshd):
    """Bytes each way after the handshake and after authentication, measured
    through a clean proxy (so the cut points land inside each phase)."""
    from ferrosftp.testing import FaultProxy

    with FaultProxy(sshd.host, sshd.port) as p:
        sock = socket.create_connection(("127.0.0.1", p.port), timeout=10)
        t = ferrosftp.Transport(sock)
        t.start_client(timeout=10)
        hs = (p.bytes_up, p.bytes_down)
        t.auth_publickey(sshd.username, ferrosftp.PKey.from_private_key_file(sshd.keys["ed25519"]))
        auth = (p.bytes_up, p.bytes_down)
        t.close()
    return {"hs_up": hs[0], "hs_down": hs[1], "auth_up": auth[0], "auth_down": auth[1]}
